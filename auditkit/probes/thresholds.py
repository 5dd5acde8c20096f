"""Pass/fail thresholds in k6's syntax.

An expression is ``[metric:] aggregate operator number``::

    p(95)<2000            95th percentile latency below 2000 ms
    avg<300   med<=250    mean / median latency (ms)
    max<5000  min>0
    rate<0.01             error rate (failed requests / requests) below 1%
    checks: rate>0.99     share of passed checks
    dropped: count==0     requests the open model could not send

The metric is optional: latency aggregates default to the latency metric
(``http_req_duration`` and ``tx_duration`` are accepted as aliases, as are
``http_req_failed``/``errors`` for the error rate). A malformed expression
raises :class:`~auditkit.errors.ProbeError` naming it.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from auditkit.errors import ProbeError

__all__ = ["Threshold", "evaluate_thresholds", "parse_threshold", "parse_thresholds"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "===": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
}

_METRIC_ALIASES = {
    "latency": "latency",
    "http_req_duration": "latency",
    "tx_duration": "latency",
    "duration": "latency",
    "errors": "errors",
    "http_req_failed": "errors",
    "tx_failed": "errors",
    "checks": "checks",
    "dropped": "dropped",
    "dropped_iterations": "dropped",
}

_EXPR = re.compile(
    r"^\s*(?:(?P<metric>[a-z_]+)\s*:\s*)?"
    r"(?P<agg>avg|min|max|med|p\(\s*(?P<pct>\d+(?:\.\d+)?)\s*\)|rate|count)"
    r"\s*(?P<op>===|==|!=|<=|>=|<|>)\s*"
    r"(?P<value>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)

_ALLOWED_AGGS = {
    "latency": {"avg", "min", "max", "med", "p"},
    "errors": {"rate", "count"},
    "checks": {"rate", "count"},
    "dropped": {"count", "rate"},
}


@dataclass(frozen=True)
class Threshold:
    """One parsed threshold expression."""

    expression: str
    """The expression as the user wrote it (the key in results)."""
    metric: str
    """``latency``, ``errors``, ``checks`` or ``dropped``."""
    aggregate: str
    """``avg``, ``min``, ``max``, ``med``, ``p``, ``rate`` or ``count``."""
    percentile: float | None
    op: str
    value: float

    def passes(self, observed: float) -> bool:
        """Whether ``observed`` satisfies this threshold (NaN never does)."""
        if math.isnan(observed):
            return False
        return _OPS[self.op](observed, self.value)


def parse_threshold(expression: str) -> Threshold:
    """Parse one expression; raises ProbeError naming it when malformed."""
    match = _EXPR.match(expression)
    if not match:
        raise ProbeError(
            f"threshold {expression!r}: expected '[metric:] aggregate operator number', for example "
            "'p(95)<2000', 'avg<300', 'max<5000', 'rate<0.01' or 'checks: rate>0.99'"
        )
    agg = match["agg"]
    pct: float | None = None
    if agg.startswith("p("):
        agg = "p"
        pct = float(match["pct"])
        if not 0.0 <= pct <= 100.0:
            raise ProbeError(f"threshold {expression!r}: percentile must be between 0 and 100")
    raw_metric = match["metric"]
    if raw_metric is None:
        metric = "latency" if agg in {"avg", "min", "max", "med", "p"} else "errors"
    else:
        if raw_metric not in _METRIC_ALIASES:
            known = ", ".join(sorted(_METRIC_ALIASES))
            raise ProbeError(f"threshold {expression!r}: unknown metric {raw_metric!r} (known: {known})")
        metric = _METRIC_ALIASES[raw_metric]
    if agg not in _ALLOWED_AGGS[metric]:
        allowed = ", ".join(sorted(a if a != "p" else "p(N)" for a in _ALLOWED_AGGS[metric]))
        raise ProbeError(f"threshold {expression!r}: {metric} takes {allowed}, not {agg}")
    return Threshold(expression.strip(), metric, agg, pct, match["op"], float(match["value"]))


def parse_thresholds(expressions: Iterable[str]) -> tuple[Threshold, ...]:
    """Parse several expressions, dropping exact duplicates and keeping their order."""
    seen: dict[str, Threshold] = {}
    for expr in expressions:
        parsed = parse_threshold(expr)
        seen.setdefault(parsed.expression, parsed)
    return tuple(seen.values())


def evaluate_thresholds(
    thresholds: Iterable[Threshold], observed: Mapping[str, Callable[[Threshold], float]]
) -> dict[str, bool]:
    """Evaluate each threshold with the observer registered for its metric.

    ``observed`` maps a metric name to a function returning the observed value of
    a threshold's aggregate (for ``latency``: milliseconds). A metric the probe
    does not have fails its threshold instead of passing silently.
    """
    results: dict[str, bool] = {}
    for threshold in thresholds:
        getter = observed.get(threshold.metric)
        results[threshold.expression] = False if getter is None else threshold.passes(getter(threshold))
    return results
