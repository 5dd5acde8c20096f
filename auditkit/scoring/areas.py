"""One scorer per kind of area: generic facts in, a 0-10 score and its deductions out.

A scorer returns :class:`Measured`, or ``None`` with a reason when there was
nothing to measure ("not measured" is never 0). Its parameters come from the
area's ``params`` table in ``reports/scoring.toml`` and are validated here,
where their meaning is.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.errors import DataFileError
from auditkit.findings import Confidence, Finding, Severity
from auditkit.scoring.inputs import CoverageFacts, ScoreInputs
from auditkit.scoring.model import AreaSpec, ScoringModel
from auditkit.scoring.result import Deduction, finding_key

__all__ = ["DEDUCTION_KINDS", "Measured", "NotMeasured", "SCORER_FUNCTIONS", "run_scorer"]

# Every deduction kind the scorers produce (before any ``:detail`` suffix);
# the remediation data must cover each one.
DEDUCTION_KINDS = (
    "secret_in_head",
    "secret_in_history",
    "critical_service_uncovered",
    "service_uncovered",
    "weak_load_test",
    "replace_weak_tool",
    "migrate_tool",
    "scenario_missing",
    "infra_missing",
    "probe_threshold_failed",
)


@dataclass(frozen=True)
class Measured:
    """A scorer's verdict before rounding and status."""

    score: float
    confidence: Confidence
    deductions: tuple[Deduction, ...]
    summary: str


@dataclass(frozen=True)
class NotMeasured:
    """Why an area has no score."""

    summary: str


Outcome = Measured | NotMeasured
Scorer = Callable[[AreaSpec, ScoreInputs, Sequence[Finding], ScoringModel], Outcome]


def run_scorer(spec: AreaSpec, inputs: ScoreInputs, findings: Sequence[Finding], model: ScoringModel) -> Outcome:
    """Score one area with the scorer its spec names."""
    return SCORER_FUNCTIONS[spec.scorer](spec, inputs, findings, model)


def _fit(deductions: list[Deduction]) -> tuple[float, tuple[Deduction, ...]]:
    """Score = 10 minus the deductions; when they exceed 10, scale them so they add up to exactly 10."""
    total = sum(d.points for d in deductions)
    if total > 10.0:
        factor = 10.0 / total
        deductions = [Deduction(d.kind, d.points * factor, d.reason, d.items, d.finding_keys) for d in deductions]
        total = 10.0
    ordered = sorted(deductions, key=lambda d: (-d.points, d.kind, d.items))
    return 10.0 - total, tuple(d for d in ordered if d.points > 0)


def _param(spec: AreaSpec, model: ScoringModel, key: str, kind: type, default: Any) -> Any:
    value = spec.params.get(key, default)
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise DataFileError(
            f"{model.path}: areas[id={spec.id}].params.{key}: expected a {kind.__name__}, got {value!r}"
        )
    return value


def _severity_points(spec: AreaSpec, model: ScoringModel, key: str) -> dict[Severity, float]:
    table = _param(spec, model, key, dict, None)
    points: dict[Severity, float] = {}
    for sev in Severity:
        value = table.get(sev.value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise DataFileError(
                f"{model.path}: areas[id={spec.id}].params.{key}.{sev.value}: expected a number >= 0, got {value!r}"
            )
        points[sev] = float(value)
    return points


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --------------------------------------------------------------------------- secrets


def score_secrets(spec: AreaSpec, inputs: ScoreInputs, findings: Sequence[Finding], model: ScoringModel) -> Outcome:
    """Points lost per distinct secret: more when it is still in HEAD, more again when copied around."""
    facts = inputs.secrets
    if facts is None:
        return NotMeasured("the secret scan did not run")
    head_points = _severity_points(spec, model, "head_points")
    history_points = _severity_points(spec, model, "history_points")
    reuse = _param(spec, model, "reuse_points", float, 0.0)
    keys_by_group: dict[tuple[str, str], list[str]] = {}
    for f in findings:
        keys_by_group.setdefault((f.rule_id, f.fingerprint), []).append(finding_key(f))
    deductions = []
    for group in facts.groups:
        base = (head_points if group.in_head else history_points)[group.severity]
        extra = reuse * max(0, len(group.paths) - 1)
        where = "in HEAD" if group.in_head else "only in git history (still valid until rotated)"
        reused = f", reused in {len(group.paths)} files" if len(group.paths) > 1 else ""
        deductions.append(
            Deduction(
                kind="secret_in_head" if group.in_head else "secret_in_history",
                points=base + extra,
                reason=f"{group.severity.value} {group.rule_id} secret {where}{reused}",
                items=tuple(sorted(group.paths)),
                finding_keys=tuple(sorted(set(keys_by_group.get((group.rule_id, group.fingerprint), ())))),
            )
        )
    score, fitted = _fit(deductions)
    live = sum(1 for g in facts.groups if g.in_head)
    scope = "working tree and git history" if facts.history_scanned else "working tree only"
    if facts.groups:
        summary = (
            f"{_plural(len(facts.groups), 'distinct secret')} ({live} in HEAD) "
            f"in {_plural(len({p for g in facts.groups for p in g.paths}), 'file')}; scanned {scope}"
        )
    else:
        summary = f"no hardcoded secrets; scanned {scope}"
    confidence = Confidence.HIGH if facts.history_scanned else Confidence.MEDIUM
    return Measured(score, confidence, fitted, summary)


# --------------------------------------------------------------------------- coverage


def _needs_coverage(
    func: Callable[[AreaSpec, CoverageFacts, Sequence[Finding], ScoringModel], Outcome],
) -> Scorer:
    """A coverage scorer: "not measured" when the coverage analysis did not run, else called with its facts."""

    @functools.wraps(func)
    def scorer(spec: AreaSpec, inputs: ScoreInputs, findings: Sequence[Finding], model: ScoringModel) -> Outcome:
        if inputs.coverage is None:
            return NotMeasured("the coverage analysis did not run")
        return func(spec, inputs.coverage, findings, model)

    return scorer


@_needs_coverage
def score_coverage(spec: AreaSpec, facts: CoverageFacts, findings: Sequence[Finding], model: ScoringModel) -> Outcome:
    """Services with at least one load test over all services; critical services weigh more."""
    if not facts.services:
        return NotMeasured("no services found (configure [coverage] services or service_roots)")
    critical_weight = _param(spec, model, "critical_weight", float, 1.0)
    total = sum(critical_weight if s.critical else 1.0 for s in facts.services)
    deductions = []
    keys_by_path = _keys_by_path(findings)
    for critical in (True, False):
        missing = sorted(
            (s for s in facts.services if s.critical is critical and s.load_tests == 0), key=lambda s: s.name
        )
        if not missing:
            continue
        weight = critical_weight if critical else 1.0
        label = "critical service" if critical else "service"
        deductions.append(
            Deduction(
                kind="critical_service_uncovered" if critical else "service_uncovered",
                points=10.0 * weight * len(missing) / total,
                reason=f"{_plural(len(missing), label)} without any load test",
                items=tuple(s.name for s in missing),
                finding_keys=tuple(sorted({k for s in missing for k in keys_by_path.get(s.path, ())})),
            )
        )
    score, fitted = _fit(deductions)
    covered = sum(1 for s in facts.services if s.load_tests > 0)
    n = len(facts.services)
    summary = f"{covered} of {n} services have a load test ({100.0 * covered / n:.1f}%)"
    return Measured(score, Confidence.HIGH, fitted, summary)


def _keys_by_path(findings: Sequence[Finding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        path = f.location.path.rstrip("/")
        out.setdefault(path, []).append(finding_key(f))
    return out


@_needs_coverage
def score_quality(spec: AreaSpec, facts: CoverageFacts, findings: Sequence[Finding], model: ScoringModel) -> Outcome:
    """Mean share of quality checks the load tests pass."""
    judged = [t for t in facts.tests if t.quality is not None]
    if not judged:
        return NotMeasured("no load tests to judge")
    keys_by_path = _keys_by_path(findings)
    deductions = []
    for test in judged:
        assert test.quality is not None
        lost = 10.0 * (1.0 - min(1.0, max(0.0, test.quality))) / len(judged)
        # Short in the explanation; the per-test table of the report has every issue in full.
        names = [issue.split(":", 1)[0].strip() for issue in test.issues]
        more = f", and {len(names) - 4} more" if len(names) > 4 else ""
        issues = (
            f"{_plural(len(names), 'failed check')} ({', '.join(names[:4])}{more})"
            if names
            else "fails some quality checks"
        )
        deductions.append(
            Deduction(
                kind="weak_load_test",
                points=lost,
                reason=f"{test.path} ({test.tool}, quality {round(10 * test.quality)}/10): {issues}",
                items=(test.path,),
                finding_keys=tuple(sorted(set(keys_by_path.get(test.path, ())))),
            )
        )
    score, fitted = _fit(deductions)
    good = sum(1 for t in judged if (t.quality or 0.0) >= 0.8)
    summary = f"{good} of {_plural(len(judged), 'load test')} follow most good practices"
    return Measured(score, Confidence.MEDIUM, fitted, summary)


@_needs_coverage
def score_tools(spec: AreaSpec, facts: CoverageFacts, findings: Sequence[Finding], model: ScoringModel) -> Outcome:
    """Share of load tests written with the standard tool (the configured one, or the de facto one)."""
    if not facts.tests:
        return NotMeasured("no load tests found")
    weak_tools = set(_param(spec, model, "weak_tools", list, []))
    counts = Counter(t.tool for t in facts.tests)
    standard = facts.standard_tool
    if counts.get(standard, 0) == 0:
        # Nobody uses the configured tool: judge consistency against the de facto standard.
        standard = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    n = len(facts.tests)
    keys_by_path = _keys_by_path(findings)
    deductions = []
    for tool, count in sorted(counts.items()):
        if tool == standard:
            continue
        paths = tuple(sorted(t.path for t in facts.tests if t.tool == tool))
        weak = " (cannot express scenarios, thresholds or percentiles)" if tool in weak_tools else ""
        deductions.append(
            Deduction(
                kind="replace_weak_tool" if tool in weak_tools else "migrate_tool",
                points=10.0 * count / n,
                reason=f"{_plural(count, 'load test')} {'uses' if count == 1 else 'use'} {tool}{weak}, not {standard}",
                items=paths,
                finding_keys=tuple(sorted({k for p in paths for k in keys_by_path.get(p, ())})),
            )
        )
    score, fitted = _fit(deductions)
    mix = ", ".join(f"{tool} {count}" for tool, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    summary = f"{_plural(len(counts), 'tool')} in use ({mix}); standard: {standard}"
    return Measured(score, Confidence.HIGH, fitted, summary)


def _presence(
    kind: str, label: str, present: Mapping[str, bool], findings: Sequence[Finding]
) -> tuple[float, tuple[Deduction, ...], str]:
    missing = sorted(name for name, ok in present.items() if not ok)
    n = len(present)
    keys = [finding_key(f) for f in findings]
    deductions = [
        Deduction(
            kind=f"{kind}:{name}",
            points=10.0 / n,
            reason=f"no {label}: {name.replace('_', ' ')}",
            items=(name,),
            finding_keys=tuple(sorted(k for f, k in zip(findings, keys, strict=True) if _about(f, name))),
        )
        for name in missing
    ]
    score, fitted = _fit(deductions)
    return score, fitted, f"{n - len(missing)} of {n} present"


def _about(finding: Finding, name: str) -> bool:
    """Whether a platform finding is about this scenario category or infrastructure signal."""
    details = finding.details or {}
    if name in (details.get("category"), details.get("signal")):
        return True
    return name in finding.rule_id.replace("-", "_")


@_needs_coverage
def score_scenarios(spec: AreaSpec, facts: CoverageFacts, findings: Sequence[Finding], model: ScoringModel) -> Outcome:
    """Share of the scenario categories the audit expects that exist in some load test."""
    if not facts.scenarios:
        return NotMeasured("scenario categories were not measured")
    score, deductions, counted = _presence("scenario_missing", "load scenario", facts.scenarios, findings)
    return Measured(score, Confidence.MEDIUM, deductions, f"scenario categories: {counted}")


@_needs_coverage
def score_infrastructure(
    spec: AreaSpec, facts: CoverageFacts, findings: Sequence[Finding], model: ScoringModel
) -> Outcome:
    """Share of the infrastructure signals present (CI runs, stored results, configurable target...)."""
    if not facts.infrastructure:
        return NotMeasured("infrastructure signals were not measured")
    score, deductions, counted = _presence(
        "infra_missing", "load-testing infrastructure", facts.infrastructure, findings
    )
    partial = []
    share = 10.0 / len(facts.infrastructure)
    total = max(facts.infrastructure_total, 1)
    for name, lacking in sorted(facts.infrastructure_gaps.items()):
        if not facts.infrastructure.get(name) or not lacking:
            continue  # a missing signal already lost its whole share above
        paths = tuple(sorted(lacking))
        label = _GAP_LABELS.get(name, f"lack {name.replace('_', ' ')}")
        partial.append(
            Deduction(
                kind=f"infra_missing:{name}",
                points=share * len(paths) / total,
                reason=f"{len(paths)} of {_plural(total, 'load test')} {label}",
                items=paths,
                finding_keys=tuple(
                    sorted(
                        finding_key(f)
                        for f in findings
                        if f.location.path in paths and f.rule_id == _GAP_RULES.get(name, name)
                    )
                ),
            )
        )
    if partial:
        score, deductions = _fit([*deductions, *partial])
        counted += f"; {'; '.join(d.reason for d in partial)}"
    return Measured(score, Confidence.MEDIUM, deductions, f"infrastructure signals: {counted}")


# How a per-test gap reads in a deduction ("3 of 9 load tests hard-code their target ...").
_GAP_LABELS = {"environment": "hard-code their target host instead of reading it from the environment"}
# The per-test check whose failure is that gap (its findings are linked to the deduction).
_GAP_RULES = {"environment": "load.env-config"}


def score_probes(spec: AreaSpec, inputs: ScoreInputs, findings: Sequence[Finding], model: ScoringModel) -> Outcome:
    """Share of probe thresholds that passed; a tripped circuit breaker counts as a failed threshold."""
    if not inputs.probes:
        return NotMeasured("no probe ran (use --probe PROFILE)")
    checks: list[tuple[str, str, bool]] = []
    for probe in inputs.probes:
        checks.extend((probe.name, expr, ok) for expr, ok in sorted(probe.thresholds.items()))
        if probe.breaker_tripped:
            checks.append((probe.name, "circuit breaker", False))
    if not checks:
        return NotMeasured("the probes that ran had no thresholds")
    keys = {p.name: tuple(sorted(finding_key(f) for f in p.findings)) for p in inputs.probes}
    deductions = [
        Deduction(
            kind="probe_threshold_failed",
            points=10.0 / len(checks),
            reason=f"probe {name}: threshold {expr} failed",
            items=(f"{name}: {expr}",),
            finding_keys=keys.get(name, ()),
        )
        for name, expr, ok in checks
        if not ok
    ]
    score, fitted = _fit(deductions)
    passed = sum(1 for _, _, ok in checks if ok)
    summary = f"{passed} of {_plural(len(checks), 'threshold')} passed in {_plural(len(inputs.probes), 'probe')}"
    return Measured(score, Confidence.HIGH, fitted, summary)


SCORER_FUNCTIONS: dict[str, Scorer] = {
    "secrets": score_secrets,
    "coverage": score_coverage,
    "quality": score_quality,
    "tools": score_tools,
    "scenarios": score_scenarios,
    "infrastructure": score_infrastructure,
    "probes": score_probes,
}
