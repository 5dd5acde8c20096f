"""Sources: each yields :class:`Chunk` values, text with where it came from.

The engine never knows whether it reads a file, a staged blob or a patch from
history. A chunk may carry a line map (text line -> real line, for patches made
of non-contiguous added lines) and a set of lines to report on (staged scans
read the whole staged file for context but report only added lines).
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditkit.errors import GitError, SourceError
from auditkit.findings import Provenance

__all__ = [
    "Chunk",
    "FileEntry",
    "Skipped",
    "decode_text",
    "git_toplevel",
    "iter_worktree_files",
    "read_blobs",
    "read_file_chunk",
    "staged_chunks",
]

BINARY_SNIFF = 8192


@dataclass(frozen=True)
class Chunk:
    """Text to scan and its origin."""

    path: str
    """Path relative to the scanned root, with ``/`` separators."""
    text: str
    line_map: tuple[int, ...] | None = None
    """Real line number of each text line (1-based), when the text is not the file itself."""
    only_lines: frozenset[int] | None = None
    """Report only findings on these real lines (``None``: all lines)."""
    commit: Provenance | None = None
    """The commit that added these lines (history scans)."""


@dataclass(frozen=True)
class Skipped:
    """A file the scan could not read, and why (becomes a notice, never a crash)."""

    path: str
    reason: str


@dataclass(frozen=True)
class FileEntry:
    """A file to scan: its absolute path and its display path relative to the scan root."""

    absolute: str
    display: str


def git_toplevel(path: Path) -> Path | None:
    """The top of the git work tree containing ``path``, or ``None`` outside git."""
    folder = path if path.is_dir() else path.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return Path(out.stdout.strip())


def _git_listed_files(folder: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files below ``folder`` (relative to it), or None."""
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=300,
            check=False,
        )
    except OSError:
        return None
    if out.returncode != 0:
        return None
    names = out.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def iter_worktree_files(
    paths: Sequence[Path], root: Path, skipped: list[Skipped], notices: list[str] | None = None
) -> Iterator[FileEntry]:
    """Yield the regular files to scan under ``paths`` (files or folders).

    Inside a git work tree only files git would track are listed (ignored files
    are skipped, as users expect), unless the folder named is itself wholly
    ignored: then it is walked anyway and ``notices`` says so. Elsewhere the
    folder is walked, without following symbolic links (no loops), without
    descending into ``.git``, and without opening FIFOs, sockets or devices.
    """
    seen: set[str] = set()
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise SourceError(f"{given}: no such file or directory")
        if given.is_file():
            entries: Iterator[str] = iter([str(given.resolve())])
        elif given.is_dir():
            entries = _folder_files(given.resolve(), notices if notices is not None else [])
        else:
            skipped.append(Skipped(_display(given, root), "not a regular file"))
            continue
        for absolute in entries:
            if absolute in seen:
                continue
            seen.add(absolute)
            yield FileEntry(absolute, _display(Path(absolute), root))


def _is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _folder_files(folder: Path, notices: list[str]) -> Iterator[str]:
    listed = _git_listed_files(folder) if git_toplevel(folder) else None
    if listed:
        for name in listed:
            full = os.path.join(folder, name)
            if _is_regular(full):
                yield full
        return
    walked = _walk(folder)
    if listed is not None:
        first = next(walked, None)
        if first is None:
            return
        notices.append(f"{folder}: every file here is ignored by git; scanned anyway because it was named")
        yield first
    yield from walked


def _walk(folder: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if _is_regular(full):
                yield full


def _display(path: Path, root: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve() if not path.is_symlink() else path, root)).as_posix()
    except ValueError:
        return path.as_posix()


def decode_text(data: bytes) -> str | None:
    """Decode file bytes to text, or ``None`` when the data looks binary (a NUL byte early on)."""
    if b"\0" in data[:BINARY_SNIFF]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Legacy encodings still hold ASCII secrets; decode losslessly byte-for-char.
        return data.decode("latin-1")


def read_file_chunk(entry: FileEntry, max_size: int) -> Chunk | Skipped:
    """Read one file into a chunk, or say why it was skipped."""
    try:
        size = os.path.getsize(entry.absolute)
        if size > max_size:
            return Skipped(entry.display, f"larger than {max_size} bytes ({size})")
        with open(entry.absolute, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return Skipped(entry.display, f"unreadable ({exc.strerror or exc.__class__.__name__})")
    text = decode_text(data)
    if text is None:
        return Skipped(entry.display, "binary file")
    return Chunk(entry.display, text)


# ------------------------------------------------------------------------------ staged

_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def _unquote_git_path(raw: bytes) -> str:
    """Undo git's C-style quoting of unusual path names (and the TAB git appends to ``---``/``+++``
    names that contain a space)."""
    raw = raw.rstrip(b"\t")
    if raw.startswith(b'"') and raw.endswith(b'"'):
        body = raw[1:-1]
        out = bytearray()
        i = 0
        escapes = {
            b"n": b"\n",
            b"t": b"\t",
            b'"': b'"',
            b"\\": b"\\",
            b"a": b"\a",
            b"b": b"\b",
            b"f": b"\f",
            b"r": b"\r",
            b"v": b"\v",
        }
        while i < len(body):
            ch = body[i : i + 1]
            if ch == b"\\" and i + 1 < len(body):
                nxt = body[i + 1 : i + 2]
                if nxt.isdigit():
                    out.append(int(body[i + 1 : i + 4], 8))
                    i += 4
                    continue
                out += escapes.get(nxt, nxt)
                i += 2
                continue
            out += ch
            i += 1
        raw = bytes(out)
    return raw.decode("utf-8", "surrogateescape")


def _staged_added_lines(top: Path) -> dict[str, set[int]]:
    """Map each staged (added/copied/modified/renamed) text file to the line numbers it adds."""
    out = subprocess.run(
        [
            "git",
            "-C",
            str(top),
            "-c",
            "core.quotepath=off",
            "diff",
            "--cached",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "-M",
            "--diff-filter=ACMR",
            "--src-prefix=a/",
            "--dst-prefix=b/",
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    if out.returncode != 0:
        raise GitError(f"{top}: git diff --cached failed: {out.stderr.decode(errors='replace').strip()}")
    added: dict[str, set[int]] = {}
    current: str | None = None
    for line in out.stdout.split(b"\n"):
        if line.startswith(b"+++ "):
            target = line[4:]
            if target == b"/dev/null":
                current = None
                continue
            name = _unquote_git_path(target)
            current = name[2:] if name.startswith("b/") else name
            added.setdefault(current, set())
        elif line.startswith(b"@@") and current is not None:
            m = _HUNK.match(line)
            if m:
                start = int(m.group(1))
                count = int(m.group(2)) if m.group(2) is not None else 1
                added[current].update(range(start, start + count))
    return {path: lines for path, lines in added.items() if lines}


def read_blobs(top: Path, paths: Sequence[str], revision: str = "") -> Iterator[tuple[str, bytes | None]]:
    """Yield (path, content at ``revision``) through one ``git cat-file --batch`` process.

    ``revision`` "" reads the index (staged content), "HEAD" the last commit;
    the content is ``None`` when the path has no blob there.
    """
    if not paths:
        return
    proc = subprocess.Popen(
        ["git", "-C", str(top), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for path in paths:
            proc.stdin.write(f"{revision}:".encode() + path.encode("utf-8", "surrogateescape") + b"\n")
            proc.stdin.flush()
            parts = proc.stdout.readline().split()
            # "<sha> blob <size>", or "<name> missing" (the name may hold spaces)
            if len(parts) != 3 or parts[1] != b"blob" or not parts[2].isdigit():
                yield path, None
                continue
            data = proc.stdout.read(int(parts[2]))
            proc.stdout.read(1)
            yield path, data
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def staged_chunks(
    root: Path, max_size: int, skipped: list[Skipped], path_filter: Sequence[str] = ()
) -> Iterator[Chunk]:
    """Chunks for the pre-commit path: each staged file's staged content, reporting only added lines.

    Reading the whole staged file (not just the patch) keeps the context that
    multi-line rules need (a PEM block, a Kubernetes Secret), while an old,
    already-committed secret elsewhere in the file does not block the commit.
    ``path_filter`` (fnmatch globs or exact paths, relative to the repository)
    narrows the set, as pre-commit's file list would.
    """
    top = git_toplevel(root)
    if top is None:
        raise GitError(f"{root}: --staged needs a git repository")
    added = _staged_added_lines(top)
    names = sorted(added)
    if path_filter:
        names = [n for n in names if any(n == p or fnmatch.fnmatch(n, p) for p in path_filter)]
    for name, data in read_blobs(top, names):
        display = _display(top / name, root)
        if data is None:
            skipped.append(Skipped(display, "staged blob not readable"))
            continue
        if len(data) > max_size:
            skipped.append(Skipped(display, f"larger than {max_size} bytes ({len(data)})"))
            continue
        text = decode_text(data)
        if text is None:
            skipped.append(Skipped(display, "binary file"))
            continue
        yield Chunk(display, text, only_lines=frozenset(added[name]))
