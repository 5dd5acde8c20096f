"""``auditkit secrets`` and ``auditkit baseline``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from auditkit.cli._common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    color_enabled,
    echo_notices,
    guarded,
    stderr_is_tty,
    style,
)

__all__ = ["baseline", "secrets"]

_SEVERITY_COLOR = {"critical": "red", "high": "red", "medium": "yellow", "low": "cyan", "info": "white"}


def _progress_printer() -> Any:
    """A progress callback drawing one line on stderr, only when stderr is a terminal."""
    if not stderr_is_tty():
        return None
    last = [0.0]

    def show(state: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and not state.get("final"):
            return
        last[0] = now
        text = "  ".join(f"{k.replace('_', ' ')}: {v}" for k, v in state.items() if k != "final")
        click.echo(f"\r\x1b[2K{text}", err=True, nl=bool(state.get("final")))

    return show


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--staged", is_flag=True, help="Scan only the lines added in the git index (the pre-commit path).")
@click.option("--history", is_flag=True, help="Scan every commit reachable from all refs.")
@click.option("--since", metavar="DATE", help="With --history: only commits after DATE (git date syntax).")
@click.option("--rev-range", metavar="A..B", help="With --history: only commits in this revision range.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
    help="Output format on stdout.",
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(path_type=Path),
    help="Accepted findings (auditkit baseline or detect-secrets .secrets.baseline).",
)
@click.option("--no-baseline", is_flag=True, help="Ignore any baseline; report everything.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file (default: discovered).")
@click.option("--jobs", type=click.IntRange(min=0), default=None, help="Worker processes (0 = one per CPU).")
@click.option("-q", "--quiet", is_flag=True, help="No notices on stderr.")
@guarded
def secrets(
    paths: tuple[Path, ...],
    staged: bool,
    history: bool,
    since: str | None,
    rev_range: str | None,
    fmt: str,
    baseline_path: Path | None,
    no_baseline: bool,
    config_path: Path | None,
    jobs: int | None,
    quiet: bool,
) -> None:
    """Find hardcoded credentials in PATHS (files or folders; default: the current folder).

    Secrets are never printed: only a redacted form and a fingerprint (a keyed
    hash) that groups every appearance of one secret. Exit code 0 when clean,
    1 when something is found, 2 on a usage or input error.

    \b
    Examples:
      auditkit secrets .                      # working tree (git-ignored files skipped)
      auditkit secrets --staged               # pre-commit: only lines being committed
      auditkit secrets --history --format json
    """
    from auditkit.config import load_config
    from auditkit.secrets import scan_secrets

    if staged and history:
        raise click.UsageError("--staged and --history cannot be combined")
    if (since or rev_range) and not history:
        raise click.UsageError("--since and --rev-range need --history")
    given = list(paths)
    start = given[0] if len(given) == 1 else Path(".")
    config = load_config(start, config_path)
    staged_paths: tuple[str, ...] = ()
    if staged:
        # pre-commit may pass file names; they narrow the staged set.
        staged_paths = tuple(p.as_posix() for p in given)
        given = [Path(".")]
    started = time.perf_counter()
    result = scan_secrets(
        given or [Path(".")],
        config=config,
        staged=staged,
        staged_paths=staged_paths,
        history=history,
        since=since,
        rev_range=rev_range,
        baseline=baseline_path,
        use_baseline=not no_baseline,
        jobs=jobs,
        progress=_progress_printer() if history else None,
    )
    elapsed = time.perf_counter() - started
    echo_notices(result.all_notices, quiet)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    elif fmt == "sarif":
        click.echo(json.dumps(_sarif(result), indent=2))
    else:
        _print_text(result, elapsed)
    sys.exit(EXIT_FINDINGS if result.findings else EXIT_CLEAN)


def _sarif(result: Any) -> dict[str, Any]:
    from auditkit import __version__
    from auditkit.report.model import RuleInfo
    from auditkit.report.sarif import findings_to_sarif

    rules: dict[str, Any] = {}
    for f in result.findings:
        rules.setdefault(
            f.rule_id,
            RuleInfo(
                f.rule_id,
                "hardcoded_secrets",
                f.message,
                f.message,
                f.remediation or f.message,
                f.severity.value,
            ),
        )
    return findings_to_sarif(
        result.findings,
        sorted(rules.values(), key=lambda r: r.id),
        tool_version=__version__,
        category="auditkit/secrets",
    )


def _print_text(result: Any, elapsed: float) -> None:
    color = color_enabled()
    for group in result.groups:
        sev = group.severity.value
        head = style(f"{sev.upper():8}", enabled=color, fg=_SEVERITY_COLOR[sev], bold=True)
        places = len(group.occurrences)
        files = len(group.paths)
        reuse = f", reused in {files} files" if files > 1 else ""
        click.echo(f"{head} {group.description}  [{group.rule_id}]")
        click.echo(
            f"         secret {group.redacted}  fingerprint {group.fingerprint}  confidence {group.confidence.value}"
            f"  ({places} occurrence{'s' if places != 1 else ''}{reuse})"
        )
        if group.introduced is not None:
            p = group.introduced
            state = "still in HEAD" if group.in_head else "history only"
            click.echo(f"         introduced {p.commit[:10]} by {p.author} <{p.email}> on {p.date}: {p.subject}")
            click.echo(f"         {state}" + (f"; removed in {group.removed.commit[:10]}" if group.removed else ""))
        for f in group.occurrences:
            where = f"{f.location.path}:{f.location.line}:{f.location.column}"
            if f.location.commit:
                where += f"  (commit {f.location.commit[:10]})"
            click.echo(f"           {where}")
        click.echo(f"         fix: {group.remediation}")
        click.echo("")
    size = result.bytes_scanned / 1e6
    scope = (
        f"{result.commits_scanned} commits"
        if result.mode == "history"
        else f"{result.files_scanned} files ({size:.1f} MB)"
    )
    if result.findings:
        by_sev: dict[str, int] = {}
        for g in result.groups:
            by_sev[g.severity.value] = by_sev.get(g.severity.value, 0) + 1
        sev_text = ", ".join(
            f"{n} {s}" for s, n in sorted(by_sev.items(), key=lambda kv: list(_SEVERITY_COLOR).index(kv[0]))
        )
        summary = (
            f"{len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}: "
            f"{len(result.groups)} distinct secret{'s' if len(result.groups) != 1 else ''} ({sev_text})"
        )
        summary = style(summary, enabled=color, fg="red", bold=True)
    else:
        summary = style("no secrets found", enabled=color, fg="green", bold=True)
    extra = f", {result.baselined} accepted by the baseline" if result.baselined else ""
    click.echo(f"{summary}{extra}. Scanned {scope} in {elapsed:.2f} s.")


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path), default=Path("."))
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Baseline file to write (default: .auditkit-baseline.json at the top of the work tree).",
)
@click.option("--history", is_flag=True, help="Also accept findings from git history.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="Config file (default: discovered).")
@guarded
def baseline(path: Path, output: Path | None, history: bool, config_path: Path | None) -> None:
    """Write or update the baseline of accepted secret findings for PATH.

    The baseline holds (path, rule, fingerprint) triples, no secrets, no line
    numbers: it survives unrelated edits. Later scans report only findings
    that are not in it. Review every entry before you commit the file.
    """
    from auditkit.config import load_config
    from auditkit.secrets import scan_secrets
    from auditkit.secrets.baseline import BASELINE_FILENAME, load_baseline, write_baseline
    from auditkit.secrets.sources import git_toplevel

    config = load_config(path, config_path)
    root = path.resolve()
    target = output or config.secrets.baseline or (git_toplevel(root) or root) / BASELINE_FILENAME
    previous = load_baseline(target) if target.is_file() else None
    result = scan_secrets([path], config=config, use_baseline=False)
    found = list(result.findings)
    if history:
        found += list(scan_secrets([path], config=config, history=True, use_baseline=False).findings)
    count = write_baseline(target, found, root)
    before = len(previous.entries) if previous and previous.kind == "auditkit" else 0
    echo_notices(result.all_notices)
    click.echo(f"wrote {target}: {count} accepted finding(s) (was {before}).")
