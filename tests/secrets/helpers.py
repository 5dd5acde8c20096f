"""Building real git repositories for secret-scanning tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# Planted values; tests assert these never appear in any output.
PG_PASSWORD = "TicketToken2024Secure!"
API_TOKEN = "tok-9fA3kL2mQ8zzQ"
OTHER_PASSWORD = "Wq8Zr4Lp2Nm6!x"


def run_git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """git in ``repo`` with a fixed identity; returns stdout."""
    full = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Alice Dev",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice Dev",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        **(env or {}),
    }
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=full).stdout


def init_repo(path: Path) -> Path:
    """An empty repository with main as its branch."""
    path.mkdir(parents=True, exist_ok=True)
    run_git(path, "init", "-q", "-b", "main")
    return path


def write(repo: Path, rel: str, text: str) -> Path:
    """Write a file (creating folders)."""
    target = repo / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def commit(
    repo: Path,
    message: str,
    author: str = "Alice Dev",
    email: str = "alice@example.com",
    date: str | None = None,
) -> str:
    """Stage everything and commit; returns the new commit id."""
    run_git(repo, "add", "-A")
    env = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": email}
    if date:
        env.update({"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date})
    run_git(repo, "commit", "-q", "--allow-empty", "-m", message, env=env)
    return run_git(repo, "rev-parse", "HEAD").strip()
