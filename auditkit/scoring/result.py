"""What scoring returns: a :class:`Scorecard` of :class:`AreaScore` values, all frozen.

Every point an area loses is one :class:`Deduction` naming its kind (which the
remediation data turns into an action), the reason, the items behind it and
the keys of the findings that caused it.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Any

from auditkit.findings import Area, Confidence, Finding

__all__ = ["AreaScore", "CapApplied", "Deduction", "Scorecard", "Status", "finding_key"]


class Status(str, enum.Enum):
    """Verdict of an area or of the overall score."""

    CRITICAL = "critical"
    WARNING = "warning"
    GOOD = "good"
    NOT_MEASURED = "not_measured"


@dataclass(frozen=True)
class Deduction:
    """Points an area lost, and why."""

    kind: str
    """Key into the remediation data (for example ``secret_in_head``, ``critical_service_uncovered``)."""
    points: float
    reason: str
    items: tuple[str, ...] = ()
    """What the deduction is about: services, files, scenario names..."""
    finding_keys: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "kind": self.kind,
            "points": round(self.points, 2),
            "reason": self.reason,
            "items": list(self.items),
            "findings": list(self.finding_keys),
        }


@dataclass(frozen=True)
class AreaScore:
    """One area's 0-10 score; ``score is None`` means "not measured", which is never 0."""

    id: str
    title: str
    risk: str
    weight: float
    score: float | None
    status: Status
    confidence: Confidence
    findings: tuple[Finding, ...]
    explanation: tuple[Deduction, ...]
    description: str = ""
    summary: str = ""
    """One line: what was measured (or why nothing was)."""

    @property
    def measured(self) -> bool:
        """True when the area has a score."""
        return self.score is not None


@dataclass(frozen=True)
class CapApplied:
    """A cap whose condition holds: the overall score cannot exceed ``max`` until it is fixed."""

    id: str
    max: float
    reason: str
    uncapped: float
    """The weighted mean before any cap."""
    finding_keys: tuple[str, ...] = ()
    lifted_by: tuple[str, ...] = ()
    """Deduction kinds whose fix removes the condition (e.g. ``secret_in_head``)."""

    @property
    def binding(self) -> bool:
        """True when this cap lowered the score (the weighted mean was above it)."""
        return self.max < self.uncapped

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "max": self.max,
            "reason": self.reason,
            "uncapped_score": round(self.uncapped, 1),
            "binding": self.binding,
            "findings": list(self.finding_keys),
        }


@dataclass(frozen=True)
class Scorecard:
    """The verdict: overall score (weighted mean of measured areas, then capped) and every area."""

    overall: float | None
    status: Status
    confidence: Confidence
    areas: tuple[AreaScore, ...]
    caps: tuple[CapApplied, ...]
    total_weight: float
    """Sum of the weights of the measured areas (how much one area point moves the overall)."""

    def area(self, area_id: str) -> AreaScore:
        """The area with this id; ``KeyError`` when unknown."""
        for area in self.areas:
            if area.id == area_id:
                return area
        raise KeyError(area_id)

    @property
    def measured_areas(self) -> tuple[str, ...]:
        """Ids of the areas that have a score, in file order."""
        return tuple(a.id for a in self.areas if a.measured)

    @property
    def measured_share(self) -> float:
        """Share (0-1) of the model's total area weight that was measured."""
        weighted = [a for a in self.areas if a.weight > 0]
        everything = sum(a.weight for a in weighted)
        return sum(a.weight for a in weighted if a.measured) / everything if everything else 0.0

    @property
    def mostly_unmeasured(self) -> bool:
        """Whether the measured areas carry less than half of the total weight (the score says little)."""
        return self.measured_share < 0.5

    @property
    def unmeasured_headline(self) -> str:
        """``only N of M areas measured (X% of the weight)``."""
        measured = sum(1 for a in self.areas if a.measured)
        return f"only {measured} of {len(self.areas)} areas measured ({self.measured_share:.0%} of the weight)"

    @property
    def unmeasured_reason(self) -> str | None:
        """The headline and each unmeasured area with why, when mostly unmeasured; else ``None``."""
        if not self.mostly_unmeasured:
            return None
        missing = [a for a in self.areas if not a.measured]
        return f"{self.unmeasured_headline}; not measured: " + "; ".join(
            f"{a.id} ({a.summary})" if a.summary else a.id for a in missing
        )


def finding_key(finding: Finding) -> str:
    """A stable identity for a finding across runs, without any secret in it.

    Secrets: rule, fingerprint (already a keyed hash), path and whether the
    occurrence is in HEAD or only in history, so removing a secret from HEAD
    resolves the HEAD finding even though history still holds it. Other
    findings: their fingerprint when the analyzer set one, else rule and path
    (never the message, whose counts change from run to run).
    """
    loc = finding.location
    if finding.area is Area.SECRETS:
        scope = "history" if loc.commit else "head"
        parts = [finding.area.value, finding.rule_id, finding.fingerprint, loc.path, scope]
    elif finding.fingerprint:
        parts = [finding.area.value, finding.rule_id, finding.fingerprint]
    else:
        parts = [finding.area.value, finding.rule_id, loc.path]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]
