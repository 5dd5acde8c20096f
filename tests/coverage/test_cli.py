"""``auditkit coverage`` through click and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from auditkit.cli import main


def test_text_table_at_a_glance(replica: Path) -> None:
    res = CliRunner().invoke(main, ["coverage", str(replica)], env={"NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "2/21 services (9.5%)" in out
    assert "\x1b[" not in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("SERVICE"))
    first_row = lines[header + 1]
    assert "yes" in first_row  # uncovered critical services come first
    assert "operations/load-tests/load-test.sh" in out and "Ramp-up" in out


def test_json_is_one_document_on_stdout(replica: Path) -> None:
    res = CliRunner().invoke(main, ["coverage", str(replica), "--format", "json", "-q"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["summary"]["services_covered"] == 2 and doc["summary"]["coverage_pct"] == 9.5


def test_fail_under_and_usage_errors(replica: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["coverage", str(replica), "--fail-under", "50", "-q"]).exit_code == 1
    assert runner.invoke(main, ["coverage", str(replica), "--fail-under", "5", "-q"]).exit_code == 0
    missing = runner.invoke(main, ["coverage", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such folder" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[coverage]\nservice_roots = 3\n")
    res = runner.invoke(main, ["coverage", str(replica), "--config", str(bad)])
    assert res.exit_code == 2 and "service_roots" in res.stderr and "Traceback" not in res.output
    bad.write_text('[coverage]\nchecks_file = "missing.toml"\n')
    res = runner.invoke(main, ["coverage", str(replica), "--config", str(bad)])
    assert res.exit_code == 2 and "missing.toml" in res.stderr


def test_subprocess_help_and_run(replica: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    help_run = subprocess.run(
        [sys.executable, "-m", "auditkit", "coverage", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert help_run.returncode == 0 and "--format" in help_run.stdout
    run = subprocess.run(
        [sys.executable, "-m", "auditkit", "coverage", str(replica), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0
    assert json.loads(run.stdout)["summary"]["tools"] == {"ab": 1, "artillery": 1, "k6": 1}
    assert "Traceback" not in run.stderr


def test_cli_import_stays_light() -> None:
    code = (
        "import sys, auditkit.cli, auditkit.coverage; "
        "print(sorted(m for m in sys.modules if m.startswith(('tree_sitter', 'yaml', 'httpx', 'jinja2'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
