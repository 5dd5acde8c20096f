"""The latency histogram: accuracy, merging, bounded memory."""

from __future__ import annotations

import random

from auditkit.probes.histogram import LatencyHistogram


def _exact(values: list[int], pct: float) -> int:
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999999))
    return ordered[rank - 1]


def test_percentiles_within_half_a_percent_of_the_exact_sample() -> None:
    rnd = random.Random(7)
    values = [int(rnd.lognormvariate(8, 1.5)) for _ in range(50_000)]
    hist = LatencyHistogram()
    hist.record_many(values)
    for pct in (50, 90, 95, 99, 99.9):
        exact = _exact(values, pct)
        assert abs(hist.percentile(pct) - exact) <= max(1.0, exact * 0.005), pct
    assert hist.min == min(values) and hist.max == max(values)
    assert hist.count == len(values)
    assert abs(hist.mean - sum(values) / len(values)) < 1e-6


def test_small_values_are_exact() -> None:
    hist = LatencyHistogram()
    hist.record_many([3, 3, 7, 200])
    assert hist.percentile(50) == 3.0
    assert hist.percentile(100) == 200.0


def test_merge_equals_recording_everything_in_one() -> None:
    rnd = random.Random(3)
    a_values = [rnd.randrange(1, 10**6) for _ in range(5000)]
    b_values = [rnd.randrange(10**5, 10**8) for _ in range(5000)]
    a, b, both = LatencyHistogram(), LatencyHistogram(), LatencyHistogram()
    a.record_many(a_values)
    b.record_many(b_values)
    both.record_many(a_values + b_values)
    merged = LatencyHistogram.from_state(a.to_state())
    merged.merge(LatencyHistogram.from_state(b.to_state()))
    assert merged.summary_ms() == both.summary_ms()
    assert merged.count == both.count


def test_memory_is_bounded_and_extremes_are_clamped() -> None:
    hist = LatencyHistogram()
    size = len(hist.to_state()["buckets"]) + len(hist._counts)
    hist.record_many([-5, 0, 10**20])
    assert len(hist._counts) == size
    assert hist.min == 0
    assert hist.count == 3


def test_empty_histogram_reports_zeros() -> None:
    assert LatencyHistogram().summary_ms()["p99"] == 0.0
