"""The scored audit: secrets + coverage + probes -> scoring -> report model -> run history.

:func:`run_audit` is the library behind ``auditkit scan``. It never prints:
progress goes to an optional callback, notices into the report.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditkit import __version__
from auditkit.config import Config, load_config
from auditkit.errors import AuditkitError, SourceError
from auditkit.findings import Finding
from auditkit.report.model import (
    AuditReport,
    Occurrence,
    ProbeView,
    RunInfo,
    SecretGroupView,
    SecretsView,
    assemble_report,
)
from auditkit.scoring import (
    CoverageFacts,
    LoadTestFacts,
    ProbeFacts,
    ScoreInputs,
    SecretGroupFacts,
    SecretsFacts,
    ServiceFacts,
    build_actions,
    finding_key,
    load_remediation,
    load_scoring_model,
    score,
)

__all__ = [
    "Clock",
    "GitInfo",
    "Progress",
    "coverage_facts",
    "git_info",
    "probe_facts",
    "repo_identity",
    "run_audit",
]

Clock = Callable[[], datetime]
Progress = Callable[[str], None]

_TREND_RUNS = 12


@dataclass(frozen=True)
class GitInfo:
    """Where the scanned tree sits in git (all ``None`` outside a repository)."""

    toplevel: Path | None
    commit: str | None
    branch: str | None
    origin: str | None


def git_info(root: Path) -> GitInfo:
    """Commit, branch and origin of ``root`` (origin without any credential in it)."""
    from auditkit.gitrepo import repo_info

    info = repo_info(root)
    if info is None:
        return GitInfo(None, None, None, None)
    return GitInfo(info.top, info.head, info.branch, info.origin)


def repo_identity(root: Path, git: GitInfo | None = None) -> str:
    """The key runs of one repository share: its origin URL, else its path (plus the sub-folder scanned)."""
    root = root.resolve()
    git = git or git_info(root)
    base = git.origin or str(git.toplevel or root)
    if git.toplevel is not None and git.toplevel.resolve() != root:
        return f"{base}//{root.relative_to(git.toplevel.resolve()).as_posix()}"
    return base


def run_audit(
    root: Path,
    config: Config | None = None,
    *,
    history: bool = True,
    probes: Sequence[str | Path] = (),
    probe_results: Sequence[Any] = (),
    probe_target: str | None = None,
    clock: Clock | None = None,
    store: Any | None = None,
    fail_under: float | None = None,
    allow_unmeasured: bool = False,
    progress: Progress | None = None,
) -> AuditReport:
    """Run the whole audit of ``root`` and return the report model.

    ``history`` scans git history for secrets too. ``probes`` are profile names
    or files to run (HTTP parts against ``probe_target``); ``probe_results``
    are results of probes already run.
    ``store`` (a :class:`~auditkit.history.HistoryStore`) supplies the previous
    runs for the trend and receives this run's record. ``clock`` fixes the
    run's timestamp (tests). Raises :class:`~auditkit.errors.AuditkitError`
    subclasses on input errors (a bad coverage checks file included); only an
    analyzer missing from the build leaves its areas "not measured" with a
    notice.
    """
    root = Path(root)
    if not root.exists():
        raise SourceError(f"{root}: no such file or directory")
    if not root.is_dir():
        raise SourceError(f"{root}: not a directory")
    root = root.resolve()
    config = config or load_config(root)
    say = progress or (lambda _phase: None)
    started = (clock or (lambda: datetime.now(UTC)))().astimezone(UTC).replace(microsecond=0)
    t0 = time.monotonic()
    notices: list[str] = []
    git = git_info(root)

    say("secrets")
    secrets_facts, secrets_view, rule_help = _secrets(root, config, history and git.toplevel is not None, notices)
    if history and git.toplevel is None:
        notices.append("not a git repository: git history was not scanned")

    say("coverage")
    live = tuple(f for f in secrets_facts.findings if not f.location.commit) if secrets_facts else None
    coverage = _coverage(root, config, notices, live)

    results = list(probe_results)
    for profile in probes:
        say(f"probe {profile}")
        results.extend(_run_probe(profile, config, probe_target))
    results = [_relative_source(r, root) for r in results]
    probe_inputs = tuple(probe_facts(r) for r in results)

    say("scoring")
    card = score(
        ScoreInputs(secrets=secrets_facts, coverage=coverage, probes=probe_inputs),
        load_scoring_model(),
    )
    actions = build_actions(card, load_remediation())
    run = RunInfo(
        run_id=uuid.uuid4().hex[:16],
        tool_version=__version__,
        started_at=started.isoformat(),
        duration_s=None,
        repo=repo_identity(root, git),
        name=root.name,
        commit=git.commit,
        branch=git.branch,
        config_hash=config.digest,
        config_source=str(config.source) if config.source else None,
        history_scanned=secrets_facts.history_scanned if secrets_facts else False,
        probes=tuple(probe_facts(r).name for r in results),
    )
    probe_views = tuple(_probe_view(r, i) for i, r in enumerate(results))

    def build(trend: Any = None, history_size: int = 0, duration: float | None = None) -> AuditReport:
        from dataclasses import replace

        return assemble_report(
            run=replace(run, duration_s=duration),
            scorecard=card,
            actions=actions,
            secrets=secrets_view,
            coverage=coverage,
            probes=probe_views,
            trend=trend,
            fail_under=fail_under,
            allow_unmeasured=allow_unmeasured,
            notices=notices,
            history_size=history_size,
            rule_help=rule_help,
        )

    if store is None:
        return build(duration=time.monotonic() - t0)
    say("history")
    from auditkit.history import compare_runs, record_from_report

    earlier = store.runs(repo=run.repo, limit=_TREND_RUNS)
    record = record_from_report(build())
    trend = compare_runs(earlier[0], record, earlier[1:]) if earlier else None
    store.append(record)
    return build(trend=trend, history_size=len(earlier), duration=time.monotonic() - t0)


# --------------------------------------------------------------------------- secrets


def _secrets(
    root: Path, config: Config, history: bool, notices: list[str]
) -> tuple[SecretsFacts | None, SecretsView | None, dict[str, str]]:
    """Working tree scan (what is live) plus, when asked, history scan (provenance, removed secrets).

    One finding per secret and path: where it is live, the working-tree
    finding (with the commit that introduced it); where it survives only in
    history, the committed one. The history scan's own working-tree part and
    its commits of a still-live secret would repeat those findings.

    No secrets baseline is applied: a baseline records what a team accepted so
    commits stop being blocked, not evidence that a credential is safe, so the
    score counts everything and a notice says what the baseline accepts.
    """
    from auditkit.secrets import scan_secrets
    from auditkit.secrets.sources import git_toplevel

    past = None
    # With history, paths are relative to the repository's top (history's own frame) even when a
    # sub-folder is audited, so one secret is one path in both scans.
    frame = (git_toplevel(root) or root) if history else root
    if not history:
        head = scan_secrets([root], config=config, root=root, use_baseline=False)
    else:
        # The history scan is one Python process beside `git log`; the working-tree
        # scan runs meanwhile in a second process, so the scan costs little more
        # than the history scan alone.
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            pending = pool.submit(scan_secrets, [root], config=config, root=frame, use_baseline=False)
            try:
                past = scan_secrets(
                    [root], config=config, root=root, history=True, use_baseline=False, include_worktree=False
                )
            except AuditkitError as exc:
                notices.append(f"git history was not scanned: {exc}")
            head = pending.result()
    notices.extend(head.all_notices)
    if past is not None:
        notices.extend(n for n in past.all_notices if n not in notices)
    findings = _one_per_place(head, past)
    _baseline_notice(root, config, findings, notices)
    rule_help = {g.rule_id: g.remediation for g in (*head.groups, *(past.groups if past else ())) if g.remediation}

    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for f in head.findings:
        g = groups.setdefault((f.rule_id, f.fingerprint), {"head": [], "past": [], "meta": None})
        g["head"].append(f)
    for group in past.groups if past else ():
        occurrences = [f for f in group.occurrences if f.location.commit]
        if not occurrences:
            continue
        g = groups.setdefault((group.rule_id, group.fingerprint), {"head": [], "past": [], "meta": None})
        g["past"].extend(occurrences)
        g["meta"] = group
    facts: list[SecretGroupFacts] = []
    views: list[SecretGroupView] = []
    for (rule_id, fingerprint), g in groups.items():
        head_f: list[Finding] = g["head"]
        past_f: list[Finding] = g["past"]
        meta = g["meta"]
        sample = (head_f or past_f)[0]
        in_head = bool(head_f)
        paths = tuple(sorted({f.location.path for f in (head_f if in_head else past_f)}))
        severity = min((f.severity for f in head_f + past_f), key=lambda s: s.rank)
        confidence = min((f.confidence for f in head_f + past_f), key=lambda c: c.rank)
        occurrences = sorted(head_f + past_f, key=lambda f: f.sort_key)
        facts.append(SecretGroupFacts(fingerprint, rule_id, severity, confidence, in_head, paths, len(occurrences)))
        views.append(
            SecretGroupView(
                fingerprint=fingerprint,
                rule_id=rule_id,
                severity=severity.value,
                confidence=confidence.value,
                redacted=sample.redacted or "****",
                in_head=in_head,
                paths=paths,
                occurrences=tuple(Occurrence(f.location.path, f.location.line, f.location.commit) for f in occurrences),
                introduced=getattr(meta, "introduced", None)
                or min((f.introduced for f in past_f if f.introduced), key=lambda p: p.date, default=None),
                removed=None if in_head else getattr(meta, "removed", None),
            )
        )
    order = sorted(
        range(len(facts)),
        key=lambda i: (not facts[i].in_head, facts[i].severity.rank, facts[i].paths, facts[i].fingerprint),
    )
    return (
        SecretsFacts(tuple(facts[i] for i in order), history_scanned=past is not None, findings=findings),
        SecretsView(history_scanned=past is not None, groups=tuple(views[i] for i in order)),
        rule_help,
    )


def _one_per_place(head: Any, past: Any) -> tuple[Finding, ...]:
    """Live findings carrying their provenance, plus committed ones at places where the secret is gone."""
    from dataclasses import replace

    live = {(f.rule_id, f.fingerprint, f.location.path) for f in head.findings}
    introduced = {(g.rule_id, g.fingerprint): g.introduced for g in (past.groups if past else ())}
    out = [
        f if f.introduced else replace(f, introduced=introduced.get((f.rule_id, f.fingerprint))) for f in head.findings
    ]
    out.extend(
        f
        for f in (past.findings if past else ())
        if f.location.commit and (f.rule_id, f.fingerprint, f.location.path) not in live
    )
    by_key = {finding_key(f): f for f in reversed(out)}  # one per key, the first seen kept
    return tuple(sorted(by_key.values(), key=lambda f: f.sort_key))


def _baseline_notice(root: Path, config: Config, findings: Sequence[Finding], notices: list[str]) -> None:
    """Say that a secrets baseline exists but is not applied to the score, and how many findings it accepts."""
    from auditkit.errors import BaselineError
    from auditkit.secrets.scan import resolve_baseline

    try:
        baseline = resolve_baseline(None, config, root)
    except BaselineError as exc:
        notices.append(f"secrets baseline not applied to the scored audit (it cannot be read: {exc})")
        return
    if baseline is None:
        return
    where = baseline.source or baseline.base_dir
    if baseline.needs_sha1:
        # detect-secrets entries hold a hash of the secret itself, which findings never carry.
        notices.append(
            f"{baseline.kind} baseline {where} not applied to the scored audit: the findings it accepts are scored"
        )
        return
    # The paths the scanner compares: working-tree ones relative to the baseline's folder,
    # history ones as git has them.
    accepted = sum(
        baseline.accepts(
            f.location.path if f.location.commit else baseline.relative(root / f.location.path),
            f.rule_id,
            f.fingerprint,
        )
        for f in findings
    )
    counted = "1 finding it accepts is" if accepted == 1 else f"{accepted} findings it accepts are"
    notices.append(f"baseline {where} not applied to the scored audit: {counted} scored")


# --------------------------------------------------------------------------- coverage


def _coverage(
    root: Path, config: Config, notices: list[str], live_secrets: Sequence[Finding] | None
) -> CoverageFacts | None:
    """The coverage analysis as scoring facts; its input errors (a missing or invalid checks file) propagate.

    Only a build without the analyzer leaves the areas "not measured"; an
    error the user must fix is never turned into unmeasured areas, which
    would raise the score. ``live_secrets`` (the audit's own working-tree
    findings, no baseline applied) decide the load tests' "secrets from the
    environment" check, so a baselined password in a test fails it here too.
    """
    try:
        from auditkit.coverage import analyze
    except ImportError:
        notices.append("the load-test coverage analysis is not available in this build")
        return None
    if live_secrets is None:
        result = analyze(root, config)
    else:
        found = tuple(live_secrets)
        result = analyze(root, config, secret_finder=lambda _paths: found)
    notices.extend(str(n) for n in getattr(result, "notices", ()) or ())
    return coverage_facts(result, config)


def _presence(present: Any, missing: Any) -> dict[str, bool]:
    out = {str(k): True for k in present or ()}
    out.update({str(k): False for k in missing or ()})
    return out


def coverage_facts(result: Any, config: Config) -> CoverageFacts:
    """Turn a :class:`~auditkit.coverage.CoverageResult` (its ``to_dict()`` contract and ``findings``) into facts.

    Test quality is 0-10 in the contract, 0-1 in the facts. A test whose tool
    the analysis does not ask to migrate (a database tool such as pgbench
    beside HTTP tests) is exempt from the standardization verdict.
    """
    data = result.to_dict()
    services: list[ServiceFacts] = []
    tests: list[LoadTestFacts] = []
    for s in data.get("services") or ():
        load_tests = s.get("load_tests") or ()
        endpoints_total = s.get("endpoints_total")
        services.append(
            ServiceFacts(
                name=str(s["name"]),
                path=str(s.get("path") or s["name"]),
                critical=bool(s.get("critical")),
                load_tests=len(load_tests),
                endpoints_total=endpoints_total if endpoints_total else None,
                endpoints_covered=s.get("endpoints_covered") if endpoints_total else None,
            )
        )
        tests.extend(_test_facts(t, str(s["name"])) for t in load_tests)
    tests.extend(_test_facts(t, None) for t in data.get("platform_tests") or ())
    platform = data.get("platform") or {}
    standard = str(platform.get("standard_tool") or config.coverage.standard_tool)
    to_migrate = {str(m.get("tool")) for m in platform.get("migrate") or ()}
    exempt = {t.tool for t in tests} - to_migrate - {standard}
    categories = platform.get("scenario_categories") or {}
    infrastructure: dict[str, bool] = {}
    gaps: dict[str, tuple[str, ...]] = {}
    all_paths = {t.path for t in tests}
    if tests:
        ci = platform.get("ci") or {}
        results = platform.get("results_output") or {}
        env_tests = set((platform.get("configurable_target") or {}).get("tests") or ())
        # One rule for the three signals: present when some test has it. A test
        # with a hard-coded host is named as a gap and costs its share of the signal.
        infrastructure = {
            "ci": bool(ci.get("integrated")),
            "results": bool(results.get("tests") or results.get("sinks")),
            "environment": bool(env_tests & all_paths),
        }
        hard_coded = tuple(sorted(all_paths - env_tests))
        if hard_coded and infrastructure["environment"]:
            gaps["environment"] = hard_coded
    return CoverageFacts(
        services=tuple(services),
        tests=tuple(t for t in sorted(tests, key=lambda t: t.path) if t.tool not in exempt),
        standard_tool=standard,
        scenarios=_presence(categories.get("present"), categories.get("missing")) if services else {},
        infrastructure=infrastructure,
        infrastructure_gaps=gaps,
        infrastructure_total=len(all_paths),
        findings=tuple(getattr(result, "findings", ()) or ()),
    )


def _test_facts(t: Mapping[str, Any], service: str | None) -> LoadTestFacts:
    quality = t.get("quality")
    return LoadTestFacts(
        path=str(t["path"]),
        tool=str(t.get("tool") or "unknown"),
        service=service,
        quality=None if quality is None else max(0.0, min(1.0, float(quality) / 10.0)),
        issues=tuple(str(i) for i in t.get("issues") or ()),
    )


# --------------------------------------------------------------------------- probes


def _run_probe(profile: str | Path, config: Config, target: str | None) -> list[Any]:
    """Run a probe profile: its HTTP part against ``target`` (or the profile's own), its [db] part when
    the environment names a database (``DATABASE_URL`` or ``PGHOST``/``PGDATABASE``)."""
    import os

    from auditkit.errors import ProbeError
    from auditkit.probes.profiles import load_profile

    loaded = load_profile(profile, config.probes)
    results: list[Any] = []
    http = loaded.http
    if http is not None and (target or http.target):
        from auditkit.probes.http import run_http_probe

        changes: dict[str, Any] = {"config": config.probes}
        if target:
            changes["target"] = target
        results.append(run_http_probe(dataclasses.replace(http, **changes)))
    if loaded.db is not None and any(os.environ.get(v) for v in ("DATABASE_URL", "PGHOST", "PGDATABASE")):
        from auditkit.probes.db import run_db_probe

        results.append(run_db_probe(dataclasses.replace(loaded.db, config=config.probes)))
    if not results:
        raise ProbeError(
            f"probe profile {profile}: nothing to run: give --probe-target URL (or a target in the profile) "
            "for its HTTP part, or DATABASE_URL / PG* variables for its [db] part"
        )
    return results


def _relative_source(result: Any, root: Path) -> Any:
    """A probe result whose profile lies under ``root`` names it relative to ``root`` (its findings' location)."""
    source = getattr(result, "source", None)
    if not source or not dataclasses.is_dataclass(result) or isinstance(result, type):
        return result
    try:
        rel = Path(source).resolve().relative_to(root)
    except (ValueError, OSError):
        return result
    return dataclasses.replace(result, source=rel.as_posix())


def probe_facts(result: Any) -> ProbeFacts:
    """Scoring facts of one probe result."""
    kind = str(getattr(result, "probe", "http"))
    source = getattr(result, "source", None)
    return ProbeFacts(
        name=f"{Path(str(source)).stem} ({kind})" if source else kind,
        kind=kind,
        thresholds=dict(getattr(result, "thresholds", {}) or {}),
        findings=tuple(getattr(result, "findings", ()) or ()),
        breaker_tripped=bool(getattr(result, "breaker_tripped", False)),
    )


def _probe_view(result: Any, index: int) -> ProbeView:
    facts = probe_facts(result)
    latency = dict(getattr(result, "latency_ms", {}) or {})
    points = tuple((k, float(latency[k])) for k in ("p50", "p90", "p95", "p99", "max") if k in latency)
    return ProbeView(
        name=facts.name if facts.name else f"probe-{index + 1}",
        kind=facts.kind,
        target=str(getattr(result, "target", "")),
        requests=int(getattr(result, "requests", 0) or 0),
        throughput=float(getattr(result, "throughput", 0.0) or 0.0),
        latency_ms=points,
        latency_scale_ms=max((v for _, v in points), default=1.0) or 1.0,
        errors=tuple(sorted((str(k), int(v)) for k, v in (getattr(result, "errors", {}) or {}).items())),
        thresholds=tuple(sorted(facts.thresholds.items())),
        breaker_tripped=facts.breaker_tripped,
    )
