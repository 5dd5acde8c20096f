"""The pre-commit path: only lines added in the index are reported; the real pre-commit tool blocks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from auditkit.errors import GitError
from auditkit.secrets import scan_secrets
from tests.secrets.helpers import PG_PASSWORD, commit, init_repo, run_git, write

SOURCE_ROOT = Path(__file__).resolve().parents[2]


def test_only_added_lines_are_reported(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "ops/smoke.sh", f"echo a\nPGPASSWORD={PG_PASSWORD} psql\necho b\n")
    commit(repo, "old secret, already known")
    write(repo, "ops/smoke.sh", f"echo a\nPGPASSWORD={PG_PASSWORD} psql\necho b\necho c\n")
    run_git(repo, "add", "-A")
    assert scan_secrets(root=repo, staged=True).findings == ()
    write(repo, "ops/deploy.sh", "echo deploy\nPGPASSWORD=N3w-Secr3t-2025 psql\n")
    run_git(repo, "add", "-A")
    result = scan_secrets(root=repo, staged=True)
    assert [(f.location.path, f.location.line) for f in result.findings] == [("ops/deploy.sh", 2)]
    assert result.mode == "staged"


def test_unstaged_changes_are_not_scanned(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.sh", "echo hi\n")
    commit(repo, "init")
    write(repo, "a.sh", "echo hi\nPGPASSWORD=N3w-Secr3t-2025 psql\n")  # not added
    assert scan_secrets(root=repo, staged=True).findings == ()


def test_first_commit_and_binary_staged_files(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "a.sh", "PGPASSWORD=N3w-Secr3t-2025 psql\n")
    (repo / "img.bin").write_bytes(b"\x00\x01\x02PGPASSWORD=x")
    run_git(repo, "add", "-A")
    result = scan_secrets(root=repo, staged=True)
    assert [f.location.path for f in result.findings] == ["a.sh"]
    # git itself reports binary files without added lines, so they never reach the engine.
    assert all("img.bin" not in f.location.path for f in result.findings)


def test_staged_outside_git_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(GitError):
        scan_secrets(root=tmp_path, staged=True)


@pytest.mark.slow
def test_real_pre_commit_hook_blocks_a_literal_and_lets_a_reference_through(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is required")
    # pre-commit clones the hook repository at a commit: use a snapshot of this checkout's files.
    hook_repo = init_repo(tmp_path / "auditkit-hook")
    ignore = shutil.ignore_patterns(".git", "__pycache__", "*.egg-info", ".pytest_cache", "build", "dist", "bench")
    for name in ("auditkit", "rules", "loadchecks", "reports"):
        shutil.copytree(SOURCE_ROOT / name, hook_repo / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy(SOURCE_ROOT / name, hook_repo / name)
    rev = commit(hook_repo, "snapshot")
    project = init_repo(tmp_path / "project")
    # The three lines a user adds:
    write(
        project,
        ".pre-commit-config.yaml",
        f"repos:\n- repo: {hook_repo}\n  rev: {rev}\n  hooks: [{{id: auditkit-secrets}}]\n",
    )
    write(project, "README.md", "hello\n")
    commit(project, "init")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pc-home"),
        "NO_COLOR": "1",
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.com",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    pre_commit = [sys.executable, "-m", "pre_commit"]
    subprocess.run([*pre_commit, "install"], cwd=project, env=env, check=True, capture_output=True, timeout=120)

    write(project, "ops/smoke.sh", f"PGPASSWORD={PG_PASSWORD} psql -U postgres\n")
    subprocess.run(["git", "add", "-A"], cwd=project, env=env, check=True)
    blocked = subprocess.run(
        ["git", "commit", "-m", "add smoke"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    output = blocked.stdout + blocked.stderr
    assert "pgpassword" in output and "ops/smoke.sh" in output
    assert PG_PASSWORD not in output

    write(project, "ops/smoke.sh", 'PGPASSWORD="${DB_PASSWORD}" psql -U postgres\n')
    subprocess.run(["git", "add", "-A"], cwd=project, env=env, check=True)
    allowed = subprocess.run(
        ["git", "commit", "-m", "add smoke"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
