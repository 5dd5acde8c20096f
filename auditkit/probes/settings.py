"""What a probe run is asked to do: frozen settings built from flags and profiles.

Credentials never appear here as values: a header or body field that needs one
holds an :class:`EnvRef` (the *name* of an environment variable), resolved only
when the run starts and never included in ``to_dict()``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditkit.config import ProbesConfig
from auditkit.errors import ProbeError

__all__ = [
    "Check",
    "DbSettings",
    "EnvRef",
    "HttpSettings",
    "Scenario",
    "Stage",
    "Step",
    "parse_duration",
    "parse_stages",
]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any, what: str = "duration") -> float:
    """``"30s"``, ``"2m"``, ``"500ms"``, ``"1h"`` or a number of seconds -> seconds; ProbeError naming ``what``."""
    if isinstance(value, bool):
        raise ProbeError(f"{what}: expected a duration like '30s', '2m' or a number of seconds, got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ProbeError(f"{what}: must not be negative, got {value!r}")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match[1]) * _UNITS[match[2]]
    raise ProbeError(f"{what}: expected a duration like '30s', '2m', '500ms' or a number of seconds, got {value!r}")


@dataclass(frozen=True)
class Stage:
    """Ramp linearly to ``target`` (virtual users, or requests/s in the open model) over ``duration`` seconds."""

    duration: float
    target: float

    def to_dict(self) -> dict[str, float]:
        """JSON-ready form."""
        return {"duration_s": self.duration, "target": self.target}


def parse_stages(text: str) -> tuple[Stage, ...]:
    """``"30s:10,1m:10,30s:0"`` -> stages (duration:target, comma separated)."""
    stages: list[Stage] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        duration, sep, target = part.partition(":")
        if not sep:
            raise ProbeError(f"stage {part!r}: expected duration:target, for example 30s:10")
        try:
            value = float(target)
        except ValueError:
            raise ProbeError(f"stage {part!r}: target {target!r} is not a number") from None
        if value < 0:
            raise ProbeError(f"stage {part!r}: target must not be negative")
        stages.append(Stage(parse_duration(duration, f"stage {part!r}"), value))
    if not stages:
        raise ProbeError("--stages: no stage given (expected for example 30s:10,1m:10,30s:0)")
    return tuple(stages)


@dataclass(frozen=True)
class EnvRef:
    """A value taken from an environment variable when the run starts (``prefix`` + value)."""

    name: str
    prefix: str = ""

    def describe(self) -> str:
        """How the value is shown in settings: never the value itself."""
        return f"{self.prefix}<from env {self.name}>"


Value = str | EnvRef
"""A header value: literal text (may hold ``{{column}}`` data placeholders) or an environment reference."""


@dataclass(frozen=True)
class Check:
    """A check on each response of a step: status in a set, or body containing a text."""

    name: str
    statuses: tuple[int, ...] = ()
    body_contains: str | None = None


@dataclass(frozen=True)
class Step:
    """One request of a flow."""

    name: str
    method: str = "GET"
    path: str = "/"
    """Appended to the target URL's path; empty means the target URL itself (path and query)."""
    headers: tuple[tuple[str, Value], ...] = ()
    json: Any = None
    """A JSON body; string leaves may hold ``{{column}}`` placeholders, leaves may be EnvRef."""
    body: str | None = None
    """A raw text body (mutually exclusive with ``json``)."""
    think: tuple[float, float] = (0.0, 0.0)
    """Think time after the step: uniform between the two bounds, in seconds."""
    checks: tuple[Check, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (environment values shown by name only)."""
        return {
            "name": self.name,
            "method": self.method,
            "path": self.path,
            "headers": {k: (v.describe() if isinstance(v, EnvRef) else v) for k, v in self.headers},
            "json": _describe_json(self.json),
            "think_s": list(self.think),
            "checks": [c.name for c in self.checks],
        }


def _describe_json(value: Any) -> Any:
    if isinstance(value, EnvRef):
        return value.describe()
    if isinstance(value, Mapping):
        return {k: _describe_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_describe_json(v) for v in value]
    return value


@dataclass(frozen=True)
class Scenario:
    """A weighted multi-step flow; ``data`` rows (CSV) fill ``{{column}}`` placeholders round-robin."""

    name: str
    steps: tuple[Step, ...]
    weight: float = 1.0
    data: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "name": self.name,
            "weight": self.weight,
            "data": str(self.data) if self.data else None,
            "steps": [s.to_dict() for s in self.steps],
        }


@dataclass(frozen=True)
class HttpSettings:
    """Everything an HTTP probe run needs."""

    target: str
    """Base URL; step paths are appended to it."""
    scenarios: tuple[Scenario, ...] = ()
    """Empty means one GET of the target URL."""
    model: str = "closed"
    """``closed`` (virtual users loop) or ``open`` (arrival rate)."""
    vus: int = 10
    """Closed: virtual users (one keep-alive connection each). Open: connections allocated up front."""
    max_vus: int | None = None
    """Open model: connection cap when requests queue (default: the ``[probes] max_vus`` cap)."""
    rate: float | None = None
    """Open model: constant arrival rate (iterations per second)."""
    duration: float = 10.0
    stages: tuple[Stage, ...] = ()
    """Closed: VU targets; open: rate targets. When set, their total length replaces ``duration``."""
    timeout: float = 10.0
    thresholds: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()
    workers: int = 1
    """Load-generating processes (0 = one per CPU); histograms are merged."""
    late_tolerance: float = 0.005
    """Open model: a request sent later than this after its intended start counts as late."""
    config: ProbesConfig = field(default_factory=ProbesConfig)
    source: str | None = None
    """Profile file the settings came from."""

    @property
    def total_duration(self) -> float:
        """Seconds the run lasts: the sum of the stages when there are any."""
        return sum(s.duration for s in self.stages) if self.stages else self.duration

    @property
    def peak_vus(self) -> int:
        """Most virtual users (closed) or connections (open) the run may open."""
        if self.model == "open":
            return self.max_vus if self.max_vus is not None else max(self.vus, self.config.max_vus)
        staged = max((int(s.target) for s in self.stages), default=0)
        return max(self.vus if not self.stages else 0, staged)

    @property
    def peak_rate(self) -> float | None:
        """Highest arrival rate asked for (open model)."""
        if self.model != "open":
            return None
        if self.stages:
            return max([self.rate or 0.0, *(s.target for s in self.stages)])
        return self.rate

    def to_dict(self) -> dict[str, Any]:
        """The settings block of the JSON result (no credential values)."""
        return {
            "target": self.target,
            "model": self.model,
            "vus": self.vus,
            "max_vus": self.peak_vus if self.model == "open" else None,
            "rate": self.rate,
            "duration_s": self.total_duration,
            "stages": [s.to_dict() for s in self.stages],
            "timeout_s": self.timeout,
            "workers": self.workers,
            "late_tolerance_ms": self.late_tolerance * 1000.0,
            "thresholds": list(self.thresholds),
            "breaker": {"error_rate": self.config.breaker_error_rate, "window_s": self.config.breaker_window},
            "scenarios": [s.to_dict() for s in self.scenarios],
        }


WORKLOADS = ("read", "write", "mixed", "contention", "pool")


@dataclass(frozen=True)
class DbSettings:
    """Everything a PostgreSQL probe run needs (the connection itself comes from the environment)."""

    workload: str = "read"
    clients: int = 8
    duration: float = 10.0
    rate: float | None = None
    """Total transactions per second (open model, latency from the intended start); None = as fast as possible."""
    query: str | None = None
    allow_writes: bool = False
    thresholds: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()
    dsn: str | None = None
    """A password-free DSN or URL naming host/database (the password comes from PGPASSWORD)."""
    pool_cap: int | None = None
    """Pool workload: stop opening connections at this many (default: the ``[probes] max_vus`` cap)."""
    timeout: float = 10.0
    config: ProbesConfig = field(default_factory=ProbesConfig)
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The settings block of the JSON result."""
        return {
            "workload": self.workload,
            "clients": self.clients,
            "duration_s": self.duration,
            "rate": self.rate,
            "query": self.query,
            "allow_writes": self.allow_writes,
            "thresholds": list(self.thresholds),
            "pool_cap": self.pool_cap if self.pool_cap is not None else self.config.max_vus,
            "timeout_s": self.timeout,
            "breaker": {"error_rate": self.config.breaker_error_rate, "window_s": self.config.breaker_window},
        }
