"""Where the PostgreSQL probe connects: from the environment only, shown with the password masked.

The connection comes from ``DATABASE_URL`` or libpq's ``PGHOST``/``PGPORT``/
``PGUSER``/``PGPASSWORD``/``PGDATABASE``. A DSN given on the command line or in
a profile may name host and database but never carry a password: command lines
are visible to every user of the host (``ps``), and profiles end up in git.
This module imports no database driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from auditkit.dsn import conninfo_pairs, dsn_has_password, is_postgres_url, mask_dsn
from auditkit.errors import CredentialError, ProbeError

__all__ = ["ConnTarget", "driver_dsn", "resolve_connection"]


@dataclass(frozen=True)
class ConnTarget:
    """The resolved connection: ``dsn`` for the driver (may be None: the driver reads PG* itself)."""

    dsn: str | None = field(repr=False)
    host: str
    port: int
    user: str | None
    database: str | None
    display: str
    """Safe to print: password masked."""
    source: str
    """``DATABASE_URL``, ``PG* variables``, ``--dsn`` or the profile."""


def resolve_connection(dsn: str | None, env: Mapping[str, str], origin: str = "--dsn") -> ConnTarget:
    """Find the connection from an explicit password-free DSN or the environment.

    Raises CredentialError when ``dsn`` carries a password, ProbeError when
    nothing names a database.
    """
    if dsn is not None and dsn_has_password(dsn):
        raise CredentialError(
            f"{origin}: the DSN carries a password, which would be visible to every user of this host "
            "(process list, shell history); remove it and export PGPASSWORD, or put the whole URL in "
            "DATABASE_URL"
        )
    source = origin
    if dsn is None and env.get("DATABASE_URL"):
        dsn = env["DATABASE_URL"]
        source = "DATABASE_URL"
    if dsn is None and not any(env.get(k) for k in ("PGHOST", "PGDATABASE", "PGUSER", "PGPORT", "PGSERVICE")):
        raise ProbeError(
            "no database to probe: set DATABASE_URL, or PGHOST/PGPORT/PGUSER/PGDATABASE "
            "(and PGPASSWORD) in the environment"
        )
    host = env.get("PGHOST") or "localhost"
    port = int(env.get("PGPORT") or 5432)
    user = env.get("PGUSER")
    database = env.get("PGDATABASE")
    if dsn is not None:
        if is_postgres_url(dsn):
            parts = urlsplit(dsn)
            query = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
            host = unquote(parts.hostname or "") or query.get("host") or host
            try:
                port = parts.port or int(query.get("port", port))
            except ValueError:
                raise ProbeError("the DSN has an invalid port") from None
            user = unquote(parts.username) if parts.username else query.get("user", user)
            database = unquote(parts.path.lstrip("/")) or query.get("dbname", database)
        else:
            kv = conninfo_pairs(dsn)
            host = kv.get("host", kv.get("hostaddr", host))
            port = int(kv.get("port", port))
            user = kv.get("user", user)
            database = kv.get("dbname", database)
    else:
        source = "PG* variables"
    if "," in host:
        raise ProbeError("multi-host DSNs are not supported by the probe; name one host")
    display = mask_dsn(dsn) if dsn else (f"postgresql://{user + '@' if user else ''}{host}:{port}/{database or ''}")
    if dsn is None:
        display = mask_dsn(display)
    return ConnTarget(dsn, host, port, user, database, display, source)


def driver_dsn(dsn: str) -> str:
    """``dsn`` in a form asyncpg accepts: URLs as they are, a libpq keyword/value string as an equivalent URL.

    asyncpg only parses URLs; libpq's ``host=h port=5432 dbname=d`` form would fail
    with a configuration error. Every keyword becomes a query parameter, which asyncpg
    reads like libpq (host, port, user, password, dbname, sslmode, ...; ``hostaddr``
    stands in for a missing ``host``).
    """
    if is_postgres_url(dsn):
        return dsn
    pairs = conninfo_pairs(dsn)
    if "hostaddr" in pairs:
        hostaddr = pairs.pop("hostaddr")
        pairs.setdefault("host", hostaddr)
    return "postgresql://" + (f"?{urlencode(pairs)}" if pairs else "")
