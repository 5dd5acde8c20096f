"""The command line as users meet it: help, version, exit codes, formats, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditkit import __version__
from auditkit.cli import COMMANDS, main
from tests.secrets.helpers import PG_PASSWORD, init_repo, write

ROOT = Path(__file__).resolve().parents[1]


def test_help_and_version() -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["--help"])
    assert res.exit_code == 0 and "Exit codes" in res.output
    for name in COMMANDS:
        assert name in res.output
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
    assert runner.invoke(main, ["--version"]).output.strip().endswith(__version__)


def test_exit_codes_and_json_contract(tmp_path: Path) -> None:
    runner = CliRunner()
    write(tmp_path, "clean.sh", 'PGPASSWORD="${DB_PASSWORD}" psql\n')
    assert runner.invoke(main, ["secrets", str(tmp_path)]).exit_code == 0
    write(tmp_path, "ops/smoke.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    res = runner.invoke(main, ["secrets", str(tmp_path), "--format", "json"])
    assert res.exit_code == 1
    doc = json.loads(res.output)
    (finding,) = doc["findings"]
    for key in ("rule", "severity", "path", "line", "redacted", "fingerprint", "commit"):
        assert key in finding
    assert finding["path"] == "ops/smoke.sh" and finding["commit"] is None
    assert PG_PASSWORD not in res.output
    assert runner.invoke(main, ["secrets", str(tmp_path / "missing")]).exit_code == 2
    assert runner.invoke(main, ["secrets", "--bogus"]).exit_code == 2


def test_sarif_is_code_scanning_shaped(tmp_path: Path) -> None:
    write(tmp_path, "ops/smoke.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    write(tmp_path, "ops/health.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    res = CliRunner().invoke(main, ["secrets", str(tmp_path), "--format", "sarif"])
    assert res.exit_code == 1 and PG_PASSWORD not in res.output
    log = json.loads(res.output)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    run = log["runs"][0]
    rule = run["tool"]["driver"]["rules"][0]
    for key in ("id", "shortDescription", "fullDescription", "help"):
        assert rule[key]
    assert float(rule["properties"]["security-severity"]) >= 9.0
    fps = set()
    for result in run["results"]:
        loc = result["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1 and "snippet" not in loc["region"]
        fps.add(result["partialFingerprints"]["auditkitFindingKey/v1"])
    assert len(fps) == 2
    again = json.loads(CliRunner().invoke(main, ["secrets", str(tmp_path), "--format", "sarif"]).output)
    assert {r["partialFingerprints"]["auditkitFindingKey/v1"] for r in again["runs"][0]["results"]} == fps


def test_bad_config_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / ".auditkit.toml").write_text("[secrets]\njobs = -3\n")
    res = CliRunner().invoke(main, ["secrets", str(tmp_path)])
    assert res.exit_code == 2
    assert ".auditkit.toml" in res.output and "jobs" in res.output and "Traceback" not in res.output


def test_history_outside_git_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["secrets", str(tmp_path), "--history"])
    assert res.exit_code == 2 and "not a git repository" in res.output


def test_no_color_and_no_escape_codes_when_piped(tmp_path: Path) -> None:
    write(tmp_path, "a.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    proc = subprocess.run(
        [sys.executable, "-m", "auditkit", "secrets", str(tmp_path)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stdout and "pgpassword" in proc.stdout
    assert proc.stderr == ""


def test_pre_commit_path_imports_nothing_heavy(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    code = (
        "import sys\n"
        "from auditkit.cli import main\n"
        "try:\n    main(['secrets', '--staged', '--quiet'])\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('httpx', 'asyncpg', 'psycopg', 'jinja2', 'aiohttp', 'tree_sitter', 'git',"
        " 'detect_secrets', 'cryptography') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True)
    assert "HEAVY=\n" in proc.stderr, proc.stdout + proc.stderr


@pytest.mark.slow
def test_wheel_ships_the_data_folders(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("auditkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("rules", "loadchecks", "reports"):
        assert any(n.startswith(f"auditkit/{folder}/") for n in names), folder
    assert "auditkit/rules/database.toml" in names and "auditkit/rules/_filters.toml" in names
    # Installed elsewhere, the package finds its rules inside itself.
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    probe = "import auditkit.resources as r; print(r.data_dir('rules'))"
    found = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert found.stdout.strip() == str(target / "auditkit" / "rules"), found.stderr
