"""The PostgreSQL probe against a real throwaway server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from auditkit.config import ProbesConfig
from auditkit.errors import CredentialError, ProbeError, UnsafeTargetError
from auditkit.probes.db import run_db_probe
from auditkit.probes.settings import DbSettings
from tests.pgserver import PgServer

pytestmark = pytest.mark.postgres


@pytest.fixture()
def user_table(pg_server: PgServer, pg_env: dict[str, str]) -> Iterator[str]:
    """A user table with data that no workload may change."""
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS tickets")
        conn.execute("CREATE TABLE tickets (id int PRIMARY KEY, price numeric NOT NULL)")
        conn.execute("INSERT INTO tickets SELECT g, g * 1.5 FROM generate_series(1, 50) g")
    yield "tickets"
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS tickets")


def _snapshot(pg_server: PgServer) -> tuple[object, ...]:
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        content = conn.execute("SELECT md5(string_agg(id || ':' || price, ',' ORDER BY id)) FROM tickets").fetchone()
        tables = conn.execute(
            "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind = 'r'"
        ).fetchone()
    return (content, tables)


def _probe_sessions(pg_server: PgServer) -> int:
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'auditkit-probe'").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("workload", "query"),
    [
        ("read", None),
        ("read", "SELECT count(*) FROM tickets"),
        ("write", None),
        ("write", "UPDATE tickets SET price = price + 1"),
        ("mixed", None),
        ("mixed", "SELECT price FROM tickets WHERE id = 7"),
        ("contention", None),
    ],
)
def test_workloads_never_change_user_data(
    pg_server: PgServer, user_table: str, workload: str, query: str | None
) -> None:
    before = _snapshot(pg_server)
    result = run_db_probe(
        DbSettings(workload=workload, clients=4, duration=0.7, query=query, timeout=3.0, thresholds=("p(99)<60000",))
    )
    assert result.requests > 0
    assert _snapshot(pg_server) == before
    assert _probe_sessions(pg_server) == 0
    if workload != "contention":
        assert result.errors == {}, result.errors
    assert result.server["max_connections"] == 60
    assert result.server["version"]
    doc = result.to_dict()
    assert json.loads(json.dumps(doc)) == doc


def test_a_writing_query_in_the_read_workload_is_refused_by_the_server(pg_server: PgServer, user_table: str) -> None:
    before = _snapshot(pg_server)
    result = run_db_probe(
        DbSettings(
            workload="read",
            clients=2,
            duration=0.3,
            query="UPDATE tickets SET price = 0",
            config=ProbesConfig(breaker_error_rate=1.0),
        )
    )
    assert _snapshot(pg_server) == before
    assert set(result.errors) == {"25_invalid_transaction_state"}
    assert result.extra["sqlstates"] == {"25006": result.requests}


def test_allow_writes_lets_the_query_change_data(pg_server: PgServer, user_table: str) -> None:
    before = _snapshot(pg_server)
    result = run_db_probe(
        DbSettings(
            workload="write",
            clients=1,
            duration=0.2,
            allow_writes=True,
            query="UPDATE tickets SET price = price + 1 WHERE id = 1",
        )
    )
    assert result.requests > 0 and result.errors == {}
    assert _snapshot(pg_server) != before


def test_contention_counts_lock_waits_and_rollbacks(pg_server: PgServer, pg_env: dict[str, str]) -> None:
    result = run_db_probe(DbSettings(workload="contention", clients=6, duration=1.5, timeout=5.0))
    waits = result.extra["lock_waits"]
    assert waits["samples_with_waiters"] > 0 and waits["max_waiting_clients"] >= 1
    # Repeatable-read updates of the same rows: serialization failures (40001) and deadlocks (40P01).
    assert result.errors.get("40_transaction_rollback", 0) > 0
    assert set(result.extra["sqlstates"]) <= {"40001", "40P01"}
    assert not result.breaker_tripped
    assert "deadlocks_detected_by_server" in result.extra


def test_pool_finds_the_connection_limit_and_releases_everything(pg_server: PgServer, pg_env: dict[str, str]) -> None:
    result = run_db_probe(DbSettings(workload="pool", duration=30, timeout=5.0))
    pool = result.extra["pool"]
    assert pool["refused"] is True
    assert pool["refused_sqlstate"] == "53300"
    assert pool["max_connections"] == 60
    assert pool["closed"] == pool["opened"] >= 50
    assert pool["headroom_before"] is not None
    assert _probe_sessions(pg_server) == 0
    assert any(f.rule_id == "probe-db-pool-exhausted" for f in result.findings)


def test_pool_cap_stops_before_the_server_refuses(pg_server: PgServer, pg_env: dict[str, str]) -> None:
    result = run_db_probe(DbSettings(workload="pool", pool_cap=5))
    assert result.extra["pool"]["opened"] == 5 and result.extra["pool"]["refused"] is False
    assert result.findings == ()


def test_open_model_rate_is_kept(pg_server: PgServer, pg_env: dict[str, str]) -> None:
    result = run_db_probe(DbSettings(workload="read", clients=2, duration=1.0, rate=100))
    assert 95 <= result.requests <= 101
    assert result.generator.target_rate == 100


def test_password_never_appears_in_results(
    pg_server: PgServer, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_server.dsn)
    result = run_db_probe(DbSettings(workload="read", clients=1, duration=0.2))
    text = json.dumps(result.to_dict()) + repr(result)
    assert pg_server.password not in text
    assert result.target == pg_server.dsn.replace(pg_server.password, "***")
    assert result.extra["connection_source"] == "DATABASE_URL"


def test_password_in_a_dsn_flag_is_refused(pg_env: dict[str, str]) -> None:
    with pytest.raises(CredentialError, match="PGPASSWORD"):
        run_db_probe(DbSettings(dsn="postgresql://u:hunter2@127.0.0.1/db"))
    with pytest.raises(CredentialError):
        run_db_probe(DbSettings(dsn="host=127.0.0.1 password=hunter2"))


def test_non_loopback_database_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@192.0.2.7:5432/db")
    with pytest.raises(UnsafeTargetError):
        run_db_probe(DbSettings(duration=1))


def test_no_connection_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ProbeError, match="DATABASE_URL"):
        run_db_probe(DbSettings(duration=1))


def test_wrong_password_is_a_clean_error(
    pg_server: PgServer, pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "wrong-password-123")
    with pytest.raises(ProbeError) as info:
        run_db_probe(DbSettings(duration=1))
    assert "28P01" in str(info.value) and "wrong-password-123" not in str(info.value)


def test_transaction_control_in_query_is_refused(pg_env: dict[str, str]) -> None:
    with pytest.raises(ProbeError, match="transaction control"):
        run_db_probe(DbSettings(workload="write", query="COMMIT"))
