"""Shared machinery of the probes: statistics, arrival schedules, breaker/progress ticks, event loop.

Both probes (HTTP and PostgreSQL) record into :class:`Stats`, schedule open-model
arrivals with :class:`RateSchedule`, report ticks to a :class:`Controller`
(circuit breaker + progress callback) and run on :func:`run_engine` (uvloop
when installed; the first Ctrl-C stops the run gracefully).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from auditkit.config import ProbesConfig
from auditkit.probes.histogram import LatencyHistogram
from auditkit.probes.result import CheckResult, GeneratorHealth, ProbeResult, StepMetrics
from auditkit.probes.safety import CircuitBreaker
from auditkit.probes.settings import Stage
from auditkit.probes.thresholds import Threshold, evaluate_thresholds

__all__ = [
    "Controller",
    "Engine",
    "Progress",
    "ProgressCallback",
    "RateSchedule",
    "Stats",
    "StepStats",
    "build_result",
    "interpolate",
    "loop_factory",
    "generator_health",
    "lag_monitor",
    "observers",
    "run_engine",
    "step_metrics",
]


@dataclass(frozen=True)
class Progress:
    """A snapshot passed to the progress callback about once a second."""

    elapsed_s: float
    duration_s: float
    requests: int
    errors: int
    rate: float
    """Requests per second over the last interval."""
    active: int
    """Virtual users (closed) or open connections (open)."""
    target: float | None
    """Current VU target (closed) or arrival rate (open)."""


ProgressCallback = Callable[[Progress], None]


class StepStats:
    """Requests, errors by type and a latency histogram of one step."""

    __slots__ = ("errors", "hist", "requests")

    def __init__(self) -> None:
        self.hist = LatencyHistogram()
        self.requests = 0
        self.errors: dict[str, int] = {}


class Stats:
    """Everything one process measured; picklable via :meth:`to_state`."""

    def __init__(self) -> None:
        self.hist = LatencyHistogram()
        self.lag = LatencyHistogram()
        self.steps: dict[str, StepStats] = {}
        self.errors: dict[str, int] = {}
        self.checks: dict[str, list[int]] = {}
        self.requests = 0
        self.failed = 0
        self.dropped = 0
        self.late = 0
        self.aborted = 0
        """Requests sent but cut off when the run stopped (no answer, no error): counted nowhere else."""
        self.scheduled = 0
        self.peak_active = 0
        self.exhausted = False
        self.cpu = 0.0
        self.wall = 0.0

    def step(self, name: str) -> StepStats:
        """The stats of step ``name``, created on first use."""
        found = self.steps.get(name)
        if found is None:
            found = self.steps[name] = StepStats()
        return found

    def error(self, step: StepStats, kind: str) -> None:
        """Count one failed request of type ``kind``."""
        self.errors[kind] = self.errors.get(kind, 0) + 1
        step.errors[kind] = step.errors.get(kind, 0) + 1
        self.failed += 1

    def to_state(self) -> dict[str, Any]:
        """A picklable snapshot for the parent process to merge."""
        return {
            "hist": self.hist.to_state(),
            "lag": self.lag.to_state(),
            "steps": {
                k: {"hist": s.hist.to_state(), "requests": s.requests, "errors": s.errors}
                for k, s in self.steps.items()
            },
            "errors": self.errors,
            "checks": self.checks,
            "counts": [
                self.requests,
                self.failed,
                self.dropped,
                self.late,
                self.scheduled,
                self.peak_active,
                self.aborted,
            ],
            "exhausted": self.exhausted,
            "cpu": self.cpu,
            "wall": self.wall,
        }

    def merge_state(self, state: Mapping[str, Any]) -> None:
        """Add another process's :meth:`to_state` into this one."""
        self.hist.merge(LatencyHistogram.from_state(state["hist"]))
        self.lag.merge(LatencyHistogram.from_state(state["lag"]))
        for name, s in state["steps"].items():
            mine = self.step(name)
            mine.hist.merge(LatencyHistogram.from_state(s["hist"]))
            mine.requests += s["requests"]
            for k, n in s["errors"].items():
                mine.errors[k] = mine.errors.get(k, 0) + n
        for k, n in state["errors"].items():
            self.errors[k] = self.errors.get(k, 0) + n
        for k, (ok, bad) in state["checks"].items():
            mine_check = self.checks.setdefault(k, [0, 0])
            mine_check[0] += ok
            mine_check[1] += bad
        requests, failed, dropped, late, scheduled, peak, aborted = state["counts"]
        self.requests += requests
        self.failed += failed
        self.dropped += dropped
        self.late += late
        self.scheduled += scheduled
        self.peak_active += peak
        self.aborted += aborted
        self.exhausted = self.exhausted or state["exhausted"]
        self.cpu += state["cpu"]
        self.wall = max(self.wall, state["wall"])


# --------------------------------------------------------------------------- schedules


def interpolate(stages: tuple[Stage, ...], start: float, t: float) -> float:
    """The stage target at time ``t`` (linear ramps from ``start``)."""
    level = start
    for stage in stages:
        if t <= stage.duration:
            if stage.duration <= 0:
                return stage.target
            return level + (stage.target - level) * (t / stage.duration)
        t -= stage.duration
        level = stage.target
    return level


class RateSchedule:
    """Intended start time of the i-th arrival for a constant or linearly ramping rate."""

    def __init__(
        self, rate: float | None, stages: tuple[Stage, ...], duration: float, share: float, offset: float
    ) -> None:
        segments: list[tuple[float, float, float, float]] = []
        if stages:
            level = rate or 0.0
            for stage in stages:
                segments.append((stage.duration, level * share, stage.target * share, 0.0))
                level = stage.target
        else:
            segments.append((duration, (rate or 0.0) * share, (rate or 0.0) * share, 0.0))
        self._segments: list[tuple[float, float, float, float, float]] = []
        t0 = 0.0
        n0 = 0.0
        for dur, r0, r1, _ in segments:
            count = (r0 + r1) / 2.0 * dur
            self._segments.append((t0, n0, dur, r0, r1))
            t0 += dur
            n0 += count
        self.end = t0
        self.total = n0
        self._offset = offset
        self._cursor = 0

    def time_of(self, index: int) -> float | None:
        """Seconds from the start when arrival ``index`` is due, or None past the end."""
        n = index + self._offset
        while self._cursor < len(self._segments):
            t0, n0, dur, r0, r1 = self._segments[self._cursor]
            k = n - n0
            in_segment = (r0 + r1) / 2.0 * dur
            if k < in_segment:
                if r0 == r1:
                    return t0 + k / r0
                a = (r1 - r0) / (2.0 * dur)
                disc = r0 * r0 + 4.0 * a * k
                return t0 + (-r0 + math.sqrt(max(disc, 0.0))) / (2.0 * a)
            self._cursor += 1
        return None

    def rate_at(self, t: float) -> float:
        """Scheduled arrival rate at time ``t``."""
        for t0, _, dur, r0, r1 in self._segments:
            if t0 <= t < t0 + dur:
                return r0 + (r1 - r0) * ((t - t0) / dur if dur else 1.0)
        return 0.0


class Controller:
    """Aggregates ticks (from this process or from workers), feeds the breaker and the progress callback."""

    def __init__(self, duration: float, config: ProbesConfig, progress: ProgressCallback | None) -> None:
        self.duration = duration
        self.progress = progress
        self.breaker = CircuitBreaker(config.breaker_error_rate, config.breaker_window)
        self.requests = 0
        self.failed = 0
        self.last_progress = 0.0
        self.last_requests = 0

    def tick(self, elapsed: float, requests: int, failed: int, active: int, target: float | None) -> bool:
        """Record counts since the last tick; returns True when the breaker tripped."""
        self.requests += requests
        self.failed += failed
        tripped = self.breaker.observe(elapsed, requests, failed)
        if self.progress is not None and elapsed - self.last_progress >= 1.0:
            window = elapsed - self.last_progress
            rate = (self.requests - self.last_requests) / window if window > 0 else 0.0
            self.progress(
                Progress(
                    round(elapsed, 1),
                    self.duration,
                    self.requests,
                    self.failed,
                    round(rate, 1),
                    active,
                    target,
                )
            )
            self.last_progress = elapsed
            self.last_requests = self.requests
        return tripped


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop factory when installed (several times faster I/O), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # uvloop is optional: the standard loop is slower but correct
        return asyncio.new_event_loop
    return uvloop.new_event_loop


class Engine(Protocol):
    """What :func:`run_engine` drives: a stop event, an interrupted flag and a ``run`` coroutine."""

    stop: asyncio.Event
    interrupted: bool

    def run(self, tick: Callable[[Any, float], None], tick_every: float) -> Awaitable[None]:
        """Run the load, calling ``tick(engine, elapsed)`` every ``tick_every`` seconds."""
        ...


def run_engine(engine: Engine, tick: Callable[[Any, float], None], tick_every: float, handle_sigint: bool) -> None:
    """Run one engine on a fresh event loop; Ctrl-C (first press) stops it gracefully."""
    loop = loop_factory()()
    try:
        asyncio.set_event_loop(loop)
        if handle_sigint and threading.current_thread() is threading.main_thread():

            def on_sigint() -> None:
                engine.interrupted = True
                engine.stop.set()
                loop.remove_signal_handler(signal.SIGINT)

            loop.add_signal_handler(signal.SIGINT, on_sigint)
        loop.run_until_complete(engine.run(tick, tick_every))
    finally:
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGINT)
        asyncio.set_event_loop(None)
        loop.close()


def observers(stats: Stats, wall: float) -> dict[str, Callable[[Threshold], float]]:
    """Threshold observers over ``stats``: latency aggregates (ms), error rate/count, checks, dropped."""
    hist = stats.hist
    summary = hist.summary_ms()
    checks_total = sum(ok + bad for ok, bad in stats.checks.values())
    checks_ok = sum(ok for ok, _ in stats.checks.values())

    def latency(th: Threshold) -> float:
        if hist.count == 0:
            return math.nan
        if th.aggregate == "p":
            return hist.percentile(th.percentile or 0.0) / 1000.0
        return summary[{"avg": "mean", "med": "p50"}.get(th.aggregate, th.aggregate)]

    def errors(th: Threshold) -> float:
        if th.aggregate == "count":
            return float(stats.failed)
        return stats.failed / stats.requests if stats.requests else 0.0

    def checks(th: Threshold) -> float:
        if th.aggregate == "count":
            return float(checks_ok)
        return checks_ok / checks_total if checks_total else math.nan

    def dropped(th: Threshold) -> float:
        if th.aggregate == "count":
            return float(stats.dropped)
        return stats.dropped / stats.scheduled if stats.scheduled else 0.0

    return {"latency": latency, "errors": errors, "checks": checks, "dropped": dropped}


LAG_LIMIT_MS = 20.0
"""Event-loop lag p99 above this means the generator's own queueing is inside the latencies."""
STALL_LIMIT_MS = 50.0
"""A single event-loop stall longer than this contaminates the open model's latencies."""
CPU_LIMIT = 0.9
RATE_SHORTFALL = 0.95


def generator_health(
    stats: Stats, *, workers: int, target_rate: float | None, constant_rate: float | None, throughput: float
) -> GeneratorHealth:
    """Decide whether the generator was the bottleneck: CPU, event-loop lag, a missed constant rate.

    A missed rate counts against the generator only when it still had free
    connections (``stats.exhausted`` false); otherwise the server was too slow.
    """
    wall = stats.wall or 1e-9
    cpu_busy = round(stats.cpu / wall / workers, 3)
    lag_p99 = stats.lag.percentile(99) / 1000.0
    reasons: list[str] = []
    saturated = False
    if cpu_busy >= CPU_LIMIT:
        reasons.append(f"generator CPU {cpu_busy:.0%} of a core per process")
        saturated = True
    lag_max = stats.lag.max / 1000.0
    if lag_p99 > LAG_LIMIT_MS:
        reasons.append(f"event-loop lag p99 {lag_p99:.1f} ms (limit {LAG_LIMIT_MS:g} ms)")
        saturated = True
    elif lag_max > STALL_LIMIT_MS:
        # One long stall (CPU stolen by other processes, a blocking call) delays every request due
        # meanwhile; in the open model that wait is measured, so say it was the generator's.
        reasons.append(
            f"the generator's event loop stalled for {lag_max:.0f} ms at least once "
            "(busy machine?); requests due meanwhile were sent late"
        )
        saturated = True
    achieved = throughput
    if target_rate is not None:
        achieved = round((stats.scheduled - stats.dropped) / wall, 2)
    if constant_rate and stats.scheduled:
        if achieved < RATE_SHORTFALL * constant_rate:
            reasons.append(f"target rate not reached: {achieved:.0f}/s of {constant_rate:g}/s")
            if not stats.exhausted:
                saturated = True
    return GeneratorHealth(
        saturated=saturated,
        reasons=tuple(reasons),
        target_rate=target_rate,
        achieved_rate=achieved,
        loop_lag_ms={"p99": round(lag_p99, 3), "max": round(lag_max, 3)},
        cpu_busy=cpu_busy,
        workers=workers,
    )


async def lag_monitor(stats: Stats, period: float = 0.05) -> None:
    """Record how late a periodic timer fires (event-loop lag) until cancelled."""
    expected = time.perf_counter() + period
    while True:
        await asyncio.sleep(period)
        now = time.perf_counter()
        stats.lag.record(int(max(now - expected, 0.0) * 1e6))
        expected = now + period


def step_metrics(stats: Stats, wall: float) -> tuple[StepMetrics, ...]:
    """Per-step metrics for the result."""
    return tuple(
        StepMetrics(name, s.requests, round(s.requests / wall, 2), s.hist.summary_ms(), dict(s.errors))
        for name, s in stats.steps.items()
    )


def build_result(
    probe: str,
    *,
    target: str,
    settings: Mapping[str, Any],
    server: Mapping[str, Any],
    started_at: str,
    stats: Stats,
    thresholds: tuple[Threshold, ...],
    controller: Controller,
    health: GeneratorHealth,
    interrupted: bool,
    source: str | None,
    notices: list[str],
    checks: tuple[CheckResult, ...] = (),
    extra: Mapping[str, Any] | None = None,
) -> ProbeResult:
    """Assemble a :class:`ProbeResult` from what a run measured (shared by both probes)."""
    wall = stats.wall or 1e-9
    trip = controller.breaker.trip
    return ProbeResult(
        probe=probe,
        target=target,
        settings=dict(settings),
        server=dict(server),
        started_at=started_at,
        duration_s=round(wall, 3),
        requests=stats.requests,
        throughput=round(stats.requests / wall, 2),
        latency_ms=stats.hist.summary_ms(),
        errors=dict(stats.errors),
        thresholds=evaluate_thresholds(thresholds, observers(stats, wall)),
        steps=step_metrics(stats, wall),
        checks=checks,
        dropped=stats.dropped,
        late=stats.late,
        aborted=stats.aborted,
        generator=health,
        breaker_tripped=trip is not None,
        breaker_reason=f"{trip.reason} (after {trip.at_s:g}s)" if trip else None,
        interrupted=interrupted,
        source=source,
        extra=dict(extra or {}),
        notices=tuple(notices),
    )
