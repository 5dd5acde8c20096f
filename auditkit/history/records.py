"""Immutable run records and the comparison of two runs.

A :class:`RunRecord` keeps what a later run needs to show a trend: tool
version, time, repository, commit, branch, configuration hash, area scores and
the keys of the findings (with rule, severity, path and message). It never
holds a secret value: secret findings are identified by their keyed
fingerprint inside the finding key.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.errors import HistoryStoreError
from auditkit.report.model import AreaDelta, AuditReport, FindingRef, Trend, TrendPoint
from auditkit.scoring import finding_key

__all__ = ["RECORD_VERSION", "AreaRecord", "RunRecord", "compare_runs", "record_from_report"]

RECORD_VERSION = 1


@dataclass(frozen=True)
class AreaRecord:
    """One area's result in a stored run."""

    id: str
    title: str
    score: float | None
    status: str
    confidence: str
    weight: float


@dataclass(frozen=True)
class RunRecord:
    """One scan, as the history store keeps it forever."""

    run_id: str
    tool_version: str
    started_at: str
    repo: str
    name: str
    commit: str | None
    branch: str | None
    config_hash: str
    overall: float | None
    status: str
    areas: tuple[AreaRecord, ...]
    findings: tuple[FindingRef, ...]
    seq: int | None = None
    """Order of insertion, assigned by the store."""

    @property
    def measured(self) -> frozenset[str]:
        """Ids of the areas that had a score."""
        return frozenset(a.id for a in self.areas if a.score is not None)

    def to_json(self) -> str:
        """Canonical JSON (sorted keys) of everything but ``seq``."""
        data: dict[str, Any] = {
            "record_version": RECORD_VERSION,
            "run_id": self.run_id,
            "tool_version": self.tool_version,
            "started_at": self.started_at,
            "repo": self.repo,
            "name": self.name,
            "commit": self.commit,
            "branch": self.branch,
            "config_hash": self.config_hash,
            "overall": self.overall,
            "status": self.status,
            "areas": [a.__dict__ for a in self.areas],
            "findings": [f.__dict__ for f in self.findings],
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | dict[str, Any], seq: int | None = None) -> RunRecord:
        """Parse a stored record; HistoryStoreError when it is not one."""
        try:
            data = json.loads(text) if isinstance(text, str) else text
            return cls(
                run_id=data["run_id"],
                tool_version=data["tool_version"],
                started_at=data["started_at"],
                repo=data["repo"],
                name=data["name"],
                commit=data["commit"],
                branch=data["branch"],
                config_hash=data["config_hash"],
                overall=data["overall"],
                status=data["status"],
                areas=tuple(AreaRecord(**a) for a in data["areas"]),
                findings=tuple(FindingRef(**f) for f in data["findings"]),
                seq=seq,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise HistoryStoreError(f"a stored run record is malformed ({exc.__class__.__name__}: {exc})") from None


def record_from_report(report: AuditReport) -> RunRecord:
    """The record to store for ``report``."""
    run = report.run
    card = report.scorecard
    refs = {}
    for f in report.findings:
        key = finding_key(f)
        if key not in refs:
            refs[key] = FindingRef(key, f.area.value, f.rule_id, f.severity.value, f.location.path, f.message)
    return RunRecord(
        run_id=run.run_id,
        tool_version=run.tool_version,
        started_at=run.started_at,
        repo=run.repo,
        name=run.name,
        commit=run.commit,
        branch=run.branch,
        config_hash=run.config_hash,
        overall=card.overall,
        status=card.status.value,
        areas=tuple(
            AreaRecord(a.id, a.title, a.score, a.status.value, a.confidence.value, a.weight) for a in card.areas
        ),
        findings=tuple(sorted(refs.values(), key=lambda r: (r.area, r.rule_id, r.path, r.key))),
    )


def compare_runs(previous: RunRecord, current: RunRecord, earlier: Sequence[RunRecord] = ()) -> Trend:
    """How ``current`` differs from ``previous``: per-area deltas, new and resolved findings.

    ``earlier`` are older runs of the same repository (any order) for the trend
    series; the series ends with ``current``.
    """
    before = {a.id: a for a in previous.areas}
    titles = {a.id: a.title for a in previous.areas}
    titles.update({a.id: a.title for a in current.areas})
    order = [a.id for a in current.areas] + [a.id for a in previous.areas if a.id not in {c.id for c in current.areas}]
    after = {a.id: a for a in current.areas}
    deltas = tuple(
        AreaDelta(
            id=area_id,
            title=titles[area_id],
            before=before[area_id].score if area_id in before else None,
            after=after[area_id].score if area_id in after else None,
        )
        for area_id in order
    )
    old_keys = {f.key: f for f in previous.findings}
    new_keys = {f.key: f for f in current.findings}

    def ordered(refs: list[FindingRef]) -> tuple[FindingRef, ...]:
        rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
        return tuple(sorted(refs, key=lambda r: (rank.get(r.severity, 5), r.path, r.rule_id, r.key)))

    history = sorted({r.run_id: r for r in [*earlier, previous]}.values(), key=lambda r: (r.seq or 0, r.started_at))
    series = tuple(TrendPoint(r.run_id, r.started_at, r.overall, r.commit) for r in [*history[-11:], current])
    return Trend(
        previous_run_id=previous.run_id,
        previous_at=previous.started_at,
        previous_commit=previous.commit,
        overall_before=previous.overall,
        overall_after=current.overall,
        areas=deltas,
        new_findings=ordered([f for k, f in new_keys.items() if k not in old_keys]),
        resolved_findings=ordered([f for k, f in old_keys.items() if k not in new_keys]),
        measured_added=tuple(sorted(current.measured - previous.measured)),
        measured_removed=tuple(sorted(previous.measured - current.measured)),
        series=series,
    )
