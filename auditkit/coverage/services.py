"""Service discovery in a monorepo.

A service is a folder matched by one of ``[coverage] service_roots`` (default
``backend/services/*``, ``services/*``, ``apps/*``, ``packages/*``) holding a
``package.json``, ``pyproject.toml``, ``go.mod`` or ``Dockerfile`` (also
``pom.xml``, ``build.gradle[.kts]``, ``Cargo.toml``). Under library-style roots
(``packages/*``, ``libs/*``) a manifest alone is not enough: the folder must
also look runnable (a Dockerfile, a start script, a server framework), so
shared libraries do not count as untested services. ``[coverage] services``
lists folders explicitly instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from auditkit.config import CoverageConfig
from auditkit.coverage.files import Tree

__all__ = ["MANIFESTS", "Service", "discover_services", "glob_match"]

MANIFESTS = (
    "package.json",
    "pyproject.toml",
    "go.mod",
    "Dockerfile",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Cargo.toml",
)
_LIBRARY_ROOTS = ("packages", "libs", "lib", "shared")
_RUNNABLE = re.compile(
    rb'"(?:start|serve|start:prod|dev)"\s*:|"(?:express|fastify|koa|@nestjs/core|@hapi/hapi|hapi|next)"\s*:|'
    rb"\b(?:fastapi|flask|django|uvicorn|gunicorn|aiohttp|starlette)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Service:
    """A discovered service: display name, folder (relative POSIX path), critical flag, manifests found."""

    name: str
    path: str
    critical: bool
    manifests: tuple[str, ...]


def glob_match(path: str, pattern: str) -> bool:
    """Segment-wise glob: ``*`` never crosses ``/``; ``**`` matches any number of segments."""
    parts = [p for p in path.split("/") if p]
    pats = [p for p in pattern.strip("/").split("/") if p]

    def rec(i: int, j: int) -> bool:
        if j == len(pats):
            return i == len(parts)
        if pats[j] == "**":
            return any(rec(k, j + 1) for k in range(i, len(parts) + 1))
        return i < len(parts) and fnmatchcase(parts[i], pats[j]) and rec(i + 1, j + 1)

    return rec(0, 0)


def discover_services(tree: Tree, config: CoverageConfig, read: Callable[[str], bytes | None]) -> list[Service]:
    """Find the services of ``tree`` according to ``config`` (sorted by path)."""
    found: dict[str, tuple[str, ...]] = {}
    dirs = sorted(tree.dirs)
    if config.services:
        for pattern in config.services:
            for d in dirs:
                if glob_match(d, pattern) and not _excluded(d, config):
                    found[d] = _manifests(tree, d)
    else:
        for pattern in config.service_roots:
            library = pattern.strip("/").split("/", 1)[0] in _LIBRARY_ROOTS
            for d in dirs:
                if d in found or not glob_match(d, pattern) or _excluded(d, config):
                    continue
                manifests = _manifests(tree, d)
                if not manifests:
                    continue
                if library and not _runnable(d, manifests, read):
                    continue
                found[d] = manifests
    # A folder inside another service is part of it, not a service of its own.
    paths = sorted(found)
    nested = {p for p in paths for q in paths if p != q and p.startswith(q + "/")}
    services = []
    words = tuple(w.lower() for w in config.critical)
    for path in paths:
        if path in nested:
            continue
        name = config.rename.get(path, path.rsplit("/", 1)[-1])
        critical = any(w in name.lower() for w in words)
        services.append(Service(name=name, path=path, critical=critical, manifests=found[path]))
    return services


def _excluded(path: str, config: CoverageConfig) -> bool:
    return any(glob_match(path, g) or fnmatchcase(path, g) for g in config.exclude)


def _manifests(tree: Tree, folder: str) -> tuple[str, ...]:
    return tuple(m for m in MANIFESTS if f"{folder}/{m}" in tree.files)


def _runnable(folder: str, manifests: tuple[str, ...], read: Callable[[str], bytes | None]) -> bool:
    if "Dockerfile" in manifests or "go.mod" in manifests:
        return True
    for m in ("package.json", "pyproject.toml"):
        if m in manifests:
            data = read(f"{folder}/{m}")
            if data and _RUNNABLE.search(data):
                return True
    return False
