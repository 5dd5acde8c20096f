"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgserver import PgServer, start_pg_server


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-golden``: rewrite golden files (tests/report/golden) instead of comparing."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/report/golden/* from the current renderers instead of comparing",
    )


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throwaway PostgreSQL server for the whole test session."""
    try:
        server = start_pg_server()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        pytest.fail(f"cannot start a throwaway PostgreSQL server: {detail}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def git_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A deterministic git identity and no user/system config for repositories built in tests."""
    env = {
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``repo`` and return stdout (raises on failure)."""
    full_env = {**os.environ, **(env or {})}
    out = subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=full_env)
    return out.stdout
