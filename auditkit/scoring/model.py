"""Load and validate the scoring model (``reports/scoring.toml``).

Errors name the file and the key, for example::

    reports/scoring.toml: areas[2].risk: expected one of critical, high, medium, low, got 'huge'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditkit.errors import DataFileError
from auditkit.findings import Severity

__all__ = [
    "RISKS",
    "SCORERS",
    "TRIGGERS",
    "AreaSpec",
    "CapSpec",
    "ScoringModel",
    "load_scoring_model",
    "read_data_toml",
]

RISKS = ("critical", "high", "medium", "low")
SCORERS = ("secrets", "coverage", "quality", "tools", "scenarios", "infrastructure", "probes")
TRIGGERS = ("secret_in_head", "critical_finding", "probe_failed")
SOURCES = ("secrets", "coverage", "probes")


@dataclass(frozen=True)
class AreaSpec:
    """One scored area as the data file describes it."""

    id: str
    title: str
    risk: str
    weight: float
    scorer: str
    description: str
    findings: tuple[str, ...]
    """Rule-id globs of the findings this area owns (among findings of its sources)."""
    sources: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CapSpec:
    """An upper bound on the overall score when a condition holds."""

    id: str
    trigger: str
    severities: tuple[Severity, ...]
    max: float
    reason: str


@dataclass(frozen=True)
class ScoringModel:
    """The validated scoring data."""

    path: Path
    areas: tuple[AreaSpec, ...]
    caps: tuple[CapSpec, ...]
    good: float
    warning: float


def load_scoring_model(path: Path | None = None) -> ScoringModel:
    """Read and validate the scoring model; the packaged ``reports/scoring.toml`` by default.

    Raises :class:`~auditkit.errors.DataFileError` naming the file and key.
    """
    path, data = read_data_toml(path, "scoring.toml")
    return parse_scoring_model(data, path)


def read_data_toml(path: Path | None, packaged: str) -> tuple[Path, dict[str, Any]]:
    """Parse ``path`` (default: ``reports/<packaged>``); DataFileError naming the file when it cannot."""
    from auditkit.resources import data_file, read_toml

    if path is None:
        path = data_file("reports", packaged)
    return path, read_toml(path)


def parse_scoring_model(data: Mapping[str, Any], path: Path) -> ScoringModel:
    """Validate an already-parsed scoring table that came from ``path``."""
    top = _Reader(data, path, "")
    top.only({"schema_version", "weights", "status", "areas", "caps"})
    if top.get("schema_version", int) != 1:
        raise top.error("schema_version", "1", data.get("schema_version"))
    weights = top.sub("weights")
    weights.only(set(RISKS))
    weight_of = {risk: weights.number(risk, minimum=0.0) for risk in RISKS}
    status = top.sub("status")
    status.only({"good", "warning"})
    good = status.number("good", minimum=0.0, maximum=10.0)
    warning = status.number("warning", minimum=0.0, maximum=10.0)
    if warning > good:
        raise status.error("warning", f"a number <= good ({good})", warning)

    areas: list[AreaSpec] = []
    seen: set[str] = set()
    for area in top.items("areas"):
        area.only({"id", "title", "risk", "scorer", "description", "findings", "sources", "params"})
        area_id = area.text("id")
        if area_id in seen:
            raise area.error("id", "a unique id", area_id)
        seen.add(area_id)
        risk = area.choice("risk", RISKS)
        areas.append(
            AreaSpec(
                id=area_id,
                title=area.text("title"),
                risk=risk,
                weight=weight_of[risk],
                scorer=area.choice("scorer", SCORERS),
                description=area.text("description"),
                findings=area.strings("findings"),
                sources=tuple(area.choice_list("sources", SOURCES)),
                params=dict(area.get("params", dict, default={})),
            )
        )
    if not areas:
        raise top.error("areas", "at least one [[areas]] entry", [])

    caps: list[CapSpec] = []
    for cap in top.items("caps", required=False):
        cap.only({"id", "trigger", "severities", "max", "reason"})
        caps.append(
            CapSpec(
                id=cap.text("id"),
                trigger=cap.choice("trigger", TRIGGERS),
                severities=tuple(Severity(s) for s in cap.choice_list("severities", tuple(s.value for s in Severity))),
                max=cap.number("max", minimum=0.0, maximum=10.0),
                reason=cap.text("reason"),
            )
        )
    return ScoringModel(path=path, areas=tuple(areas), caps=tuple(caps), good=good, warning=warning)


class _Reader:
    """Typed access to one TOML table; errors name file and key."""

    def __init__(self, data: Mapping[str, Any], path: Path, where: str) -> None:
        self.data = data
        self.path = path
        self.where = where

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def error(self, key: str, expected: str, got: Any) -> DataFileError:
        return DataFileError(f"{self.path}: {self._key(key)}: expected {expected}, got {got!r}")

    def only(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed:
                raise DataFileError(f"{self.path}: {self._key(key)}: unknown key (known: {', '.join(sorted(allowed))})")

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise DataFileError(f"{self.path}: {self._key(key)}: missing")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.error(key, f"a {kind.__name__}", value)
        return value

    def text(self, key: str) -> str:
        value: str = self.get(key, str)
        if not value.strip():
            raise self.error(key, "a non-empty string", value)
        return value

    def number(self, key: str, minimum: float | None = None, maximum: float | None = None) -> float:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(key, "a number", value)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.error(key, f"a number in [{minimum}, {maximum}]", value)
        return float(value)

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key, list)
        if not all(isinstance(v, str) and v for v in value):
            raise self.error(key, "a list of non-empty strings", value)
        return tuple(value)

    def choice(self, key: str, allowed: tuple[str, ...]) -> str:
        value = self.get(key, str)
        if value not in allowed:
            raise self.error(key, f"one of {', '.join(allowed)}", value)
        return value

    def choice_list(self, key: str, allowed: tuple[str, ...]) -> list[str]:
        values = self.strings(key) if self.data.get(key) else ()
        if key not in self.data:
            raise DataFileError(f"{self.path}: {self._key(key)}: missing")
        for value in values:
            if value not in allowed:
                raise self.error(key, f"values among {', '.join(allowed)}", value)
        return list(values)

    def sub(self, key: str) -> _Reader:
        return _Reader(self.get(key, dict), self.path, self._key(key))

    def items(self, key: str, required: bool = True) -> list[_Reader]:
        value = self.get(key, list, default=... if required else [])
        readers = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.error(f"{key}[{i}]", "a table", item)
            readers.append(_Reader(item, self.path, self._key(f"{key}[{i}]")))
        return readers
