"""PostgreSQL connection strings: does one carry a password, and the same text with every password masked.

libpq accepts a password in three places: the URL's userinfo
(``postgresql://user:pw@host/db``), a URL query parameter
(``postgresql://user@host/db?password=pw``) and a keyword/value conninfo
string (``host=h password=pw``, quoted or not). People paste passwords
unencoded, so the userinfo runs to the *last* ``@`` before the query: a
password may hold ``@``, ``/`` or ``:``. Masking errs towards hiding too
much (an ``@`` inside a database name hides part of it) rather than too
little. The history store and the PostgreSQL probe both show connection
strings and error messages through :func:`mask_dsn`.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["MASK", "conninfo_pairs", "dsn_has_password", "is_conninfo", "is_postgres_url", "mask_dsn"]

MASK = "***"

_SCHEME = re.compile(r"(?i)postgres(?:ql)?://")
# A URL inside free text (an error message) ends at whitespace or a quote.
_EMBEDDED_URL = re.compile(r"(?i)postgres(?:ql)?://[^\s\"'<>]*")
# Query parameters whose name ends in "password" (password, sslpassword).
_QUERY_PASSWORD = re.compile(r"(?i)([?&][^=&?#]*password=)([^&#]*)")
# Keyword/value conninfo: password = value, value quoted ('' with \ escapes, maybe unterminated) or bare.
_KV_PASSWORD = re.compile(r"(?i)(\b\w*password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S+)")
_KV = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'?|\S+)")
_KV_STRING = re.compile(r"\s*(?:\w+\s*=\s*(?:'(?:[^'\\]|\\.)*'|\S+)\s*)+")
# Keywords that only a connection string has; a file named "a=b" is not one.
_CONNECT_KEYWORDS = frozenset({"host", "hostaddr", "port", "dbname", "user", "service"})


def is_postgres_url(text: str) -> bool:
    """True when ``text`` is a ``postgresql://`` or ``postgres://`` URL."""
    return _SCHEME.match(text.lstrip()) is not None


def is_conninfo(text: str) -> bool:
    """True when ``text`` is a keyword/value conninfo string naming where to connect (``host=h dbname=d``)."""
    return _KV_STRING.fullmatch(text) is not None and not _CONNECT_KEYWORDS.isdisjoint(conninfo_pairs(text))


def _split_userinfo(url: str) -> tuple[str, str | None, str]:
    """``(scheme://, userinfo or None, rest after the '@')`` of a URL."""
    prefix = _SCHEME.search(url)
    if prefix is None:
        return "", None, url
    head, rest = url[: prefix.end()], url[prefix.end() :]
    query = rest.find("?")
    at = (rest if query < 0 else rest[:query]).rfind("@")
    if at < 0 and query >= 0:
        # A '?' inside the password: the userinfo still ends at an '@'.
        at = rest.rfind("@")
    if at < 0:
        return head, None, rest
    return head, rest[:at], rest[at + 1 :]


def _mask_url(url: str) -> str:
    head, userinfo, rest = _split_userinfo(url)
    rest = _QUERY_PASSWORD.sub(lambda m: m.group(1) + MASK, rest)
    if userinfo is None:
        return head + rest
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":" + MASK
    return f"{head}{userinfo}@{rest}"


def _unquote_kv(value: str) -> str:
    if value.startswith("'"):
        value = value[1:-1] if len(value) > 1 and value.endswith("'") else value[1:]
        return re.sub(r"\\(.)", r"\1", value)
    return value


def conninfo_pairs(dsn: str) -> dict[str, str]:
    """The keywords (lower-cased) and unquoted values of a keyword/value conninfo string."""
    return {k.lower(): _unquote_kv(v) for k, v in _KV.findall(dsn)}


def _passwords(dsn: str) -> set[str]:
    """Every password value ``dsn`` carries, as written and decoded."""
    found: set[str] = set()
    if is_postgres_url(dsn):
        _, userinfo, rest = _split_userinfo(dsn.strip())
        if userinfo is not None and ":" in userinfo:
            found.add(userinfo.split(":", 1)[1])
        found.update(m.group(2) for m in _QUERY_PASSWORD.finditer(rest))
    else:
        for m in _KV_PASSWORD.finditer(dsn):
            found.update((m.group(2), _unquote_kv(m.group(2))))
    found |= {unquote(p) for p in found}
    return {p for p in found if p}


def dsn_has_password(dsn: str) -> bool:
    """True when a URL or keyword/value DSN carries a login password (``sslpassword`` is not one)."""
    if is_postgres_url(dsn):
        _, userinfo, rest = _split_userinfo(dsn.strip())
        if userinfo is not None and ":" in userinfo:
            return True
        return any(m.group(1)[1:].lower() == "password=" for m in _QUERY_PASSWORD.finditer(rest))
    return "password" in conninfo_pairs(dsn)


def mask_dsn(text: str, *, source: str | None = None) -> str:
    """``text`` (a DSN, or a message that may quote one) with every password replaced by ``***``.

    ``source`` is the connection string the message came from: its password
    values are masked wherever they appear, as a driver error can quote a
    fragment of the string rather than the whole URL.
    """
    if source:
        for password in sorted(_passwords(source), key=len, reverse=True):
            text = text.replace(password, MASK)
    if is_postgres_url(text):
        return _mask_url(text)
    pieces: list[str] = []
    last = 0
    for m in _EMBEDDED_URL.finditer(text):
        pieces.append(_KV_PASSWORD.sub(lambda k: k.group(1) + MASK, text[last : m.start()]))
        pieces.append(_mask_url(m.group()))
        last = m.end()
    pieces.append(_KV_PASSWORD.sub(lambda k: k.group(1) + MASK, text[last:]))
    return "".join(pieces)
