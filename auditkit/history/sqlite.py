"""The default history store: one SQLite file, append-only, safe for concurrent writers.

WAL mode lets readers run beside a writer; each append is one ``BEGIN
IMMEDIATE`` transaction with a generous busy timeout, so two scans finishing
at once both land. Triggers refuse UPDATE and DELETE: records are immutable.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from auditkit.errors import HistoryStoreError
from auditkit.history.records import RunRecord
from auditkit.history.store import HistoryStore, runs_query

__all__ = ["SqliteStore"]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE,
        repo TEXT NOT NULL,
        started_at TEXT NOT NULL,
        record TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS runs_by_repo ON runs (repo, seq)",
    """CREATE TRIGGER IF NOT EXISTS runs_are_immutable_update BEFORE UPDATE ON runs
    BEGIN SELECT RAISE(ABORT, 'auditkit run records are immutable'); END""",
    """CREATE TRIGGER IF NOT EXISTS runs_are_immutable_delete BEFORE DELETE ON runs
    BEGIN SELECT RAISE(ABORT, 'auditkit run records are immutable'); END""",
)

_BUSY_TIMEOUT_S = 60.0


class SqliteStore(HistoryStore):
    """Run history in a SQLite file (created with its folder when missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=_BUSY_TIMEOUT_S, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except (sqlite3.Error, OSError) as exc:
            raise HistoryStoreError(f"{path}: cannot open the run history ({exc})") from None

    def append(self, record: RunRecord) -> RunRecord:
        """Insert one run in its own immediate transaction."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT INTO runs (run_id, repo, started_at, record) VALUES (?, ?, ?, ?)",
                    (record.run_id, record.repo, record.started_at, record.to_json()),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.IntegrityError:
            raise HistoryStoreError(f"{self.path}: run {record.run_id} is already recorded") from None
        except sqlite3.Error as exc:
            raise HistoryStoreError(f"{self.path}: cannot record the run ({exc})") from None
        return RunRecord.from_json(record.to_json(), seq=cur.lastrowid)

    def runs(self, repo: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Newest first."""
        sql, args = runs_query("runs", "?", repo, limit)
        try:
            rows = self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise HistoryStoreError(f"{self.path}: cannot read the run history ({exc})") from None
        return [RunRecord.from_json(text, seq=seq) for seq, text in rows]

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
