"""The bundled example: a replica of the audited ticketing platform, with a git history.

:func:`build_demo_repository` writes the replica and commits it in the order a
real team would have (services first, then the operations scripts holding the
hard-coded password), with fixed authors and dates, so a history scan has
provenance to report. :func:`fix_demo_password` commits the remediation, as
the audit asks, so a second scan shows the trend.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from auditkit.examples.ticketing import AUDIT_PASSWORD, build_replica

__all__ = ["AUDIT_PASSWORD", "build_demo_repository", "fix_demo_password"]

# (paths to stage, author, email, date, message)
_COMMITS = (
    (
        ["backend", ".github", "README.md"],
        "Dana Reyes",
        "dana@tickettoken.example",
        "2025-06-02T10:15:00+00:00",
        "Initial platform: 21 services, analytics k6 and search Artillery load tests",
    ),
    (
        ["operations/scripts"],
        "Sam Okafor",
        "sam@tickettoken.example",
        "2025-08-14T16:40:00+00:00",
        "Add smoke and health scripts for the database",
    ),
    (
        ["."],
        "Sam Okafor",
        "sam@tickettoken.example",
        "2025-09-30T09:05:00+00:00",
        "Central load test with ab and a database check",
    ),
)


def _git(repo: Path, *args: str, author: tuple[str, str, str] | None = None) -> None:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    if author is not None:
        name, email, date = author
        env.update(
            {
                "GIT_AUTHOR_NAME": name,
                "GIT_AUTHOR_EMAIL": email,
                "GIT_AUTHOR_DATE": date,
                "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email,
                "GIT_COMMITTER_DATE": date,
            }
        )
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def build_demo_repository(root: Path) -> Path:
    """Write the replica into ``root`` (created; must be empty) and commit it in three steps."""
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    build_replica(root)
    (root / "README.md").write_text("# TicketToken platform (auditkit demo replica)\n")
    _git(root, "init", "-q", "-b", "main")
    for paths, name, email, date, message in _COMMITS:
        existing = [p for p in paths if (root / p).exists()]
        _git(root, "add", "--", *existing)
        _git(root, "commit", "-q", "-m", message, author=(name, email, date))
    return root


def fix_demo_password(root: Path) -> None:
    """Apply the audit's first action (read the password from the environment) and commit it."""
    build_replica(root, fixed_password=True)
    _git(root, "add", "-A")
    _git(
        root,
        "commit",
        "-q",
        "-m",
        "Read the database password from DB_PASSWORD",
        author=("Sam Okafor", "sam@tickettoken.example", "2025-11-20T11:00:00+00:00"),
    )
