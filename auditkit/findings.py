"""The common currency of auditkit: a :class:`Finding`.

Secrets, load-test quality issues and failed probe thresholds all become
findings with a rule id, severity, confidence, location, message and
remediation, so scoring, SARIF, JUnit and the history store treat them alike.

A finding never holds a secret value: only its ``redacted`` form and a keyed
``fingerprint`` (see :mod:`auditkit.secrets.fingerprint`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Area", "Confidence", "Finding", "Location", "Provenance", "Severity"]


class Severity(str, enum.Enum):
    """How bad a finding is if it is real. Ordered: ``CRITICAL`` is worst."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical up to 4 for info; sort ascending to put the worst first."""
        return _SEVERITY_ORDER.index(self)

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a severity name case-insensitively; raises ``ValueError`` with the allowed names."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r} (allowed: {allowed})") from None


_SEVERITY_ORDER = list(Severity)


class Confidence(str, enum.Enum):
    """How sure auditkit is that the finding is real (independent of severity)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for high, 2 for low."""
        return list(Confidence).index(self)

    @classmethod
    def parse(cls, text: str) -> Confidence:
        """Parse a confidence name case-insensitively; raises ``ValueError`` with the allowed names."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            allowed = ", ".join(c.value for c in cls)
            raise ValueError(f"unknown confidence {text!r} (allowed: {allowed})") from None


class Area(str, enum.Enum):
    """The part of the audit a finding belongs to."""

    SECRETS = "secrets"
    COVERAGE = "coverage"
    PROBES = "probes"


@dataclass(frozen=True)
class Location:
    """Where a finding is: a path relative to the scanned root, a 1-based line and column, maybe a commit."""

    path: str
    line: int | None = None
    column: int | None = None
    commit: str | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.commit:
            where += f" @{self.commit[:10]}"
        return where


@dataclass(frozen=True)
class Provenance:
    """Who put something into a git repository, and when."""

    commit: str
    author: str
    email: str
    date: str
    """ISO 8601 with offset, as git reports the author date."""
    subject: str

    def to_dict(self) -> dict[str, str]:
        """JSON form: ``{sha, author, email, date, subject}``."""
        return {
            "sha": self.commit,
            "author": self.author,
            "email": self.email,
            "date": self.date,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Finding:
    """One problem auditkit found.

    ``fingerprint`` identifies the thing found independently of where it was
    found (for secrets: a keyed hash of the value), so the same secret in three
    files is three findings sharing one fingerprint.
    """

    rule_id: str
    area: Area
    severity: Severity
    confidence: Confidence
    message: str
    location: Location
    remediation: str = ""
    fingerprint: str = ""
    redacted: str | None = None
    introduced: Provenance | None = None
    """For history findings: the commit that added this occurrence."""
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """Extra, area-specific facts (JSON-serialisable); never a secret value."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form every output shares; never a secret value (only ``redacted``)."""
        loc = self.location
        return {
            "rule": self.rule_id,
            "area": self.area.value,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "message": self.message,
            "path": loc.path,
            "line": loc.line,
            "column": loc.column,
            "commit": loc.commit,
            "fingerprint": self.fingerprint or None,
            "redacted": self.redacted,
            "remediation": self.remediation or None,
            "introduced": self.introduced.to_dict() if self.introduced else None,
            "details": dict(self.details),
        }

    @property
    def sort_key(self) -> tuple[int, str, int, str, str]:
        """Worst first, then by place: a stable order for every renderer."""
        loc = self.location
        return (self.severity.rank, loc.path, loc.line or 0, self.rule_id, loc.commit or "")
