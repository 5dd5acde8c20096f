"""Git history as a source: every line each commit added, scanned exactly once.

``git rev-list --all`` lists the commits; batches of 1,000 are streamed through
``git log -p -U0 --cc -M --no-walk --stdin`` into the engine (one git process per
batch keeps git's own memory flat; each batch's patch is streamed, one commit
record at a time):

* ``-U0``: no context lines, so each secret is seen once, in the commit that added it;
* ``--cc`` (dense combined diff) for merges: only lines that differ from *every*
  parent, i.e. what the merge itself introduced (a conflict resolution), so
  merged branches are not double-counted but an "evil merge" is still found
  (``git log -p`` alone shows no patch for merges: gitleaks issue 1028);
* ``-M``: renames are detected, so a moved file adds no lines and is not
  reported again; the rename map lets "still in HEAD" follow the file.

Afterwards only the candidate paths are read at HEAD (is the secret still
there?) and, for secrets that are gone, the removed lines of those paths are
scanned to find the commit that removed the last appearance.

A shallow clone is scanned as far as it goes (reported as truncated). A
missing object (partial clone, damaged repository) makes git stop; the
commit is reported and the scan resumes with the next one.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import IO, Any

from auditkit.errors import GitError
from auditkit.findings import Provenance
from auditkit.gitrepo import repo_info
from auditkit.secrets.fingerprint import redact
from auditkit.secrets.sources import Chunk, _unquote_git_path, decode_text, read_blobs

__all__ = ["HistoryOutcome", "annotate_groups", "scan_history"]

_RECORD = b"\x1e"
_FIELD = "\x1f"
_FORMAT = "--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s"
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_CC_HUNK = re.compile(rb"^@@@+ (?:-\d+(?:,\d+)? )+\+(\d+)(?:,(\d+))? @@@+")
_MAX_LISTED_NOTICES = 20
_BATCH_COMMITS = 1000


@dataclass
class HistoryOutcome:
    """What the history walk produced (the batch type comes from :mod:`auditkit.secrets.scan`)."""

    batch: Any
    commits: int = 0
    truncated: bool = False
    notices: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    """Old path -> new path, for every rename seen."""
    top: Path | None = None
    """The top of the repository's work tree (history paths are relative to it)."""
    bare: bool = False
    """A bare repository (a mirror): there is no working tree to scan."""
    order: dict[str, int] = field(default_factory=dict)
    """Commit -> position in the walk (``--date-order``: a parent always comes after its children)."""


def _git(top: Path, *args: str, check: bool = True) -> str:
    out = subprocess.run(["git", "-C", str(top), *args], capture_output=True, text=True, timeout=600, check=False)
    if check and out.returncode != 0:
        raise GitError(f"{top}: git {args[0]} failed: {out.stderr.strip()}")
    return out.stdout


@dataclass
class _FilePatch:
    path: str
    added: list[tuple[int, bytes]] = field(default_factory=list)
    removed: list[tuple[int, bytes]] = field(default_factory=list)
    binary: bool = False


def _prefetched(records: Iterator[bytes], depth: int = 64) -> Iterator[bytes]:
    """Read ahead in a thread, so git keeps writing (the read releases the GIL) while we scan."""
    queue: Queue[bytes | None] = Queue(maxsize=depth)

    def pump() -> None:
        try:
            for record in records:
                queue.put(record)
        finally:
            queue.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    while True:
        item = queue.get()
        if item is None:
            break
        yield item
    reader.join()


def _records(stream: IO[bytes], block: int = 1 << 20) -> Iterator[bytes]:
    """Split ``git log`` output into one bytes record per commit (without line-by-line Python).

    A record starts with the \\x1e of its header line. Blocks of an unfinished
    record are kept in a list and joined once, so a huge commit costs one copy.
    """
    separator = b"\n" + _RECORD
    parts: list[bytes] = []
    tail = b""  # the last byte seen, so a separator split across two blocks is still found
    read = getattr(stream, "read1", stream.read)
    while True:
        data = read(block)
        if not data:
            break
        if tail == b"\n" and data.startswith(_RECORD):
            if parts:
                yield b"".join(parts)
            parts = []
        tail = data[-1:]
        pieces = data.split(separator)
        if len(pieces) == 1:
            parts.append(data)
            continue
        parts.append(pieces[0] + b"\n")
        record = b"".join(parts)
        if record.strip():
            yield record
        for piece in pieces[1:-1]:
            yield _RECORD + piece + b"\n"
        parts = [_RECORD + pieces[-1]]
    record = b"".join(parts)
    if record.strip():
        yield record


_DIFF_PATHS = re.compile(rb"^(?:diff --git a/(.*) b/|diff --(?:cc|combined) )(.*)$", re.MULTILINE)
_BINARY = re.compile(rb"^Binary files .* and (?:b/)?(.*) differ$", re.MULTILINE)


def _binary_paths(record: bytes) -> list[str]:
    return [_unquote_git_path(m.group(1)) for m in _BINARY.finditer(record)]


def _record_paths(record: bytes) -> list[str]:
    return [_unquote_git_path(m.group(2)) for m in _DIFF_PATHS.finditer(record)]


def _parse_stream(
    stream: IO[bytes], want_removed: bool
) -> Iterator[tuple[Provenance, list[_FilePatch], dict[str, str]]]:
    """Yield (commit, file patches, renames) from ``git log -p`` output."""
    for record in _records(stream):
        yield _parse_record(record, want_removed)


def _parse_record(record: bytes, want_removed: bool) -> tuple[Provenance, list[_FilePatch], dict[str, str]]:
    """Parse one commit's header and patch."""
    header, _, body = record.partition(b"\n")
    parts = header[1:].decode("utf-8", "replace").split(_FIELD)
    while len(parts) < 5:
        parts.append("")
    commit = Provenance(parts[0], parts[1], parts[2], parts[3], parts[4])
    files: list[_FilePatch] = []
    renames: dict[str, str] = {}
    current: _FilePatch | None = None
    combined = False
    new_line = old_line = 0
    rename_from: str | None = None
    for line in body.split(b"\n"):
        first = line[:1]
        if current is not None and first in (b"+", b"-", b" ") and not line.startswith((b"+++ ", b"--- ")):
            if combined:
                marks, text = line[:2], line[2:]
                if b"-" not in marks:
                    if marks == b"++":
                        current.added.append((new_line, text))
                    new_line += 1
            elif first == b"+":
                current.added.append((new_line, line[1:]))
                new_line += 1
            elif first == b"-":
                if want_removed:
                    current.removed.append((old_line, line[1:]))
                old_line += 1
            else:
                new_line += 1
                old_line += 1
            continue
        if line.startswith(b"diff --"):
            combined = not line.startswith(b"diff --git ")
            current = _FilePatch(_unquote_git_path(line.split(b" ", 2)[2]) if combined else "")
            files.append(current)
            rename_from = None
        elif current is None:
            continue
        elif line.startswith(b"+++ "):
            target = line[4:]
            if target != b"/dev/null":
                name = _unquote_git_path(target)
                current.path = name[2:] if name.startswith("b/") else name
        elif line.startswith(b"--- "):
            source = line[4:]
            if source != b"/dev/null" and not current.path:
                name = _unquote_git_path(source)
                current.path = name[2:] if name.startswith("a/") else name
        elif line.startswith(b"@@"):
            m = (_CC_HUNK if combined else _HUNK).match(line)
            if m and combined:
                new_line = int(m.group(1))
            elif m:
                old_line = int(m.group(1))
                new_line = int(m.group(3))
        elif line.startswith(b"rename from "):
            rename_from = _unquote_git_path(line[12:])
        elif line.startswith(b"rename to "):
            target_name = _unquote_git_path(line[10:])
            if rename_from is not None:
                renames[rename_from] = target_name
            if not current.path:
                current.path = target_name
        elif line.startswith(b"Binary files "):
            current.binary = True
            m2 = re.search(rb" and (?:b/)?(.*) differ$", line)
            if m2 and not current.path:
                current.path = _unquote_git_path(m2.group(1))
    return commit, files, renames


def _chunks_for(commit: Provenance, patch: _FilePatch, lines: list[tuple[int, bytes]]) -> Chunk | None:
    """The added (or removed) lines as one chunk; ``None`` when they look binary.

    Text that is not UTF-8 is decoded as Latin-1, byte for character, as the
    working-tree scan does: credentials are ASCII, so they are still found.
    """
    data = b"\n".join(text for _, text in lines)
    text = decode_text(data)
    if text is None:
        return None
    return Chunk(patch.path, text, line_map=tuple(n for n, _ in lines), commit=commit)


def _is_utf8(lines: list[tuple[int, bytes]]) -> bool:
    try:
        for _, text in lines:
            text.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _log_command(top: Path, pathspec: str | None = None) -> list[str]:
    """`git log` over the commits given on stdin (see :func:`_rev_list`), patches only below ``pathspec``."""
    cmd = [
        "git",
        "-C",
        str(top),
        "-c",
        "core.quotepath=off",
        "-c",
        "diff.renameLimit=2000",
        "log",
        "-p",
        "-U0",
        "--cc",
        "-M",
        "--date-order",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--full-history",
        _FORMAT,
        "--diff-filter=ACMRT",
    ]
    cmd += ["--no-walk=unsorted", "--stdin"]
    if pathspec:
        cmd += ["--", pathspec]
    return cmd


def scan_history(
    ctx: Any,
    *,
    since: str | None = None,
    rev_range: str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    pathspec: str | None = None,
) -> HistoryOutcome:
    """Scan the added lines of every commit (all refs, or ``rev_range``, after ``since``; only
    changes below ``pathspec``, a folder relative to the repository top, when given)."""
    from auditkit.secrets.scan import _Batch

    info = repo_info(ctx.root)
    if info is None:
        raise GitError(f"{ctx.root}: not a git repository (history scans need one)")
    top = info.top
    if ctx.root != top:
        # History paths are repository-relative; report them relative to the repository top.
        ctx = dataclasses.replace(ctx, root=top)
    outcome = HistoryOutcome(batch=_Batch(), top=top, bare=info.bare)
    if info.shallow:
        outcome.truncated = True
        outcome.notices.append(
            "shallow clone: history is truncated at the shallow boundary; "
            "run `git fetch --unshallow` for a complete scan"
        )
    has_commits = bool(_git(top, "rev-list", "-n1", "--all", check=False).strip())
    if not has_commits:
        outcome.notices.append("repository has no commits yet; nothing in history to scan")
        return outcome
    if rev_range:
        check = subprocess.run(
            ["git", "-C", str(top), "rev-list", "-n1", "--end-of-options", rev_range],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            reason = check.stderr.strip().splitlines()[0] if check.stderr.strip() else "not a revision range"
            raise GitError(f"--rev-range {rev_range!r}: {reason}")
    binaries: list[str] = []
    undecodable: list[str] = []
    started = time.monotonic()
    done: set[str] = set()
    todo = _rev_list(top, since, rev_range, pathspec)
    # Batches of commits, each walked by its own `git log --stdin`: git's memory grows with the
    # number of commits one process has shown, so batching keeps the whole scan's footprint flat.
    for first in range(0, len(todo), _BATCH_COMMITS):
        pending = todo[first : first + _BATCH_COMMITS]
        while pending:
            last, code, reason = _walk(
                top, pending, pathspec, ctx, outcome, done, binaries, undecodable, progress, started
            )
            if code == 0:
                break
            # git stops at the first commit whose objects it cannot read; the stream's last commit is
            # that one (its patch is incomplete). Report it, skip it, resume with the commits not yet seen.
            remaining = [c for c in pending if c not in done]
            if last is None and remaining:
                last = remaining[0]
                done.add(last)
                outcome.order[last] = len(outcome.order)
                outcome.commits += 1
            if last is None:
                outcome.notices.append(f"git log stopped early: {reason}")
                break
            outcome.notices.append(f"commit {last[:12]}: missing or unreadable object, patch skipped ({reason})")
            pending = [c for c in remaining if c != last]
    if progress is not None:
        rate = outcome.commits / max(time.monotonic() - started, 1e-6)
        progress(
            {
                "commits": outcome.commits,
                "commits_per_s": f"{rate:.0f}",
                "findings": len(outcome.batch.findings),
                "final": True,
            }
        )
    outcome.batch.files = outcome.commits
    for items, what in (
        (binaries, "skipped {n} binary file change(s)"),
        (undecodable, "scanned {n} non-UTF-8 file change(s) as Latin-1"),
    ):
        if items:
            listed = ", ".join(items[:_MAX_LISTED_NOTICES])
            more = f" and {len(items) - _MAX_LISTED_NOTICES} more" if len(items) > _MAX_LISTED_NOTICES else ""
            outcome.notices.append(f"{what.format(n=len(items))} in history: {listed}{more}")
    return outcome


def _walk(
    top: Path,
    commits: list[str],
    pathspec: str | None,
    ctx: Any,
    outcome: HistoryOutcome,
    done: set[str],
    binaries: list[str],
    undecodable: list[str],
    progress: Callable[[dict[str, Any]], None] | None,
    started: float,
) -> tuple[str | None, int, str]:
    """Scan ``commits`` with one `git log --no-walk --stdin`; return (last commit seen, exit code, error)."""
    from auditkit.secrets.scan import scan_chunk

    engine = ctx.engine
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a chatty stderr can never block the stream
    proc = subprocess.Popen(_log_command(top, pathspec), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors)
    assert proc.stdout is not None and proc.stdin is not None
    # git reads every revision from stdin before it writes anything, so this cannot deadlock.
    proc.stdin.write(("\n".join(commits) + "\n").encode())
    proc.stdin.close()
    last: str | None = None
    for record in _prefetched(_records(proc.stdout)):
        # Most commits cannot match anything: decide that on the raw record, before parsing lines.
        text = record.decode("latin-1")
        keywordless = engine.keywordless_candidates(record, text, _record_paths(record))
        if keywordless or engine.has_keyword(text) or b"\nrename " in record:
            commit, patches, renames = _parse_record(record, want_removed=False)
            commit = clean_subject(engine, commit)
            outcome.renames.update(renames)
            _scan_commit(ctx, commit, patches, outcome.batch, scan_chunk, binaries, undecodable, keywordless)
        else:
            commit = _parse_record(record.partition(b"\n")[0], want_removed=False)[0]
            if b"\nBinary files " in record:
                binaries.extend(f"{p}@{commit.commit[:10]}" for p in _binary_paths(record))
        done.add(commit.commit)
        last = commit.commit
        outcome.order[commit.commit] = len(outcome.order)
        outcome.commits += 1
        if progress is not None and outcome.commits % 200 == 0:
            rate = outcome.commits / max(time.monotonic() - started, 1e-6)
            progress(
                {"commits": outcome.commits, "commits_per_s": f"{rate:.0f}", "findings": len(outcome.batch.findings)}
            )
    code = proc.wait()
    errors.seek(0)
    stderr = errors.read().decode("utf-8", "replace").strip()
    errors.close()
    reason = stderr.splitlines()[-1][:160] if stderr else f"git exited with {code}"
    return last, code, reason


def clean_subject(engine: Any, commit: Provenance) -> Provenance:
    """The commit with any secret in its subject line redacted (subjects end up in every report)."""
    matches = engine.scan(Chunk("COMMIT_EDITMSG", commit.subject))
    if not matches:
        return commit
    subject = commit.subject
    for match in sorted(matches, key=lambda m: m.span[0], reverse=True):
        start, end = match.span
        subject = subject[:start] + redact(match.secret) + subject[end:]
    return dataclasses.replace(commit, subject=subject)


def _rev_list(top: Path, since: str | None, rev_range: str | None, pathspec: str | None = None) -> list[str]:
    """Every commit to scan, newest first, a parent always after its children (``--date-order``)."""
    args = ["rev-list", "--full-history", "--date-order"]
    if since:
        args.append(f"--since={since}")
    args += ["--end-of-options", rev_range] if rev_range else ["--all"]
    if pathspec:
        args += ["--", pathspec]
    return _git(top, *args, check=False).split()


def _scan_commit(
    ctx: Any,
    commit: Provenance,
    patches: list[_FilePatch],
    batch: Any,
    scan_chunk: Callable[..., None],
    binaries: list[str],
    undecodable: list[str],
    keywordless: tuple[Any, ...],
) -> None:
    engine = ctx.engine
    for p in patches:
        if p.binary:
            binaries.append(f"{p.path}@{commit.commit[:10]}")
    for patch in patches:
        if patch.binary or not patch.added or not patch.path:
            continue
        if engine.path_skipped(patch.path):
            continue
        chunk = _chunks_for(commit, patch, patch.added)
        if chunk is None:
            binaries.append(f"{patch.path}@{commit.commit[:10]}")
            continue
        if not _is_utf8(patch.added):
            undecodable.append(f"{patch.path}@{commit.commit[:10]}")
        batch.bytes += len(chunk.text)
        scan_chunk(ctx, chunk, batch, keywordless)


# ----------------------------------------------------------------------------- provenance


def _follow(path: str, renames: dict[str, str]) -> list[str]:
    chain = [path]
    seen = {path}
    while chain[-1] in renames and renames[chain[-1]] not in seen:
        chain.append(renames[chain[-1]])
        seen.add(chain[-1])
    return chain


def annotate_groups(ctx: Any, groups: Sequence[Any], outcome: HistoryOutcome) -> tuple[Any, ...]:
    """Add ``in_head``, ``introduced`` and ``removed`` to each group of a history scan."""
    from auditkit.secrets.scan import _Batch, scan_chunk

    top = outcome.top
    if top is None or not groups:
        return tuple(groups)
    renames = outcome.renames
    hctx = dataclasses.replace(ctx, root=top)
    candidates = sorted({p for g in groups for path in g.paths for p in _follow(path, renames)})
    in_head: set[str] = set()
    has_head = bool(_git(top, "rev-parse", "--verify", "-q", "HEAD", check=False).strip())
    if has_head:
        batch = _Batch()
        for path, data in read_blobs(top, candidates, "HEAD"):
            text = decode_text(data) if data is not None else None
            if text is not None:
                scan_chunk(hctx, Chunk(path, text), batch)
        in_head = {f.fingerprint for f in batch.findings}
    gone = [g for g in groups if g.fingerprint not in in_head]
    removed = _removal_commits(hctx, top, gone, renames) if gone else {}
    out = []
    for g in groups:
        introduced = [f.introduced for f in g.occurrences if f.introduced is not None]
        # The oldest: last in the walk (dates can tie or lie; the graph order cannot).
        first = max(introduced, key=lambda p: outcome.order.get(p.commit, -1)) if introduced else None
        present = g.fingerprint in in_head
        occurrences = tuple(dataclasses.replace(f, details={**f.details, "in_head": present}) for f in g.occurrences)
        out.append(
            dataclasses.replace(
                g,
                in_head=present,
                introduced=first,
                occurrences=occurrences,
                removed=None if present else removed.get(g.fingerprint),
            )
        )
    return tuple(out)


def _removal_commits(ctx: Any, top: Path, groups: Sequence[Any], renames: dict[str, str]) -> dict[str, Provenance]:
    """For each fingerprint, the newest commit whose removed lines contain it (the first one the walk meets)."""
    wanted = {g.fingerprint for g in groups}
    paths = sorted({p for g in groups for path in g.paths for p in _follow(path, renames)})
    cmd = [
        "git",
        "-C",
        str(top),
        "-c",
        "core.quotepath=off",
        "log",
        "-p",
        "-U0",
        "-M",
        "--date-order",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        _FORMAT,
        "--all",
        "--",
        *paths,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    found: dict[str, Provenance] = {}
    engine = ctx.engine
    for commit, patches, _ in _parse_stream(proc.stdout, want_removed=True):
        commit = clean_subject(engine, commit)
        for patch in patches:
            if not patch.removed or patch.binary:
                continue
            chunk = _chunks_for(commit, patch, patch.removed)
            if chunk is None:
                continue
            for match in engine.scan(dataclasses.replace(chunk, commit=None)):
                fp = ctx.key.fingerprint(match.secret)
                if fp in wanted:
                    found.setdefault(fp, commit)
    proc.wait()
    return found
