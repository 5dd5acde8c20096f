"""The run history store interface and how its location is chosen.

Location, first that applies: ``AUDITKIT_HISTORY_URL``; ``[scan]
history_store`` in the config (a path relative to the config file, a
``postgresql://`` URL or a libpq ``host=... dbname=...`` string);
``$XDG_DATA_HOME/auditkit/history.sqlite3`` (default
``~/.local/share/auditkit/history.sqlite3``).
"""

from __future__ import annotations

import abc
import os
import re
from pathlib import Path
from types import TracebackType

from auditkit.config import Config
from auditkit.dsn import is_conninfo, is_postgres_url
from auditkit.errors import HistoryStoreError
from auditkit.history.records import RunRecord

__all__ = ["HistoryStore", "default_location", "open_store", "runs_query"]

HISTORY_ENV = "AUDITKIT_HISTORY_URL"


class HistoryStore(abc.ABC):
    """Append-only storage of :class:`RunRecord` values."""

    location: str
    """Where the store lives, printable (a password in a URL is masked)."""

    @abc.abstractmethod
    def append(self, record: RunRecord) -> RunRecord:
        """Store a new run and return it with its ``seq``; a run id already stored is an error."""

    @abc.abstractmethod
    def runs(self, repo: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Stored runs, newest first; only those of ``repo`` when given."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def runs_query(table: str, mark: str, repo: str | None, limit: int | None) -> tuple[str, list[object]]:
    """SELECT of ``(seq, record)`` newest first, optionally for one repo and limited; ``mark`` is the placeholder."""
    sql = f"SELECT seq, record FROM {table}"
    args: list[object] = []
    if repo is not None:
        sql += f" WHERE repo = {mark}"
        args.append(repo)
    sql += " ORDER BY seq DESC"
    if limit is not None:
        sql += f" LIMIT {mark}"
        args.append(limit)
    return sql, args


def default_location(config: Config | None = None) -> str:
    """The history store location for this configuration (see the module docstring)."""
    env = os.environ.get(HISTORY_ENV, "").strip()
    if env:
        return env
    if config is not None and config.scan.history_store:
        value = config.scan.history_store
        if _is_postgres(value):
            return value
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else config.base_dir / path)
    data_home = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return str(Path(data_home) / "auditkit" / "history.sqlite3")


def _is_postgres(location: str) -> bool:
    return is_postgres_url(location) or is_conninfo(location)


_OTHER_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def open_store(location: str | None = None, config: Config | None = None) -> HistoryStore:
    """Open (creating if needed) the store at ``location``, or at :func:`default_location`.

    Raises :class:`~auditkit.errors.HistoryStoreError` when it cannot be opened.
    """
    location = location or default_location(config)
    if _is_postgres(location):
        from auditkit.history.postgres import PostgresStore

        return PostgresStore(location)
    scheme = _OTHER_URL.match(location)
    if scheme is not None:
        # Not echoed: the URL may carry a password. Taken as a path, it would become folders named after it.
        raise HistoryStoreError(
            f"history store: unsupported URL scheme {scheme.group()!r}; give a SQLite file path or a postgresql:// URL"
        )
    from auditkit.history.sqlite import SqliteStore

    return SqliteStore(Path(location))
