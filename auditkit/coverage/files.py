"""One walk over the monorepo: every file once, with vendored and build folders skipped.

Inside a git work tree, what git ignores (``.gitignore``, ``.git/info/exclude``)
is skipped too, as the secret scanner does. Directory symlinks are followed
only inside the scanned root and only once per real directory, so a symlink
loop ends with a notice instead of recursion.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

__all__ = ["SKIP_DIRS", "Tree", "git_ignored", "walk_tree"]

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "bower_components",
        "jspm_packages",
        "vendor",
        "dist",
        "build",
        "out",
        ".next",
        ".nuxt",
        ".turbo",
        ".cache",
        ".nyc_output",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "target",
        ".gradle",
        ".idea",
        ".vscode",
        ".terraform",
        "site-packages",
        ".yarn",
        ".pnpm-store",
    }
)


@dataclass
class Tree:
    """Relative POSIX paths of the files and folders found, with their sizes."""

    root: Path
    files: dict[str, int] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)
    notices: list[str] = field(default_factory=list)


def git_ignored(root: Path) -> set[str]:
    """Paths below ``root`` that git ignores (folders end with ``/``); empty outside git or without git."""
    try:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--others",
                "--ignored",
                "--exclude-standard",
                "--directory",
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    if out.returncode != 0:
        return set()
    return {n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n}


def walk_tree(root: Path, exclude: tuple[str, ...] = ()) -> Tree:
    """Walk ``root``; ``exclude`` are globs of folders (relative POSIX paths) to skip entirely."""
    tree = Tree(root=root)
    ignored = git_ignored(root)
    real_root = os.path.realpath(root)
    seen: set[str] = {real_root}
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            tree.notices.append(f"{rel or '.'}: cannot list folder ({exc.__class__.__name__}); skipped")
            continue
        for entry in entries:
            name = entry.name
            child = f"{rel}/{name}" if rel else name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if name in SKIP_DIRS or child + "/" in ignored or any(fnmatch(child, g) for g in exclude):
                    continue
                real = os.path.realpath(entry.path)
                if is_link:
                    if not (real == real_root or real.startswith(real_root + os.sep)):
                        tree.notices.append(f"{child}: symlink to a folder outside the scanned root; not followed")
                        continue
                    if real in seen or (real_root + os.sep + rel.replace("/", os.sep)).startswith(real + os.sep):
                        tree.notices.append(f"{child}: symlink loop or duplicate folder; not followed")
                        continue
                if real in seen:
                    continue
                seen.add(real)
                tree.dirs.add(child)
                stack.append((entry.path, child))
            else:
                if child in ignored:
                    continue
                try:
                    if not entry.is_file(follow_symlinks=True):
                        continue
                    size = entry.stat(follow_symlinks=True).st_size
                except OSError:
                    if is_link:
                        tree.notices.append(f"{child}: broken symlink; skipped")
                    continue
                tree.files[child] = size
    return tree
