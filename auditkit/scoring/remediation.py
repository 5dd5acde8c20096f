"""Remediation data (``reports/remediation.toml``) and the action list built from a scorecard.

Each deduction kind maps to an action with remediation text, a priority and
an effort estimate in hours. :func:`build_actions` merges the deductions of a
kind into one :class:`Action` and orders the list by impact per hour: the
overall points fixing it would win, divided by its effort.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.errors import DataFileError
from auditkit.scoring.areas import DEDUCTION_KINDS
from auditkit.scoring.model import read_data_toml
from auditkit.scoring.result import Deduction, Scorecard

__all__ = ["PRIORITIES", "Action", "Remediation", "RemediationEntry", "build_actions", "load_remediation"]

PRIORITIES = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class RemediationEntry:
    """How to fix one kind of deduction and what it costs."""

    kind: str
    title: str
    priority: str
    effort_hours: float
    effort_per_item: float
    remediation: str


@dataclass(frozen=True)
class Remediation:
    """The validated remediation data, looked up by deduction kind."""

    path: Path
    entries: Mapping[str, RemediationEntry]

    def lookup(self, kind: str) -> RemediationEntry:
        """The entry for ``kind``, else for its prefix before ``:``; DataFileError when neither exists."""
        entry = self.entries.get(kind) or self.entries.get(kind.split(":", 1)[0])
        if entry is None:
            raise DataFileError(f"{self.path}: no [[actions]] entry for kind {kind!r}")
        return entry


@dataclass(frozen=True)
class Action:
    """Something to do, with its cost and what it wins."""

    id: str
    title: str
    area: str
    priority: str
    remediation: str
    effort_hours: float
    impact: float
    """Overall points won: the gain on the weighted mean, or more when it lifts a binding cap."""
    impact_per_hour: float
    items: tuple[str, ...]
    reasons: tuple[str, ...]
    finding_keys: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "title": self.title,
            "area": self.area,
            "priority": self.priority,
            "effort_hours": round(self.effort_hours, 2),
            "impact": round(self.impact, 2),
            "impact_per_hour": round(self.impact_per_hour, 3),
            "items": list(self.items),
            "reasons": list(self.reasons),
            "remediation": self.remediation,
            "findings": list(self.finding_keys),
        }


def load_remediation(path: Path | None = None) -> Remediation:
    """Read and validate the remediation data; the packaged ``reports/remediation.toml`` by default.

    Fails (DataFileError naming file and key) on an empty title or remediation,
    a negative effort, an unknown priority, a duplicate kind, or a deduction
    kind of the scorers that has no entry.
    """
    path, data = read_data_toml(path, "remediation.toml")
    return parse_remediation(data, path)


def parse_remediation(data: Mapping[str, Any], path: Path) -> Remediation:
    """Validate an already-parsed remediation table that came from ``path``."""
    for key in data:
        if key not in {"schema_version", "actions"}:
            raise DataFileError(f"{path}: {key}: unknown key (known: actions, schema_version)")
    if data.get("schema_version") != 1:
        raise DataFileError(f"{path}: schema_version: expected 1, got {data.get('schema_version')!r}")
    actions = data.get("actions")
    if not isinstance(actions, list) or not actions:
        raise DataFileError(f"{path}: actions: expected a non-empty list of [[actions]] tables")
    entries: dict[str, RemediationEntry] = {}
    fields = {"kind", "title", "priority", "effort_hours", "effort_per_item", "remediation"}
    for i, item in enumerate(actions):
        where = f"{path}: actions[{i}]"
        if not isinstance(item, dict):
            raise DataFileError(f"{where}: expected a table")
        for key in item:
            if key not in fields:
                raise DataFileError(f"{where}.{key}: unknown key (known: {', '.join(sorted(fields))})")
        texts = {}
        for key in ("kind", "title", "remediation", "priority"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                raise DataFileError(f"{where}.{key}: expected a non-empty string, got {value!r}")
            texts[key] = value.strip()
        if texts["priority"] not in PRIORITIES:
            raise DataFileError(f"{where}.priority: expected one of {', '.join(PRIORITIES)}, got {texts['priority']!r}")
        efforts = {}
        for key in ("effort_hours", "effort_per_item"):
            value = item.get(key, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise DataFileError(f"{where}.{key}: expected a number >= 0, got {value!r}")
            efforts[key] = float(value)
        if efforts["effort_hours"] == 0 and efforts["effort_per_item"] == 0:
            raise DataFileError(f"{where}: effort_hours and effort_per_item are both 0; nothing is free")
        if texts["kind"] in entries:
            raise DataFileError(f"{where}.kind: duplicate kind {texts['kind']!r}")
        entries[texts["kind"]] = RemediationEntry(
            kind=texts["kind"],
            title=texts["title"],
            priority=texts["priority"],
            effort_hours=efforts["effort_hours"],
            effort_per_item=efforts["effort_per_item"],
            remediation=" ".join(texts["remediation"].split()),
        )
    missing = [k for k in DEDUCTION_KINDS if k not in entries]
    if missing:
        raise DataFileError(f"{path}: actions: no entry for deduction kind(s) {', '.join(missing)}")
    return Remediation(path=path, entries=entries)


def build_actions(card: Scorecard, remediation: Remediation) -> tuple[Action, ...]:
    """Merge the scorecard's deductions by kind into actions, sorted by impact per hour (best first)."""
    grouped: dict[str, list[tuple[str, Deduction]]] = {}
    for area in card.areas:
        for deduction in area.explanation:
            grouped.setdefault(deduction.kind, []).append((area.id, deduction))
    weights = {a.id: a.weight for a in card.areas}
    uncapped = max([c.uncapped for c in card.caps], default=card.overall or 0.0)
    actions = []
    for kind, pairs in grouped.items():
        entry = remediation.lookup(kind)
        items = tuple(sorted({i for _, d in pairs for i in d.items}))
        keys = tuple(sorted({k for _, d in pairs for k in d.finding_keys}))
        effort = entry.effort_hours * len(pairs) + entry.effort_per_item * len(items)
        gain = (
            sum(d.points * weights[area_id] for area_id, d in pairs) / card.total_weight if card.total_weight else 0.0
        )
        # Caps stay unless every finding that triggers them is fixed by this action.
        remaining_caps = [
            c.max
            for c in card.caps
            if kind not in c.lifted_by and not (c.finding_keys and set(c.finding_keys) <= set(keys))
        ]
        after = min([uncapped + gain, *remaining_caps, 10.0])
        # The weighted gain is what the work is worth once caps are gone; lifting
        # a binding cap can be worth more than that, right now.
        impact = max(gain, after - (card.overall or 0.0))
        actions.append(
            Action(
                id=kind,
                title=entry.title,
                area=pairs[0][0],
                priority=entry.priority,
                remediation=entry.remediation,
                effort_hours=effort,
                impact=impact,
                impact_per_hour=impact / effort if effort else 0.0,
                items=items,
                reasons=tuple(d.reason for _, d in pairs),
                finding_keys=keys,
            )
        )
    priority_rank = {p: i for i, p in enumerate(PRIORITIES)}
    actions.sort(key=lambda a: (-round(a.impact_per_hour, 6), priority_rank[a.priority], a.id))
    return tuple(actions)
