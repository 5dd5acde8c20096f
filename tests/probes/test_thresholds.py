"""k6-style thresholds: parsing, evaluation, errors that name the expression."""

from __future__ import annotations

import math

import pytest

from auditkit.errors import ProbeError
from auditkit.probes.thresholds import evaluate_thresholds, parse_threshold, parse_thresholds


@pytest.mark.parametrize(
    ("expr", "metric", "agg", "pct", "op", "value"),
    [
        ("p(95)<2000", "latency", "p", 95.0, "<", 2000.0),
        ("p(99.9) <= 5000", "latency", "p", 99.9, "<=", 5000.0),
        ("avg<300", "latency", "avg", None, "<", 300.0),
        ("med<250", "latency", "med", None, "<", 250.0),
        ("max<5000", "latency", "max", None, "<", 5000.0),
        ("rate<0.01", "errors", "rate", None, "<", 0.01),
        ("http_req_failed: rate<0.01", "errors", "rate", None, "<", 0.01),
        ("http_req_duration: p(95)<500", "latency", "p", 95.0, "<", 500.0),
        ("checks: rate>0.99", "checks", "rate", None, ">", 0.99),
        ("dropped: count==0", "dropped", "count", None, "==", 0.0),
    ],
)
def test_parse(expr: str, metric: str, agg: str, pct: float | None, op: str, value: float) -> None:
    th = parse_threshold(expr)
    assert (th.metric, th.aggregate, th.percentile, th.op, th.value) == (metric, agg, pct, op, value)


@pytest.mark.parametrize(
    "expr", ["p95<2000", "p(95)", "rate<", "p(101)<5", "latency: rate<1", "foo: avg<1", "avg<<1", ""]
)
def test_malformed_expression_is_named_in_the_error(expr: str) -> None:
    with pytest.raises(ProbeError) as info:
        parse_threshold(expr)
    assert repr(expr) in str(info.value)


def test_evaluate_and_missing_metric_fails() -> None:
    ths = parse_thresholds(["p(95)<100", "rate<0.01", "checks: rate>0.9", "p(95)<100"])
    assert len(ths) == 3
    observed = {"latency": lambda th: 150.0, "errors": lambda th: 0.0}
    assert evaluate_thresholds(ths, observed) == {
        "p(95)<100": False,
        "rate<0.01": True,
        "checks: rate>0.9": False,
    }
    nan = parse_threshold("avg<1")
    assert not nan.passes(math.nan)
