"""The shared history store: PostgreSQL through psycopg (``AUDITKIT_HISTORY_URL=postgresql://...``).

The table is created on first use under an advisory lock (two first scans
racing to create it would otherwise collide); a trigger refuses UPDATE and
DELETE. Every append is its own transaction, ordered by a ``bigserial``.
Error messages show the URL with its password masked.
"""

from __future__ import annotations

from typing import Any

from auditkit.dsn import mask_dsn
from auditkit.errors import HistoryStoreError
from auditkit.history.records import RunRecord
from auditkit.history.store import HistoryStore, runs_query

__all__ = ["PostgresStore"]

_LOCK_ID = 0x61756469  # "audi": serialises schema creation across processes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS auditkit_runs (
    seq BIGSERIAL PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    repo TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    record JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS auditkit_runs_by_repo ON auditkit_runs (repo, seq);
CREATE OR REPLACE FUNCTION auditkit_runs_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'auditkit run records are immutable';
END $$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'auditkit_runs_immutable') THEN
        CREATE TRIGGER auditkit_runs_immutable BEFORE UPDATE OR DELETE ON auditkit_runs
        FOR EACH ROW EXECUTE FUNCTION auditkit_runs_immutable();
    END IF;
END $$;
"""


class PostgresStore(HistoryStore):
    """Run history in a PostgreSQL table ``auditkit_runs``."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.location = mask_dsn(url)
        self._url = url
        self._psycopg = psycopg
        try:
            self._conn: Any = psycopg.connect(url, connect_timeout=15)
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                self._conn.execute(_SCHEMA)
        except psycopg.Error as exc:
            raise HistoryStoreError(f"{self.location}: cannot open the run history ({self._why(exc)})") from None

    def _why(self, exc: Exception) -> str:
        # psycopg messages can echo the connection string; never show a password.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        return mask_dsn(first, source=self._url)

    def append(self, record: RunRecord) -> RunRecord:
        """Insert one run in its own transaction."""
        psycopg = self._psycopg
        try:
            with self._conn.transaction():
                row = self._conn.execute(
                    "INSERT INTO auditkit_runs (run_id, repo, started_at, record) VALUES (%s, %s, %s, %s::jsonb)"
                    " RETURNING seq",
                    (record.run_id, record.repo, record.started_at, record.to_json()),
                ).fetchone()
        except psycopg.errors.UniqueViolation:
            raise HistoryStoreError(f"{self.location}: run {record.run_id} is already recorded") from None
        except psycopg.Error as exc:
            raise HistoryStoreError(f"{self.location}: cannot record the run ({self._why(exc)})") from None
        return RunRecord.from_json(record.to_json(), seq=int(row[0]))

    def runs(self, repo: str | None = None, limit: int | None = None) -> list[RunRecord]:
        """Newest first."""
        sql, args = runs_query("auditkit_runs", "%s", repo, limit)
        try:
            with self._conn.transaction():
                rows = self._conn.execute(sql, args).fetchall()
        except self._psycopg.Error as exc:
            raise HistoryStoreError(f"{self.location}: cannot read the run history ({self._why(exc)})") from None
        # psycopg returns jsonb already decoded.
        return [RunRecord.from_json(record, seq=int(seq)) for seq, record in rows]

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()
