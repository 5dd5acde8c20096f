"""Hand-built inputs for scoring and renderer tests: a small audited platform, no analyzer needed."""

from __future__ import annotations

from auditkit.findings import Area, Confidence, Finding, Location, Provenance, Severity
from auditkit.scoring import (
    CoverageFacts,
    LoadTestFacts,
    ProbeFacts,
    ScoreInputs,
    SecretGroupFacts,
    SecretsFacts,
    ServiceFacts,
)

__all__ = ["PLATFORM_SERVICES", "platform_inputs", "secret_finding"]

PLATFORM_SERVICES = (
    ("api-gateway", True),
    ("auth-service", True),
    ("payment-service", True),
    ("order-service", True),
    ("ticket-service", True),
    ("analytics-service", False),
    ("search-service", False),
    ("venue-service", False),
    ("event-service", False),
    ("notification-service", False),
    ("queue-service", False),
)

PROVENANCE = Provenance(
    commit="a" * 40,
    author="Dev One",
    email="dev@example.com",
    date="2025-01-02T03:04:05+00:00",
    subject="add load test script",
)


def secret_finding(
    path: str,
    line: int,
    *,
    commit: str | None = None,
    fingerprint: str = "fp-pg-1",
    severity: Severity = Severity.CRITICAL,
) -> Finding:
    """A PGPASSWORD finding as the secret scanner reports it (redacted, fingerprinted)."""
    return Finding(
        rule_id="pgpassword-assignment",
        area=Area.SECRETS,
        severity=severity,
        confidence=Confidence.HIGH,
        message="PostgreSQL password assigned in PGPASSWORD",
        location=Location(path, line, 3, commit),
        remediation="Read the password from the environment.",
        fingerprint=fingerprint,
        redacted="Ti****e!",
        introduced=PROVENANCE,
    )


def platform_inputs(*, password_in_head: bool = True, with_probe: bool | None = None) -> ScoreInputs:
    """The audit's situation in small: one reused DB password, 2 tested services, three tools."""
    files = (
        "operations/load-tests/load-test.sh",
        "operations/scripts/health.sh",
        "operations/scripts/smoke.sh",
    )
    findings = [secret_finding(p, 12 + i) for i, p in enumerate(files)] if password_in_head else []
    findings += [secret_finding(p, 12 + i, commit="b" * 40) for i, p in enumerate(files)]
    secrets = SecretsFacts(
        groups=(
            SecretGroupFacts(
                "fp-pg-1",
                "pgpassword-assignment",
                Severity.CRITICAL,
                Confidence.HIGH,
                in_head=password_in_head,
                paths=files,
                occurrences=len(findings),
            ),
        ),
        history_scanned=True,
        findings=tuple(findings),
    )
    services = tuple(
        ServiceFacts(
            name,
            f"backend/services/{name}",
            critical,
            1 if name in ("analytics-service", "search-service") else 0,
            endpoints_total=10,
            endpoints_covered=3 if name == "analytics-service" else 0,
        )
        for name, critical in PLATFORM_SERVICES
    )
    tests = (
        LoadTestFacts(
            "backend/services/analytics-service/tests/load/analytics-load-test.js",
            "k6",
            "analytics-service",
            0.9,
            ("no think time",),
        ),
        LoadTestFacts(
            "backend/services/search-service/tests/load/search-load-test.yml",
            "artillery",
            "search-service",
            0.8,
            ("no thresholds",),
        ),
        LoadTestFacts(
            "operations/load-tests/load-test.sh",
            "ab",
            None,
            0.1,
            ("hard-coded target", "no ramp-up", "no thresholds", "no percentiles"),
        ),
    )
    quality_finding = Finding(
        rule_id="load.ramp-up",
        area=Area.COVERAGE,
        severity=Severity.MEDIUM,
        confidence=Confidence.MEDIUM,
        message="all users start at once (no ramp-up)",
        location=Location("operations/load-tests/load-test.sh", 1),
        remediation="Ramp up gradually.",
    )
    uncovered = tuple(
        Finding(
            rule_id="coverage.service-untested",
            area=Area.COVERAGE,
            severity=Severity.HIGH if critical else Severity.MEDIUM,
            confidence=Confidence.HIGH,
            message=f"service {name} has no load test",
            location=Location(f"backend/services/{name}"),
        )
        for name, critical in PLATFORM_SERVICES
        if name not in ("analytics-service", "search-service")
    )
    coverage = CoverageFacts(
        services=services,
        tests=tests,
        standard_tool="k6",
        scenarios={
            "user_journey": False,
            "checkout": False,
            "contention": False,
            "database": True,
            "spike": True,
            "soak": False,
            "file_upload": False,
            "failure_injection": False,
            "auth_storm": False,
        },
        infrastructure={"ci": False, "results": False, "environment": True},
        findings=(quality_finding, *uncovered),
    )
    probes: tuple[ProbeFacts, ...] = ()
    if with_probe is not None:
        probes = (ProbeFacts("http-smoke", "http", {"p(95)<500": True, "rate<0.01": with_probe}),)
    return ScoreInputs(secrets=secrets, coverage=coverage, probes=probes)


def platform_report(
    *,
    password_in_head: bool = True,
    with_probe: bool | None = None,
    trend: bool = False,
    odd_name: str | None = None,
    fail_under: float | None = None,
):  # noqa: ANN201
    """A complete, deterministic AuditReport of the small platform (fixed clock, relative paths)."""
    from auditkit.report.model import (
        AreaDelta,
        FindingRef,
        Occurrence,
        ProbeView,
        RunInfo,
        SecretGroupView,
        SecretsView,
        Trend,
        TrendPoint,
        assemble_report,
    )
    from auditkit.scoring import build_actions, load_remediation, score

    inputs = platform_inputs(password_in_head=password_in_head, with_probe=with_probe)
    if odd_name is not None:
        from dataclasses import replace

        assert inputs.coverage is not None
        odd = LoadTestFacts(odd_name, "k6", None, 0.5, (f"odd issue {odd_name}",))
        inputs = replace(inputs, coverage=replace(inputs.coverage, tests=(*inputs.coverage.tests, odd)))
    card = score(inputs)
    actions = build_actions(card, load_remediation())
    assert inputs.secrets is not None
    group = inputs.secrets.groups[0]
    secrets = SecretsView(
        history_scanned=True,
        groups=(
            SecretGroupView(
                fingerprint=group.fingerprint,
                rule_id=group.rule_id,
                severity=group.severity.value,
                confidence=group.confidence.value,
                redacted="Ti****e!",
                in_head=group.in_head,
                paths=group.paths,
                occurrences=tuple(
                    Occurrence(f.location.path, f.location.line, f.location.commit)
                    for f in sorted(inputs.secrets.findings, key=lambda f: f.sort_key)
                ),
                introduced=PROVENANCE,
                removed=None,
            ),
        ),
    )
    probes = ()
    if with_probe is not None:
        probes = (
            ProbeView(
                name="http-smoke",
                kind="http",
                target="http://127.0.0.1:8080/",
                requests=1200,
                throughput=40.0,
                latency_ms=(("p50", 12.5), ("p90", 30.0), ("p95", 41.0), ("p99", 90.0), ("max", 120.0)),
                latency_scale_ms=120.0,
                errors=(("5xx", 3),),
                thresholds=(("p(95)<500", True), ("rate<0.01", with_probe)),
            ),
        )
    run = RunInfo(
        run_id="run-0002",
        tool_version="0.1.0",
        started_at="2025-11-18T09:00:00+00:00",
        duration_s=1.5,
        repo="https://example.com/tickettoken/platform.git",
        name="platform",
        commit="c" * 40,
        branch="main",
        config_hash="d" * 64,
        config_source=None,
        history_scanned=True,
        probes=("smoke",) if with_probe is not None else (),
    )
    trend_view = None
    if trend:
        trend_view = Trend(
            previous_run_id="run-0001",
            previous_at="2025-08-18T09:00:00+00:00",
            previous_commit="e" * 40,
            overall_before=1.5,
            overall_after=card.overall,
            areas=tuple(
                AreaDelta(a.id, a.title, None if a.score is None else max(0.0, a.score - 1.0), a.score)
                for a in card.areas
            ),
            new_findings=(
                FindingRef(
                    "k1",
                    "coverage",
                    "coverage.service-uncovered",
                    "high",
                    "backend/services/<script>x",
                    "service <script>alert(1)</script> has no load test",
                ),
            ),
            resolved_findings=(
                FindingRef(
                    "k2",
                    "secrets",
                    "pgpassword-assignment",
                    "critical",
                    "operations/scripts/smoke.sh",
                    "PostgreSQL password assigned in PGPASSWORD",
                ),
            ),
            measured_added=("probe_results",) if with_probe is not None else (),
            measured_removed=(),
            series=(
                TrendPoint("run-0000", "2025-05-18T09:00:00+00:00", 1.2, "f" * 40),
                TrendPoint("run-0001", "2025-08-18T09:00:00+00:00", 1.5, "e" * 40),
                TrendPoint("run-0002", "2025-11-18T09:00:00+00:00", card.overall, "c" * 40),
            ),
        )
    return assemble_report(
        run=run,
        scorecard=card,
        actions=actions,
        secrets=secrets,
        coverage=inputs.coverage,
        probes=probes,
        trend=trend_view,
        fail_under=fail_under,
        history_size=2 if trend else 0,
        notices=("skipped 1 binary file",),
    )
