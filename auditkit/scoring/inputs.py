"""The facts scoring works from: counts, fractions and findings, never a parser's internals.

The audit orchestration (:mod:`auditkit.audit`) turns each analyzer's result
into these frozen values, so the scorers work the same on any repository and
tests can build them by hand. ``None`` for a whole section means that part of
the audit did not run: its areas are "not measured".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from auditkit.findings import Confidence, Finding, Severity

__all__ = [
    "CoverageFacts",
    "LoadTestFacts",
    "ProbeFacts",
    "ScoreInputs",
    "SecretGroupFacts",
    "SecretsFacts",
    "ServiceFacts",
]


@dataclass(frozen=True)
class SecretGroupFacts:
    """One distinct secret (all occurrences sharing a fingerprint)."""

    fingerprint: str
    rule_id: str
    severity: Severity
    confidence: Confidence
    in_head: bool
    """Still present in the working tree / HEAD (live in every clone)."""
    paths: tuple[str, ...]
    """Distinct repository-relative files it occurs in."""
    occurrences: int = 1


@dataclass(frozen=True)
class SecretsFacts:
    """What the secret scan measured."""

    groups: tuple[SecretGroupFacts, ...]
    history_scanned: bool
    """True when git history was scanned too (higher confidence in a clean result)."""
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class ServiceFacts:
    """One service of the monorepo."""

    name: str
    path: str
    critical: bool
    load_tests: int
    endpoints_total: int | None = None
    endpoints_covered: int | None = None


@dataclass(frozen=True)
class LoadTestFacts:
    """One load test (a file) and its quality verdict."""

    path: str
    tool: str
    service: str | None
    """Owning service, or ``None`` for a platform-level test."""
    quality: float | None
    """0..1 share of the quality checks it passes; ``None`` when it could not be judged."""
    issues: tuple[str, ...] = ()
    """Failed quality checks, as human-readable reasons."""


@dataclass(frozen=True)
class CoverageFacts:
    """What the load-test coverage analysis measured."""

    services: tuple[ServiceFacts, ...]
    tests: tuple[LoadTestFacts, ...]
    standard_tool: str = "k6"
    scenarios: Mapping[str, bool] = field(default_factory=dict)
    """Scenario category -> present anywhere; empty when not measured."""
    infrastructure: Mapping[str, bool] = field(default_factory=dict)
    """Infrastructure signal (ci, results, environment...) -> present in at least one test; empty when not measured."""
    infrastructure_gaps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per-test signal -> the tests lacking it (environment: tests with a hard-coded target)."""
    infrastructure_total: int = 0
    """How many tests the per-test signals were checked on (the denominator of the gaps)."""
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True)
class ProbeFacts:
    """One probe that ran in this scan."""

    name: str
    kind: str
    thresholds: Mapping[str, bool]
    """Threshold expression -> passed."""
    findings: tuple[Finding, ...] = ()
    breaker_tripped: bool = False


@dataclass(frozen=True)
class ScoreInputs:
    """Everything :func:`auditkit.scoring.score` needs."""

    secrets: SecretsFacts | None = None
    coverage: CoverageFacts | None = None
    probes: tuple[ProbeFacts, ...] = ()
