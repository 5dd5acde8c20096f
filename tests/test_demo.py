"""README's first command: `auditkit demo` audits the bundled example twice and writes every report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from auditkit.cli import main
from auditkit.examples import AUDIT_PASSWORD


def test_demo_scores_the_example_twice_and_shows_the_fix(tmp_path: Path) -> None:
    out = tmp_path / "report"
    res = CliRunner().invoke(main, ["demo", "--workdir", str(tmp_path / "work"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    scores = [
        float(line.split(":")[1].split("/")[0]) for line in res.output.splitlines() if line.startswith("Overall score:")
    ]
    assert len(scores) == 2 and scores[0] < scores[1] and scores[0] <= 3.0
    names = {p.name for p in out.iterdir()}
    assert {
        "auditkit-report.html",
        "auditkit-report.md",
        "auditkit-report.json",
        "auditkit.sarif",
        "auditkit-junit.xml",
    } <= names
    report = json.loads((out / "auditkit-report.json").read_text())
    secrets_area = next(a for a in report["areas"] if a["id"] == "hardcoded_secrets")
    assert secrets_area["findings"], "the password stays in history after the fix"
    for path in out.iterdir():
        assert AUDIT_PASSWORD not in path.read_text()
    assert AUDIT_PASSWORD not in res.output
    # The demo's own history store sits in its work folder, not in the user's data directory.
    assert (tmp_path / "work" / "history.sqlite3").exists()
