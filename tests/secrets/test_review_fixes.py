"""Regressions from the first review: redaction, odd paths, FIFOs, option injection, provenance, config errors."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditkit.errors import GitError, RuleError
from auditkit.secrets import scan_secrets
from auditkit.secrets.fingerprint import redact
from tests.secrets.helpers import PG_PASSWORD, commit, init_repo, run_git, write


def test_multi_line_values_show_at_most_four_characters(tmp_path: Path) -> None:
    write(
        tmp_path,
        "k8s/secret.yaml",
        """apiVersion: v1
kind: Secret
metadata:
  name: app
stringData:
  app.env: |
    PlantMultiLineFirst_Bb3xyz
    OTHER=thing
  db.conf: |-
    password=PlantBlockPw_Bb4
""",
    )
    result = scan_secrets([tmp_path])
    assert len(result.findings) == 2
    text = json.dumps(result.to_dict())
    for planted in ("PlantMultiLineFirst_Bb3xyz", "PlantBlockPw_Bb4", "PlantMulti", "password=P"):
        assert planted not in text
    for value in ("[14, 167, 132, 40, 201,\n 125, 13]", "PlantMultiLineFirst_Bb3xyz\nmore", "x" * 200):
        shown = redact(value).rstrip("*")
        assert len(shown) <= 4


def test_one_key_indented_differently_is_one_secret(tmp_path: Path) -> None:
    body = "MIIEowIBAAKCAQEA7Ty/WJ4G7exbYZVvgni3wUQ5rCPM5sHCR8mPyWakAKljiQ1meBkrgPesxRiuA"
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n{body}\n-----END RSA PRIVATE KEY-----\n"
    write(tmp_path, "keys/server.pem", pem)
    indented = "\n".join("      " + line for line in pem.splitlines())
    write(tmp_path, "deploy/values.yaml", f"tls:\n  key: |\n{indented}\n")
    groups = scan_secrets([tmp_path]).groups
    assert len(groups) == 1 and len(groups[0].paths) == 2


def test_paths_with_spaces_in_history_and_staged(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "with space.sh", "export API_TOKEN=SpaceTok_St9x\n")
    commit(repo, "add")
    run_git(repo, "rm", "-q", "with space.sh")
    commit(repo, "remove")
    found = scan_secrets([repo], history=True)
    assert [f.location.path for f in found.findings] == ["with space.sh"]
    write(repo, "dir with space/ü.sh", "export API_TOKEN=SpaceTok_St9y\n")
    run_git(repo, "add", "-A")
    staged = scan_secrets(root=repo, staged=True)
    assert [f.location.path for f in staged.findings] == ["dir with space/ü.sh"]
    assert not staged.skipped


def test_staged_rename_of_a_committed_secret_does_not_block(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.sh", f"echo a\nPGPASSWORD={PG_PASSWORD} psql\n")
    commit(repo, "old")
    run_git(repo, "mv", "a.sh", "b.sh")
    assert scan_secrets(root=repo, staged=True).findings == ()


def test_bad_rev_range_is_an_input_error_and_never_an_option(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.txt", "a\n")
    commit(repo, "a")
    with pytest.raises(GitError, match="--rev-range"):
        scan_secrets([repo], history=True, rev_range="nosuch..main")
    target = tmp_path / "created-by-git"
    with pytest.raises(GitError):
        scan_secrets([repo], history=True, rev_range=f"--output={target}")
    assert not target.exists()


@pytest.mark.timeout(30)
def test_fifo_outside_git_is_not_opened(tmp_path: Path) -> None:
    write(tmp_path, "real.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    os.mkfifo(tmp_path / "pipe.env")
    assert [f.location.path for f in scan_secrets([tmp_path]).findings] == ["real.sh"]


def test_fingerprint_key_is_not_the_printed_root_commit(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    root_commit = commit(repo, "first")
    finding = scan_secrets([repo], history=True).findings[0]
    assert finding.introduced is not None and finding.introduced.commit == root_commit  # printed in reports
    guess_key = hashlib.sha256(b"auditkit-repo:" + root_commit.encode()).digest()
    guess = "ak1:" + hmac.new(guess_key, PG_PASSWORD.encode(), hashlib.sha256).hexdigest()[:32]
    assert finding.fingerprint != guess


def test_secret_in_a_commit_subject_is_redacted(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    commit(repo, "add db check; PGPASSWORD=PlantSubject_Hh2 for CI")
    result = scan_secrets([repo], history=True)
    text = json.dumps(result.to_dict())
    assert "PlantSubject_Hh2" not in text and "add db check" in text


def test_committed_line_is_one_occurrence_in_history_mode(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    commit(repo, "add")
    write(repo, "b.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")  # not committed: a second appearance
    (group,) = scan_secrets([repo], history=True).groups
    assert [(f.location.path, bool(f.location.commit)) for f in group.occurrences] == [("a.sh", True), ("b.sh", False)]


def test_unknown_disabled_rule_names_the_config_file(tmp_path: Path) -> None:
    (tmp_path / ".auditkit.toml").write_text('[secrets]\ndisable_rules = ["nosuch"]\n')
    with pytest.raises(RuleError, match=r"\.auditkit\.toml: \[secrets\] disable_rules: unknown rule ids: nosuch"):
        scan_secrets([tmp_path])


def test_user_rule_samples_are_checked_on_load(tmp_path: Path) -> None:
    rule = """[[rules]]
id = "mine"
description = "x"
severity = "high"
keywords = ["acme_"]
regex = '''\\b(?P<secret>acme_[a-z0-9]{16})\\b'''
remediation = "fix"
samples.tp = ["{tp}"]
min_length = {minimum}
"""
    (tmp_path / "rules.toml").write_text(rule.replace("{tp}", "acme_short").replace("{minimum}", "1"))
    (tmp_path / ".auditkit.toml").write_text('[secrets]\nrules = ["rules.toml"]\n')
    with pytest.raises(RuleError, match=r"rule 'mine': samples.tp\[0\]: the rule does not match it"):
        scan_secrets([tmp_path])
    (tmp_path / "rules.toml").write_text(rule.replace("{tp}", "acme_0123456789abcdef").replace("{minimum}", "5000"))
    with pytest.raises(RuleError, match="min_length"):
        scan_secrets([tmp_path])


def test_named_folder_ignored_by_git_is_scanned_with_a_notice(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, ".gitignore", "vendor/\n")
    write(repo, "vendor/lib/conf.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    commit(repo, "init")
    result = scan_secrets([repo / "vendor"])
    assert [f.location.path for f in result.findings] == ["lib/conf.sh"]
    assert any("ignored by git" in n for n in result.notices)
    assert scan_secrets([repo]).findings == ()  # scanning the repository still honours .gitignore


def test_cli_reports_bad_rev_range_with_exit_2(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.txt", "a\n")
    commit(repo, "a")
    proc = subprocess.run(
        [sys.executable, "-m", "auditkit", "secrets", str(repo), "--history", "--rev-range", "nosuch..main"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--rev-range" in proc.stderr


def test_history_of_a_sub_folder_is_limited_to_it_and_framed_at_the_top(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "svc/a/run.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    write(repo, "other/run.sh", "PGPASSWORD=OtherSecret_77x psql\n")
    commit(repo, "both")
    result = scan_secrets([repo / "svc"], history=True)
    assert {f.location.path for f in result.findings} == {"svc/a/run.sh"}
    (group,) = result.groups
    assert len(group.occurrences) == 1 and group.in_head is True


def test_scored_audit_of_a_sub_folder_reports_each_secret_once(tmp_path: Path) -> None:
    from auditkit.audit import run_audit
    from auditkit.config import load_config

    repo = init_repo(tmp_path / "r")
    write(repo, "svc/a/run.sh", f"PGPASSWORD={PG_PASSWORD} psql\n")
    commit(repo, "add")
    report = run_audit(repo / "svc", load_config(repo / "svc"), history=True)
    secret_findings = [f for f in report.findings if f.area.value == "secrets"]
    assert [f.location.path for f in secret_findings] == ["svc/a/run.sh"]
