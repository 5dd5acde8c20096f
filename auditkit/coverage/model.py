"""Values of the coverage analysis.

Two layers:

* :class:`Facts` and :class:`Invocation` are what a load-tool parser learns
  about one file (mutable while the parser fills them in, internal);
* :class:`CoverageResult` and the frozen dataclasses under it are the public
  result. Their ``to_dict()`` is the JSON contract documented in
  ``docs/coverage.md``; keep field names stable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditkit.findings import Finding

__all__ = [
    "FACT_NAMES",
    "CheckOutcome",
    "CoverageResult",
    "Endpoint",
    "Facts",
    "Invocation",
    "LoadTest",
    "PlatformView",
    "Request",
    "ServiceCoverage",
    "Summary",
]

FACT_NAMES = (
    "env_target",
    "no_hardcoded_secret",
    "ramp_up",
    "ramp_down",
    "thresholds",
    "percentiles",
    "checks",
    "think_time",
    "weighted",
    "test_data",
    "open_model",
    "results_output",
    "db_tool",
)
"""Facts a check can test: ``True`` the good practice, ``False`` its absence, ``None`` not applicable."""


@dataclass(frozen=True)
class Request:
    """An HTTP request a load test makes: method (``ANY`` if unknown), path with ``{}`` placeholders."""

    method: str
    path: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"method": self.method, "path": self.path, "line": self.line}


@dataclass
class Facts:
    """What a parser learned about one load test (internal, filled in by a tool module)."""

    tool: str
    path: str
    line: int = 1
    values: dict[str, bool | None] = field(default_factory=dict)
    detail: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    """Scenario, group and task names (used to recognise scenario categories)."""
    signals: set[str] = field(default_factory=set)
    """Structural scenario signals found by the parser: spike, soak, database, upload, journey."""
    sinks: set[str] = field(default_factory=set)
    """Where results are sent: influxdb, prometheus, statsd, datadog, json, csv, html..."""
    hosts: list[str] = field(default_factory=list)
    """Hard-coded hosts (scheme://host[:port]) the test targets."""
    max_duration_s: float | None = None

    def set(self, fact: str, value: bool | None, line: int | None = None, detail: str | None = None) -> None:
        """Record a fact (a name from :data:`FACT_NAMES`), with the line and a reason detail."""
        if fact not in FACT_NAMES:
            raise ValueError(f"unknown fact {fact!r}")
        self.values[fact] = value
        if line is not None:
            self.lines[fact] = line
        if detail:
            self.detail[fact] = detail

    def mark(self, fact: str, ok: bool, line: int | None, missing: str) -> None:
        """Record a yes/no fact; ``missing`` is the reason shown only when it is a no."""
        self.set(fact, ok, line, None if ok else missing)


@dataclass(frozen=True)
class Invocation:
    """A command that runs a load-test tool, found in a script, Makefile, package.json or CI file."""

    tool: str
    path: str
    line: int
    target: str | None
    """The script it runs, relative to the scanned root, when it names one (``k6 run tests/load/x.js``)."""
    ci: bool
    sinks: frozenset[str] = frozenset()
    label: str | None = None
    """The package.json script or Makefile target it is in (CI runs ``npm run <label>``/``make <label>``)."""


@dataclass(frozen=True)
class CheckOutcome:
    """One quality check applied to one load test; ``passed`` is ``None`` when it does not apply."""

    id: str
    title: str
    passed: bool | None
    weight: float
    severity: str
    reason: str
    line: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "title": self.title,
            "passed": self.passed,
            "weight": self.weight,
            "severity": self.severity,
            "reason": self.reason,
            "line": self.line,
        }


@dataclass(frozen=True)
class LoadTest:
    """A load test with its quality score (0-10) and the reason for every failed check."""

    path: str
    tool: str
    line: int
    quality: float | None
    """Weighted share of applicable checks passed, 0-10, one decimal; ``None`` when no check applied."""
    verdict: str
    """``good``, ``fair``, ``poor`` or ``unknown`` (thresholds in loadchecks/checks.toml)."""
    issues: tuple[str, ...]
    checks: tuple[CheckOutcome, ...]
    requests: tuple[Request, ...]
    service: str | None
    categories: tuple[str, ...]
    in_ci: bool
    sinks: tuple[str, ...]
    endpoints_hit: tuple[str, ...] = ()
    """``METHOD path`` of the endpoints this test's requests match (``service: ...`` for platform tests)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``path``, ``tool``, ``quality``, ``issues`` first: the contract's core)."""
        return {
            "path": self.path,
            "tool": self.tool,
            "quality": self.quality,
            "issues": list(self.issues),
            "verdict": self.verdict,
            "line": self.line,
            "checks": [c.to_dict() for c in self.checks],
            "requests": [r.to_dict() for r in self.requests],
            "endpoints_hit": list(self.endpoints_hit),
            "categories": list(self.categories),
            "in_ci": self.in_ci,
            "results_sinks": list(self.sinks),
        }


@dataclass(frozen=True)
class Endpoint:
    """An endpoint a service exposes, and whether a load test of that service requests it."""

    method: str
    path: str
    source: str
    """``file:line`` where it is declared."""
    framework: str
    covered_by: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        """True when at least one of the service's load tests requests it."""
        return bool(self.covered_by)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "method": self.method,
            "path": self.path,
            "source": self.source,
            "framework": self.framework,
            "covered": self.covered,
            "covered_by": list(self.covered_by),
        }


@dataclass(frozen=True)
class ServiceCoverage:
    """One service: its load tests and its endpoint coverage."""

    name: str
    path: str
    critical: bool
    load_tests: tuple[LoadTest, ...]
    endpoints: tuple[Endpoint, ...]
    endpoint_source: str
    """``openapi`` (a spec was found: authoritative), ``code`` (routes parsed from source) or ``none``."""
    manifests: tuple[str, ...]

    @property
    def covered(self) -> bool:
        """True when the service has at least one load test."""
        return bool(self.load_tests)

    @property
    def endpoints_total(self) -> int:
        """Number of endpoints discovered."""
        return len(self.endpoints)

    @property
    def endpoints_covered(self) -> int:
        """Number of discovered endpoints some load test of this service requests."""
        return sum(1 for e in self.endpoints if e.covered)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "name": self.name,
            "path": self.path,
            "critical": self.critical,
            "covered": self.covered,
            "load_tests": [t.to_dict() for t in self.load_tests],
            "endpoints_total": self.endpoints_total,
            "endpoints_covered": self.endpoints_covered,
            "endpoint_source": self.endpoint_source,
            "endpoints": [e.to_dict() for e in self.endpoints],
            "manifests": list(self.manifests),
        }


@dataclass(frozen=True)
class Summary:
    """The headline numbers."""

    services_total: int
    services_covered: int
    coverage_pct: float | None
    """services_covered / services_total in percent, one decimal; ``None`` when there is no service."""
    endpoints_total: int
    endpoints_covered: int
    endpoint_coverage_pct: float | None
    tools: Mapping[str, int]
    """Tool -> number of load tests (service and platform tests)."""
    critical_total: int
    critical_covered: int
    tests_total: int
    platform_tests: int
    quality_avg: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "services_total": self.services_total,
            "services_covered": self.services_covered,
            "coverage_pct": self.coverage_pct,
            "endpoints_total": self.endpoints_total,
            "endpoints_covered": self.endpoints_covered,
            "endpoint_coverage_pct": self.endpoint_coverage_pct,
            "tools": dict(sorted(self.tools.items())),
            "critical_total": self.critical_total,
            "critical_covered": self.critical_covered,
            "tests_total": self.tests_total,
            "platform_tests": self.platform_tests,
            "quality_avg": self.quality_avg,
        }


@dataclass(frozen=True)
class PlatformView:
    """Platform-wide facts: tool standardisation, scenario categories, CI, result storage, environments."""

    standard_tool: str
    standardization: str
    """``standardized`` (every test uses the standard tool), ``mixed``, or ``none`` (no load test)."""
    migrate: tuple[tuple[str, str], ...]
    """(test path, tool) of every test not written for the standard tool."""
    categories_present: Mapping[str, tuple[str, ...]]
    """Category id -> paths of the tests that exercise it."""
    categories_missing: tuple[str, ...]
    ci_files: tuple[str, ...]
    """CI files that run a load test or a load tool."""
    tests_in_ci: tuple[str, ...]
    sinks: tuple[str, ...]
    tests_with_results: tuple[str, ...]
    tests_env_target: tuple[str, ...]
    """Tests whose target comes from the environment (a configurable environment)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "standard_tool": self.standard_tool,
            "standardization": self.standardization,
            "migrate": [{"path": p, "tool": t} for p, t in self.migrate],
            "scenario_categories": {
                "present": {k: list(v) for k, v in sorted(self.categories_present.items())},
                "missing": list(self.categories_missing),
            },
            "ci": {
                "integrated": bool(self.tests_in_ci or self.ci_files),
                "files": list(self.ci_files),
                "tests": list(self.tests_in_ci),
            },
            "results_output": {"sinks": list(self.sinks), "tests": list(self.tests_with_results)},
            "configurable_target": {"tests": list(self.tests_env_target)},
        }


@dataclass(frozen=True)
class CoverageResult:
    """Everything ``auditkit coverage`` knows about one monorepo.

    ``to_dict()`` is the JSON contract; ``findings`` feed scoring and reports.
    """

    root: str
    services: tuple[ServiceCoverage, ...]
    platform_tests: tuple[LoadTest, ...]
    summary: Summary
    platform: PlatformView
    findings: tuple[Finding, ...]
    notices: tuple[str, ...]

    @property
    def uncovered(self) -> tuple[ServiceCoverage, ...]:
        """Services without any load test, critical ones first, then by name."""
        return tuple(sorted((s for s in self.services if not s.covered), key=lambda s: (not s.critical, s.name)))

    @property
    def load_tests(self) -> tuple[LoadTest, ...]:
        """Every load test: the services' then the platform tests."""
        return tuple(t for s in self.services for t in s.load_tests) + self.platform_tests

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``auditkit coverage --format json``."""
        return {
            "root": self.root,
            "services": [s.to_dict() for s in self.services],
            "platform_tests": [t.to_dict() for t in self.platform_tests],
            "summary": self.summary.to_dict(),
            "uncovered": [s.name for s in self.uncovered],
            "platform": self.platform.to_dict(),
            "findings": [f.to_dict() for f in sorted(self.findings, key=lambda f: f.sort_key)],
            "notices": list(self.notices),
        }
