"""``auditkit demo``: the whole audit on the bundled example platform."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from auditkit.cli._common import echo_notices, guarded

__all__ = ["demo"]


@click.command()
@click.option(
    "--workdir",
    type=click.Path(path_type=Path),
    help="Where to build the example repository (default: a new temporary folder).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("auditkit-demo-report"),
    show_default=True,
    help="Folder for the reports of the second (after-the-fix) scan.",
)
@guarded
def demo(workdir: Path | None, out: Path) -> None:
    """Audit the bundled replica of the audited ticketing platform, fix its password, audit it again.

    Builds a git repository with 21 services, the k6, Artillery and ab load
    tests and the password hard-coded in three scripts; runs `auditkit scan`
    (secrets in files and history, load-test coverage, scoring); commits the
    audit's first fix and scans again, so the report shows the trend. The
    reports (HTML, Markdown, JSON, SARIF, JUnit) land in --out.
    """
    from auditkit.audit import run_audit
    from auditkit.cli.scan_cmd import _summary
    from auditkit.config import load_config
    from auditkit.examples import build_demo_repository, fix_demo_password
    from auditkit.history import open_store
    from auditkit.report import ReportFormat, write_reports

    base = workdir or Path(tempfile.mkdtemp(prefix="auditkit-demo-"))
    repo = build_demo_repository(base / "tickettoken-platform")
    click.echo(f"auditkit: built the example platform in {repo}", err=True)
    config = load_config(repo)
    # A store of its own: the demo must not add runs to the user's real history.
    with open_store(str(base / "history.sqlite3"), config) as store:
        click.echo("\n== Scan 1: the platform as audited ==")
        first = run_audit(repo, config, store=store)
        echo_notices(first.notices, quiet=True)
        _summary(first)
        fix_demo_password(repo)
        click.echo("\n== Scan 2: after reading the password from DB_PASSWORD (it stays in git history) ==")
        second = run_audit(repo, config, store=store)
        _summary(second)
    written = write_reports(second, list(ReportFormat), out)
    click.echo("")
    for path in written:
        click.echo(f"report: {path}")
