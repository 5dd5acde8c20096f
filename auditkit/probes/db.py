"""The PostgreSQL load probe (asyncpg): read, write, mixed, contention and pool workloads.

The connection comes only from the environment (:mod:`auditkit.probes.dbconn`).
The probe never changes the user's data unless ``allow_writes`` is set:

* read: sessions run with ``default_transaction_read_only = on``; the statement
  is prepared once per client (as ``pgbench -M prepared`` does).
* write / mixed: writes go to a per-session temporary table; a user ``--query``
  for the write workload runs inside a transaction that is rolled back.
* contention: many clients update the same few rows of a probe-owned table
  (``auditkit_probe_contention_<random>``, dropped at the end) in repeatable-read
  transactions, and the probe counts lock waits, deadlocks and serialization failures.
* pool: opens connections one at a time until the server refuses or the cap is
  reached, reports ``max_connections`` headroom, then closes every one.

Errors are counted by SQLSTATE class (``40_transaction_rollback``...), with the
full codes in ``extra.sqlstates``. With ``rate`` set, transactions start on an
open schedule and latency is measured from the intended start.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from auditkit.dsn import dsn_has_password, mask_dsn
from auditkit.errors import ProbeError
from auditkit.probes.dbconn import ConnTarget, driver_dsn, resolve_connection
from auditkit.probes.result import ProbeResult
from auditkit.probes.runtime import (
    Controller,
    ProgressCallback,
    RateSchedule,
    Stats,
    build_result,
    generator_health,
    lag_monitor,
    run_engine,
)
from auditkit.probes.safety import check_caps, check_target
from auditkit.probes.settings import WORKLOADS, DbSettings
from auditkit.probes.thresholds import parse_thresholds

__all__ = ["SQLSTATE_CLASSES", "run_db_probe"]

SQLSTATE_CLASSES = {
    "08": "connection_exception",
    "0A": "feature_not_supported",
    "22": "data_exception",
    "23": "integrity_constraint_violation",
    "25": "invalid_transaction_state",
    "28": "invalid_authorization",
    "3D": "invalid_catalog_name",
    "40": "transaction_rollback",
    "42": "syntax_error_or_access_rule_violation",
    "53": "insufficient_resources",
    "54": "program_limit_exceeded",
    "55": "object_not_in_prerequisite_state",
    "57": "operator_intervention",
    "58": "system_error",
    "XX": "internal_error",
}
_DEFAULT_READ = "SELECT 1"
_TX_CONTROL = re.compile(
    r"^\s*(begin|commit|rollback|end|abort|start\s+transaction|savepoint|release|"
    r"prepare\s+transaction|set\s+(session\s+)?(characteristics|transaction))\b",
    re.IGNORECASE,
)
_HOT_ROWS = 4
_TEMP_ROWS = 10_000
# The class 42 conditions a bad --query usually hits (PostgreSQL's errcodes.txt names).
_SQLSTATE_NAMES = {
    "42601": "syntax_error",
    "42P01": "undefined_table",
    "42703": "undefined_column",
    "42883": "undefined_function",
    "42501": "insufficient_privilege",
}
_APP_NAME = "auditkit-probe"


def _error_kind(exc: BaseException) -> tuple[str, str | None]:
    """(error type for the result, SQLSTATE or None)."""
    import asyncpg

    if isinstance(exc, asyncpg.PostgresError):
        code = getattr(exc, "sqlstate", None) or "XX000"
        return f"{code[:2]}_{SQLSTATE_CLASSES.get(code[:2], 'other')}", code
    if isinstance(exc, asyncio.TimeoutError):
        return "timeout", None
    if isinstance(exc, (OSError, asyncpg.InterfaceError, ConnectionError)):
        return "connection", None
    return "protocol", None


class _Workload:
    """One kind of transaction: per-client setup, one transaction, and cleanup."""

    name = "read"
    step_name = "read"
    """Step name used for a failed transaction (whose kind the workload could not report)."""
    read_only = True

    def __init__(self, settings: DbSettings) -> None:
        self.settings = settings

    async def setup(self, conn: Any, client: int) -> Any:
        """Prepare a client's connection; returns its per-client state."""
        return await conn.prepare(self.settings.query or _DEFAULT_READ)

    async def transaction(self, conn: Any, state: Any, rnd: random.Random) -> str:
        """Run one transaction; returns its step name. Raises on error."""
        await state.fetch()
        return "read"

    async def prepare_shared(self, admin: Any) -> None:
        """Create shared objects before clients connect (contention)."""

    async def cleanup_shared(self, admin: Any) -> None:
        """Drop shared objects (always runs)."""


class _Write(_Workload):
    """Writes to a temporary table (or the user's query in a rolled-back transaction)."""

    name = "write"
    step_name = "write"
    read_only = False

    async def setup(self, conn: Any, client: int) -> Any:
        if self.settings.query and not self.settings.allow_writes:
            return {"user": await conn.prepare(self.settings.query)}
        if self.settings.query:
            await conn.execute("SET default_transaction_read_only = off")
            return {"user": await conn.prepare(self.settings.query), "commit": True}
        await _create_temp(conn)
        await conn.execute("SET default_transaction_read_only = on")
        return {"upsert": await _prepare_upsert(conn), "next": client * 1_000_003}

    async def transaction(self, conn: Any, state: Any, rnd: random.Random) -> str:
        if "upsert" in state:
            state["next"] += 1
            await state["upsert"].fetch(state["next"] % _TEMP_ROWS, "x" * 32)
            return "write"
        if state.get("commit"):
            await state["user"].fetch()
            return "write"
        tr = conn.transaction()
        await tr.start()
        try:
            await state["user"].fetch()
        finally:
            await tr.rollback()
        return "write"


class _Mixed(_Workload):
    """80% reads, 20% writes to a temporary table."""

    name = "mixed"
    step_name = "mixed"
    read_only = False

    async def setup(self, conn: Any, client: int) -> Any:
        await _create_temp(conn)
        await conn.execute("SET default_transaction_read_only = on")
        read = await conn.prepare(self.settings.query or "SELECT n FROM auditkit_probe_rows WHERE id = $1")
        return {
            "read": read,
            "params": 0 if self.settings.query else 1,
            "upsert": await _prepare_upsert(conn),
        }

    async def transaction(self, conn: Any, state: Any, rnd: random.Random) -> str:
        if rnd.random() < 0.2:
            await state["upsert"].fetch(rnd.randrange(_TEMP_ROWS), "x" * 32)
            return "write"
        if state["params"]:
            await state["read"].fetch(rnd.randrange(_TEMP_ROWS))
        else:
            await state["read"].fetch()
        return "read"


class _Contention(_Workload):
    """Clients update the same few rows of a probe-owned table in random order."""

    name = "contention"
    step_name = "update_hot_rows"
    read_only = False

    def __init__(self, settings: DbSettings) -> None:
        super().__init__(settings)
        self.table = f"auditkit_probe_contention_{secrets.token_hex(4)}"
        self.created = False

    async def prepare_shared(self, admin: Any) -> None:
        import asyncpg

        # The admin session defaults to read-only; this one transaction is explicitly read-write.
        try:
            await admin.execute(
                f"BEGIN READ WRITE; CREATE UNLOGGED TABLE {self.table} (id int PRIMARY KEY, n bigint NOT NULL); "
                f"INSERT INTO {self.table} SELECT g, 0 FROM generate_series(1, {_HOT_ROWS}) g; COMMIT"
            )
            self.created = True
        except asyncpg.PostgresError as exc:
            await admin.execute("ROLLBACK")
            raise ProbeError(
                f"contention workload: cannot create its scratch table {self.table} "
                f"(SQLSTATE {exc.sqlstate}); it needs CREATE on a schema in the search path"
            ) from None

    async def setup(self, conn: Any, client: int) -> Any:
        update = await conn.prepare(f"UPDATE {self.table} SET n = n + 1 WHERE id = $1")
        # The first execution of a freshly prepared statement inside a repeatable-read transaction
        # fails with 25001 under asyncpg; one execution that matches no row (id 0) settles it.
        await update.fetch(0)
        return update

    async def transaction(self, conn: Any, state: Any, rnd: random.Random) -> str:
        first, second = rnd.sample(range(1, _HOT_ROWS + 1), 2)
        async with conn.transaction(isolation="repeatable_read"):
            await state.fetch(first)
            await state.fetch(second)
        return "update_hot_rows"

    async def cleanup_shared(self, admin: Any) -> None:
        if self.created:
            await admin.execute(f"BEGIN READ WRITE; DROP TABLE IF EXISTS {self.table}; COMMIT")


async def _create_temp(conn: Any) -> None:
    await conn.execute("SET default_transaction_read_only = off")
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS auditkit_probe_rows (id int PRIMARY KEY, n bigint NOT NULL, payload text)"
    )


async def _prepare_upsert(conn: Any) -> Any:
    return await conn.prepare(
        "INSERT INTO auditkit_probe_rows AS t (id, n, payload) VALUES ($1, 0, $2) "
        "ON CONFLICT (id) DO UPDATE SET n = t.n + 1, payload = EXCLUDED.payload"
    )


_WORKLOADS: dict[str, Callable[[DbSettings], _Workload]] = {
    "read": _Workload,
    "write": _Write,
    "mixed": _Mixed,
    "contention": _Contention,
}


class _DbEngine:
    """Runs clients (closed loop or open schedule) plus the ticker, lag monitor and lock-wait sampler."""

    def __init__(self, settings: DbSettings, target: ConnTarget, env: Mapping[str, str]) -> None:
        self.settings = settings
        self.target = target
        self.env = env
        self.stats = Stats()
        self.stop = asyncio.Event()
        self.interrupted = False
        self.tripped = False
        self.server: dict[str, Any] = {}
        self.extra: dict[str, Any] = {}
        self.sqlstates: dict[str, int] = {}
        self.tick_requests = 0
        self.tick_failed = 0
        self.active = 0
        self.t0 = 0.0
        self.ready = 0
        self.started = asyncio.Event()
        self.helpers: list[asyncio.Task[None]] = []
        self.cpu0 = 0.0
        self._tick: tuple[Callable[[Any, float], None], float] = (lambda engine, elapsed: None, 0.1)
        self.breaker_exempt = ("40_transaction_rollback",) if settings.workload == "contention" else ()

    async def connect(self, read_only: bool) -> Any:
        import asyncpg

        t = self.target
        kwargs: dict[str, Any] = (
            {"dsn": driver_dsn(t.dsn)}
            if t.dsn
            else {"host": t.host, "port": t.port, "user": t.user, "database": t.database}
        )
        password = self.env.get("PGPASSWORD")
        if password and not (t.dsn and dsn_has_password(t.dsn)):
            kwargs["password"] = password
        settings = {
            "application_name": _APP_NAME,
            "statement_timeout": str(int(self.settings.timeout * 1000)),
        }
        if read_only and not self.settings.allow_writes:
            settings["default_transaction_read_only"] = "on"
        return await asyncpg.connect(
            **kwargs,
            server_settings=settings,
            timeout=self.settings.timeout,
            statement_cache_size=0 if self.settings.workload == "pool" else 100,
        )

    def record_error(self, step_name: str, exc: BaseException, started: float) -> None:
        kind, code = _error_kind(exc)
        step = self.stats.step(step_name)
        step.requests += 1
        self.stats.requests += 1
        self.stats.error(step, kind)
        micros = int((time.perf_counter() - started) * 1e6)
        self.stats.hist.record(micros)
        step.hist.record(micros)
        self.tick_requests += 1
        if kind not in self.breaker_exempt:
            self.tick_failed += 1
        if code:
            self.sqlstates[code] = self.sqlstates.get(code, 0) + 1

    async def run(self, tick: Callable[[Any, float], None], tick_every: float) -> None:
        import asyncpg

        try:
            admin = await self.connect(read_only=True)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            kind, code = _error_kind(exc)
            detail = mask_dsn(f"SQLSTATE {code}: {exc}", source=self.target.dsn) if code else exc.__class__.__name__
            raise ProbeError(f"cannot connect to {self.target.display} ({detail})") from None
        try:
            await self._check_query(admin)
            self.server = await _server_facts(admin)
            self._tick = (tick, tick_every)
            try:
                if self.settings.workload == "pool":
                    self._begin()
                    await self._pool()
                else:
                    await self._load(admin)
            finally:
                self.stop.set()
                if self.t0:
                    self.stats.wall = time.perf_counter() - self.t0
                    self.stats.cpu = time.thread_time() - self.cpu0
                for task in self.helpers:
                    task.cancel()
                await asyncio.gather(*self.helpers, return_exceptions=True)
        finally:
            await admin.close()

    async def _check_query(self, admin: Any) -> None:
        """Prepare the user's query once before any load: a syntax error, an unknown table or column or a
        missing privilege (SQLSTATE class 42) is bad input, not a result, and no load is sent."""
        import asyncpg

        if not self.settings.query:
            return
        try:
            await admin.prepare(self.settings.query)
        except asyncpg.PostgresError as exc:
            code = getattr(exc, "sqlstate", None) or ""
            if not code.startswith("42"):
                raise
            first = (str(exc).splitlines() or [exc.__class__.__name__])[0]
            raise ProbeError(
                f"--query is not valid on {self.target.display}: SQLSTATE {code} "
                f"{_SQLSTATE_NAMES.get(code, '')}: {mask_dsn(first, source=self.target.dsn)}".replace("  ", " ")
            ) from None

    def _begin(self) -> None:
        """Start the clock, the ticker and the lag monitor (after every client has connected)."""
        self.t0 = time.perf_counter()
        self.cpu0 = time.thread_time()
        tick, every = self._tick
        self.helpers = [
            asyncio.create_task(lag_monitor(self.stats)),
            asyncio.create_task(self._ticker(tick, every)),
        ]
        self.started.set()

    async def _ticker(self, tick: Callable[[Any, float], None], every: float) -> None:
        while True:
            await asyncio.sleep(every)
            tick(self, time.perf_counter() - self.t0)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
        except TimeoutError:
            pass

    # ---------------------------------------------------------------- transaction workloads

    async def _load(self, admin: Any) -> None:
        workload = _WORKLOADS[self.settings.workload](self.settings)
        await workload.prepare_shared(admin)
        sampler = None
        deadlocks_before = await _deadlocks(admin)
        try:
            if self.settings.workload == "contention":
                sampler = asyncio.create_task(self._sample_lock_waits(admin))
            clients = [asyncio.create_task(self._client(workload, i)) for i in range(self.settings.clients)]
            # Connections (SCRAM authentication is CPU work) are made before the clock starts, as
            # pgbench reports tps "without initial connection time".
            deadline = time.perf_counter() + self.settings.timeout
            while self.ready < len(clients) and time.perf_counter() < deadline and not self.stop.is_set():
                await asyncio.sleep(0.005)
            self._begin()
            await self._sleep(self.settings.duration)
            self.stop.set()
            await self._drain(clients)
        finally:
            if sampler is not None:
                sampler.cancel()
                await asyncio.gather(sampler, return_exceptions=True)
            if self.settings.workload == "contention":
                self.extra["deadlocks_detected_by_server"] = max(0, await _deadlocks(admin) - deadlocks_before)
            await workload.cleanup_shared(admin)

    async def _drain(self, clients: list[asyncio.Task[None]]) -> None:
        grace = 1.0 if (self.interrupted or self.tripped) else self.settings.timeout + 0.5
        _, pending = await asyncio.wait(clients, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*clients, return_exceptions=True)

    async def _client(self, workload: _Workload, index: int) -> None:
        import asyncpg

        rnd = random.Random(index)
        conn = None
        schedule = self._schedule(index)
        self.active += 1
        self.stats.peak_active = max(self.stats.peak_active, self.active)
        first = True
        try:
            while not self.stop.is_set():
                if not first and not self.started.is_set():
                    await self.started.wait()
                if conn is None or conn.is_closed():
                    started = time.perf_counter()
                    try:
                        conn = await self.connect(workload.read_only)
                        state = await workload.setup(conn, index)
                    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                        self.record_error("connect", exc, started)
                        if conn is not None:
                            conn.terminate()
                            conn = None
                        await self._sleep(0.1)
                        continue
                    finally:
                        if first:
                            first = False
                            self.ready += 1
                    if not self.started.is_set():
                        await self.started.wait()
                intended = None
                if schedule is not None:
                    intended = await self._next_slot(schedule)
                    if intended is None:
                        return
                started = time.perf_counter() if intended is None else intended
                try:
                    step_name = await workload.transaction(conn, state, rnd)
                except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                    self.record_error(workload.step_name, exc, started)
                    continue
                micros = int((time.perf_counter() - started) * 1e6)
                stats = self.stats
                step = stats.step(step_name)
                stats.hist.record(micros)
                step.hist.record(micros)
                stats.requests += 1
                step.requests += 1
                self.tick_requests += 1
        finally:
            self.active -= 1
            if conn is not None:
                try:
                    await asyncio.wait_for(conn.close(), 2.0)
                except (TimeoutError, OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
                    conn.terminate()

    def _schedule(self, index: int) -> dict[str, Any] | None:
        if not self.settings.rate:
            return None
        if not hasattr(self, "_shared"):
            self._shared = {
                "next": 0,
                "plan": RateSchedule(self.settings.rate, (), self.settings.duration, 1.0, 0.0),
            }
        return self._shared

    async def _next_slot(self, shared: dict[str, Any]) -> float | None:
        """Claim the next arrival; sleep until it is due. Overdue arrivals are measured from their due time."""
        while True:
            index = shared["next"]
            due = shared["plan"].time_of(index)
            if due is None or self.stop.is_set():
                return None
            shared["next"] = index + 1
            self.stats.scheduled += 1
            intended = self.t0 + due
            now = time.perf_counter()
            if intended > now:
                await asyncio.sleep(intended - now)
                # On time: measure from the actual start (timer jitter is the generator's, not the server's).
                return None if self.stop.is_set() else time.perf_counter()
            lateness = now - intended
            self.stats.exhausted = True
            if lateness > self.settings.timeout:
                self.stats.dropped += 1
                continue
            if lateness > 0.005:
                self.stats.late += 1
            return intended

    async def _sample_lock_waits(self, admin: Any) -> None:
        samples = waiting_samples = total_waiting = max_waiting = 0
        query = await admin.prepare(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = $1"
        )
        try:
            while True:
                waiting = int(await query.fetchval(_APP_NAME))
                samples += 1
                total_waiting += waiting
                max_waiting = max(max_waiting, waiting)
                waiting_samples += 1 if waiting else 0
                self.extra["lock_waits"] = {
                    "samples": samples,
                    "samples_with_waiters": waiting_samples,
                    "max_waiting_clients": max_waiting,
                    "mean_waiting_clients": round(total_waiting / samples, 3),
                }
                await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            raise

    # ---------------------------------------------------------------- pool workload

    async def _pool(self) -> None:
        import asyncpg

        cap = self.settings.pool_cap or self.settings.config.max_vus
        opened: list[Any] = []
        refused: dict[str, Any] | None = None
        try:
            while len(opened) < cap and not self.stop.is_set():
                if time.perf_counter() - self.t0 > self.settings.duration:
                    break
                started = time.perf_counter()
                try:
                    conn = await self.connect(read_only=True)
                except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    self.record_error("connect", exc, started)
                    kind, code = _error_kind(exc)
                    refused = {"sqlstate": code, "type": kind, "reason": _safe_reason(exc)}
                    break
                micros = int((time.perf_counter() - started) * 1e6)
                step = self.stats.step("connect")
                self.stats.hist.record(micros)
                step.hist.record(micros)
                self.stats.requests += 1
                step.requests += 1
                self.tick_requests += 1
                opened.append(conn)
                self.active = len(opened)
                self.stats.peak_active = max(self.stats.peak_active, self.active)
        finally:
            closed = await _close_all(opened)
            self.active = 0
        max_conn = self.server.get("max_connections")
        reserved = self.server.get("reserved_connections", 0)
        in_use = self.server.get("connections", 0)
        self.extra["pool"] = {
            "opened": len(opened),
            "closed": closed,
            "cap": cap,
            "refused": refused is not None,
            "refused_sqlstate": refused["sqlstate"] if refused else None,
            "refused_reason": refused["reason"] if refused else None,
            "max_connections": max_conn,
            "reserved_connections": reserved,
            "connections_before": in_use,
            "headroom_before": (max_conn - reserved - in_use) if isinstance(max_conn, int) else None,
        }


def _safe_reason(exc: BaseException) -> str:
    """A short reason without anything that could be a credential (server messages carry none; we cut anyway)."""
    text = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return text[:200]


async def _close_all(conns: list[Any]) -> int:
    closed = 0
    for conn in conns:
        try:
            await asyncio.wait_for(conn.close(), 2.0)
        except Exception:  # a connection that cannot close gracefully is terminated below
            conn.terminate()
        closed += 1
    return closed


async def _server_facts(admin: Any) -> dict[str, Any]:
    row = await admin.fetchrow(
        "SELECT current_setting('server_version') AS version,"
        " current_setting('max_connections')::int AS max_connections,"
        " current_setting('superuser_reserved_connections')::int AS reserved,"
        " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,"
        " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active')"
        " AS active,"
        " current_database() AS database"
    )
    return {
        "version": row["version"],
        "max_connections": row["max_connections"],
        "reserved_connections": row["reserved"],
        "connections": int(row["connections"]),
        "active_connections": int(row["active"]),
        "database": row["database"],
    }


async def _deadlocks(admin: Any) -> int:
    value = await admin.fetchval("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
    return int(value or 0)


def _validate(settings: DbSettings) -> None:
    if settings.workload not in WORKLOADS:
        raise ProbeError(f"workload {settings.workload!r}: expected one of {', '.join(WORKLOADS)}")
    if settings.clients < 1:
        raise ProbeError("--clients must be at least 1")
    if settings.duration <= 0:
        raise ProbeError("duration must be greater than 0")
    if settings.query is not None:
        if not settings.query.strip():
            raise ProbeError("--query is empty")
        if _TX_CONTROL.match(settings.query):
            raise ProbeError(
                "--query: transaction control statements are not allowed; the probe manages "
                "transactions itself (that is how it guarantees a rollback)"
            )
        if settings.workload in ("contention", "pool"):
            raise ProbeError(f"--query does not apply to the {settings.workload} workload")
    check_caps(
        settings.config,
        rate=settings.rate,
        duration=settings.duration,
        vus=settings.pool_cap if settings.workload == "pool" and settings.pool_cap else settings.clients,
    )


def run_db_probe(
    settings: DbSettings, progress: ProgressCallback | None = None, env: Mapping[str, str] | None = None
) -> ProbeResult:
    """Run a PostgreSQL load probe and return its result (never prints).

    The connection comes from ``env`` (default ``os.environ``): ``DATABASE_URL``
    or ``PG*`` variables, or ``settings.dsn`` without a password. Raises
    CredentialError, UnsafeTargetError or ProbeError before any load is sent.
    """
    env = dict(os.environ if env is None else env)
    thresholds = parse_thresholds(settings.thresholds)
    _validate(settings)
    target = resolve_connection(settings.dsn, env, origin=settings.source or "--dsn")
    check_target(target.host, (*settings.allow_hosts, *settings.config.allow_hosts), what="database")
    started_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    controller = Controller(settings.duration, settings.config, progress)
    engine = _DbEngine(settings, target, env)
    sent = [0, 0]

    def tick(eng: _DbEngine, elapsed: float) -> None:
        tripped = controller.tick(
            elapsed,
            eng.tick_requests - sent[0],
            eng.tick_failed - sent[1],
            eng.active,
            settings.rate or float(settings.clients),
        )
        sent[0] = eng.tick_requests
        sent[1] = eng.tick_failed
        if tripped and not eng.stop.is_set():
            eng.tripped = True
            eng.stop.set()

    run_engine(engine, tick, 0.1, handle_sigint=True)
    stats = engine.stats
    wall = stats.wall or 1e-9
    throughput = round(stats.requests / wall, 2)
    extra = dict(engine.extra)
    extra["sqlstates"] = dict(sorted(engine.sqlstates.items()))
    extra["connection_source"] = target.source
    health = generator_health(
        stats, workers=1, target_rate=settings.rate, constant_rate=settings.rate, throughput=throughput
    )
    notices: list[str] = []
    if engine.interrupted:
        notices.append("interrupted: the result covers the part of the run that completed")
    if settings.workload == "contention":
        notices.append("contention used a probe-owned scratch table, dropped at the end; user tables untouched")
    return build_result(
        "db",
        target=target.display,
        settings=settings.to_dict(),
        server=engine.server,
        started_at=started_at,
        stats=stats,
        thresholds=thresholds,
        controller=controller,
        health=health,
        interrupted=engine.interrupted,
        source=settings.source,
        notices=notices,
        extra=extra,
    )
