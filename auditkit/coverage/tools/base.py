"""The interface every load-test tool module implements, and the file it is given."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from auditkit.coverage.model import Facts, Invocation

__all__ = ["CI_PATTERNS", "Detection", "LoadTool", "SourceFile", "is_ci_file", "line_of"]

CI_PATTERNS = (
    re.compile(r"(^|/)\.github/workflows/[^/]+\.ya?ml$"),
    re.compile(r"(^|/)\.gitlab-ci\.ya?ml$"),
    re.compile(r"(^|/)\.gitlab/ci/.+\.ya?ml$"),
    re.compile(r"(^|/)Jenkinsfile[^/]*$"),
    re.compile(r"(^|/)\.circleci/config\.ya?ml$"),
    re.compile(r"(^|/)azure-pipelines\.ya?ml$"),
    re.compile(r"(^|/)bitbucket-pipelines\.ya?ml$"),
    re.compile(r"(^|/)\.buildkite/[^/]+\.ya?ml$"),
    re.compile(r"(^|/)\.drone\.ya?ml$"),
)


_CI_HINTS = ("ci", "Jenkinsfile", "pipelines", ".github", ".drone", ".buildkite")


def is_ci_file(rel: str) -> bool:
    """True for GitHub Actions, GitLab CI, Jenkins, CircleCI, Azure, Bitbucket, Buildkite and Drone files."""
    if not any(h in rel for h in _CI_HINTS):
        return False  # fast path: most files of a monorepo
    return any(p.search(rel) for p in CI_PATTERNS)


@dataclass
class SourceFile:
    """One file of the monorepo, read once: ``rel`` is its POSIX path relative to the scanned root."""

    rel: str
    data: bytes

    @cached_property
    def name(self) -> str:
        """File name."""
        return self.rel.rsplit("/", 1)[-1]

    @cached_property
    def suffix(self) -> str:
        """Lower-case extension with the dot ('' when none)."""
        name = self.name
        dot = name.rfind(".")
        return name[dot:].lower() if dot > 0 else ""

    @cached_property
    def text(self) -> str:
        """The file decoded as UTF-8 (undecodable bytes replaced)."""
        return self.data.decode("utf-8", "replace")

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        starts.extend(m.end() for m in re.finditer("\n", self.text))
        return starts

    def line_at(self, offset: int) -> int:
        """1-based line of a character offset in :attr:`text`."""
        from bisect import bisect_right

        return bisect_right(self._line_starts, offset)


def line_of(src: SourceFile, needle: str, default: int = 1) -> int:
    """Line of the first occurrence of ``needle`` in the file (``default`` when absent)."""
    if not needle:
        return default
    at = src.text.find(needle)
    return src.line_at(at) if at >= 0 else default


@dataclass
class Detection:
    """What a tool module found in one file."""

    tests: list[Facts] = field(default_factory=list)
    invocations: list[Invocation] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


class LoadTool(Protocol):
    """A load-test tool: a cheap test on the raw bytes, then a parse of the files it claims."""

    name: str

    def claims(self, src: SourceFile) -> bool:
        """Cheap pre-filter on the file name and raw bytes; no parsing."""
        ...

    def detect(self, src: SourceFile) -> Detection:
        """Parse a claimed file; return its load tests and tool invocations (never raise on bad input)."""
        ...
