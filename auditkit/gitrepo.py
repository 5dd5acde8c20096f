"""Repository discovery and metadata through GitPython.

GitPython answers the questions about a repository (where is its top, is it
bare or shallow, what are HEAD, the branch and the origin); the hot paths
(streaming history patches, listing files, reading staged blobs) keep calling
the git binary directly, which is far cheaper than one Python object per diff.
Importing GitPython costs tens of milliseconds, so only history scans and the
scored audit import this module, never the pre-commit path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RepoInfo", "repo_info"]

_CREDENTIALS_IN_URL = re.compile(r"(?<=://)[^/@]*@")


@dataclass(frozen=True)
class RepoInfo:
    """What auditkit needs to know about the repository holding a path."""

    top: Path
    """The work tree's top, or the git directory of a bare repository."""
    git_dir: Path
    bare: bool
    shallow: bool
    head: str | None
    """HEAD's commit id; ``None`` in a repository without commits."""
    branch: str | None
    """The checked-out branch; ``None`` when HEAD is detached or unborn."""
    origin: str | None
    """The ``origin`` remote's URL with any credential removed."""

    @property
    def has_commits(self) -> bool:
        """Whether HEAD points at a commit."""
        return self.head is not None


def repo_info(path: Path) -> RepoInfo | None:
    """Describe the repository containing ``path``; ``None`` when it is not inside one."""
    import git

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    try:
        git_dir = Path(repo.git_dir).resolve()
        work_tree = Path(repo.working_tree_dir).resolve() if repo.working_tree_dir else None
        # A mirror without core.bare looks like a work tree to GitPython; git itself says bare.
        bare = repo.bare or work_tree is None or not (work_tree / ".git").exists()
        head = repo.head.commit.hexsha if repo.head.is_valid() else None
        branch = None if repo.head.is_detached or head is None else repo.active_branch.name
        origin = None
        if "origin" in [r.name for r in repo.remotes]:
            urls = list(repo.remotes.origin.urls)
            origin = _CREDENTIALS_IN_URL.sub("", urls[0]) if urls else None
        return RepoInfo(
            top=git_dir if bare or work_tree is None else work_tree,
            git_dir=git_dir,
            bare=bare,
            shallow=(git_dir / "shallow").is_file(),
            head=head,
            branch=branch,
            origin=origin,
        )
    finally:
        repo.close()
