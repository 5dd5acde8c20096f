"""``auditkit probe http`` and ``auditkit probe db``: run one load probe and report it.

Exit codes: 0 all thresholds passed, 1 a threshold failed or the circuit
breaker tripped, 2 usage, input or safety error (non-loopback target, a
credential on the command line, caps exceeded), 130 interrupted (Ctrl-C):
the partial result is still printed, with ``interrupted: true`` and
``passed: false``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import click

from auditkit.cli._common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    FiniteFloatRange,
    color_enabled,
    echo_notices,
    guarded,
    stderr_is_tty,
    style,
)
from auditkit.config import ProbesConfig, load_config
from auditkit.errors import CredentialError, ProbeError

# The shell's convention for a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130

__all__ = ["probe"]

_FORMATS = click.Choice(["text", "json"])


def _probes_config(config_path: Path | None) -> ProbesConfig:
    return load_config(Path.cwd(), config_path).probes


def _from_profile(profile: str | None, config: ProbesConfig, section: str) -> Any:
    """The profile's settings for ``section`` (``http`` or ``db``), or None without a profile."""
    if not profile:
        return None
    from auditkit.probes.profiles import load_profile

    loaded = load_profile(profile, config)
    settings = getattr(loaded, section)
    if settings is None:
        what = "an HTTP section ([load] / [[scenarios]])" if section == "http" else "a [db] section"
        raise ProbeError(f"{loaded.path}: the profile has no {what}")
    return settings


def _duration(value: str | None, what: str) -> float | None:
    from auditkit.probes.settings import parse_duration

    return None if value is None else parse_duration(value, what)


def _progress_printer(quiet: bool) -> Any:
    """A callback that rewrites one stderr line, or None when stderr is not a terminal."""
    if quiet or not stderr_is_tty():
        return None

    def show(p: Any) -> None:
        target = "" if p.target is None else f"  target {p.target:g}"
        line = (
            f"  {p.elapsed_s:5.1f}/{p.duration_s:g}s  {p.requests:,} req  {p.rate:,.0f}/s  "
            f"errors {p.errors:,}  active {p.active}{target}"
        )
        click.echo("\r" + line.ljust(90), err=True, nl=False)

    return show


def _end_progress(printer: Any) -> None:
    if printer is not None:
        click.echo("\r".ljust(92) + "\r", err=True, nl=False)


@click.group("probe", context_settings={"help_option_names": ["-h", "--help"]})
def probe() -> None:
    """Run an HTTP or PostgreSQL load probe with pass/fail thresholds.

    Probes only target loopback addresses unless a host is allowed with
    --allow-host or [probes] allow_hosts. Credentials come only from the
    environment.
    """


@probe.command("http")
@click.option("--target", "target", metavar="URL", help="Base URL (the profile's target when omitted).")
@click.option("--profile", metavar="NAME|FILE", help="Profile: smoke, baseline, spike, soak or a TOML/YAML file.")
@click.option(
    "--vus",
    type=click.IntRange(min=1),
    help="Virtual users (closed model); open model: connections up front.",
)
@click.option(
    "--rate",
    type=FiniteFloatRange(min=0, min_open=True),
    help="Arrival rate per second: switches to the open model.",
)
@click.option("--max-vus", type=click.IntRange(min=1), help="Open model: most connections to open when requests queue.")
@click.option("--duration", metavar="D", help="Run length: 30s, 2m, 1h (default 10s).")
@click.option("--stages", metavar="D:N,...", help="Ramp: 30s:10,1m:10,30s:0 (VUs, or rates with --rate/open model).")
@click.option("--timeout", metavar="D", help="Per-request timeout (default 10s).")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="EXPR",
    help="k6-style threshold, repeatable: 'p(95)<2000', 'rate<0.01', 'checks: rate>0.99'.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Allow this non-loopback host as a target (only systems you may load-test).",
)
@click.option("--workers", type=click.IntRange(min=0), help="Load-generating processes (0 = one per CPU; default 1).")
@click.option("--format", "fmt", type=_FORMATS, default="text", show_default=True)
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="auditkit config file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress line and no notices.")
@guarded
def http_cmd(
    target: str | None,
    profile: str | None,
    vus: int | None,
    rate: float | None,
    max_vus: int | None,
    duration: str | None,
    stages: str | None,
    timeout: str | None,
    thresholds: tuple[str, ...],
    allow_hosts: tuple[str, ...],
    workers: int | None,
    fmt: str,
    config_path: Path | None,
    quiet: bool,
) -> None:
    """Send HTTP load to a target and report throughput, latency percentiles and errors."""
    from auditkit.probes.http import run_http_probe
    from auditkit.probes.settings import HttpSettings, parse_stages

    config = _probes_config(config_path)
    settings = _from_profile(profile, config, "http") or HttpSettings(target="", config=config)
    changes: dict[str, Any] = {"config": config}
    if target:
        changes["target"] = target
    if rate is not None:
        changes.update(model="open", rate=rate)
    if vus is not None:
        changes["vus"] = vus
    if max_vus is not None:
        changes["max_vus"] = max_vus
    if duration is not None:
        changes["duration"] = _duration(duration, "--duration")
        if stages is None:
            changes["stages"] = ()
    if stages is not None:
        changes["stages"] = parse_stages(stages)
    if timeout is not None:
        changes["timeout"] = _duration(timeout, "--timeout")
    if workers is not None:
        changes["workers"] = workers
    changes["thresholds"] = (*settings.thresholds, *thresholds)
    changes["allow_hosts"] = (*settings.allow_hosts, *allow_hosts)
    settings = dataclasses.replace(settings, **changes)
    if not settings.target:
        raise ProbeError("no target: pass --target URL (or set target in the profile)")
    printer = _progress_printer(quiet)
    try:
        result = run_http_probe(settings, progress=printer)
    finally:
        _end_progress(printer)
    _emit(result, fmt, quiet)


@probe.command("db")
@click.option("--profile", metavar="NAME|FILE", help="Profile with a [db] section: smoke, baseline, ... or a file.")
@click.option(
    "--workload",
    type=click.Choice(["read", "write", "mixed", "contention", "pool"]),
    help="What to run (default read).",
)
@click.option("--clients", type=click.IntRange(min=1), help="Concurrent connections (default 8).")
@click.option("--duration", metavar="D", help="Run length: 30s, 2m (default 10s).")
@click.option(
    "--rate",
    type=FiniteFloatRange(min=0, min_open=True),
    help="Transactions per second (open model: latency from the intended start).",
)
@click.option("--query", metavar="SQL", help="Statement to run (read: default SELECT 1; write: rolled back).")
@click.option("--allow-writes", is_flag=True, help="Let --query change data (otherwise it is rolled back / read-only).")
@click.option("--dsn", metavar="DSN", help="Host/database without a password (the password comes from PGPASSWORD).")
@click.option("--password", "password", metavar="X", hidden=True, help="Refused: use PGPASSWORD.")
@click.option("--pool-cap", type=click.IntRange(min=1), help="Pool workload: stop after this many connections.")
@click.option("--timeout", metavar="D", help="Statement and connect timeout (default 10s).")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    metavar="EXPR",
    help="k6-style threshold, repeatable: 'p(95)<50', 'rate<0.01'.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Allow this non-loopback database host (only systems you may load-test).",
)
@click.option("--format", "fmt", type=_FORMATS, default="text", show_default=True)
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="auditkit config file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress line and no notices.")
@guarded
def db_cmd(
    profile: str | None,
    workload: str | None,
    clients: int | None,
    duration: str | None,
    rate: float | None,
    query: str | None,
    allow_writes: bool,
    dsn: str | None,
    password: str | None,
    pool_cap: int | None,
    timeout: str | None,
    thresholds: tuple[str, ...],
    allow_hosts: tuple[str, ...],
    fmt: str,
    config_path: Path | None,
    quiet: bool,
) -> None:
    """Load a PostgreSQL database from DATABASE_URL or PG* variables; report tps, latency, SQLSTATE errors."""
    from auditkit.probes.db import run_db_probe
    from auditkit.probes.settings import DbSettings

    if password is not None:
        raise CredentialError(
            "--password is refused: a password on the command line is visible to every user of this host "
            "(process list, shell history); export PGPASSWORD or DATABASE_URL instead"
        )
    config = _probes_config(config_path)
    settings = _from_profile(profile, config, "db") or DbSettings(config=config)
    changes: dict[str, Any] = {"config": config}
    for key, value in (
        ("workload", workload),
        ("clients", clients),
        ("rate", rate),
        ("query", query),
        ("dsn", dsn),
        ("pool_cap", pool_cap),
    ):
        if value is not None:
            changes[key] = value
    if duration is not None:
        changes["duration"] = _duration(duration, "--duration")
    if timeout is not None:
        changes["timeout"] = _duration(timeout, "--timeout")
    if allow_writes:
        changes["allow_writes"] = True
    changes["thresholds"] = (*settings.thresholds, *thresholds)
    changes["allow_hosts"] = (*settings.allow_hosts, *allow_hosts)
    settings = dataclasses.replace(settings, **changes)
    printer = _progress_printer(quiet)
    try:
        result = run_db_probe(settings, progress=printer)
    finally:
        _end_progress(printer)
    _emit(result, fmt, quiet)


def _emit(result: Any, fmt: str, quiet: bool) -> None:
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(render_text(result, color=color_enabled()))
    echo_notices(result.notices, quiet=quiet or fmt == "text")
    if result.interrupted:
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_CLEAN if result.passed else EXIT_FINDINGS)


def _ms(value: float) -> str:
    return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"


def render_text(result: Any, color: bool = False) -> str:
    """The human summary of a probe result."""
    unit = "req" if result.probe == "http" else "tx"
    s = result.settings
    if result.probe == "http":
        shape = f"open, {s['rate']:g}/s" if s["model"] == "open" and s.get("rate") else s["model"]
        if s["model"] == "closed":
            shape += f", {s['vus']} VUs" if not s["stages"] else f", {len(s['stages'])} stages"
    else:
        shape = f"{s['workload']}, {s['clients']} clients" + (f", {s['rate']:g}/s" if s.get("rate") else "")
    lat = result.latency_ms
    lines = [
        f"auditkit probe {result.probe}  {result.target}  ({shape}, {result.duration_s:g}s)",
        f"  {'requests' if unit == 'req' else 'transactions':<12} {result.requests:,}  "
        f"throughput {result.throughput:,.1f}/s",
        "  latency ms   " + "  ".join(f"{k} {_ms(lat[k])}" for k in ("min", "p50", "p90", "p95", "p99", "max")),
    ]
    if result.errors:
        errs = ", ".join(f"{k} {v:,}" for k, v in sorted(result.errors.items()))
        lines.append(f"  errors       {errs}  ({result.error_rate:.2%})")
    else:
        lines.append("  errors       none")
    if len(result.steps) > 1:
        lines.append("  steps")
        for step in result.steps:
            e = sum(step.errors.values())
            lines.append(
                f"    {step.name:<28} {step.requests:>9,}  p50 {_ms(step.latency_ms['p50'])}  "
                f"p95 {_ms(step.latency_ms['p95'])}  p99 {_ms(step.latency_ms['p99'])}  errors {e:,}"
            )
    for check in result.checks:
        lines.append(f"  check        {check.name}: {check.passed:,} passed, {check.failed:,} failed")
    if result.late or result.dropped:
        lines.append(f"  schedule     late {result.late:,}, dropped {result.dropped:,}")
    for key, value in result.extra.items():
        if key in ("pool", "lock_waits") or (key == "deadlocks_detected_by_server"):
            lines.append(f"  {key:<12} {json.dumps(value)}")
    if result.server:
        lines.append("  server       " + ", ".join(f"{k} {v}" for k, v in result.server.items()))
    gen = result.generator
    if gen.saturated or gen.reasons:
        flag = "SATURATED" if gen.saturated else "note"
        lines.append(f"  generator    {flag}: {'; '.join(gen.reasons)}")
    if result.breaker_tripped:
        lines.append("  breaker      " + style(f"TRIPPED: {result.breaker_reason}", enabled=color, fg="red"))
    if result.interrupted:
        lines.append("  interrupted  the run was stopped early; figures cover what completed")
    for expr, ok in result.thresholds.items():
        mark = style("pass", enabled=color, fg="green") if ok else style("FAIL", enabled=color, fg="red", bold=True)
        lines.append(f"  threshold    {mark}  {expr}")
    for notice in result.notices:
        lines.append(f"  notice       {notice}")
    verdict = "INTERRUPTED" if result.interrupted else "PASSED" if result.passed else "FAILED"
    lines.append("  result       " + style(verdict, enabled=color, fg="green" if result.passed else "red", bold=True))
    return "\n".join(lines)
