"""The entry point: :func:`analyze` a monorepo's load-test coverage."""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from auditkit.config import Config, load_config
from auditkit.coverage.files import Tree, walk_tree
from auditkit.coverage.matching import match_requests
from auditkit.coverage.model import (
    CoverageResult,
    Endpoint,
    Facts,
    Invocation,
    LoadTest,
    PlatformView,
    ServiceCoverage,
    Summary,
)
from auditkit.coverage.quality import WRITE_METHODS, CheckSet, Rule, load_checks, score
from auditkit.coverage.routes.base import FileRoutes, assemble
from auditkit.coverage.services import Service, discover_services, glob_match
from auditkit.coverage.tools import all_tools
from auditkit.coverage.tools.base import SourceFile, is_ci_file
from auditkit.coverage.tools.commands import DB_TOOLS
from auditkit.coverage.tools.k6 import JS_SUFFIXES
from auditkit.errors import CoverageError
from auditkit.findings import Area, Confidence, Finding, Location, Severity

__all__ = ["DEFAULT_SECRET_FINDER", "SecretFinder", "analyze"]

SecretFinder = Callable[[Sequence[Path]], Sequence[Finding]]
"""Given load-test files, return the secret findings in them (the secret scanner's findings)."""


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT_SECRET_FINDER"


DEFAULT_SECRET_FINDER: Any = _Default()
"""Use :mod:`auditkit.secrets` when it is installed."""

_CANDIDATE_SUFFIXES = JS_SUFFIXES | {
    ".py",
    ".yml",
    ".yaml",
    ".json",
    ".sh",
    ".bash",
    ".zsh",
    ".ksh",
    ".mk",
    ".jmx",
    ".scala",
    ".java",
    ".kt",
}
_CANDIDATE_NAMES = {"Makefile", "makefile", "GNUmakefile", "Jenkinsfile"}
_TESTISH = re.compile(
    r"(?:^|/)(?:tests?|__tests__|spec|specs|e2e|load|perf|performance|k6|loadtests?|load-tests?|benchmarks?|"
    r"fixtures?|mocks?|__mocks__|stubs?)/|\.(?:test|spec|e2e)\.[cm]?[jt]sx?$|(?:^|/)test_[^/]*\.py$"
)
_JS_ROUTE_HINT = re.compile(
    rb"""\.(?:get|post|put|patch|delete|del|all|route)\(\s*['"`][/*]|\.(?:use|register)\(|\.route\(\s*\{|"""
    rb"""@Controller\(|setGlobalPrefix\(|enableVersioning\("""
)
_PY_ROUTE_HINT = re.compile(rb"@\w+\.(?:get|post|put|patch|delete|route|api_route)\(|include_router|register_blueprint")
_SPEC_HINT = re.compile(rb"""(?:^|\n)\s*['"]?(?:openapi|swagger)['"]?\s*:""")
_ID_LIKE = re.compile(r"^(?:api|v\d+|\{\})$")


def analyze(
    root: Path,
    config: Config | None = None,
    *,
    secret_finder: SecretFinder | None | Any = DEFAULT_SECRET_FINDER,
) -> CoverageResult:
    """Measure the load-test coverage of the monorepo at ``root``.

    ``config`` defaults to the configuration discovered from ``root``.
    ``secret_finder`` decides the "secrets from the environment" check: by
    default the secret scanner (:mod:`auditkit.secrets`) when installed; pass
    ``None`` to skip that check. Raises :class:`~auditkit.errors.CoverageError`
    when ``root`` cannot be analysed; bad files only produce notices.
    """
    root = Path(root)
    if not root.exists():
        raise CoverageError(f"{root}: no such folder")
    if not root.is_dir():
        raise CoverageError(f"{root}: not a folder")
    cfg = config if config is not None else load_config(root)
    cov = cfg.coverage
    checks = load_checks((cfg.base_dir / cov.checks_file) if cov.checks_file else None, cov.disable_checks)
    tree = walk_tree(root, cov.exclude)
    notices: list[str] = list(tree.notices)
    reader = _Reader(root, tree, cov.max_file_size, notices)
    services = discover_services(tree, cov, reader.read)
    owner = _Owner(services)
    tools = all_tools()
    known = set(tree.files)
    tests: list[Facts] = []
    invocations: list[Invocation] = []
    code_routes: dict[str, list[FileRoutes]] = {}
    spec_routes: dict[str, list[tuple[str, str, str, str]]] = {}
    for rel in sorted(tree.files):
        if not _candidate(rel):
            continue
        data = reader.read(rel)
        if data is None:
            continue
        src = SourceFile(rel, data)
        claimed = False
        for tool in tools:
            if not tool.claims(src):
                continue
            try:
                found = tool.detect(src)
            except Exception as exc:  # noqa: BLE001 - one unreadable file must not stop the audit
                notices.append(f"{rel}: could not be read as a {tool.name} file ({exc.__class__.__name__}); skipped")
                continue
            notices.extend(found.notices)
            invocations.extend(found.invocations)
            if found.tests:
                tests.extend(found.tests)
                claimed = True
                break
        service = owner.service_of(rel)
        if claimed or service is None:
            continue
        try:
            _routes(src, service, known, code_routes, spec_routes, notices)
        except Exception as exc:  # noqa: BLE001 - same: keep going on a parser surprise
            notices.append(f"{rel}: routes could not be read ({exc.__class__.__name__}); skipped")
    _apply_secrets(root, cfg, tests, secret_finder, notices)
    in_ci, sinks = _link_invocations(tests, invocations)
    return _assemble(
        root,
        cfg,
        checks,
        services,
        owner,
        tests,
        in_ci,
        sinks,
        invocations,
        code_routes,
        spec_routes,
        notices,
    )


# ---------------------------------------------------------------------- reading


class _Reader:
    """Reads candidate files once, with the size limit and binary check, turning problems into notices."""

    def __init__(self, root: Path, tree: Tree, limit: int, notices: list[str]) -> None:
        self.base = str(root)
        self.tree = tree
        self.limit = limit
        self.notices = notices

    def read(self, rel: str) -> bytes | None:
        size = self.tree.files.get(rel, 0)
        if size > self.limit:
            self.notices.append(f"{rel}: larger than {self.limit} bytes ({size}); skipped")
            return None
        try:
            with open(os.path.join(self.base, rel), "rb") as fh:
                data = fh.read(self.limit + 1)
        except OSError as exc:
            self.notices.append(f"{rel}: cannot be read ({exc.__class__.__name__}); skipped")
            return None
        if b"\0" in data[:8192]:
            self.notices.append(f"{rel}: binary content; skipped")
            return None
        return data


def _candidate(rel: str) -> bool:
    name = rel.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot > 0 else ""
    return (
        suffix in _CANDIDATE_SUFFIXES or name in _CANDIDATE_NAMES or name.startswith("Jenkinsfile") or is_ci_file(rel)
    )


class _Owner:
    """Which service a path belongs to (the deepest service folder containing it)."""

    def __init__(self, services: Sequence[Service]) -> None:
        self.by_path = {s.path: s for s in services}

    def service_of(self, rel: str) -> Service | None:
        parts = rel.split("/")
        for i in range(len(parts) - 1, 0, -1):
            svc = self.by_path.get("/".join(parts[:i]))
            if svc is not None:
                return svc
        return None


def _routes(
    src: SourceFile,
    service: Service,
    known: set[str],
    code: dict[str, list[FileRoutes]],
    specs: dict[str, list[tuple[str, str, str, str]]],
    notices: list[str],
) -> None:
    rel = src.rel
    suffix = src.suffix
    if suffix in (".yml", ".yaml", ".json") and _SPEC_HINT.search(src.data[:4096]):
        from auditkit.coverage.routes.openapi import spec_endpoints
        from auditkit.coverage.tools.artillery import load_yaml

        for doc in load_yaml(src, notices):
            found = spec_endpoints(doc)
            if found:
                specs.setdefault(service.path, []).extend((m, p, f"{rel}", "openapi") for m, p, _ in found)
        return
    if _TESTISH.search(rel[len(service.path) :]):
        return
    if suffix in JS_SUFFIXES and _JS_ROUTE_HINT.search(src.data):
        from auditkit.coverage.js import JsFile
        from auditkit.coverage.routes.express import extract_express
        from auditkit.coverage.routes.nestjs import extract_nestjs

        js = JsFile(src.data, suffix)
        if js.has_error:
            notices.append(f"{rel}: syntax error near line {js.first_error_line()}; routes read partially")
        fr = FileRoutes(rel)
        extract_express(js, fr, known)
        extract_nestjs(js, fr)
        if fr.routes or fr.mounts or fr.global_prefix or fr.uri_version_prefix is not None:
            code.setdefault(service.path, []).append(fr)
    elif suffix == ".py" and _PY_ROUTE_HINT.search(src.data):
        from auditkit.coverage.routes.python_web import extract_python

        fr = FileRoutes(rel)
        problem = extract_python(src.text, fr, known)
        if problem:
            notices.append(problem)
        if fr.routes or fr.mounts:
            code.setdefault(service.path, []).append(fr)


# ---------------------------------------------------------------------- secrets, CI and sinks


def _default_finder(root: Path, cfg: Config) -> SecretFinder | None:
    try:
        from auditkit.secrets import scan_secrets
    except ImportError:
        return None

    def find(paths: Sequence[Path]) -> Sequence[Finding]:
        # Finding paths come back relative to `root`, like the load tests' paths.
        return tuple(scan_secrets(list(paths), config=cfg, root=root).findings)

    return find


def _apply_secrets(root: Path, cfg: Config, tests: list[Facts], finder: Any, notices: list[str]) -> None:
    if not tests:
        return
    if finder is DEFAULT_SECRET_FINDER:
        finder = _default_finder(root, cfg)
        if finder is None:
            notices.append("the secret scanner is not available: 'secrets from the environment' was not checked")
    if finder is None:
        return
    findings = finder([root / t.path for t in tests])
    by_path: dict[str, list[Finding]] = {}
    real_root = os.path.realpath(root)
    for f in findings:
        path = f.location.path
        if os.path.isabs(path):
            path = os.path.relpath(os.path.realpath(path), real_root)
        by_path.setdefault(Path(path).as_posix(), []).append(f)
    for t in tests:
        hits = sorted(by_path.get(t.path, []), key=lambda f: f.location.line or 0)
        if hits:
            first = hits[0]
            line = first.location.line
            where = f" at line {line}" if line else ""
            t.set(
                "no_hardcoded_secret",
                False,
                line,
                f"hard-coded credential{where} (reported by the secret scanner as {first.rule_id})",
            )
        else:
            t.set("no_hardcoded_secret", True)


def _link_invocations(tests: list[Facts], invocations: list[Invocation]) -> tuple[set[str], dict[str, set[str]]]:
    """Which tests run in CI, and which result sinks their invocations add."""
    paths = {t.path for t in tests}
    in_ci: set[str] = set()
    sinks: dict[str, set[str]] = {}

    def resolve(inv: Invocation) -> str | None:
        target = inv.target
        if not target:
            return None
        if target in paths:
            return target
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(inv.path), target))
        if joined in paths:
            return joined
        ends = [p for p in paths if p.endswith("/" + target)]
        return ends[0] if len(ends) == 1 else None

    labelled: dict[str, list[str]] = {}
    for inv in invocations:
        test = resolve(inv)
        if test is None:
            continue
        if inv.label:
            labelled.setdefault(inv.label, []).append(test)
        if inv.ci:
            in_ci.add(test)
        if inv.sinks:
            sinks.setdefault(test, set()).update(inv.sinks)
    for inv in invocations:
        if inv.ci and inv.tool in ("npm", "make") and inv.target in labelled:
            in_ci.update(labelled[inv.target])
    return in_ci, sinks


# ---------------------------------------------------------------------- result


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _categories(t: Facts, checks: CheckSet) -> tuple[str, ...]:
    signals = set(t.signals)
    if t.max_duration_s and t.max_duration_s >= checks.soak_min_s:
        signals.add("soak")
    resources = {next((s for s in r.path.split("/")[1:] if s and not _ID_LIKE.match(s)), "") for r in t.requests}
    distinct = {(r.method, r.path) for r in t.requests}
    if len(distinct) >= 4 and len(resources - {""}) >= 3 and t.values.get("think_time"):
        signals.add("journey")
    text = " ".join([t.path, *t.names, *(r.path for r in t.requests)])
    writes = " ".join(r.path for r in t.requests if r.method in WRITE_METHODS)
    return tuple(
        cat.id
        for cat in checks.categories
        if any(s in signals for s in cat.signals)
        or any(p.search(text) for p in cat.patterns)
        or (writes and any(p.search(writes) for p in cat.write_patterns))
    )


def _assemble(
    root: Path,
    cfg: Config,
    checks: CheckSet,
    services: list[Service],
    owner: _Owner,
    tests: list[Facts],
    in_ci: set[str],
    sinks: dict[str, set[str]],
    invocations: list[Invocation],
    code_routes: dict[str, list[FileRoutes]],
    spec_routes: dict[str, list[tuple[str, str, str, str]]],
    notices: list[str],
) -> CoverageResult:
    cov = cfg.coverage
    by_name = {s.name: s for s in services}
    findings: list[Finding] = []
    per_service: dict[str, list[tuple[Facts, LoadTest]]] = {s.path: [] for s in services}
    platform: list[tuple[Facts, LoadTest]] = []
    for facts in sorted(tests, key=lambda f: f.path):
        extra = sinks.get(facts.path, set())
        if extra:
            facts.sinks.update(extra)
            facts.set("results_output", True)
        svc = owner.service_of(facts.path)
        for pattern, name in cov.test_map.items():
            if glob_match(facts.path, pattern) or posixpath.normpath(pattern) == facts.path:
                svc = by_name.get(name, svc)
                if name not in by_name:
                    notices.append(f"[coverage] test_map: {pattern!r} names unknown service {name!r}")
        quality, outcomes = score(facts, checks)
        issues = tuple(f"{o.title}: {o.reason}" for o in outcomes if o.passed is False)
        test = LoadTest(
            path=facts.path,
            tool=facts.tool,
            line=facts.line,
            quality=quality,
            verdict=checks.verdict(quality),
            issues=issues,
            checks=outcomes,
            requests=tuple(facts.requests),
            service=svc.name if svc else None,
            categories=_categories(facts, checks),
            in_ci=facts.path in in_ci or is_ci_file(facts.path),
            sinks=tuple(sorted(facts.sinks)),
        )
        (per_service[svc.path] if svc else platform).append((facts, test))
        check_by_id = {c.id: c for c in checks.checks}
        for o in outcomes:
            check = check_by_id[o.id]
            if o.passed is False and check.findings:
                findings.append(
                    Finding(
                        rule_id=o.id,
                        area=Area.COVERAGE,
                        severity=check.severity,
                        confidence=check.confidence,
                        message=f"{facts.path}: {o.title.lower()}: {o.reason}",
                        location=Location(facts.path, o.line or facts.line),
                        remediation=check.remediation,
                        fingerprint=_fingerprint(o.id, facts.path),
                        details={"tool": facts.tool, "service": test.service, "check": o.id},
                    )
                )

    all_endpoints: list[tuple[str, str, str, str, str]] = []
    service_results: list[ServiceCoverage] = []
    for svc in services:
        spec = spec_routes.get(svc.path)
        source = "openapi" if spec else ("code" if code_routes.get(svc.path) else "none")
        raw = _dedupe(spec) if spec else assemble(code_routes.get(svc.path, []))
        own = per_service[svc.path]
        requests = [(r.method, r.path) for _, t in own for r in t.requests]
        owners = [t.path for _, t in own for _ in t.requests]
        hits = match_requests([(m, p) for m, p, _, _ in raw], requests)
        endpoints = tuple(
            Endpoint(
                method=m,
                path=p,
                source=src,
                framework=fw,
                covered_by=tuple(sorted({owners[i] for i in hits.get(k, ())})),
            )
            for k, (m, p, src, fw) in enumerate(raw)
        )
        hit_by_test: dict[str, list[str]] = {}
        for e in endpoints:
            for tp in e.covered_by:
                hit_by_test.setdefault(tp, []).append(f"{e.method} {e.path}")
        load_tests = tuple(_with_hits(t, hit_by_test.get(t.path, [])) for _, t in own)
        service_results.append(
            ServiceCoverage(
                name=svc.name,
                path=svc.path,
                critical=svc.critical,
                load_tests=load_tests,
                endpoints=endpoints,
                endpoint_source=source,
                manifests=svc.manifests,
            )
        )
        all_endpoints.extend((svc.name, m, p, s, f) for m, p, s, f in raw)

    platform_tests = []
    for _, t in platform:
        hits = match_requests([(m, p) for _, m, p, _, _ in all_endpoints], [(r.method, r.path) for r in t.requests])
        services_by_endpoint: dict[str, set[str]] = {}
        for k in hits:
            svc_name, method, path = all_endpoints[k][:3]
            services_by_endpoint.setdefault(f"{method} {path}", set()).add(svc_name)
        # An endpoint every service has (/health) says nothing about which service is loaded.
        names = [
            f"{next(iter(svcs))}: {ep}" if len(svcs) == 1 else f"{ep} ({len(svcs)} services)"
            for ep, svcs in services_by_endpoint.items()
        ]
        platform_tests.append(_with_hits(t, names))

    findings.extend(_service_findings(checks, service_results))
    view = _platform_view(cov.standard_tool, checks, service_results, tuple(platform_tests), invocations, findings)
    every = [t for s in service_results for t in s.load_tests] + platform_tests
    qualities = [t.quality for t in every if t.quality is not None]
    total = len(service_results)
    covered = sum(1 for s in service_results if s.covered)
    ep_total = sum(s.endpoints_total for s in service_results)
    ep_cov = sum(s.endpoints_covered for s in service_results)
    summary = Summary(
        services_total=total,
        services_covered=covered,
        coverage_pct=round(100.0 * covered / total, 1) if total else None,
        endpoints_total=ep_total,
        endpoints_covered=ep_cov,
        endpoint_coverage_pct=round(100.0 * ep_cov / ep_total, 1) if ep_total else None,
        tools=dict(Counter(t.tool for t in every)),
        critical_total=sum(1 for s in service_results if s.critical),
        critical_covered=sum(1 for s in service_results if s.critical and s.covered),
        tests_total=len(every),
        platform_tests=len(platform_tests),
        quality_avg=round(sum(qualities) / len(qualities), 1) if qualities else None,
    )
    if not services:
        notices.append(
            "no services found (looked for folders with package.json, pyproject.toml, go.mod or "
            f"Dockerfile under {', '.join(cov.services or cov.service_roots)}); set [coverage] services"
        )
    return CoverageResult(
        root=str(root),
        services=tuple(service_results),
        platform_tests=tuple(platform_tests),
        summary=summary,
        platform=view,
        findings=tuple(sorted(findings, key=lambda f: f.sort_key)),
        notices=tuple(dict.fromkeys(notices)),
    )


def _dedupe(rows: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for row in rows:
        if (row[0], row[1]) not in seen:
            seen.add((row[0], row[1]))
            out.append(row)
    return out


def _with_hits(t: LoadTest, hits: list[str]) -> LoadTest:
    from dataclasses import replace

    return replace(t, endpoints_hit=tuple(sorted(set(hits))))


def _rule_finding(
    rule: Rule,
    path: str,
    key: str,
    fmt: dict[str, str],
    *,
    confidence: Confidence = Confidence.HIGH,
    severity: Severity | None = None,
    details: dict[str, Any] | None = None,
) -> Finding:
    """A platform finding from a ``[[rule]]`` of the checks file (message, remediation: templates)."""
    return Finding(
        rule_id=rule.id,
        area=Area.COVERAGE,
        severity=severity or rule.severity,
        confidence=confidence,
        message=rule.message.format(**fmt),
        location=Location(path),
        remediation=rule.remediation.format(**fmt),
        fingerprint=_fingerprint(rule.id, key),
        details=details or {},
    )


def _service_findings(checks: CheckSet, services: list[ServiceCoverage]) -> list[Finding]:
    out = []
    for svc in services:
        if svc.covered:
            continue
        rule = checks.rules["coverage.critical-service-untested" if svc.critical else "coverage.service-untested"]
        details = {"service": svc.name, "critical": svc.critical, "endpoints_total": svc.endpoints_total}
        out.append(_rule_finding(rule, svc.path, svc.path, {"service": svc.name, "path": svc.path}, details=details))
    return out


def _platform_view(
    standard: str,
    checks: CheckSet,
    services: list[ServiceCoverage],
    platform: tuple[LoadTest, ...],
    invocations: list[Invocation],
    findings: list[Finding],
) -> PlatformView:
    every = [t for s in services for t in s.load_tests] + list(platform)
    migrate = tuple((t.path, t.tool) for t in every if t.tool != standard and t.tool not in DB_TOOLS)
    rules = checks.rules
    for path, tool in migrate:
        fmt = {"path": path, "tool": tool, "standard": standard}
        findings.append(_rule_finding(rules["coverage.non-standard-tool"], path, path, fmt, details={"tool": tool}))
    present: dict[str, list[str]] = {}
    for t in every:
        for c in t.categories:
            present.setdefault(c, []).append(t.path)
    missing = tuple(c.id for c in checks.categories if c.id not in present)
    if services:
        findings.extend(
            _rule_finding(
                rules["coverage.missing-scenario"],
                ".",
                cat.id,
                {"category": cat.title, "remediation": cat.remediation},
                confidence=Confidence.MEDIUM,
                severity=cat.severity,
                details={"category": cat.id},
            )
            for cat in checks.categories
            if cat.id in missing
        )
    ci_files = tuple(sorted({i.path for i in invocations if i.ci}))
    tests_in_ci = tuple(sorted(t.path for t in every if t.in_ci))
    with_results = tuple(sorted(t.path for t in every if t.sinks))
    for rule_id, lacking in (
        ("coverage.not-in-ci", not tests_in_ci),
        ("coverage.no-results-storage", not with_results),
    ):
        if every and lacking:
            findings.append(_rule_finding(rules[rule_id], ".", "", {}, confidence=Confidence.MEDIUM))
    env_tests = tuple(sorted(t.path for t in every if any(c.passed for c in t.checks if c.id == "load.env-config")))
    return PlatformView(
        standard_tool=standard,
        standardization="none" if not every else ("standardized" if not migrate else "mixed"),
        migrate=migrate,
        categories_present={k: tuple(sorted(v)) for k, v in present.items()},
        categories_missing=missing,
        ci_files=ci_files,
        tests_in_ci=tests_in_ci,
        sinks=tuple(sorted({s for t in every for s in t.sinks})),
        tests_with_results=with_results,
        tests_env_target=env_tests,
    )
