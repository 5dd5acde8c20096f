"""The scored audit on a replica of the audited platform: near 2/10 for the audit's reasons, then better after the fix.

Also the probe area end to end: a real HTTP server on 127.0.0.1, a short profile, thresholds that pass and fail.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditkit.cli import main
from tests.conftest import git

replica = pytest.importorskip("tests.coverage.replica", reason="the coverage replica lands with issue 4")
pytest.importorskip("auditkit.coverage", reason="the coverage analysis lands with issue 4")

ALL_FORMATS = [x for f in ("html", "md", "json", "sarif", "junit") for x in ("--report", f)]


@pytest.fixture()
def env(tmp_path: Path, git_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("AUDITKIT_HISTORY_URL", raising=False)
    return git_env


def _platform(tmp_path: Path) -> Path:
    root = replica.build_replica(tmp_path / "platform")
    git(tmp_path, "init", "-q", str(root))
    git(root, "add", ".")
    git(root, "commit", "-qm", "platform as audited")
    return root


def _scan(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_replica_scores_near_two_for_the_audits_reasons_then_improves(tmp_path: Path, env: dict[str, str]) -> None:
    root = _platform(tmp_path)
    out = tmp_path / "q1"
    code, stdout, stderr = _scan(str(root), "--out", str(out), *ALL_FORMATS)
    assert code == 0, stderr
    for report in out.iterdir():
        assert replica.AUDIT_PASSWORD not in report.read_text(encoding="utf-8"), report.name
    assert replica.AUDIT_PASSWORD not in stdout + stderr
    first = json.loads((out / "auditkit-report.json").read_text())
    assert 1.0 <= first["score"] <= 3.0, first["score"]
    assert first["status"] == "critical"
    areas = {a["id"]: a for a in first["areas"]}
    # The audit's reasons, one by one.
    assert areas["hardcoded_secrets"]["score"] == 0.0
    group = first["secrets"]["groups"][0]
    assert group["in_head"] and len(group["paths"]) == 3
    assert {
        "operations/load-tests/load-test.sh",
        "operations/scripts/smoke.sh",
        "operations/scripts/health.sh",
    } == set(group["paths"])
    assert any(c["id"] == "live-credential-in-head" for c in first["caps"])
    assert "2 of 21 services" in areas["load_test_coverage"]["summary"]
    assert areas["load_test_coverage"]["score"] < 1.5
    tools = first["coverage"]["tools"]
    assert {"k6", "artillery", "ab"} <= set(tools)
    assert areas["tool_standardization"]["status"] == "critical"
    assert areas["probe_results"]["status"] == "not_measured"
    assert first["actions"][0]["id"] == "secret_in_head"
    critical = next(a for a in first["actions"] if a["id"] == "critical_service_uncovered")
    assert {"api-gateway", "auth-service", "payment-service"} <= set(critical["items"])
    quality = {t["path"]: t["quality"] for t in first["coverage"]["tests"]}
    assert quality["operations/load-tests/load-test.sh"] < min(
        q for p, q in quality.items() if p != "operations/load-tests/load-test.sh"
    ), "the ab script is the weakest test, the service tests are well written"

    replica.build_replica(root, fixed_password=True)
    git(root, "commit", "-qam", "read the database password from the environment")
    out2 = tmp_path / "q2"
    code, stdout, _ = _scan(str(root), "--out", str(out2), *ALL_FORMATS)
    assert code == 0
    second = json.loads((out2 / "auditkit-report.json").read_text())
    assert second["score"] > first["score"]
    assert not any(c["id"] == "live-credential-in-head" for c in second["caps"])
    trend = second["trend"]
    assert trend["previous_run"]["id"] == first["run"]["id"]
    assert trend["overall"]["delta"] > 0
    delta = {a["id"]: a["delta"] for a in trend["areas"]}
    assert delta["hardcoded_secrets"] > 0
    resolved = {f["path"] for f in trend["resolved_findings"] if f["area"] == "secrets"}
    assert {"operations/load-tests/load-test.sh", "operations/scripts/smoke.sh"} <= resolved
    assert second["secrets"]["groups"][0]["removed"]["subject"] == "read the database password from the environment"
    html = (out2 / "auditkit-report.html").read_text()
    assert "Trend" in html and "<polyline" in html
    assert "Since " in stdout


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def health_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _profile(tmp_path: Path, name: str, thresholds: list[str]) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'name = "{name}"\ndescription = "short test probe"\n\n[load]\nmodel = "closed"\nvus = 2\n'
        f'duration = "1s"\ntimeout = "2s"\nthresholds = {json.dumps(thresholds)}\n\n'
        '[[scenarios]]\nname = "health"\n[[scenarios.steps]]\nname = "health"\nmethod = "GET"\npath = "/health"\n'
        "checks = { status = [200] }\n"
    )
    return path


def test_probes_become_an_area_and_failed_thresholds_fail_the_scan(
    tmp_path: Path, env: dict[str, str], health_server: str
) -> None:
    pytest.importorskip("auditkit.probes.http", reason="the probes land with issue 5")
    root = _platform(tmp_path)
    good = _profile(tmp_path, "quick", ["p(95)<5000", "rate<0.5"])
    code, _, stderr = _scan(
        str(root),
        "--no-record",
        "--no-history",
        "--out",
        str(tmp_path / "a"),
        "--report",
        "json",
        "--probe",
        str(good),
        "--probe-target",
        health_server,
    )
    assert code == 0, stderr
    doc = json.loads((tmp_path / "a" / "auditkit-report.json").read_text())
    probe_area = next(a for a in doc["areas"] if a["id"] == "probe_results")
    assert probe_area["score"] == 10.0 and probe_area["status"] == "good"
    [probe] = doc["probes"]
    assert probe["requests"] > 0 and probe["latency_ms"]["p95"] > 0
    assert probe["thresholds"] == {"p(95)<5000": True, "rate<0.5": True}

    bad = _profile(tmp_path, "strict", ["p(95)<0.001", "rate<0.5"])
    code, _, _ = _scan(
        str(root),
        "--no-record",
        "--no-history",
        "--out",
        str(tmp_path / "b"),
        "--report",
        "json",
        "--report",
        "html",
        "--probe",
        str(bad),
        "--probe-target",
        health_server,
    )
    assert code == 1, "a failed probe threshold fails the scan"
    doc = json.loads((tmp_path / "b" / "auditkit-report.json").read_text())
    assert doc["gate"]["probes_passed"] is False
    probe_area = next(a for a in doc["areas"] if a["id"] == "probe_results")
    assert probe_area["score"] == 5.0 and probe_area["findings"]
    assert "Latency percentiles" in (tmp_path / "b" / "auditkit-report.html").read_text()


def test_probe_profile_without_target_is_a_usage_error(tmp_path: Path, env: dict[str, str]) -> None:
    pytest.importorskip("auditkit.probes.http", reason="the probes land with issue 5")
    root = _platform(tmp_path)
    code, _, stderr = _scan(str(root), "--no-record", "--out", str(tmp_path / "c"), "--probe", "smoke")
    assert code == 2 and "--probe-target" in stderr
