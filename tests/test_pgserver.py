"""The throwaway PostgreSQL server used by probe and history tests really works."""

from __future__ import annotations

import psycopg

from tests.pgserver import PgServer


def test_server_accepts_password_login(pg_server: PgServer) -> None:
    with psycopg.connect(pg_server.dsn) as conn:
        (one,) = conn.execute("select 1").fetchone()  # type: ignore[misc]
    assert one == 1
