"""What a probe returns: a frozen :class:`ProbeResult` with a JSON contract.

``ProbeResult.to_dict()`` is the document ``auditkit probe ... --format json``
prints (documented in docs/probes.md). ``ProbeResult.findings`` turns failed
thresholds, a tripped circuit breaker and a saturated load generator into
:class:`~auditkit.findings.Finding` values, so scoring, SARIF and history see
probe problems like any other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditkit.findings import Area, Confidence, Finding, Location, Severity

__all__ = ["CheckResult", "GeneratorHealth", "ProbeResult", "StepMetrics"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class StepMetrics:
    """Metrics of one step of a flow (HTTP) or one statement kind (PostgreSQL)."""

    name: str
    requests: int
    throughput: float
    latency_ms: Mapping[str, float]
    errors: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "requests": self.requests,
            "throughput": self.throughput,
            "latency_ms": dict(self.latency_ms),
            "errors": dict(sorted(self.errors.items())),
        }


@dataclass(frozen=True)
class CheckResult:
    """How often one named check on responses passed and failed."""

    name: str
    passed: int
    failed: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "passed": self.passed, "failed": self.failed}


@dataclass(frozen=True)
class GeneratorHealth:
    """Whether the load generator itself was the bottleneck.

    When it is saturated its latencies include its own queueing, so the result
    is flagged instead of silently blaming the server.
    """

    saturated: bool
    reasons: tuple[str, ...] = ()
    target_rate: float | None = None
    """Requested arrival rate (open model), or None in the closed model."""
    achieved_rate: float = 0.0
    loop_lag_ms: Mapping[str, float] = field(default_factory=dict)
    """Event-loop lag (how late a periodic timer fired): p99 and max."""
    cpu_busy: float = 0.0
    """CPU time of the generator process(es) per wall second, per process (1.0 = one core busy)."""
    workers: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "saturated": self.saturated,
            "reasons": list(self.reasons),
            "target_rate": self.target_rate,
            "achieved_rate": self.achieved_rate,
            "loop_lag_ms": dict(self.loop_lag_ms),
            "cpu_busy": self.cpu_busy,
            "workers": self.workers,
        }


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one probe run (HTTP or PostgreSQL)."""

    probe: str
    """``http`` or ``db``."""
    target: str
    """The URL, or the DSN with its password masked."""
    settings: Mapping[str, Any]
    server: Mapping[str, Any]
    started_at: str
    duration_s: float
    requests: int
    """Requests (HTTP) or transactions (PostgreSQL) completed, failed ones included."""
    throughput: float
    latency_ms: Mapping[str, float]
    errors: Mapping[str, int]
    thresholds: Mapping[str, bool]
    steps: tuple[StepMetrics, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    dropped: int = 0
    """Open model: scheduled requests never sent (later than the timeout when their turn came)."""
    late: int = 0
    """Open model: requests sent later than their intended start (by more than the lateness tolerance)."""
    aborted: int = 0
    """Requests sent but still unanswered when the run stopped and cut off: not in ``requests``, errors or
    latency. The target saw between ``requests`` and ``requests + aborted`` of the probe's requests."""
    generator: GeneratorHealth = field(default_factory=lambda: GeneratorHealth(False))
    breaker_tripped: bool = False
    breaker_reason: str | None = None
    interrupted: bool = False
    source: str | None = None
    """The profile file the run came from, if any."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Probe-specific facts (PostgreSQL: SQLSTATE codes, pool headroom, lock waits)."""
    notices: tuple[str, ...] = ()

    @property
    def failed_requests(self) -> int:
        """Requests that ended in an error of any type."""
        return sum(self.errors.values())

    @property
    def error_rate(self) -> float:
        """Failed requests / requests (0 when nothing ran)."""
        return self.failed_requests / self.requests if self.requests else 0.0

    @property
    def passed(self) -> bool:
        """No failed threshold, the breaker did not trip and the run was not interrupted (a partial run is no pass)."""
        return all(self.thresholds.values()) and not self.breaker_tripped and not self.interrupted

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Failed thresholds, a breaker trip and a saturated generator as findings (area probes)."""
        where = Location(self.source or f"probe:{self.probe}")
        found: list[Finding] = []
        summary = (
            f"p95 {self.latency_ms.get('p95', 0):g} ms, p99 {self.latency_ms.get('p99', 0):g} ms, "
            f"error rate {self.error_rate:.2%}, {self.throughput:g}/s"
        )
        for expr, ok in self.thresholds.items():
            if ok:
                continue
            found.append(
                Finding(
                    rule_id=f"probe-{self.probe}-threshold-failed",
                    area=Area.PROBES,
                    severity=Severity.HIGH,
                    confidence=Confidence.HIGH if not self.generator.saturated else Confidence.MEDIUM,
                    message=f"{self.probe} probe of {self.target}: threshold {expr} failed ({summary})",
                    location=where,
                    remediation=(
                        "Find the slow or failing endpoint in the per-step metrics, fix it or scale it, "
                        "and rerun the probe; relax the threshold only if the service level objective changed."
                    ),
                    fingerprint=self._fingerprint("threshold", expr),
                    details={
                        "expression": expr,
                        "target": self.target,
                        "latency_ms": dict(self.latency_ms),
                        "error_rate": self.error_rate,
                    },
                )
            )
        if self.breaker_tripped:
            found.append(
                Finding(
                    rule_id=f"probe-{self.probe}-breaker-tripped",
                    area=Area.PROBES,
                    severity=Severity.HIGH,
                    confidence=Confidence.HIGH,
                    message=f"{self.probe} probe of {self.target} stopped early: {self.breaker_reason}",
                    location=where,
                    remediation=(
                        "The target failed under load: read the errors by type, fix the cause "
                        "(capacity, timeouts, connection limits) and rerun at a lower rate first."
                    ),
                    fingerprint=self._fingerprint("breaker", ""),
                    details={"errors": dict(self.errors), "target": self.target},
                )
            )
        if self.generator.saturated:
            found.append(
                Finding(
                    rule_id=f"probe-{self.probe}-generator-saturated",
                    area=Area.PROBES,
                    severity=Severity.LOW,
                    confidence=Confidence.HIGH,
                    message=(
                        f"the load generator was saturated while probing {self.target}; its latencies "
                        f"include its own queueing: {'; '.join(self.generator.reasons)}"
                    ),
                    location=where,
                    remediation="Rerun with more --workers, a lower rate, or from a machine with spare cores.",
                    fingerprint=self._fingerprint("saturated", ""),
                    details=self.generator.to_dict(),
                )
            )
        found.extend(self._extra_findings(where))
        return tuple(found)

    def _extra_findings(self, where: Location) -> list[Finding]:
        pool = self.extra.get("pool")
        if not isinstance(pool, Mapping) or not pool.get("refused"):
            return []
        return [
            Finding(
                rule_id="probe-db-pool-exhausted",
                area=Area.PROBES,
                severity=Severity.MEDIUM,
                confidence=Confidence.HIGH,
                message=(
                    f"PostgreSQL at {self.target} refused connection {pool.get('opened', 0) + 1} "
                    f"(max_connections {pool.get('max_connections')}): {pool.get('refused_reason')}"
                ),
                location=where,
                remediation=(
                    "Put a connection pooler (PgBouncer) in front of the database or size every "
                    "service's pool so their sum stays below max_connections minus reserved slots."
                ),
                fingerprint=self._fingerprint("pool", ""),
                details=dict(pool),
            )
        ]

    def _fingerprint(self, kind: str, key: str) -> str:
        blob = "\0".join((self.probe, kind, self.target, key)).encode()
        return hashlib.sha256(blob).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``auditkit probe ... --format json`` (see docs/probes.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "probe": self.probe,
            "target": self.target,
            "source": self.source,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "requests": self.requests,
            "throughput": self.throughput,
            "latency_ms": dict(self.latency_ms),
            "errors": dict(sorted(self.errors.items())),
            "error_rate": round(self.error_rate, 6),
            "thresholds": dict(self.thresholds),
            "passed": self.passed,
            "settings": dict(self.settings),
            "server": dict(self.server),
            "steps": [s.to_dict() for s in self.steps],
            "checks": [c.to_dict() for c in self.checks],
            "dropped": self.dropped,
            "late": self.late,
            "aborted": self.aborted,
            "generator": self.generator.to_dict(),
            "breaker": {"tripped": self.breaker_tripped, "reason": self.breaker_reason},
            "interrupted": self.interrupted,
            "extra": dict(self.extra),
            "notices": list(self.notices),
            "findings": [
                {
                    "rule_id": f.rule_id,
                    "severity": f.severity.value,
                    "confidence": f.confidence.value,
                    "message": f.message,
                    "location": str(f.location),
                    "fingerprint": f.fingerprint,
                }
                for f in self.findings
            ],
        }
