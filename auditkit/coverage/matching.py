"""URLs and paths: strip base URLs, normalise placeholders, match requests to endpoints.

Every placeholder spelling (``:id``, ``{id}``, ``<int:id>``, ``${id}``,
``{{ id }}``, ``[id]``, a number or a UUID) becomes ``{}``, so
``/events/:id`` matches ``/events/123`` and ``${BASE}/events/${id}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditkit.coverage.js import BASE_HOLE, HOLE

__all__ = ["ANY", "HTTP_METHODS", "ParsedUrl", "match_requests", "normalize_path", "split_url"]

ANY = "ANY"
"""Method of a request or endpoint whose verb is unknown or accepts every verb."""

HTTP_METHODS = {
    "get": "GET",
    "post": "POST",
    "put": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
    "head": "HEAD",
    "options": "OPTIONS",
}
"""Lower-case method names as the frameworks and tools spell them -> HTTP method."""

_SCHEME_HOST = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<host>[^/?#\s]*)")
_PLACEHOLDER = re.compile(
    r"^(?::[A-Za-z_]\w*\??|\{[^/{}]*\}|\{\{[^/]*\}\}|<[^/>]*>|\[[^/\]]*\]|\*+|\d+|"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{24,})$"
)
_TEMPLATE_BITS = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|\$[A-Za-z_]\w*")


@dataclass(frozen=True)
class ParsedUrl:
    """A request URL split into where it goes and which path it asks for."""

    host: str | None
    """A literal ``scheme://host[:port]`` written into the test, or ``None``."""
    from_env: bool
    """The base URL comes from the environment (or an unresolved variable)."""
    path: str
    """Normalised path (see :func:`normalize_path`)."""


def split_url(text: str) -> ParsedUrl:
    """Split an evaluated URL (which may contain :data:`~auditkit.coverage.js.HOLE` marks) into host and path.

    A leading hole followed by ``/`` is the base URL and is stripped; a literal
    ``scheme://host`` is reported as ``host``. Query strings and fragments are dropped.
    """
    s = text.strip()
    from_env = False
    host: str | None = None
    lead = 0
    while lead < len(s) and s[lead] in (HOLE, BASE_HOLE):
        lead += 1
    if lead:
        # A base that is a variable is configurable; only literal hosts count as hard-coded.
        from_env = True
        s = s[lead:]
        if s and not s.startswith("/"):
            # `${BASE}api/x` or `${HOST}:3000/x`: drop up to the first slash.
            slash = s.find("/")
            s = s[slash:] if slash >= 0 else ""
    else:
        m = _SCHEME_HOST.match(s)
        if m:
            raw_host = m.group("host").rsplit("@", 1)[-1]
            if HOLE in raw_host or BASE_HOLE in raw_host or "${" in raw_host or "{{" in raw_host or "$" in raw_host:
                from_env = True
            else:
                host = f"{m.group('scheme').lower()}://{raw_host}"
            s = s[m.end() :]
    for sep in ("?", "#"):
        cut = s.find(sep)
        if cut >= 0:
            s = s[:cut]
    return ParsedUrl(host=host, from_env=from_env, path=normalize_path(s))


def normalize_path(path: str) -> str:
    """``/Events/:id/`` -> ``/Events/{}``; every placeholder spelling becomes ``{}``."""
    segments = []
    for seg in path.replace("\\", "/").split("/"):
        if not seg:
            continue
        if HOLE in seg or BASE_HOLE in seg or _PLACEHOLDER.match(seg) or _TEMPLATE_BITS.search(seg):
            segments.append("{}")
        else:
            segments.append(seg)
    return "/" + "/".join(segments)


def _segments(path: str) -> tuple[str, ...]:
    return tuple(s for s in path.split("/") if s)


def _seg_match(endpoint: Sequence[str], request: Sequence[str]) -> int | None:
    """Number of literal segments that agree, or ``None`` when the paths do not match."""
    score = 0
    for e, r in zip(endpoint, request, strict=True):
        if e == "{}":
            continue
        if e != r:
            return None
        score += 1
    return score


def match_requests(endpoints: Sequence[tuple[str, str]], requests: Iterable[tuple[str, str]]) -> dict[int, set[int]]:
    """Map each endpoint index to the indexes of the requests that hit it.

    ``endpoints`` and ``requests`` are (method, normalised path). For every
    request only the best candidates count: an exact-length match beats a
    suffix match (the request carries a prefix such as ``/api/v1`` that the
    endpoint's declaration did not resolve), and more literal segments beat
    fewer, so ``/events/search`` covers ``/events/search`` and not ``/events/:id``.
    """
    prepared = [(m.upper(), _segments(p)) for m, p in endpoints]
    by_len: dict[int, list[int]] = {}
    for i, (_, segs) in enumerate(prepared):
        by_len.setdefault(len(segs), []).append(i)
    hits: dict[int, set[int]] = {}
    for ri, (rmethod, rpath) in enumerate(requests):
        rm = rmethod.upper()
        rsegs = _segments(rpath)
        best: list[int] = []
        best_key: tuple[int, int] | None = None
        for length in sorted(by_len, reverse=True):
            if length > len(rsegs):
                continue
            exact = length == len(rsegs)
            if not exact and (length == 0):
                continue
            tail = rsegs[len(rsegs) - length :]
            for ei in by_len[length]:
                emethod, esegs = prepared[ei]
                if emethod != ANY and rm != ANY and emethod != rm:
                    continue
                if not exact and esegs[0] == "{}":
                    # A suffix match needs a literal anchor, or `/:id` would match everything.
                    continue
                score = _seg_match(esegs, tail)
                if score is None:
                    continue
                key = (1 if exact else 0, score)
                if best_key is None or key > best_key:
                    best_key, best = key, [ei]
                elif key == best_key:
                    best.append(ei)
        for ei in best:
            hits.setdefault(ei, set()).add(ri)
    return hits
