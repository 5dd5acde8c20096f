"""``auditkit probe http|db``: output formats, exit codes, Ctrl-C, no secrets in any output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditkit.cli import main
from tests.pgserver import PgServer
from tests.probes.servers import TestServer

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("args", [["probe", "--help"], ["probe", "http", "--help"], ["probe", "db", "--help"]])
def test_help(args: list[str]) -> None:
    code, out, _ = _run(*args)
    assert code == 0 and "Usage" in out


def test_http_json_and_exit_codes(http_server: TestServer) -> None:
    code, out, _ = _run(
        "probe",
        "http",
        "--target",
        http_server.url,
        "--duration",
        "0.5s",
        "--vus",
        "2",
        "--threshold",
        "p(95)<60000",
        "--format",
        "json",
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["probe"] == "http" and doc["passed"] is True
    assert isinstance(doc["throughput"], (int, float))
    assert set(doc["latency_ms"]) >= {"p50", "p90", "p95", "p99", "max"}
    assert doc["thresholds"] == {"p(95)<60000": True}
    code, out, _ = _run(
        "probe",
        "http",
        "--target",
        http_server.url + "/fail",
        "--duration",
        "0.5s",
        "--threshold",
        "rate<0.01",
        "--format",
        "json",
    )
    assert code == 1
    assert json.loads(out)["thresholds"] == {"rate<0.01": False}


def test_http_text_output(http_server: TestServer) -> None:
    code, out, _ = _run("probe", "http", "--profile", "smoke", "--target", http_server.url, "--duration", "0.5s")
    assert code == 0, out
    assert "latency ms" in out and "threshold    pass  p(95)<500" in out and "PASSED" in out
    assert "\x1b[" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "http://192.0.2.1/"], "not a loopback address"),
        (["--target", "http://127.0.0.1:9/", "--threshold", "p95<1"], "threshold 'p95<1'"),
        (["--target", "http://127.0.0.1:9/", "--duration", "forever"], "--duration"),
        (["--target", "http://u:p4ss@127.0.0.1:9/"], "credentials are taken only from the environment"),
        (["--profile", "nope"], "no profile"),
        ([], "no target"),
    ],
)
def test_http_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    code, out, err = _run("probe", "http", *args)
    assert code == 2
    assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert "p4ss" not in err


def test_profile_token_never_printed(http_server: TestServer, tmp_path: Path) -> None:
    token = "s3cr3t-token-value-7781"
    http_server.expect_auth("Bearer " + token)
    profile = tmp_path / "auth.toml"
    profile.write_text("""
[load]
vus = 1
duration = "0.5s"
thresholds = ["checks: rate>0.99"]
[[scenarios]]
name = "auth"
[[scenarios.steps]]
path = "/auth"
headers = { Authorization = { env = "PROBE_TOKEN", prefix = "Bearer " } }
checks = { status = 200 }
""")
    for fmt in ("json", "text"):
        code, out, err = _run(
            "probe",
            "http",
            "--profile",
            str(profile),
            "--target",
            http_server.url,
            "--format",
            fmt,
            env={"PROBE_TOKEN": token},
        )
        assert code == 0, out + err
        assert token not in out and token not in err
    assert set(http_server.auth_seen) == {"Bearer " + token}


@pytest.mark.postgres
def test_db_json_text_and_no_password_in_output(pg_server: PgServer, pg_env: dict[str, str]) -> None:
    for fmt in ("json", "text"):
        code, out, err = _run(
            "probe",
            "db",
            "--clients",
            "2",
            "--duration",
            "0.3s",
            "--threshold",
            "p(99)<60000",
            "--format",
            fmt,
            env={"DATABASE_URL": pg_server.dsn},
        )
        assert code == 0, out + err
        assert pg_server.password not in out + err
        assert "***" in out
    doc = json.loads(_run("probe", "db", "--workload", "pool", "--pool-cap", "3", "--format", "json")[1])
    assert doc["extra"]["pool"]["opened"] == 3
    assert pg_server.password not in json.dumps(doc)


def test_db_password_flag_is_refused() -> None:
    code, _, err = _run("probe", "db", "--password", "hunter2")
    assert code == 2 and "PGPASSWORD" in err and "hunter2" not in err


def test_probe_is_lazy() -> None:
    # `auditkit --help` lists the probe command without importing its heavy dependencies.
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from click.testing import CliRunner; from auditkit.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert 'probe' in r.output; "
            "print(sorted(m for m in ('asyncpg', 'httpx', 'uvloop', 'auditkit.probes.http') if m in sys.modules))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_ctrl_c_stops_cleanly_and_still_reports(http_server: TestServer) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "auditkit",
            "probe",
            "http",
            "--target",
            http_server.url,
            "--duration",
            "60s",
            "--vus",
            "2",
            "--format",
            "json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 15
    while http_server.total < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err  # an interrupted run is not a pass, even with no threshold set
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["passed"] is False
    assert doc["requests"] > 0 and doc["duration_s"] < 30
    assert "Traceback" not in err


def test_ctrl_c_on_a_db_probe_exits_130_and_is_not_a_pass(pg_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditkit", "probe", "db", "--duration", "60s", "--clients", "2", "--format", "json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    time.sleep(3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["passed"] is False
    assert doc["duration_s"] < 30 and "Traceback" not in err


@pytest.mark.postgres
def test_db_accepts_a_libpq_keyword_value_dsn(pg_server: PgServer, pg_env: dict[str, str]) -> None:
    dsn = f"host={pg_server.host} port={pg_server.port} user={pg_server.user} dbname='{pg_server.database}'"
    # The PG* variables point elsewhere: the run only works if the DSN's keywords reach the driver.
    env = {"PGPORT": "1", "PGUSER": "nobody", "PGDATABASE": "nowhere", "PGPASSWORD": pg_server.password}
    code, out, err = _run(
        "probe", "db", "--dsn", dsn, "--clients", "1", "--duration", "0.3s", "--format", "json", env=env
    )
    assert code == 0, out + err
    doc = json.loads(out)
    assert doc["requests"] > 0 and sum(doc["errors"].values()) == 0
    code, _, err = _run("probe", "db", "--dsn", dsn + " password=hunter2", env=env)
    assert code == 2 and "PGPASSWORD" in err and "hunter2" not in err


@pytest.mark.postgres
def test_db_invalid_query_is_bad_input_before_any_load(pg_server: PgServer, pg_env: dict[str, str]) -> None:
    for query, code_name in (("SELEC 1", "42601"), ("SELECT * FROM no_such_table_here", "42P01")):
        code, out, err = _run("probe", "db", "--query", query, "--duration", "5s", "--format", "json")
        assert code == 2, out + err
        assert out == ""  # no report: nothing was run
        assert code_name in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
