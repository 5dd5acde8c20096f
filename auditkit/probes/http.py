"""The HTTP load probe: a raw asyncio HTTP/1.1 keep-alive client, open and closed models.

Why a hand-written client: the load loop must not be the bottleneck. On the
benchmark machine (bench/bench_probe_http.py) one Python process with this
client on uvloop sends several times more requests per second than aiohttp
with one connection per virtual user, and ~100x more than a shared
``httpx.AsyncClient``. Requests are pre-encoded bytes; responses are parsed
only as far as the status line, the framing headers (Content-Length, chunked,
Connection) and, when a check needs it, the body. httpx is used only for the
one preflight request.

Models:

* closed: ``vus`` virtual users, each with one keep-alive connection, run flows
  back to back (with think time); ``stages`` ramp the number of users like k6's
  ``ramping-vus``. Latency is measured from the actual send.
* open: flows start at a constant or ramping arrival rate, independent of
  responses. A flow whose start comes due while every connection is busy is
  sent as soon as one frees up, and its latency is measured from the *intended*
  start, so a stalled server shows up in the percentiles (no coordinated
  omission). More connections are opened up to ``max_vus``; flows that could
  not start within the timeout are dropped and counted; flows sent later than
  the tolerance are counted as late.

The generator watches itself: event-loop lag, CPU use and the achieved rate
decide whether the result is flagged as saturated. With ``workers > 1`` each
process runs a share of the load and the parent merges their histograms.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import multiprocessing
import os
import random
import signal
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auditkit.errors import CredentialError, ProbeError
from auditkit.probes.result import CheckResult, ProbeResult
from auditkit.probes.runtime import (
    Controller,
    Progress,
    ProgressCallback,
    RateSchedule,
    Stats,
    build_result,
    generator_health,
    interpolate,
    lag_monitor,
    run_engine,
)
from auditkit.probes.safety import check_caps, check_target, url_credential
from auditkit.probes.settings import EnvRef, HttpSettings, Scenario, Step
from auditkit.probes.thresholds import Threshold, parse_thresholds

__all__ = ["Progress", "run_http_probe"]

_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    connect_host: str
    base_path: str
    host_header: str
    full_path: str
    """Path and query of the target URL itself (what the default scenario requests)."""


def _parse_target(url: str) -> _Target:
    # First, so that no later message quotes a URL with a credential in it.
    where = url_credential(url)
    if where is not None:
        raise CredentialError(
            f"the target URL carries a credential in {where}; credentials are taken only from the environment "
            '(a profile header such as Authorization = { env = "API_TOKEN", prefix = "Bearer " })'
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ProbeError(f"target {url!r}: only http:// and https:// URLs are supported")
    if not parts.hostname:
        raise ProbeError(f"target {url!r}: no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ProbeError(f"target {url!r}: invalid port") from None
    default_port = (parts.scheme == "https" and port == 443) or (parts.scheme == "http" and port == 80)
    host = parts.hostname
    host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
    full_path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(parts.scheme, host, port, host, parts.path.rstrip("/"), host_header, full_path)


class _Template:
    """Request bytes for one step: pre-encoded once, or filled per request from a data row."""

    __slots__ = ("_parts", "fixed", "method", "needs_body", "step")

    def __init__(self, step: Step, target: _Target, env: Mapping[str, str]) -> None:
        self.step = step
        self.method = step.method.upper()
        self.needs_body = any(c.body_contains is not None for c in step.checks) or self.method == "HEAD"
        headers: list[tuple[str, str]] = [
            ("Host", target.host_header),
            ("User-Agent", "auditkit-probe"),
            ("Accept", "*/*"),
        ]
        names = {"host", "user-agent", "accept"}
        for name, value in step.headers:
            text = _resolve(value, env, f"step {step.name!r} header {name}")
            headers = [(n, v) for n, v in headers if n.lower() != name.lower()] if name.lower() in names else headers
            headers.append((name, text))
            names.add(name.lower())
        body = ""
        if step.json is not None:
            body = json.dumps(_resolve_json(step.json, env, f"step {step.name!r} json"), separators=(",", ":"))
            if "content-type" not in names:
                headers.append(("Content-Type", "application/json"))
        elif step.body is not None:
            body = step.body
        if not step.path:
            path = target.full_path
        else:
            path = target.base_path + (step.path if step.path.startswith("/") else "/" + step.path)
        head = f"{self.method} {path} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
        self._parts = (head, body)
        self.fixed: bytes | None = None if ("{{" in head or "{{" in body) else self._encode(head, body)

    @staticmethod
    def _encode(head: str, body: str) -> bytes:
        raw = body.encode()
        if raw or head.split(" ", 1)[0] in ("POST", "PUT", "PATCH"):
            head += f"Content-Length: {len(raw)}\r\n"
        return (head + "\r\n").encode() + raw

    def render(self, row: Mapping[str, str] | None) -> bytes:
        """The request bytes, with ``{{column}}`` replaced from ``row``."""
        if self.fixed is not None:
            return self.fixed
        head, body = self._parts
        for key, value in (row or {}).items():
            marker = "{{" + key + "}}"
            head = head.replace(marker, value)
            body = body.replace(marker, json.dumps(value)[1:-1])
        return self._encode(head, body)


def _resolve(value: str | EnvRef, env: Mapping[str, str], where: str) -> str:
    if isinstance(value, EnvRef):
        found = env.get(value.name)
        if found is None or found == "":
            raise CredentialError(f"{where}: environment variable {value.name} is not set")
        return value.prefix + found
    return value


def _resolve_json(value: Any, env: Mapping[str, str], where: str) -> Any:
    if isinstance(value, EnvRef):
        return _resolve(value, env, where)
    if isinstance(value, Mapping):
        return {k: _resolve_json(v, env, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolve_json(v, env, where) for v in value]
    return value


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [dict(r) for r in csv.DictReader(handle)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ProbeError(f"{path}: cannot read data rows ({exc.__class__.__name__}: {exc})") from None
    if not rows:
        raise ProbeError(f"{path}: data file has a header but no rows")
    return rows


class _Flow:
    """A scenario compiled for one process: templates plus a round-robin data cursor."""

    def __init__(self, scenario: Scenario, target: _Target, env: Mapping[str, str]) -> None:
        self.name = scenario.name
        self.templates = tuple(_Template(step, target, env) for step in scenario.steps)
        self.rows = _read_rows(scenario.data) if scenario.data else []
        self._next_row = random.randrange(len(self.rows)) if self.rows else 0

    def row(self) -> Mapping[str, str] | None:
        """The next data row (round-robin), or None without a data file."""
        if not self.rows:
            return None
        row = self.rows[self._next_row % len(self.rows)]
        self._next_row += 1
        return row


# --------------------------------------------------------------------------- connection


class _ResponseError(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _Conn(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    __slots__ = (
        "_body",
        "_buf",
        "_chunked",
        "_fut",
        "_keep_body",
        "_need",
        "_status",
        "_until_close",
        "alive",
        "reusable",
        "sent_at",
        "transport",
    )

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._buf = bytearray()
        self._fut: asyncio.Future[tuple[int, bytes]] | None = None
        self._status = 0
        self._need = -1
        self._chunked = False
        self._until_close = False
        self._keep_body = False
        self._body = bytearray()
        self.alive = False
        self.reusable = True
        self.sent_at = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.alive = True

    def send(
        self, data: bytes, keep_body: bool, head_request: bool, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[tuple[int, bytes]]:
        fut: asyncio.Future[tuple[int, bytes]] = loop.create_future()
        self._fut = fut
        self._status = 0
        self._need = -2 if head_request else -1
        self._chunked = False
        self._until_close = False
        self._keep_body = keep_body
        self._body = bytearray()
        self.sent_at = time.perf_counter()
        assert self.transport is not None
        self.transport.write(data)
        return fut

    def fail(self, kind: str) -> None:
        """Fail the request in flight (timeout watchdog) and drop the connection."""
        fut = self._fut
        self._fut = None
        self.reusable = False
        if fut is not None and not fut.done():
            fut.set_exception(_ResponseError(kind))
        if self.transport is not None:
            self.transport.abort()

    def _finish(self) -> None:
        fut = self._fut
        self._fut = None
        if fut is not None and not fut.done():
            fut.set_result((self._status, bytes(self._body)))

    def data_received(self, data: bytes) -> None:
        if self._fut is None:
            self.reusable = False
            if self.transport is not None:
                self.transport.close()
            return
        buf = self._buf
        buf += data
        try:
            self._parse(buf)
        except _ResponseError as exc:
            self.fail(exc.kind)
        except (ValueError, IndexError):
            self.fail("protocol")

    def _parse(self, buf: bytearray) -> None:
        while self._fut is not None:
            if self._status == 0:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > _MAX_HEADER_BYTES:
                        raise _ResponseError("protocol")
                    return
                if buf[:7] != b"HTTP/1.":
                    raise _ResponseError("protocol")
                status = int(buf[9:12])
                head = bytes(buf[:end]).lower()
                del buf[: end + 4]
                if 100 <= status < 200:
                    continue
                self._status = status
                http10 = head[7:8] == b"0"
                if b"\r\nconnection:" in head:
                    conn = _header(head, b"connection")
                    if b"close" in conn or (http10 and b"keep-alive" not in conn):
                        self.reusable = False
                elif http10:
                    self.reusable = False
                if self._need == -2 or status in (204, 304):
                    self._need = 0
                elif b"\r\ntransfer-encoding:" in head and b"chunked" in _header(head, b"transfer-encoding"):
                    self._chunked = True
                    self._need = -1
                elif b"\r\ncontent-length:" in head:
                    self._need = int(_header(head, b"content-length"))
                else:
                    self._until_close = True
                    self.reusable = False
            if self._chunked:
                if not self._parse_chunks(buf):
                    return
                self._finish()
                return
            if self._until_close:
                self._take(buf, len(buf))
                return
            if len(buf) < self._need:
                return
            self._take(buf, self._need)
            self._finish()
            if buf:
                self.reusable = False
            return

    def _take(self, buf: bytearray, n: int) -> None:
        if self._keep_body and len(self._body) < 1 << 20:
            self._body += buf[:n]
        del buf[:n]

    def _parse_chunks(self, buf: bytearray) -> bool:
        while True:
            if self._need > 0:
                if len(buf) < self._need + 2:
                    return False
                self._take(buf, self._need)
                del buf[:2]
                self._need = -1
            line_end = buf.find(b"\r\n")
            if line_end < 0:
                return False
            if self._need == -3:
                del buf[: line_end + 2]
                if line_end == 0:
                    return True
                continue
            size = int(bytes(buf[:line_end]).split(b";", 1)[0].strip() or b"x", 16)
            del buf[: line_end + 2]
            if size == 0:
                self._need = -3
            else:
                self._need = size

    def connection_lost(self, exc: Exception | None) -> None:
        self.alive = False
        self.reusable = False
        if self._fut is not None:
            if self._until_close and self._status:
                self._finish()
            else:
                fut = self._fut
                self._fut = None
                if not fut.done():
                    fut.set_exception(_ResponseError("protocol"))

    @property
    def busy_since(self) -> float | None:
        """When the request in flight was sent, or None when idle."""
        return self.sent_at if self._fut is not None else None


def _header(head: bytes, name: bytes) -> bytes:
    start = head.find(b"\r\n" + name + b":")
    start += len(name) + 3
    end = head.find(b"\r\n", start)
    return head[start : end if end >= 0 else len(head)].strip()


# --------------------------------------------------------------------------- statistics


class _Engine:
    """Runs the load of one process: VUs or an arrival schedule, with watchdog, ticker and breaker."""

    def __init__(
        self,
        settings: HttpSettings,
        share: float,
        index: int,
        workers: int,
        env: Mapping[str, str],
        connect_host: str,
    ) -> None:
        self.settings = settings
        self.share = share
        self.index = index
        self.workers = workers
        self.target = _parse_target(settings.target)
        self.connect_host = connect_host
        self.flows = [_Flow(s, self.target, env) for s in _scenarios(settings)]
        weights = [s.weight for s in _scenarios(settings)]
        total = sum(weights)
        acc = 0.0
        self.cum_weights: list[float] = []
        for w in weights:
            acc += w / total
            self.cum_weights.append(acc)
        self.stats = Stats()
        self.stop = asyncio.Event()
        self.conns: set[_Conn] = set()
        self.active = 0
        self.ssl_ctx: ssl.SSLContext | None = ssl.create_default_context() if self.target.scheme == "https" else None
        self.t0 = 0.0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tick_requests = 0
        self.tick_failed = 0
        self.interrupted = False
        self.tripped = False

    # ---------------------------------------------------------------- requests

    async def _connect(self) -> _Conn:
        assert self.loop is not None
        _, conn = await self.loop.create_connection(
            _Conn,
            self.connect_host,
            self.target.port,
            ssl=self.ssl_ctx,
            server_hostname=self.target.host if self.ssl_ctx else None,
        )
        sock = conn.transport.get_extra_info("socket") if conn.transport else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conns.add(conn)
        return conn

    async def _request(
        self, holder: list[_Conn | None], tpl: _Template, row: Mapping[str, str] | None, started: float | None
    ) -> None:
        """One request; ``started`` is the intended start (open model) or None (measure from send)."""
        stats = self.stats
        step = stats.step(tpl.step.name)
        loop = self.loop
        assert loop is not None
        data = tpl.render(row)
        conn = holder[0]
        t_begin = time.perf_counter() if started is None else started
        try:
            if conn is None or not conn.reusable or not conn.alive:
                if conn is not None:
                    self.conns.discard(conn)
                    if conn.transport is not None:
                        conn.transport.close()
                holder[0] = None
                try:
                    conn = await asyncio.wait_for(self._connect(), self.settings.timeout)
                except (TimeoutError, OSError, ssl.SSLError):
                    stats.requests += 1
                    step.requests += 1
                    self.tick_requests += 1
                    self.tick_failed += 1
                    stats.error(step, "connect")
                    await asyncio.sleep(0.01)
                    return
                holder[0] = conn
            if started is None:
                t_begin = time.perf_counter()
            # Counted as aborted until it is answered or fails: a request cut off by the end of
            # the run (task cancelled) was still sent, and the target may have served it.
            stats.aborted += 1
            status, body = await conn.send(data, tpl.needs_body, tpl.method == "HEAD", loop)
            stats.aborted -= 1
        except _ResponseError as exc:
            stats.aborted -= 1
            done = time.perf_counter()
            stats.requests += 1
            step.requests += 1
            self.tick_requests += 1
            self.tick_failed += 1
            stats.error(step, exc.kind)
            micros = int((done - t_begin) * 1e6)
            stats.hist.record(micros)
            step.hist.record(micros)
            holder[0] = None
            self.conns.discard(conn)
            return
        done = time.perf_counter()
        micros = int((done - t_begin) * 1e6)
        stats.hist.record(micros)
        step.hist.record(micros)
        stats.requests += 1
        step.requests += 1
        self.tick_requests += 1
        if status >= 400:
            self.tick_failed += 1
            stats.error(step, "http_5xx" if status >= 500 else "http_4xx")
        for check in tpl.step.checks:
            ok = (not check.statuses or status in check.statuses) and (
                check.body_contains is None or check.body_contains.encode() in body
            )
            counts = stats.checks.get(check.name)
            if counts is None:
                counts = stats.checks[check.name] = [0, 0]
            counts[0 if ok else 1] += 1

    async def _iteration(self, holder: list[_Conn | None], intended: float | None) -> None:
        """Run one flow: pick a scenario by weight, run its steps with think time."""
        flows = self.flows
        if len(flows) == 1:
            flow = flows[0]
        else:
            r = random.random()
            flow = flows[-1]
            for f, edge in zip(flows, self.cum_weights, strict=True):
                if r < edge:
                    flow = f
                    break
        row = flow.row()
        for i, tpl in enumerate(flow.templates):
            if self.stop.is_set():
                return
            await self._request(holder, tpl, row, intended if i == 0 else None)
            low, high = tpl.step.think
            if high > 0 and not self.stop.is_set():
                await asyncio.sleep(random.uniform(low, high))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)

    # ---------------------------------------------------------------- closed model

    async def _vu(self, vu_id: int, wanted: Callable[[], int]) -> None:
        holder: list[_Conn | None] = [None]
        self.active += 1
        self.stats.peak_active = max(self.stats.peak_active, self.active)
        try:
            while not self.stop.is_set() and vu_id < wanted():
                await self._iteration(holder, None)
        finally:
            self.active -= 1
            self._close(holder)

    def _close(self, holder: list[_Conn | None]) -> None:
        conn = holder[0]
        if conn is not None:
            self.conns.discard(conn)
            if conn.transport is not None:
                conn.transport.close()

    def _vu_share(self, total: float) -> int:
        """This process's part of ``total`` virtual users (spread so the sum is exact)."""
        whole = int(round(total))
        return whole // self.workers + (1 if self.index < whole % self.workers else 0)

    async def _closed(self) -> None:
        s = self.settings
        duration = s.total_duration
        start = 0.0 if s.stages else float(s.vus)

        def wanted() -> int:
            if not s.stages:
                return self._vu_share(s.vus)
            return self._vu_share(interpolate(s.stages, start, time.perf_counter() - self.t0))

        tasks: dict[int, asyncio.Task[None]] = {}
        while not self.stop.is_set():
            elapsed = time.perf_counter() - self.t0
            if elapsed >= duration:
                break
            want = wanted()
            for vu_id in range(want):
                task = tasks.get(vu_id)
                if task is None or task.done():
                    tasks[vu_id] = asyncio.create_task(self._vu(vu_id, wanted))
            await self._sleep(min(0.1, max(duration - elapsed, 0.0)))
        self.stop.set()
        await self._drain(list(tasks.values()))

    async def _drain(self, tasks: list[asyncio.Task[None]]) -> None:
        """Let requests in flight finish (or time out), then cancel what is left (think time, sleeps).

        After Ctrl-C or a breaker trip the wait is short; requests cut off then
        are not counted at all (they never completed).
        """
        if self.interrupted or self.tripped:
            grace = 1.0
        else:
            grace = self.settings.timeout + 0.5
        deadline = time.perf_counter() + grace
        while time.perf_counter() < deadline and any(c.busy_since is not None for c in self.conns):
            await asyncio.sleep(0.01)
        # A response that arrived in the loop iteration that saw the connections idle has woken its
        # task but the task has not run yet; one turn of the loop lets it count the request.
        await asyncio.sleep(0)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---------------------------------------------------------------- open model

    async def _open(self) -> None:
        s = self.settings
        cap = max(1, self._vu_share(s.peak_vus))
        schedule = RateSchedule(s.rate, s.stages, s.duration, 1.0 / self.workers, self.index / self.workers)
        self.schedule = schedule
        tolerance = s.late_tolerance
        timeout = s.timeout
        state = {"next": 0, "idle": 0}
        tasks: list[asyncio.Task[None]] = []

        async def worker() -> None:
            holder: list[_Conn | None] = [None]
            self.active += 1
            self.stats.peak_active = max(self.stats.peak_active, self.active)
            try:
                while not self.stop.is_set():
                    index = state["next"]
                    due = schedule.time_of(index)
                    if due is None:
                        return
                    state["next"] = index + 1
                    self.stats.scheduled += 1
                    intended = self.t0 + due
                    now = time.perf_counter()
                    if intended > now:
                        # On time: timer jitter after this point is the generator's, not the
                        # server's, so latency is measured from the actual send.
                        state["idle"] += 1
                        await asyncio.sleep(intended - now)
                        state["idle"] -= 1
                        if self.stop.is_set():
                            return
                        measured_from = None
                    else:
                        # Overdue: every connection was busy when this start came due. The wait
                        # is part of what a user would see, so latency counts from the intended start.
                        lateness = now - intended
                        if lateness > timeout:
                            self.stats.dropped += 1
                            continue
                        if lateness > tolerance:
                            self.stats.late += 1
                        if state["idle"] == 0:
                            if len(tasks) < cap:
                                tasks.append(asyncio.create_task(worker()))
                            else:
                                self.stats.exhausted = True
                        measured_from = intended
                    await self._iteration(holder, measured_from)
            finally:
                self.active -= 1
                self._close(holder)

        initial = max(1, min(cap, self._vu_share(s.vus)))
        tasks.extend(asyncio.create_task(worker()) for _ in range(initial))
        await self._sleep(max(schedule.end - (time.perf_counter() - self.t0), 0.0))
        self.stop.set()
        await self._drain(tasks)

    # ---------------------------------------------------------------- watchdog, ticker, run

    async def _watchdog(self) -> None:
        timeout = self.settings.timeout
        period = min(0.1, timeout / 10.0)
        while True:
            await asyncio.sleep(period)
            now = time.perf_counter()
            for conn in list(self.conns):
                since = conn.busy_since
                if since is not None and now - since > timeout:
                    conn.fail("timeout")

    async def run(self, tick: Callable[[_Engine, float], None], tick_every: float) -> None:
        self.loop = asyncio.get_running_loop()
        cpu0 = time.thread_time()
        self.t0 = time.perf_counter()
        helpers = [
            asyncio.create_task(self._watchdog()),
            asyncio.create_task(lag_monitor(self.stats)),
            asyncio.create_task(self._ticker(tick, tick_every)),
        ]
        try:
            await (self._open() if self.settings.model == "open" else self._closed())
        finally:
            self.stop.set()
            self.stats.wall = time.perf_counter() - self.t0
            self.stats.cpu = time.thread_time() - cpu0
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            for conn in list(self.conns):
                if conn.transport is not None:
                    conn.transport.close()

    async def _ticker(self, tick: Callable[[_Engine, float], None], every: float) -> None:
        while True:
            await asyncio.sleep(every)
            tick(self, time.perf_counter() - self.t0)

    def current_target(self, elapsed: float) -> float | None:
        s = self.settings
        if s.model == "open":
            schedule = getattr(self, "schedule", None)
            return schedule.rate_at(elapsed) * self.workers if schedule else s.rate
        if s.stages:
            return interpolate(s.stages, 0.0, elapsed)
        return float(s.vus)


def _scenarios(settings: HttpSettings) -> tuple[Scenario, ...]:
    if settings.scenarios:
        return settings.scenarios
    return (Scenario("default", (Step("GET " + (urlsplit(settings.target).path or "/"), "GET", ""),)),)


# --------------------------------------------------------------------------- orchestration


def _worker_main(
    settings: HttpSettings,
    index: int,
    workers: int,
    env: Mapping[str, str],
    connect_host: str,
    ticks: Any,
    stop_flag: Any,
    results: Any,
) -> None:
    """Entry point of a worker process: run a share of the load, stream ticks, send the final state."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    engine = _Engine(settings, 1.0 / workers, index, workers, env, connect_host)
    sent = [0, 0]

    def tick(eng: _Engine, elapsed: float) -> None:
        ticks.put(
            (
                index,
                elapsed,
                eng.tick_requests - sent[0],
                eng.tick_failed - sent[1],
                eng.active,
                eng.current_target(elapsed),
            )
        )
        sent[0] = eng.tick_requests
        sent[1] = eng.tick_failed
        if stop_flag.is_set() and not eng.stop.is_set():
            eng.tripped = True
            eng.stop.set()

    try:
        run_engine(engine, tick, 0.1, handle_sigint=False)
        results.put((index, engine.stats.to_state(), engine.interrupted, None))
    except Exception as exc:  # reported to the parent, which raises ProbeError
        results.put((index, None, False, f"{exc.__class__.__name__}: {exc}"))


def run_http_probe(
    settings: HttpSettings, progress: ProgressCallback | None = None, env: Mapping[str, str] | None = None
) -> ProbeResult:
    """Run an HTTP load probe and return its result (never prints).

    Raises :class:`~auditkit.errors.UnsafeTargetError` for a non-loopback
    target that is not allowed, :class:`~auditkit.errors.ProbeError` for caps,
    bad thresholds or an unreachable target, and
    :class:`~auditkit.errors.CredentialError` when a credential the profile
    names is missing from the environment. Ctrl-C ends the run early; the
    result then has ``interrupted=True`` and reports what was measured.
    """
    env = dict(os.environ if env is None else env)
    thresholds = parse_thresholds(settings.thresholds)
    target = _parse_target(settings.target)
    _validate(settings)
    check_target(target.host, (*settings.allow_hosts, *settings.config.allow_hosts))
    connect_host = _resolve_host(target.host)
    for scenario in _scenarios(settings):
        for step in scenario.steps:
            _Template(step, target, env)
    server = _preflight(settings.target, settings.timeout)
    workers = settings.workers if settings.workers > 0 else (os.cpu_count() or 1)
    started_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    controller = Controller(settings.total_duration, settings.config, progress)
    stats = Stats()
    interrupted = False
    if workers == 1:
        engine = _Engine(settings, 1.0, 0, 1, env, connect_host)
        sent = [0, 0]

        def tick(eng: _Engine, elapsed: float) -> None:
            tripped = controller.tick(
                elapsed,
                eng.tick_requests - sent[0],
                eng.tick_failed - sent[1],
                eng.active,
                eng.current_target(elapsed),
            )
            sent[0] = eng.tick_requests
            sent[1] = eng.tick_failed
            if tripped:
                eng.tripped = True
                eng.stop.set()

        run_engine(engine, tick, 0.1, handle_sigint=True)
        stats = engine.stats
        interrupted = engine.interrupted
    else:
        interrupted = _run_workers(settings, workers, env, connect_host, controller, stats)
    return _build_result(settings, thresholds, stats, controller, server, started_at, interrupted, workers)


def _run_workers(
    settings: HttpSettings,
    workers: int,
    env: Mapping[str, str],
    connect_host: str,
    controller: Controller,
    stats: Stats,
) -> bool:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx: Any = multiprocessing.get_context(method)
    ticks = ctx.Queue()
    results = ctx.Queue()
    stop_flag = ctx.Event()
    procs = [
        ctx.Process(
            target=_worker_main,
            args=(settings, i, workers, env, connect_host, ticks, stop_flag, results),
            daemon=True,
        )
        for i in range(workers)
    ]
    interrupted = False
    for proc in procs:
        proc.start()
    states: dict[int, tuple[dict[str, Any] | None, bool, str | None]] = {}
    active: dict[int, tuple[int, float | None]] = {}
    deadline = time.monotonic() + settings.total_duration + settings.timeout + 30.0
    try:
        while len(states) < workers and time.monotonic() < deadline:
            try:
                while True:
                    index, elapsed, req, failed, act, target = ticks.get(timeout=0.05)
                    active[index] = (act, target)
                    acts = sum(a for a, _ in active.values())
                    tgt = max((t or 0.0 for _, t in active.values()), default=0.0)
                    if controller.tick(elapsed, req, failed, acts, tgt or None):
                        stop_flag.set()
            except Exception:  # queue.Empty: no tick pending
                pass
            with contextlib.suppress(Exception):
                while True:
                    index, state, was_interrupted, error = results.get_nowait()
                    states[index] = (state, was_interrupted, error)
    except KeyboardInterrupt:
        interrupted = True
        stop_flag.set()
        while len(states) < workers:
            index, state, was_interrupted, error = results.get(timeout=settings.timeout + 10.0)
            states[index] = (state, was_interrupted, error)
    finally:
        for proc in procs:
            proc.join(timeout=5.0)
            if proc.is_alive():
                proc.kill()
    errors = [e for _, _, e in states.values() if e]
    if errors or len(states) < workers:
        raise ProbeError(f"a load worker process failed: {errors[0] if errors else 'no result'}")
    for state, was_interrupted, _ in states.values():
        assert state is not None
        stats.merge_state(state)
        interrupted = interrupted or was_interrupted
    if controller.breaker.trip is not None:
        interrupted = False  # the workers were stopped by the breaker, not by the user
    return interrupted


def _validate(settings: HttpSettings) -> None:
    if settings.model not in ("open", "closed"):
        raise ProbeError(f"model {settings.model!r}: expected 'open' or 'closed'")
    if settings.model == "open" and not settings.stages and not settings.rate:
        raise ProbeError("open model: give a rate (--rate) or rate stages")
    if settings.model == "closed" and not settings.stages and settings.vus < 1:
        raise ProbeError("closed model: --vus must be at least 1")
    if settings.total_duration <= 0:
        raise ProbeError("duration must be greater than 0")
    if settings.timeout <= 0:
        raise ProbeError("timeout must be greater than 0")
    check_caps(
        settings.config,
        rate=settings.peak_rate,
        duration=settings.total_duration,
        vus=settings.peak_vus if settings.model == "closed" else min(settings.peak_vus, settings.vus),
    )
    if settings.model == "open" and settings.max_vus is not None and settings.max_vus > settings.config.max_vus:
        check_caps(settings.config, rate=None, duration=0.0, vus=settings.max_vus)


def _resolve_host(host: str) -> str:
    """Resolve once, so every connection goes to the address that passed the safety check."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ProbeError(f"cannot resolve target host {host!r}: {exc.strerror or exc}") from None
    return str(infos[0][4][0])


def _preflight(url: str, timeout: float) -> dict[str, Any]:
    """One request with httpx before the load: the target must answer; its Server header is a server fact."""
    import httpx

    try:
        response = httpx.get(url, timeout=min(timeout, 10.0), follow_redirects=False)
    except httpx.HTTPError as exc:
        raise ProbeError(f"target {url} does not answer ({exc.__class__.__name__}); nothing was sent") from None
    facts: dict[str, Any] = {"preflight_status": response.status_code, "http_version": response.http_version}
    if "server" in response.headers:
        facts["server"] = response.headers["server"]
    return facts


def _build_result(
    settings: HttpSettings,
    thresholds: tuple[Threshold, ...],
    stats: Stats,
    controller: Controller,
    server: Mapping[str, Any],
    started_at: str,
    interrupted: bool,
    workers: int,
) -> ProbeResult:
    wall = stats.wall or 1e-9
    throughput = round(stats.requests / wall, 2)
    health = generator_health(
        stats,
        workers=workers,
        target_rate=settings.peak_rate,
        throughput=throughput,
        constant_rate=settings.rate if settings.model == "open" and not settings.stages else None,
    )
    notices: list[str] = []
    if stats.exhausted:
        notices.append(
            f"all {settings.peak_vus} connections were busy at times: requests queued in the "
            "generator (their wait is in the latencies); raise --max-vus if the server can take more"
        )
    if stats.dropped:
        notices.append(
            f"{stats.dropped} scheduled requests were dropped: they could not start within the "
            f"{settings.timeout:g}s timeout"
        )
    if stats.aborted:
        notices.append(
            f"{stats.aborted} requests were still unanswered when the run stopped and were cut off; "
            "they are not in the request count or the latencies"
        )
    if interrupted:
        notices.append("interrupted: the result covers the part of the run that completed")
    return build_result(
        "http",
        target=settings.target,
        settings=settings.to_dict(),
        server=server,
        started_at=started_at,
        stats=stats,
        thresholds=thresholds,
        controller=controller,
        health=health,
        interrupted=interrupted,
        source=settings.source,
        notices=notices,
        checks=tuple(CheckResult(name, ok, bad) for name, (ok, bad) in stats.checks.items()),
    )
