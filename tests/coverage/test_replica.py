"""The audited platform, rebuilt: auditkit must reach the audit's own verdicts on it."""

from __future__ import annotations

import json
from pathlib import Path

from auditkit.coverage import analyze
from auditkit.findings import Area, Severity
from tests.coverage.conftest import default_config, literal_finder
from tests.coverage.replica import AUDIT_PASSWORD, SERVICES, build_replica

K6_TEST = "backend/services/analytics-service/tests/load/analytics-load-test.js"
ARTILLERY_TEST = "backend/services/search-service/tests/load/search-load-test.js"
CENTRAL = "operations/load-tests/load-test.sh"


def _run(root: Path):
    """Analyse with the real secret scanner deciding the "secrets from the environment" check."""
    return analyze(root, default_config(root))


def test_headline_is_two_of_twenty_one(replica: Path) -> None:
    r = _run(replica)
    s = r.summary
    assert (s.services_covered, s.services_total) == (2, len(SERVICES))
    assert s.coverage_pct == round(100 * 2 / len(SERVICES), 1) == 9.5
    assert {x.name for x in r.services if x.covered} == {"analytics-service", "search-service"}


def test_three_tools_and_platform_test(replica: Path) -> None:
    r = _run(replica)
    assert dict(r.summary.tools) == {"ab": 1, "artillery": 1, "k6": 1}
    assert [t.path for t in r.platform_tests] == [CENTRAL]
    # The central script is not any service's coverage.
    assert all(CENTRAL not in [t.path for t in s.load_tests] for s in r.services)
    by_path = {t.path: t for t in r.load_tests}
    assert by_path[K6_TEST].tool == "k6" and by_path[ARTILLERY_TEST].tool == "artillery"
    assert r.platform.standardization == "mixed"
    assert {p for p, _ in r.platform.migrate} == {ARTILLERY_TEST, CENTRAL}


def test_quality_verdicts_match_the_audit(replica: Path) -> None:
    r = _run(replica)
    by_path = {t.path: t for t in r.load_tests}
    k6, art, central = by_path[K6_TEST], by_path[ARTILLERY_TEST], by_path[CENTRAL]
    assert k6.verdict == "good" and art.verdict == "good"
    assert central.verdict == "poor" and central.quality is not None and central.quality < 2
    failed = {c.id for c in central.checks if c.passed is False}
    # The audit: no ramp-up, no thresholds, no percentiles, hard-coded host, password, psql loop.
    assert {
        "load.ramp-up",
        "load.thresholds",
        "load.percentiles",
        "load.env-config",
        "load.secrets-env",
        "load.db-tool",
    } <= failed
    host = next(c for c in central.checks if c.id == "load.env-config")
    assert "localhost:3000" in host.reason
    script = (replica / CENTRAL).read_text().splitlines()
    assert script[host.line - 1].startswith("API_URL=")  # points at the assignment that hard-codes it
    # The k6 test: env config, stages, thresholds, percentiles, checks all pass.
    passed = {c.id for c in k6.checks if c.passed}
    assert {
        "load.env-config",
        "load.ramp-up",
        "load.ramp-down",
        "load.thresholds",
        "load.percentiles",
        "load.checks",
        "load.think-time",
        "load.secrets-env",
    } <= passed
    # Artillery: weighted scenarios, think time, CSV data, expectations, StatsD, env target.
    apassed = {c.id for c in art.checks if c.passed}
    assert {
        "load.weighted-scenarios",
        "load.think-time",
        "load.test-data",
        "load.checks",
        "load.results-output",
        "load.env-config",
        "load.ramp-up",
        "load.open-model",
    } <= apassed
    assert "statsd" in art.sinks


def test_requests_and_endpoints(replica: Path) -> None:
    r = _run(replica)
    central = r.platform_tests[0]
    assert {(q.method, q.path) for q in central.requests} == {
        ("GET", "/health"),
        ("GET", "/api/events/search"),
    }
    assert "api-gateway: GET /api/events/search" in central.endpoints_hit
    analytics = next(s for s in r.services if s.name == "analytics-service")
    assert analytics.endpoint_source == "code"
    covered = {e.path for e in analytics.endpoints if e.covered}
    assert "/api/analytics/venues/{}/revenue/summary" in covered
    assert "/api/analytics/exports" not in covered
    assert 0 < analytics.endpoints_covered < analytics.endpoints_total
    nest = next(s for s in r.services if s.name == "compliance-service")
    assert ("POST", "/api/v1/compliance/kyc") in {(e.method, e.path) for e in nest.endpoints}
    # About 200 endpoints in all, as the audit says ("200+ endpoints").
    assert r.summary.endpoints_total >= 200
    assert r.summary.endpoints_covered == sum(s.endpoints_covered for s in r.services)


def test_findings_uncovered_critical_first(replica: Path) -> None:
    r = _run(replica)
    assert all(f.area is Area.COVERAGE for f in r.findings)
    crit = [f for f in r.findings if f.rule_id == "coverage.critical-service-untested"]
    assert {f.location.path.rsplit("/", 1)[-1] for f in crit} == {
        "api-gateway",
        "auth-service",
        "payment-service",
        "order-service",
        "ticket-service",
    }
    assert all(f.severity is Severity.HIGH for f in crit)
    assert r.uncovered[0].critical and not r.uncovered[-1].critical
    # Secrets are the secret scanner's findings: the coverage check lowers the score, no duplicate finding.
    assert not any(f.rule_id == "load.secrets-env" for f in r.findings)
    ids = {(f.rule_id, f.location.path) for f in r.findings}
    assert ("load.thresholds", CENTRAL) in ids and ("load.ramp-up", CENTRAL) in ids
    assert all(AUDIT_PASSWORD not in f.message for f in r.findings)


def test_secret_check_goes_through_the_scanner(replica: Path) -> None:
    r = _run(replica)
    central = next(t for t in r.load_tests if t.path == CENTRAL)
    secret = next(c for c in central.checks if c.id == "load.secrets-env")
    assert secret.passed is False and "secret scanner" in secret.reason and secret.line == 29
    assert AUDIT_PASSWORD not in secret.reason
    k6 = next(t for t in r.load_tests if t.path == K6_TEST)
    assert next(c.passed for c in k6.checks if c.id == "load.secrets-env") is True
    assert not any("secret scanner is not available" in n for n in r.notices)


def test_any_secret_finder_callable_is_used(replica: Path) -> None:
    """The seam: the check asks whatever scanner it is given, once, for the load-test files only."""
    calls = []
    finder = literal_finder(AUDIT_PASSWORD)

    def spy(paths):
        calls.append(sorted(p.relative_to(replica).as_posix() for p in paths))
        return finder(paths)

    r = analyze(replica, default_config(replica), secret_finder=spy)
    assert calls == [sorted(t.path for t in r.load_tests)]
    central = next(t for t in r.load_tests if t.path == CENTRAL)
    assert next(c.passed for c in central.checks if c.id == "load.secrets-env") is False
    off = analyze(replica, default_config(replica), secret_finder=None)
    central_off = next(t for t in off.load_tests if t.path == CENTRAL)
    assert next(c.passed for c in central_off.checks if c.id == "load.secrets-env") is None


def test_fixed_password_raises_central_quality(tmp_path: Path) -> None:
    bad = _run(build_replica(tmp_path / "bad"))
    good = _run(build_replica(tmp_path / "good", fixed_password=True))
    q_bad = next(t for t in bad.platform_tests).quality
    q_good = next(t for t in good.platform_tests).quality
    assert q_bad is not None and q_good is not None and q_good > q_bad


def test_json_contract(replica: Path) -> None:
    doc = json.loads(json.dumps(_run(replica).to_dict()))
    assert set(doc) >= {"services", "platform_tests", "summary"}
    for svc in doc["services"]:
        assert {"name", "path", "critical", "load_tests", "endpoints_total", "endpoints_covered"} <= set(svc)
        for t in svc["load_tests"]:
            assert {"path", "tool", "quality", "issues"} <= set(t)
    assert {
        "services_total",
        "services_covered",
        "coverage_pct",
        "endpoints_total",
        "endpoints_covered",
        "tools",
    } <= set(doc["summary"])
    assert doc["summary"]["tools"] == {"ab": 1, "artillery": 1, "k6": 1}


def test_missing_scenarios_named(replica: Path) -> None:
    r = _run(replica)
    missing = set(r.platform.categories_missing)
    assert {"user_journey", "checkout", "file_upload", "failure_injection", "contention"} <= missing
    assert "database" in r.platform.categories_present
    assert not r.platform.tests_in_ci


def test_renamed_services_give_same_numbers(tmp_path: Path) -> None:
    """Nothing depends on the replica's names: rename every folder and the numbers hold."""
    root = build_replica(tmp_path / "r")
    base = root / "backend" / "services"
    for i, folder in enumerate(sorted(base.iterdir())):
        folder.rename(base / f"svc{i:02d}")
    r = _run(root)
    assert (r.summary.services_covered, r.summary.services_total) == (2, len(SERVICES))
    assert dict(r.summary.tools) == {"ab": 1, "artillery": 1, "k6": 1}
