"""``auditkit scan`` (the scored audit) and ``auditkit history`` (earlier runs)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from auditkit.report.model import AuditReport

__all__ = ["history", "scan"]


_FORMATS = ("html", "md", "json", "sarif", "junit")
_DEFAULT_REPORTS = ("html", "md", "json")
_STORE_OPTION = click.option(
    "--history-store",
    "store_location",
    default=None,
    help="SQLite path or postgresql:// URL of the run history (default: AUDITKIT_HISTORY_URL, "
    "[scan] history_store, else the XDG data folder).",
)
_CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Config file (default: .auditkit.toml or [tool.auditkit] in pyproject.toml, found upwards).",
)
_STATUS_COLOUR = {"critical": "red", "warning": "yellow", "good": "green", "not_measured": "white"}


@click.command("scan")
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
@click.option(
    "--report",
    "reports",
    multiple=True,
    type=click.Choice(_FORMATS),
    help="Report format to write (repeatable). Default: [scan] reports in the config, else html, md and json.",
)
@click.option(
    "--out",
    "out",
    type=str,
    default=None,
    help="Folder for the reports (default: [scan] out, else ./audit-report). '-' prints the one --report on stdout.",
)
@click.option(
    "--history/--no-history",
    "scan_history",
    default=None,
    help="Scan git history for secrets too (default: on, or [scan] history).",
)
@click.option(
    "--record/--no-record",
    default=True,
    show_default=True,
    help="Store this run in the run history and compare with the previous run.",
)
@_STORE_OPTION
@click.option(
    "--probe",
    "probes",
    multiple=True,
    metavar="PROFILE",
    help="Run a load probe profile (name from loadchecks/ or a file) as part of the audit (repeatable).",
)
@click.option(
    "--probe-target",
    metavar="URL",
    default=None,
    help="Target of the probes' HTTP part (loopback unless allowed in [probes] allow_hosts).",
)
@click.option(
    "--fail-under",
    type=FiniteFloatRange(0, 10),
    default=None,
    help="Exit 1 when the overall score is below this (default: [scan] fail_under), or when the measured "
    "areas carry less than half of the weight.",
)
@click.option(
    "--allow-unmeasured",
    is_flag=True,
    help="Let --fail-under pass on the measured areas alone even when most of the weight was not measured.",
)
@_CONFIG_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="What to print on stdout: a summary, or the JSON report.",
)
@guarded
def scan(
    path: Path,
    reports: tuple[str, ...],
    out: str | None,
    scan_history: bool | None,
    record: bool,
    store_location: str | None,
    probes: tuple[str, ...],
    probe_target: str | None,
    fail_under: float | None,
    allow_unmeasured: bool,
    config_file: Path | None,
    fmt: str,
) -> None:
    """Run the scored audit of PATH: secrets (working tree and history), load-test coverage, optional probes.

    Writes the reports, stores the run in the history and prints a summary.
    Exit codes: 0 at or above --fail-under (or no threshold), 1 below it, when
    probe thresholds failed, or (with --fail-under) when the measured areas carry
    less than half of the weight and --allow-unmeasured is not given; 2 on usage
    or input errors.
    """
    from auditkit.audit import run_audit
    from auditkit.config import load_config
    from auditkit.errors import SourceError

    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    config = load_config(path, config_file)
    scan_cfg = config.scan
    formats = reports or scan_cfg.reports or _DEFAULT_REPORTS
    for f in formats:
        if f not in _FORMATS:
            raise click.BadParameter(f"unknown report format {f!r} in [scan] reports", param_hint="--report")
    if out == "-" and len(formats) != 1:
        raise click.UsageError("--out - prints one report on stdout: give exactly one --report")
    threshold = fail_under if fail_under is not None else scan_cfg.fail_under
    progress = _progress() if stderr_is_tty() else None
    store = None
    if record:
        from auditkit.history import open_store

        store = open_store(store_location, config)
    try:
        report = run_audit(
            path,
            config,
            history=scan_cfg.history if scan_history is None else scan_history,
            probes=(*scan_cfg.probes, *probes),
            probe_target=probe_target,
            store=store,
            fail_under=threshold,
            allow_unmeasured=allow_unmeasured or scan_cfg.allow_unmeasured,
            progress=progress,
        )
    finally:
        if store is not None:
            store.close()
    if progress is not None:
        click.echo("", err=True)
    echo_notices(report.notices)

    from auditkit.report import ReportFormat, render, write_reports

    if out == "-":
        click.echo(render(report, formats[0]), nl=False)
    else:
        folder = Path(out) if out else (scan_cfg.out or Path("audit-report"))
        written = write_reports(report, [ReportFormat(f) for f in formats], folder)
        for p in written:
            click.echo(f"auditkit: wrote {p}", err=True)
        if fmt == "json":
            click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            _summary(report)
    gate = report.gate
    sys.exit(EXIT_CLEAN if gate.passed and gate.probes_passed else EXIT_FINDINGS)


def _progress() -> Callable[[str], None]:
    step = {"n": 0}

    def say(phase: str) -> None:
        step["n"] += 1
        click.echo(f"\rauditkit: [{step['n']}] {phase}...".ljust(60), err=True, nl=False)

    return say


def _fmt(value: float | None) -> str:
    return " n/a" if value is None else f"{value:4.1f}"


def _summary(report: AuditReport) -> None:
    """The text view: overall, caps, one line per area, the top actions, the trend."""
    colour = color_enabled()
    card = report.scorecard
    status = card.status.value
    head = f"Overall score: {_fmt(card.overall).strip()}/10 ({status.replace('_', ' ')}, confidence {card.confidence.value})"
    click.echo(style(head, enabled=colour, fg=_STATUS_COLOUR[status], bold=True))
    for cap in card.caps:
        verb = "capped at" if cap.binding else "cannot exceed"
        click.echo(f"  {verb} {cap.max:.1f}: {cap.reason}")
    if card.mostly_unmeasured:
        click.echo(
            style(f"  low confidence: {card.unmeasured_reason}", enabled=colour, fg="yellow"),
        )
    for a in card.areas:
        st = a.status.value.replace("_", " ")
        click.echo(
            f"  {_fmt(a.score)}  {style(st.ljust(12), enabled=colour, fg=_STATUS_COLOUR[a.status.value])} "
            f"{a.title}: {a.summary}"
        )
    if report.trend:
        t = report.trend
        delta = "n/a" if t.overall_delta is None else f"{t.overall_delta:+.1f}"
        click.echo(
            f"Since {t.previous_at}: {delta} ({len(t.new_findings)} new, {len(t.resolved_findings)} resolved findings)"
        )
        if t.warning:
            click.echo(f"  warning: {t.warning}")
    if report.actions:
        click.echo("Top actions (by impact per hour):")
        for act in report.actions[:5]:
            click.echo(f"  +{act.impact:.2f} in {act.effort_hours:g} h  {act.title}")
    gate = report.gate
    if gate.fail_under is not None:
        click.echo(f"Gate: {'passed' if gate.passed else 'FAILED'} (fail under {gate.fail_under:.1f})")
        if gate.reason:
            click.echo(f"  {gate.reason}")
    if not gate.probes_passed:
        click.echo("Probe thresholds failed.")


@click.command("history")
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--all", "all_repos", is_flag=True, help="List runs of every repository in the store.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Newest runs to list.")
@_STORE_OPTION
@_CONFIG_OPTION
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guarded
def history(
    path: Path, all_repos: bool, limit: int, store_location: str | None, config_file: Path | None, fmt: str
) -> None:
    """List earlier scans of the repository at PATH, newest first, with their scores."""
    from auditkit.audit import repo_identity
    from auditkit.config import load_config
    from auditkit.history import open_store

    config = load_config(path, config_file)
    repo = None if all_repos else repo_identity(path)
    with open_store(store_location, config) as store:
        runs = store.runs(repo=repo, limit=limit)
        location = store.location
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "store": location,
                    "repo": repo,
                    "runs": [
                        {
                            "id": r.run_id,
                            "started_at": r.started_at,
                            "repo": r.repo,
                            "commit": r.commit,
                            "branch": r.branch,
                            "tool_version": r.tool_version,
                            "config_hash": r.config_hash,
                            "score": r.overall,
                            "status": r.status,
                            "areas": {a.id: a.score for a in r.areas},
                            "findings": len(r.findings),
                        }
                        for r in runs
                    ],
                },
                indent=2,
            )
        )
        return
    if not runs:
        click.echo(f"no runs recorded for {repo or 'any repository'} in {location}", err=True)
        return
    for r in runs:
        commit = (r.commit or "-")[:10]
        line = f"{r.started_at}  {_fmt(r.overall)}/10  {r.status:<12} {commit:<10} {r.branch or '-':<16} {len(r.findings):>5} findings  {r.run_id}"
        click.echo(line + (f"  {r.repo}" if all_repos else ""))
