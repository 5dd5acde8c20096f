"""What a route parser returns for one file, and how a service's files combine into endpoints."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field

from auditkit.coverage.matching import normalize_path

__all__ = ["FileRoutes", "Mount", "Route", "assemble", "resolve_module"]


@dataclass(frozen=True)
class Route:
    """A route declared in a file: method (``ANY`` for all), path as written, line, object it is on."""

    method: str
    path: str
    line: int
    framework: str
    receiver: str = ""
    versions: tuple[str, ...] = ()
    """NestJS ``version`` of the controller or ``@Version()`` (``""`` is VERSION_NEUTRAL; empty: none given)."""


@dataclass(frozen=True)
class Mount:
    """``app.use('/p', router)``, ``register(plugin, {prefix})``, ``include_router(r, prefix=...)``.

    ``local`` names an object of the same file; ``module`` is the resolved
    relative path of another file whose routes are mounted under ``prefix``.
    """

    prefix: str
    local: str | None
    module: str | None
    line: int
    replaces: bool = False
    """The prefix replaces the mounted object's own (Flask ``register_blueprint(bp, url_prefix=)``)."""


@dataclass
class FileRoutes:
    """Routes, mounts and receiver prefixes of one source file."""

    path: str
    routes: list[Route] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    receiver_prefix: dict[str, str] = field(default_factory=dict)
    """Receiver -> prefix: ``new Router({prefix})``, ``APIRouter(prefix=)``, ``@Controller(p)``..."""
    overridable: set[str] = field(default_factory=set)
    """Receivers whose own prefix a replacing mount overrides (Flask blueprints)."""
    global_prefix: str | None = None
    """NestJS ``app.setGlobalPrefix('api')`` (applies to the service's controllers)."""
    uri_version_prefix: str | None = None
    """NestJS ``app.enableVersioning({type: VersioningType.URI})``: the version prefix (``v`` by default)."""
    default_versions: tuple[str, ...] = ()
    """NestJS ``enableVersioning({defaultVersion})`` for routes that declare no version."""


_EXTS = ("", ".ts", ".js", ".mjs", ".cjs", ".tsx", ".jsx", ".py", "/index.ts", "/index.js", "/__init__.py")


def resolve_module(importer: str, spec: str, known: set[str]) -> str | None:
    """Resolve a relative import (``./routes/events``) from ``importer`` to a known file path."""
    if not spec.startswith("."):
        return None
    base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
    for ext in _EXTS:
        if base + ext in known:
            return base + ext
    return None


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return prefix.rstrip("/") + "/" + path.lstrip("/")


def assemble(files: Iterable[FileRoutes]) -> list[tuple[str, str, str, str]]:
    """Combine a service's files into endpoints: (method, normalised path, ``file:line``, framework).

    Prefixes from mounts are applied where they resolve (same file or a
    relative import); a file mounted nowhere keeps its paths as written.
    """
    by_path = {f.path: f for f in files}
    mounted_in: dict[str, list[tuple[str, str, bool]]] = {}
    for f in by_path.values():
        for m in f.mounts:
            if m.module and m.module in by_path:
                mounted_in.setdefault(m.module, []).append((f.path, m.prefix, m.replaces))
    global_prefix = next((f.global_prefix for f in by_path.values() if f.global_prefix), "")
    versioning = next((f for f in by_path.values() if f.uri_version_prefix is not None), None)

    def nest_bases(r: Route, base: str) -> list[str]:
        """Global prefix, then the URI version segment (``/api/v1/cats``), then the path."""
        versions = [""]
        if versioning is not None:
            versions = list(r.versions or versioning.default_versions or ("",))
        out = []
        for v in versions:
            segment = f"{versioning.uri_version_prefix}{v}" if versioning is not None and v else ""
            out.append(_join(global_prefix, _join(segment, base)))
        return out

    memo: dict[str, set[tuple[str, bool]]] = {}

    def prefixes(path: str, depth: int = 0) -> set[tuple[str, bool]]:
        """(outer prefix, whether the mount of this file replaces its blueprints' own prefix)."""
        if path in memo:
            return memo[path]
        if depth > 8 or path not in mounted_in:
            return {("", False)}
        memo[path] = {("", False)}  # cycle guard
        out = {
            (_join(outer, p), replaces)
            for parent, p, replaces in mounted_in[path]
            for outer, _ in prefixes(parent, depth + 1)
        }
        memo[path] = out or {("", False)}
        return memo[path]

    seen: set[tuple[str, str]] = set()
    endpoints = []
    for f in by_path.values():
        local: dict[str, list[tuple[str, bool]]] = {}
        for m in f.mounts:
            if m.local:
                local.setdefault(m.local, []).append((m.prefix, m.replaces))
        for outer, outer_replaces in prefixes(f.path):
            for r in f.routes:
                inner = [
                    p
                    if (replaces or outer_replaces) and r.receiver in f.overridable
                    else _join(p, f.receiver_prefix.get(r.receiver, ""))
                    for p, replaces in local.get(r.receiver, [("", False)])
                ]
                for mid in inner:
                    base = _join(outer, mid)
                    for b in nest_bases(r, base) if r.framework == "nestjs" else [base]:
                        full = normalize_path(_join(b, r.path) if r.path not in ("", "/") else (b or "/"))
                        key = (r.method, full)
                        if key in seen:
                            continue
                        seen.add(key)
                        endpoints.append((r.method, full, f"{f.path}:{r.line}", r.framework))
    return endpoints
