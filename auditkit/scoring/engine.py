"""The scoring entry point: :func:`score` turns :class:`ScoreInputs` into a :class:`Scorecard`."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from auditkit.findings import Confidence, Finding
from auditkit.scoring.areas import NotMeasured, run_scorer
from auditkit.scoring.inputs import ScoreInputs
from auditkit.scoring.model import AreaSpec, CapSpec, ScoringModel, load_scoring_model
from auditkit.scoring.result import AreaScore, CapApplied, Scorecard, Status, finding_key

__all__ = ["route_findings", "score", "status_for"]


def score(inputs: ScoreInputs, model: ScoringModel | None = None) -> Scorecard:
    """Score every area of ``model`` (the packaged ``reports/scoring.toml`` by default).

    The overall score is the weighted mean of the measured areas (areas that
    could not be measured are left out, never counted as 0), then bounded by
    every cap whose condition holds.
    """
    model = model or load_scoring_model()
    routed = route_findings(model.areas, inputs)
    areas: list[AreaScore] = []
    for spec in model.areas:
        findings = tuple(sorted(routed[spec.id], key=lambda f: f.sort_key))
        outcome = run_scorer(spec, inputs, findings, model)
        if isinstance(outcome, NotMeasured):
            areas.append(
                AreaScore(
                    id=spec.id,
                    title=spec.title,
                    risk=spec.risk,
                    weight=spec.weight,
                    score=None,
                    status=Status.NOT_MEASURED,
                    confidence=Confidence.LOW,
                    findings=findings,
                    explanation=(),
                    description=spec.description,
                    summary=outcome.summary,
                )
            )
            continue
        value = round(min(10.0, max(0.0, outcome.score)), 1)
        areas.append(
            AreaScore(
                id=spec.id,
                title=spec.title,
                risk=spec.risk,
                weight=spec.weight,
                score=value,
                status=status_for(value, model),
                confidence=outcome.confidence,
                findings=findings,
                explanation=outcome.deductions,
                description=spec.description,
                summary=outcome.summary,
            )
        )
    measured = [a for a in areas if a.score is not None and a.weight > 0]
    total_weight = sum(a.weight for a in measured)
    if not measured:
        return Scorecard(None, Status.NOT_MEASURED, Confidence.LOW, tuple(areas), (), 0.0)
    uncapped = sum(a.weight * (a.score or 0.0) for a in measured) / total_weight
    caps = _caps(model.caps, inputs, uncapped)
    overall = min([uncapped, *(c.max for c in caps)])
    overall = round(overall, 1)
    # Areas that were not measured never count as 0, but a score resting on less than half of the
    # weight says little: its confidence is low whatever the measured areas' confidence.
    all_weight = sum(a.weight for a in areas if a.weight > 0)
    confidence = Confidence.LOW if total_weight < 0.5 * all_weight else _overall_confidence(measured)
    return Scorecard(
        overall=overall,
        status=status_for(overall, model),
        confidence=confidence,
        areas=tuple(areas),
        caps=caps,
        total_weight=total_weight,
    )


def status_for(value: float, model: ScoringModel) -> Status:
    """Good, warning or critical by the model's thresholds."""
    if value >= model.good:
        return Status.GOOD
    if value >= model.warning:
        return Status.WARNING
    return Status.CRITICAL


def route_findings(specs: Sequence[AreaSpec], inputs: ScoreInputs) -> dict[str, list[Finding]]:
    """Give each finding to one area: the first whose sources include its analyzer and whose globs match.

    A catch-all glob (``*``) only applies when no more specific area matched, so
    the order of areas in the data file does not decide between a specific and
    a catch-all pattern.
    """
    out: dict[str, list[Finding]] = {s.id: [] for s in specs}
    by_source: dict[str, tuple[Finding, ...]] = {
        "secrets": inputs.secrets.findings if inputs.secrets else (),
        "coverage": inputs.coverage.findings if inputs.coverage else (),
        "probes": tuple(f for p in inputs.probes for f in p.findings),
    }
    for source, findings in by_source.items():
        candidates = [s for s in specs if source in s.sources]
        if not candidates:
            continue
        for finding in findings:
            target = (
                _match(candidates, finding.rule_id, specific=True)
                or _match(candidates, finding.rule_id, specific=False)
                or candidates[0]
            )
            out[target.id].append(finding)
    return out


def _match(specs: Sequence[AreaSpec], rule_id: str, *, specific: bool) -> AreaSpec | None:
    for spec in specs:
        for pattern in spec.findings:
            if (pattern != "*") is specific and fnmatch.fnmatchcase(rule_id, pattern):
                return spec
    return None


def _caps(specs: Sequence[CapSpec], inputs: ScoreInputs, uncapped: float) -> tuple[CapApplied, ...]:
    held = []
    for spec in specs:
        keys = _cap_trigger(spec, inputs)
        if keys is not None:
            held.append(CapApplied(spec.id, spec.max, spec.reason, uncapped, keys, _LIFTED_BY.get(spec.trigger, ())))
    held.sort(key=lambda c: (c.max, c.id))
    # A cap caused only by findings that already trigger a lower cap says nothing new.
    kept: list[CapApplied] = []
    for cap in held:
        if any(cap.finding_keys and set(cap.finding_keys) <= set(k.finding_keys) for k in kept):
            continue
        kept.append(cap)
    return tuple(kept)


# Which deduction kinds, once fixed, remove a trigger's condition (besides fixing its findings).
_LIFTED_BY = {"secret_in_head": ("secret_in_head",), "probe_failed": ("probe_threshold_failed",)}


def _cap_trigger(cap: CapSpec, inputs: ScoreInputs) -> tuple[str, ...] | None:
    """The findings that make a cap hold, or ``None`` when it does not hold."""
    if cap.trigger == "secret_in_head":
        if inputs.secrets is None:
            return None
        live = {(g.rule_id, g.fingerprint) for g in inputs.secrets.groups if g.in_head and g.severity in cap.severities}
        if not live:
            return None
        return tuple(
            sorted(
                {
                    finding_key(f)
                    for f in inputs.secrets.findings
                    if (f.rule_id, f.fingerprint) in live and f.location.commit is None
                }
            )
        )
    if cap.trigger == "critical_finding":
        findings = [
            *(inputs.secrets.findings if inputs.secrets else ()),
            *(inputs.coverage.findings if inputs.coverage else ()),
            *(f for p in inputs.probes for f in p.findings),
        ]
        hits = sorted({finding_key(f) for f in findings if f.severity in cap.severities and f.location.commit is None})
        return tuple(hits) if hits else None
    if cap.trigger == "probe_failed":
        failed = [p for p in inputs.probes if p.breaker_tripped or not all(p.thresholds.values())]
        if not failed:
            return None
        return tuple(sorted({finding_key(f) for p in failed for f in p.findings}))
    return None


def _overall_confidence(measured: Sequence[AreaScore]) -> Confidence:
    """The weakest confidence among the heaviest measured areas (they dominate the score)."""
    heaviest = max(a.weight for a in measured)
    dominant = [a for a in measured if a.weight >= min(heaviest, 7.5)]
    return max((a.confidence for a in dominant), key=lambda c: c.rank)
