"""``scan_secrets()``: the one entry point of secret scanning.

sources -> engine -> findings (redacted + fingerprint) -> baseline -> groups.
The secret value exists only between the engine and :func:`_to_finding`.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditkit.config import Config, load_config
from auditkit.findings import Area, Confidence, Finding, Location, Provenance, Severity
from auditkit.secrets.baseline import BASELINE_FILENAME, Baseline, load_baseline
from auditkit.secrets.engine import Engine, Match
from auditkit.secrets.fingerprint import FingerprintKey, redact
from auditkit.secrets.rules import RuleSet, _glob, load_rules
from auditkit.secrets.sources import (
    Chunk,
    FileEntry,
    Skipped,
    git_toplevel,
    iter_worktree_files,
    read_file_chunk,
    staged_chunks,
)

__all__ = ["ProgressCallback", "SecretGroup", "SecretsResult", "resolve_baseline", "scan_secrets"]

ProgressCallback = Callable[[dict[str, Any]], None]

# Below this many bytes one process is faster than starting workers.
_PARALLEL_THRESHOLD = 8 * 1024 * 1024
_BATCH_BYTES = 2 * 1024 * 1024
_LISTED_SKIPS = 5


@dataclass(frozen=True)
class SecretGroup:
    """Every appearance of one secret (same fingerprint)."""

    fingerprint: str
    rule_id: str
    description: str
    severity: Severity
    confidence: Confidence
    redacted: str
    remediation: str
    occurrences: tuple[Finding, ...]
    in_head: bool | None = None
    """Still present in the working tree / HEAD; ``None`` when not known."""
    introduced: Provenance | None = None
    """The earliest commit that added it (history scans)."""
    removed: Provenance | None = None
    """The commit that removed its last appearance, when it is gone from HEAD."""

    @property
    def paths(self) -> tuple[str, ...]:
        """Every distinct path the secret appeared under."""
        return tuple(sorted({f.location.path for f in self.occurrences}))

    @property
    def commits(self) -> tuple[str, ...]:
        """Every distinct commit that added it (history scans)."""
        return tuple(sorted({f.location.commit for f in self.occurrences if f.location.commit}))

    def to_dict(self) -> dict[str, Any]:
        """JSON form (no secret, only the redacted form and fingerprint)."""
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule_id,
            "description": self.description,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "redacted": self.redacted,
            "paths": list(self.paths),
            "commits": list(self.commits),
            "occurrences": len(self.occurrences),
            "in_head": self.in_head,
            "introduced": self.introduced.to_dict() if self.introduced else None,
            "removed": self.removed.to_dict() if self.removed else None,
            "remediation": self.remediation,
        }


@dataclass(frozen=True)
class SecretsResult:
    """What a secret scan found, and what it could not read."""

    root: str
    mode: str
    """``worktree``, ``staged`` or ``history``."""
    findings: tuple[Finding, ...]
    """Findings not covered by the baseline, worst first."""
    groups: tuple[SecretGroup, ...]
    skipped: tuple[Skipped, ...] = ()
    notices: tuple[str, ...] = ()
    files_scanned: int = 0
    bytes_scanned: int = 0
    baselined: int = 0
    """Findings suppressed by the baseline."""
    commits_scanned: int = 0
    history_truncated: bool = False
    rules: int = 0

    @property
    def all_notices(self) -> tuple[str, ...]:
        """Notices plus skipped files, summarised per reason (a tree of images must not flood stderr)."""
        by_reason: dict[str, list[str]] = defaultdict(list)
        for item in self.skipped:
            kind = item.reason.split(" (", 1)[0] if item.reason.startswith("larger than") else item.reason
            by_reason[kind].append(item.path)
        lines: list[str] = []
        for reason, paths in by_reason.items():
            if len(paths) <= _LISTED_SKIPS:
                lines.extend(f"skipped {p}: {reason}" for p in paths)
            else:
                shown = ", ".join(paths[:_LISTED_SKIPS])
                lines.append(f"skipped {len(paths)} files ({reason}): {shown} and {len(paths) - _LISTED_SKIPS} more")
        return self.notices + tuple(lines)

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON contract (see README): ``findings`` first, groups and stats after."""
        return {
            "findings": [finding_to_dict(f) for f in self.findings],
            "groups": [g.to_dict() for g in self.groups],
            "summary": {
                "mode": self.mode,
                "findings": len(self.findings),
                "secrets": len(self.groups),
                "files_scanned": self.files_scanned,
                "bytes_scanned": self.bytes_scanned,
                "commits_scanned": self.commits_scanned,
                "history_truncated": self.history_truncated,
                "baselined": self.baselined,
                "skipped": len(self.skipped),
                "rules": self.rules,
            },
            "notices": list(self.all_notices),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }


def finding_to_dict(f: Finding) -> dict[str, Any]:
    """One secret finding in the JSON contract: the shared finding form plus ``in_head``."""
    return {**f.to_dict(), "in_head": f.details.get("in_head")}


# ----------------------------------------------------------------------------- scanning context


@dataclass
class _Context:
    """Everything a worker needs to turn chunks into findings (picklable)."""

    ruleset: RuleSet
    key: FingerprintKey
    root: Path
    config_base: Path
    allow_paths: tuple[str, ...]
    baseline: Baseline | None
    max_file_size: int
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.ruleset)
        return self._engine

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_engine"] = None
        return state

    def path_allowed(self, display: str) -> bool:
        """Whether ``[secrets] allow_paths`` (relative to the config's folder) excludes this path."""
        if not self.allow_paths:
            return False
        rel = Path(os.path.relpath(self.root / display, self.config_base)).as_posix()
        name = rel.rsplit("/", 1)[-1]
        return any(_glob(rel, name, g) for g in self.allow_paths)


@dataclass
class _Batch:
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def _to_finding(ctx: _Context, chunk: Chunk, match: Match) -> Finding:
    rule = match.rule
    details: dict[str, Any] = {"validated": match.validated}
    if match.key:
        details["variable"] = match.key
    return Finding(
        rule_id=rule.id,
        area=Area.SECRETS,
        severity=rule.severity,
        confidence=match.confidence,
        message=rule.description,
        location=Location(chunk.path, match.line, match.column, chunk.commit.commit if chunk.commit else None),
        remediation=rule.remediation,
        fingerprint=ctx.key.fingerprint(match.secret),
        redacted=redact(match.secret),
        introduced=chunk.commit,
        details=details,
    )


def scan_chunk(ctx: _Context, chunk: Chunk, out: _Batch, keywordless: tuple[Any, ...] | None = None) -> None:
    """Scan one chunk into ``out`` (findings, or a count of baselined ones)."""
    if ctx.path_allowed(chunk.path):
        return
    matches = ctx.engine.scan(chunk, keywordless)
    if not matches:
        return
    baseline = ctx.baseline
    rel = baseline.relative(ctx.root / chunk.path) if baseline and not chunk.commit else chunk.path
    for match in matches:
        finding = _to_finding(ctx, chunk, match)
        if baseline is not None and (
            baseline.accepts(rel, finding.rule_id, finding.fingerprint)
            or (baseline.needs_sha1 and baseline.accepts_sha1(rel, hashlib.sha1(match.secret.encode()).hexdigest()))
        ):
            out.suppressed += 1
            continue
        out.findings.append(finding)


def _scan_files(ctx: _Context, entries: Sequence[FileEntry]) -> _Batch:
    out = _Batch()
    for entry in entries:
        if ctx.path_allowed(entry.display) or ctx.engine.path_skipped(entry.display):
            continue
        chunk = read_file_chunk(entry, ctx.max_file_size)
        if isinstance(chunk, Skipped):
            out.skipped.append(chunk)
            continue
        out.files += 1
        out.bytes += len(chunk.text)
        scan_chunk(ctx, chunk, out)
    return out


_WORKER_CTX: _Context | None = None


def _worker_init(ctx: _Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _worker_scan(entries: Sequence[FileEntry]) -> _Batch:
    assert _WORKER_CTX is not None
    return _scan_files(_WORKER_CTX, entries)


def _batches(entries: Sequence[FileEntry]) -> list[list[FileEntry]]:
    batches: list[list[FileEntry]] = [[]]
    size = 0
    for entry in entries:
        try:
            n = os.path.getsize(entry.absolute)
        except OSError:
            n = 0
        if size + n > _BATCH_BYTES and batches[-1]:
            batches.append([])
            size = 0
        batches[-1].append(entry)
        size += n
    return batches


def _scan_worktree(ctx: _Context, paths: Sequence[Path], jobs: int) -> _Batch:
    skipped: list[Skipped] = []
    notices: list[str] = []
    entries = list(iter_worktree_files(paths, ctx.root, skipped, notices))
    total = 0
    for entry in entries:
        try:
            total += os.path.getsize(entry.absolute)
        except OSError:
            pass
    workers = jobs or (os.cpu_count() or 1)
    if workers > 1 and total > _PARALLEL_THRESHOLD:
        result = _Batch(skipped=skipped, notices=notices)
        with ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(ctx,)) as pool:
            for part in pool.map(_worker_scan, _batches(entries)):
                result.findings.extend(part.findings)
                result.suppressed += part.suppressed
                result.skipped.extend(part.skipped)
                result.files += part.files
                result.bytes += part.bytes
        return result
    result = _scan_files(ctx, entries)
    result.skipped[:0] = skipped
    result.notices.extend(notices)
    return result


def _scan_chunks(ctx: _Context, chunks: Iterable[Chunk], skipped: list[Skipped]) -> _Batch:
    out = _Batch()
    for chunk in chunks:
        out.files += 1
        out.bytes += len(chunk.text)
        scan_chunk(ctx, chunk, out)
    out.skipped[:0] = skipped
    return out


# ----------------------------------------------------------------------------- grouping


def group_findings(findings: Iterable[Finding], descriptions: dict[str, str]) -> tuple[SecretGroup, ...]:
    """Group findings by fingerprint: one secret, every place it appears."""
    by_fp: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_fp[f.fingerprint].append(f)
    groups = []
    for fp, items in by_fp.items():
        items.sort(key=lambda f: f.sort_key)
        worst = min(items, key=lambda f: (f.severity.rank, f.confidence.rank))
        best_conf = min((f.confidence for f in items), key=lambda c: c.rank)
        groups.append(
            SecretGroup(
                fingerprint=fp,
                rule_id=worst.rule_id,
                description=descriptions.get(worst.rule_id, worst.message),
                severity=worst.severity,
                confidence=best_conf,
                redacted=worst.redacted or "",
                remediation=worst.remediation,
                occurrences=tuple(items),
                in_head=True if any(f.location.commit is None for f in items) else None,
            )
        )
    groups.sort(key=lambda g: (g.severity.rank, -len(g.occurrences), g.paths))
    return tuple(groups)


# ----------------------------------------------------------------------------- entry point


def scan_secrets(
    paths: Sequence[Path] = (Path("."),),
    *,
    config: Config | None = None,
    root: Path | None = None,
    staged: bool = False,
    staged_paths: Sequence[str] = (),
    history: bool = False,
    since: str | None = None,
    rev_range: str | None = None,
    baseline: Path | None = None,
    use_baseline: bool = True,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    include_worktree: bool = True,
) -> SecretsResult:
    """Scan ``paths`` (files or folders), or the staged changes (``staged``), or git history (``history``).

    ``root`` is what finding paths are relative to (default: the single folder
    given, else the current directory); with ``history`` it is the top of the
    repository, and a folder below the top limits the history walk to that
    folder. ``include_worktree=False`` leaves the working tree out of a history
    scan (for callers that scan it themselves). The baseline is ``baseline``, else
    ``[secrets] baseline``, else ``.auditkit-baseline.json`` beside the config
    or at the top of the work tree, when present.
    """
    paths = [Path(p) for p in paths] or [Path(".")]
    if root is None:
        root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path(".")
    root = root.resolve()
    scope: Path | None = None
    if history:
        top = git_toplevel(root)
        if top is not None and top.resolve() != root:
            scope = root
        root = top or root
    config = config or load_config(root)
    sc = config.secrets
    where = f"{config.source}: [secrets]" if config.source else "[secrets]"
    ruleset = load_rules(sc.rules, sc.disable_rules, where=where)
    key = FingerprintKey.for_repository(root, sc.fingerprint_key_env)
    base = resolve_baseline(baseline, config, root) if use_baseline else None
    ctx = _Context(ruleset, key, root, config.base_dir, sc.allow_paths, base, sc.max_file_size)
    notices: list[str] = []
    if base is not None:
        notices.append(f"using {base.kind} baseline {base.source}")
    commits = 0
    truncated = False
    if history:
        from auditkit.secrets.history import scan_history

        pathspec = Path(os.path.relpath(scope, root)).as_posix() if scope is not None else None
        outcome = scan_history(ctx, since=since, rev_range=rev_range, progress=progress, pathspec=pathspec)
        batch = outcome.batch
        if include_worktree and outcome.top == root and not outcome.bare and not (since or rev_range):
            # One secret, every appearance: the working tree (uncommitted edits included) joins history.
            current = _scan_worktree(ctx, [scope or root], sc.jobs if jobs is None else jobs)
            # A line history already reports (same secret, same path) is not a second appearance;
            # uncommitted ones, and those moved by a rename, are.
            committed = {(f.fingerprint, f.location.path) for f in batch.findings}
            batch.findings.extend(f for f in current.findings if (f.fingerprint, f.location.path) not in committed)
            batch.suppressed += current.suppressed
            batch.skipped.extend(current.skipped)
        commits = outcome.commits
        truncated = outcome.truncated
        notices.extend(outcome.notices)
        mode = "history"
    elif staged:
        skipped: list[Skipped] = []
        batch = _scan_chunks(ctx, staged_chunks(root, sc.max_file_size, skipped, staged_paths), skipped)
        mode = "staged"
    else:
        batch = _scan_worktree(ctx, paths, sc.jobs if jobs is None else jobs)
        mode = "worktree"
    notices.extend(batch.notices)
    findings = tuple(sorted(batch.findings, key=lambda f: f.sort_key))
    descriptions = {r.id: r.description for r in ruleset.rules}
    if history:
        from auditkit.secrets.history import annotate_groups

        groups = annotate_groups(ctx, group_findings(findings, descriptions), outcome)
        findings = tuple(sorted((f for g in groups for f in g.occurrences), key=lambda f: f.sort_key))
    else:
        groups = group_findings(findings, descriptions)
    return SecretsResult(
        root=str(root),
        mode=mode,
        findings=findings,
        groups=groups,
        skipped=tuple(batch.skipped),
        notices=tuple(notices),
        files_scanned=batch.files,
        bytes_scanned=batch.bytes,
        baselined=batch.suppressed,
        commits_scanned=commits,
        history_truncated=truncated,
        rules=len(ruleset.rules),
    )


def resolve_baseline(explicit: Path | None, config: Config, root: Path) -> Baseline | None:
    """The baseline a scan of ``root`` uses: ``explicit``, else ``[secrets] baseline``, else an
    ``.auditkit-baseline.json`` beside the config, at the work tree's top or in ``root``."""
    if explicit is not None:
        return load_baseline(explicit)
    if config.secrets.baseline is not None:
        return load_baseline(config.secrets.baseline)
    candidates = [config.base_dir / BASELINE_FILENAME]
    top = git_toplevel(root)
    if top is not None:
        candidates.append(top / BASELINE_FILENAME)
    candidates.append(root / BASELINE_FILENAME)
    for candidate in candidates:
        if candidate.is_file():
            return load_baseline(candidate)
    return None
