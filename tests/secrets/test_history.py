"""History scans on real repositories: provenance, exposure, merges, renames, damage."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from auditkit.errors import GitError
from auditkit.secrets import scan_secrets
from tests.secrets.helpers import API_TOKEN, OTHER_PASSWORD, PG_PASSWORD, commit, init_repo, run_git, write

PG_LINE = f"PGPASSWORD={PG_PASSWORD} psql -U postgres -d tickettoken\n"


def _group(result, rule_id: str):  # type: ignore[no-untyped-def]
    groups = [g for g in result.groups if g.rule_id == rule_id]
    assert len(groups) == 1, [g.rule_id for g in result.groups]
    return groups[0]


def test_added_then_deleted_secret_is_history_only_with_provenance(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "README.md", "hi\n")
    commit(repo, "init", date="2025-01-01T10:00:00+00:00")
    write(repo, "ops/deploy.sh", f'echo deploy\nexport API_TOKEN="{API_TOKEN}"\n')
    added = commit(
        repo, "add deploy script", author="Bob Ops", email="bob@example.com", date="2025-02-01T10:00:00+00:00"
    )
    write(repo, "ops/deploy.sh", 'echo deploy\nexport API_TOKEN="${API_TOKEN}"\n')
    removed = commit(repo, "use env token", date="2025-03-01T10:00:00+00:00")
    result = scan_secrets([repo], history=True)
    group = _group(result, "password-assignment")
    assert group.in_head is False
    assert group.introduced is not None and group.introduced.commit == added
    assert (group.introduced.author, group.introduced.email) == ("Bob Ops", "bob@example.com")
    assert group.introduced.date.startswith("2025-02-01") and group.introduced.subject == "add deploy script"
    assert group.removed is not None and group.removed.commit == removed
    finding = group.occurrences[0]
    assert (finding.location.path, finding.location.line, finding.location.commit) == (
        "ops/deploy.sh",
        2,
        added,
    )
    assert "rotate" in group.remediation.lower()
    assert result.commits_scanned == 3


def test_same_secret_under_several_paths_and_still_in_head(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "operations/scripts/smoke.sh", PG_LINE)
    first = commit(repo, "smoke", date="2025-01-01T10:00:00+00:00")
    write(repo, "operations/scripts/health.sh", "echo health\n" + PG_LINE)
    commit(repo, "health", date="2025-01-02T10:00:00+00:00")
    write(repo, "operations/load-tests/load-test.sh", "echo load\n\n" + PG_LINE)
    commit(repo, "load test", date="2025-01-03T10:00:00+00:00")
    result = scan_secrets([repo], history=True)
    group = _group(result, "pgpassword")
    assert group.in_head is True and group.removed is None
    assert group.introduced is not None and group.introduced.commit == first
    assert group.paths == (
        "operations/load-tests/load-test.sh",
        "operations/scripts/health.sh",
        "operations/scripts/smoke.sh",
    )
    assert len(group.commits) == 3
    history_lines = sorted(f.location.line for f in group.occurrences if f.location.commit)
    assert history_lines == [1, 2, 3]


def test_renames_are_followed_not_double_counted(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "old/name.sh", "echo a\n" * 20 + PG_LINE)
    introduced = commit(repo, "add")
    (repo / "new").mkdir()
    run_git(repo, "mv", "old/name.sh", "new/place.sh")
    commit(repo, "move")
    result = scan_secrets([repo], history=True)
    group = _group(result, "pgpassword")
    history = [f for f in group.occurrences if f.location.commit]
    assert [(f.location.path, f.location.commit) for f in history] == [("old/name.sh", introduced)]
    assert group.in_head is True  # followed through the rename to new/place.sh
    assert "new/place.sh" in group.paths  # the working tree occurrence


def test_merges_not_double_counted_but_evil_merge_found(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "app.env", "MODE=dev\n")
    commit(repo, "base")
    run_git(repo, "checkout", "-q", "-b", "feature")
    write(repo, "feature.env", f"DB_PASSWORD={OTHER_PASSWORD}\n")
    on_branch = commit(repo, "feature secret")
    write(repo, "app.env", "MODE=feature\n")
    commit(repo, "feature mode")
    run_git(repo, "checkout", "-q", "main")
    write(repo, "app.env", "MODE=main\n")
    commit(repo, "main mode")
    merge = subprocess.run(
        ["git", "-C", str(repo), "merge", "-q", "feature", "-m", "merge"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": "M",
            "GIT_AUTHOR_EMAIL": "m@example.com",
            "GIT_COMMITTER_NAME": "M",
            "GIT_COMMITTER_EMAIL": "m@example.com",
        },
    )
    assert merge.returncode != 0  # conflict on app.env
    # The conflict resolution itself introduces a secret (an "evil merge").
    write(repo, "app.env", f"MODE=merged\nDB_PASSWORD={PG_PASSWORD}x9\n")
    merge_commit = commit(repo, "resolve merge")
    result = scan_secrets([repo], history=True)
    by_commit = {}
    for f in result.findings:
        if f.location.commit:
            by_commit.setdefault(f.location.commit, []).append(f.location.path)
    assert by_commit[on_branch] == ["feature.env"]
    assert by_commit[merge_commit] == ["app.env"]  # feature.env is not counted again at the merge
    assert len(result.groups) == 2


def test_shallow_clone_is_scanned_and_marked_truncated(tmp_path: Path) -> None:
    origin = init_repo(tmp_path / "origin")
    write(origin, "old.sh", PG_LINE)
    commit(origin, "old secret")
    for i in range(3):
        write(origin, f"f{i}.txt", f"{i}\n")
        commit(origin, f"c{i}")
    write(origin, "new.env", f"DB_PASSWORD={OTHER_PASSWORD}\n")
    commit(origin, "new secret")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{origin}", str(clone)], check=True)
    result = scan_secrets([clone], history=True)
    assert result.history_truncated is True
    assert any("shallow" in n for n in result.notices)
    assert any(f.location.path == "new.env" and f.location.commit for f in result.findings)


def test_missing_object_is_reported_and_scan_continues(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "early.sh", PG_LINE)
    commit(repo, "early", date="2025-01-01T10:00:00+00:00")
    write(repo, "victim.txt", "some content that will go missing\n")
    victim_commit = commit(repo, "victim", date="2025-01-02T10:00:00+00:00")
    write(repo, "late.env", f"DB_PASSWORD={OTHER_PASSWORD}\n")
    commit(repo, "late", date="2025-01-03T10:00:00+00:00")
    blob = run_git(repo, "rev-parse", f"{victim_commit}:victim.txt").strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    result = scan_secrets([repo], history=True)
    assert any("missing or unreadable object" in n and victim_commit[:12] in n for n in result.notices)
    paths = {f.location.path for f in result.findings if f.location.commit}
    assert {"early.sh", "late.env"} <= paths


def test_not_a_repository_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not a git repository"):
        scan_secrets([tmp_path], history=True)


def test_repository_without_commits_is_fine(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    result = scan_secrets([repo], history=True)
    assert result.findings == () and result.commits_scanned == 0


def test_non_utf8_and_binary_changes_are_skipped_with_notices(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    (repo / "latin.txt").write_bytes(b"caf\xe9 PGPASSWORD=Latin1-Pass99 psql\n")
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02" * 50)
    write(repo, "ok.sh", PG_LINE)
    commit(repo, "mixed")
    result = scan_secrets([repo], history=True)
    assert any("binary" in n and "blob.bin" in n for n in result.notices)
    assert any("non-UTF-8" in n and "Latin-1" in n and "latin.txt" in n for n in result.notices)
    # Credentials are ASCII: a Latin-1 file's secret is still found.
    assert {f.location.path for f in result.findings} >= {"ok.sh", "latin.txt"}


def test_since_and_rev_range_limit_the_walk(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.sh", PG_LINE)
    first = commit(repo, "a", date="2020-01-01T00:00:00+00:00")
    write(repo, "b.env", f"DB_PASSWORD={OTHER_PASSWORD}\n")
    second = commit(repo, "b", date="2025-01-01T00:00:00+00:00")
    recent = scan_secrets([repo], history=True, since="2024-01-01")
    assert {f.location.commit for f in recent.findings} == {second}
    ranged = scan_secrets([repo], history=True, rev_range=f"{first}..{second}")
    assert {f.location.commit for f in ranged.findings} == {second}


def test_no_planted_value_in_any_output_format(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from auditkit.cli import main

    repo = init_repo(tmp_path / "r")
    write(repo, "ops/smoke.sh", PG_LINE)
    write(repo, "ops/deploy.sh", f'export API_TOKEN="{API_TOKEN}"\n')
    commit(repo, "secrets")
    write(repo, "ops/deploy.sh", "echo gone\n")
    commit(repo, "remove")
    runner = CliRunner()
    outputs = []
    for fmt in ("text", "json", "sarif"):
        res = runner.invoke(main, ["secrets", str(repo), "--history", "--format", fmt])
        assert res.exit_code == 1, res.output
        outputs.append(res.output)
    data = json.loads(outputs[1])
    assert all(f["commit"] for f in data["findings"] if f["in_head"] is False)
    assert {f["in_head"] for f in data["findings"] if f["commit"]} == {True, False}
    baseline = repo / "bl.json"
    runner.invoke(main, ["baseline", str(repo), "--history", "-o", str(baseline)])
    outputs.append(baseline.read_text())
    for text in outputs:
        for planted in (PG_PASSWORD, API_TOKEN):
            assert planted not in text


def test_record_splitter_is_independent_of_block_size(tmp_path: Path) -> None:
    import io

    from auditkit.secrets.history import _records

    repo = init_repo(tmp_path / "r")
    for i in range(30):
        write(repo, f"f{i % 4}.txt", f"line {i}\n" * (i + 1))
        commit(repo, f"c{i}")
    stream = subprocess.run(["git", "-C", str(repo), "log", "-p", "--format=%x1e%H"], capture_output=True).stdout
    reference = list(_records(io.BytesIO(stream), block=1 << 20))
    assert len(reference) == 30 and all(r.startswith(b"\x1e") for r in reference)
    for block in (1, 2, 5, 17, 64, 1000):
        assert list(_records(io.BytesIO(stream), block=block)) == reference, block
