"""The report model: everything a renderer needs, computed once, frozen.

Renderers (json, markdown, html, sarif, junit) take an :class:`AuditReport`
and return text; they compute nothing. :meth:`AuditReport.to_dict` is the
versioned JSON document (see ``docs/report.md`` for the schema).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditkit.findings import Finding, Provenance
from auditkit.scoring import Action, CoverageFacts, LoadTestFacts, Scorecard, ServiceFacts, finding_key

__all__ = [
    "SCHEMA_VERSION",
    "AreaDelta",
    "AuditReport",
    "CoverageView",
    "FindingRef",
    "Gate",
    "Occurrence",
    "ProbeView",
    "RuleInfo",
    "RunInfo",
    "SecretGroupView",
    "SecretsView",
    "Trend",
    "TrendPoint",
    "assemble_report",
    "finding_to_dict",
]

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class RunInfo:
    """Which scan this is: tool, time, repository, commit, configuration."""

    run_id: str
    tool_version: str
    started_at: str
    """ISO 8601, UTC."""
    duration_s: float | None
    repo: str
    """Identity used to compare runs: the normalised origin URL, else the absolute root path."""
    name: str
    """A short display name (the root folder's name)."""
    commit: str | None
    branch: str | None
    config_hash: str
    config_source: str | None
    history_scanned: bool
    probes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.run_id,
            "tool_version": self.tool_version,
            "started_at": self.started_at,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 2),
            "repo": self.repo,
            "name": self.name,
            "commit": self.commit,
            "branch": self.branch,
            "config_hash": self.config_hash,
            "config_source": self.config_source,
            "history_scanned": self.history_scanned,
            "probes": list(self.probes),
        }


@dataclass(frozen=True)
class Occurrence:
    """Where one copy of a secret is (or was)."""

    path: str
    line: int | None
    commit: str | None


@dataclass(frozen=True)
class SecretGroupView:
    """One distinct secret with every place it occurs and its provenance; the value is only redacted."""

    fingerprint: str
    rule_id: str
    severity: str
    confidence: str
    redacted: str
    in_head: bool
    paths: tuple[str, ...]
    occurrences: tuple[Occurrence, ...]
    introduced: Provenance | None
    removed: Provenance | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule_id,
            "severity": self.severity,
            "confidence": self.confidence,
            "redacted": self.redacted,
            "in_head": self.in_head,
            "paths": list(self.paths),
            "occurrences": [{"path": o.path, "line": o.line, "commit": o.commit} for o in self.occurrences],
            "introduced": _provenance(self.introduced),
            "removed": _provenance(self.removed),
        }


@dataclass(frozen=True)
class SecretsView:
    """The secrets section."""

    history_scanned: bool
    groups: tuple[SecretGroupView, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"history_scanned": self.history_scanned, "groups": [g.to_dict() for g in self.groups]}


@dataclass(frozen=True)
class CoverageView:
    """The coverage section: services, tests, tool mix, scenarios, infrastructure."""

    services: tuple[ServiceFacts, ...]
    tests: tuple[LoadTestFacts, ...]
    tools: tuple[tuple[str, int], ...]
    """(tool, number of tests), most used first."""
    standard_tool: str
    services_covered: int
    coverage_pct: float
    endpoints_total: int | None
    endpoints_covered: int | None
    scenarios: tuple[tuple[str, bool], ...]
    infrastructure: tuple[tuple[str, bool], ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "services_total": len(self.services),
            "services_covered": self.services_covered,
            "coverage_pct": round(self.coverage_pct, 1),
            "endpoints_total": self.endpoints_total,
            "endpoints_covered": self.endpoints_covered,
            "standard_tool": self.standard_tool,
            "tools": dict(self.tools),
            "services": [
                {
                    "name": s.name,
                    "path": s.path,
                    "critical": s.critical,
                    "load_tests": s.load_tests,
                    "endpoints_total": s.endpoints_total,
                    "endpoints_covered": s.endpoints_covered,
                }
                for s in self.services
            ],
            "tests": [
                {
                    "path": t.path,
                    "tool": t.tool,
                    "service": t.service,
                    "quality": None if t.quality is None else round(10 * t.quality, 1),
                    "issues": list(t.issues),
                }
                for t in self.tests
            ],
            "scenarios": dict(self.scenarios),
            "infrastructure": dict(self.infrastructure),
        }


@dataclass(frozen=True)
class ProbeView:
    """One probe's measurements."""

    name: str
    kind: str
    target: str
    """Masked: never a password."""
    requests: int
    throughput: float
    latency_ms: tuple[tuple[str, float], ...]
    """(percentile label, milliseconds) in order p50, p90, p95, p99, max."""
    latency_scale_ms: float
    """Largest value of the chart axis (the renderers draw against it)."""
    errors: tuple[tuple[str, int], ...]
    thresholds: tuple[tuple[str, bool], ...]
    breaker_tripped: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "requests": self.requests,
            "throughput": round(self.throughput, 2),
            "latency_ms": {k: round(v, 3) for k, v in self.latency_ms},
            "errors": dict(self.errors),
            "thresholds": dict(self.thresholds),
            "breaker_tripped": self.breaker_tripped,
        }


@dataclass(frozen=True)
class FindingRef:
    """A finding as the history remembers it (no secret, no snippet)."""

    key: str
    area: str
    rule_id: str
    severity: str
    path: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "key": self.key,
            "area": self.area,
            "rule": self.rule_id,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
        }


@dataclass(frozen=True)
class AreaDelta:
    """One area's score in the previous run and now."""

    id: str
    title: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        """Change in points, ``None`` when either side was not measured."""
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 1)


@dataclass(frozen=True)
class TrendPoint:
    """One earlier (or the current) run on the trend chart."""

    run_id: str
    at: str
    score: float | None
    commit: str | None


@dataclass(frozen=True)
class Trend:
    """Comparison with the previous run of the same repository."""

    previous_run_id: str
    previous_at: str
    previous_commit: str | None
    overall_before: float | None
    overall_after: float | None
    areas: tuple[AreaDelta, ...]
    new_findings: tuple[FindingRef, ...]
    resolved_findings: tuple[FindingRef, ...]
    measured_added: tuple[str, ...]
    measured_removed: tuple[str, ...]
    series: tuple[TrendPoint, ...]
    """Runs of this repository, oldest first, ending with this one."""

    @property
    def overall_delta(self) -> float | None:
        """Change of the overall score."""
        if self.overall_before is None or self.overall_after is None:
            return None
        return round(self.overall_after - self.overall_before, 1)

    @property
    def warning(self) -> str | None:
        """Set when the measured areas differ, so the overall scores are not like for like."""
        if not self.measured_added and not self.measured_removed:
            return None
        parts = []
        if self.measured_added:
            parts.append(f"now measured: {', '.join(self.measured_added)}")
        if self.measured_removed:
            parts.append(f"no longer measured: {', '.join(self.measured_removed)}")
        return (
            "the set of measured areas changed since the previous run ("
            + "; ".join(parts)
            + "), so the overall scores are not directly comparable"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "previous_run": {
                "id": self.previous_run_id,
                "started_at": self.previous_at,
                "commit": self.previous_commit,
            },
            "overall": {
                "before": self.overall_before,
                "after": self.overall_after,
                "delta": self.overall_delta,
            },
            "areas": [{"id": a.id, "before": a.before, "after": a.after, "delta": a.delta} for a in self.areas],
            "new_findings": [f.to_dict() for f in self.new_findings],
            "resolved_findings": [f.to_dict() for f in self.resolved_findings],
            "measured_areas_changed": bool(self.measured_added or self.measured_removed),
            "measured_added": list(self.measured_added),
            "measured_removed": list(self.measured_removed),
            "warning": self.warning,
            "series": [{"id": p.run_id, "started_at": p.at, "score": p.score, "commit": p.commit} for p in self.series],
        }


@dataclass(frozen=True)
class Gate:
    """The ``--fail-under`` verdict."""

    fail_under: float | None
    passed: bool
    probes_passed: bool = True
    reason: str | None = None
    """Why the gate failed when the score alone would pass (too little of the audit measured)."""
    allow_unmeasured: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "fail_under": self.fail_under,
            "passed": self.passed,
            "probes_passed": self.probes_passed,
            "reason": self.reason,
            "allow_unmeasured": self.allow_unmeasured,
        }


@dataclass(frozen=True)
class RuleInfo:
    """What a rule id means, for SARIF's rule table."""

    id: str
    area: str
    short: str
    full: str
    help: str
    severity: str


@dataclass(frozen=True)
class AuditReport:
    """The complete result of ``auditkit scan``."""

    run: RunInfo
    scorecard: Scorecard
    actions: tuple[Action, ...]
    gate: Gate
    rules: tuple[RuleInfo, ...]
    secrets: SecretsView | None = None
    coverage: CoverageView | None = None
    probes: tuple[ProbeView, ...] = ()
    trend: Trend | None = None
    notices: tuple[str, ...] = ()
    history_size: int = 0
    """Number of earlier runs of this repository in the history store."""
    schema_version: str = field(default=SCHEMA_VERSION)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding of every area, worst first."""
        return tuple(sorted((f for a in self.scorecard.areas for f in a.findings), key=lambda f: f.sort_key))

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON document."""
        card = self.scorecard
        return {
            "schema_version": self.schema_version,
            "tool": {"name": "auditkit", "version": self.run.tool_version},
            "run": self.run.to_dict(),
            "score": card.overall,
            "max_score": 10,
            "status": card.status.value,
            "confidence": card.confidence.value,
            "caps": [c.to_dict() for c in card.caps],
            "gate": self.gate.to_dict(),
            "areas": [
                {
                    "id": a.id,
                    "title": a.title,
                    "score": a.score,
                    "status": a.status.value,
                    "confidence": a.confidence.value,
                    "risk": a.risk,
                    "weight": a.weight,
                    "summary": a.summary,
                    "description": a.description,
                    "explanation": [d.to_dict() for d in a.explanation],
                    "findings": [finding_to_dict(f) for f in a.findings],
                }
                for a in card.areas
            ],
            "actions": [a.to_dict() for a in self.actions],
            "secrets": self.secrets.to_dict() if self.secrets else None,
            "coverage": self.coverage.to_dict() if self.coverage else None,
            "probes": [p.to_dict() for p in self.probes],
            "trend": self.trend.to_dict() if self.trend else None,
            "notices": list(self.notices),
        }


def _provenance(p: Provenance | None) -> dict[str, Any] | None:
    return p.to_dict() if p is not None else None


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """A finding's JSON form, with its cross-run key; never a secret value (only ``redacted``)."""
    return {"key": finding_key(f), **f.to_dict()}


def assemble_report(
    *,
    run: RunInfo,
    scorecard: Scorecard,
    actions: Sequence[Action],
    secrets: SecretsView | None = None,
    coverage: CoverageFacts | None = None,
    probes: Sequence[ProbeView] = (),
    trend: Trend | None = None,
    fail_under: float | None = None,
    notices: Sequence[str] = (),
    history_size: int = 0,
    rule_help: Mapping[str, str] | None = None,
    allow_unmeasured: bool = False,
) -> AuditReport:
    """Build the report model: sort everything, derive the views and the rule table renderers need.

    With ``fail_under`` set, the gate fails when the overall score is below it, and also when the
    measured areas carry less than half of the weight (a 10/10 from one area must not pass a CI
    gate) unless ``allow_unmeasured``.
    """
    probes_passed = all(all(ok for _, ok in p.thresholds) and not p.breaker_tripped for p in probes)
    overall = scorecard.overall
    passed = fail_under is None or (overall is not None and overall >= fail_under)
    reason = None
    if fail_under is not None and overall is None:
        reason = "nothing was measured"
    elif fail_under is not None and scorecard.mostly_unmeasured and not allow_unmeasured:
        passed = False
        reason = f"{scorecard.unmeasured_headline}: pass --allow-unmeasured to gate on the measured areas alone"
    return AuditReport(
        run=run,
        scorecard=scorecard,
        actions=tuple(actions),
        gate=Gate(
            fail_under=fail_under,
            passed=passed,
            probes_passed=probes_passed,
            reason=reason,
            allow_unmeasured=allow_unmeasured,
        ),
        rules=_rules(scorecard, rule_help or {}),
        secrets=secrets,
        coverage=_coverage_view(coverage) if coverage is not None else None,
        probes=tuple(sorted(probes, key=lambda p: p.name)),
        trend=trend,
        notices=tuple(notices),
        history_size=history_size,
    )


def _coverage_view(facts: CoverageFacts) -> CoverageView:
    services = tuple(sorted(facts.services, key=lambda s: (not s.critical, s.load_tests > 0, s.name)))
    tools = Counter(t.tool for t in facts.tests)
    covered = sum(1 for s in facts.services if s.load_tests > 0)
    known = [s for s in facts.services if s.endpoints_total is not None]
    return CoverageView(
        services=services,
        tests=tuple(sorted(facts.tests, key=lambda t: (t.quality if t.quality is not None else 2.0, t.path))),
        tools=tuple(sorted(tools.items(), key=lambda kv: (-kv[1], kv[0]))),
        standard_tool=facts.standard_tool,
        services_covered=covered,
        coverage_pct=100.0 * covered / len(facts.services) if facts.services else 0.0,
        endpoints_total=sum(s.endpoints_total or 0 for s in known) if known else None,
        endpoints_covered=sum(s.endpoints_covered or 0 for s in known) if known else None,
        scenarios=tuple(sorted(facts.scenarios.items())),
        infrastructure=tuple(sorted(facts.infrastructure.items())),
    )


def _rules(card: Scorecard, rule_help: Mapping[str, str]) -> tuple[RuleInfo, ...]:
    rules: dict[str, RuleInfo] = {}
    for area in card.areas:
        for f in area.findings:
            if f.rule_id in rules:
                continue
            words = f.rule_id.replace("_", " ").replace("-", " ").replace(".", " ")
            help_text = rule_help.get(f.rule_id) or f.remediation or area.description
            rules[f.rule_id] = RuleInfo(
                id=f.rule_id,
                area=area.id,
                short=f"{area.title}: {words}",
                full=f"{area.description} Rule {f.rule_id}.",
                help=help_text,
                severity=f.severity.value,
            )
    return tuple(sorted(rules.values(), key=lambda r: r.id))
