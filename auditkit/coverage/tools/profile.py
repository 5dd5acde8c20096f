"""Load profiles shared by the tool parsers: durations, ramps, spikes and soak length.

A profile is a list of :class:`Segment` (duration, level at start, level at
end), where the level is virtual users or arrivals per second. k6 stages,
Artillery phases, Gatling injection steps and JMeter thread groups all map to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.coverage.model import Facts

__all__ = [
    "SPIKE_FACTOR",
    "SPIKE_WINDOW_S",
    "ProfileFacts",
    "Segment",
    "analyze_profiles",
    "parse_duration",
    "record_profile",
]

SPIKE_FACTOR = 2.0
"""A rise to at least this multiple of a level already being held ..."""
SPIKE_WINDOW_S = 60.0
"""... in less than this many seconds is a spike."""

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|h|m|s|d)?", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: Any, bare_unit: float = 1.0) -> float | None:
    """Seconds in ``"1m30s"``, ``"500ms"``, ``"2h"``, ``"5 minutes"`` or a number (times ``bare_unit``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) * bare_unit
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    for word, unit in (
        ("minutes", "m"),
        ("minute", "m"),
        ("min", "m"),
        ("seconds", "s"),
        ("second", "s"),
        ("sec", "s"),
        ("hours", "h"),
        ("hour", "h"),
    ):
        text = text.replace(word, unit)
    text = text.replace(" ", "")
    if not text:
        return None
    pos = 0
    total = 0.0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            return None
        unit = m.group(2)
        total += float(m.group(1)) * (_UNITS[unit.lower()] if unit else bare_unit)
        pos = m.end()
    return total if pos == len(text) else None


@dataclass(frozen=True)
class Segment:
    """One stretch of a load profile."""

    duration_s: float
    start: float
    end: float


@dataclass(frozen=True)
class ProfileFacts:
    """What a set of load profiles says about ramps, spikes and length."""

    ramp_up: bool
    ramp_down: bool
    spike: bool
    duration_s: float


def analyze_profiles(profiles: Sequence[tuple[float, Sequence[Segment]]]) -> ProfileFacts | None:
    """Ramp-up, ramp-down, spike and length over ``(start_time_s, segments)`` profiles (``None``: empty)."""
    ramp_up = ramp_down = spike = False
    duration = 0.0
    seen = False
    for start_time, segments in profiles:
        timed = [s for s in segments if s.duration_s > 0]
        if not timed:
            continue
        seen = True
        peak = max(max(s.start, s.end) for s in timed)
        first, last = timed[0], timed[-1]
        if peak > 0 and first.start < peak:
            ramp_up = True
        if peak > 0 and last.end < peak and last.end <= last.start:
            ramp_down = True
        spike = spike or _has_spike(segments, peak)
        duration = max(duration, start_time + sum(s.duration_s for s in segments))
    if not seen:
        return None
    return ProfileFacts(ramp_up=ramp_up, ramp_down=ramp_down, spike=spike, duration_s=duration)


def _has_spike(segments: Sequence[Segment], peak: float) -> bool:
    """Whether the load jumps sharply above a non-zero level it was already running.

    A rise counts when it starts from a level ``base > 0``, reaches at least
    ``SPIKE_FACTOR * base`` (and half the peak) instantly or in under
    ``SPIKE_WINDOW_S``, and ``base`` was established: jumped from between two
    phases, held as a plateau, or above zero for ``SPIKE_WINDOW_S`` already.
    The first ramp from zero, a staircase warm-up and a ramp-down are not spikes.
    """
    high = 0.5 * peak
    previous: Segment | None = None
    loaded_s = 0.0  # how long the load has been above zero without a pause
    for seg in segments:
        if previous is not None and previous.end > 0 and seg.start >= max(SPIKE_FACTOR * previous.end, high):
            return True
        if (
            previous is not None
            and 0 < seg.start < seg.end
            and seg.duration_s < SPIKE_WINDOW_S
            and seg.end >= max(SPIKE_FACTOR * seg.start, high)
        ):
            plateau = previous.start == previous.end == seg.start and previous.duration_s > 0
            if plateau or loaded_s >= SPIKE_WINDOW_S:
                return True
        loaded_s = 0.0 if seg.end <= 0 else loaded_s + seg.duration_s
        previous = seg
    return False


def record_profile(
    facts: Facts,
    prof: ProfileFacts | None,
    line: int | None,
    *,
    no_profile: tuple[str, str],
    flat: tuple[str, str],
) -> None:
    """Record ramp-up, ramp-down, duration and spike from a tool's load profile.

    ``no_profile`` explains (ramp-up, ramp-down) when the script has no staged
    profile at all, ``flat`` when it has one that starts or stops at its peak.
    """
    if prof is None:
        facts.set("ramp_up", False, line, no_profile[0])
        facts.set("ramp_down", False, line, no_profile[1])
        return
    facts.mark("ramp_up", prof.ramp_up, line, flat[0])
    facts.mark("ramp_down", prof.ramp_down, line, flat[1])
    facts.max_duration_s = prof.duration_s
    if prof.spike:
        facts.signals.add("spike")
