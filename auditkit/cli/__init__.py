"""The ``auditkit`` command line: a thin click layer over the library.

This package is the only place that prints, reads flags or exits. Subcommands
are imported lazily (see :class:`LazyGroup`) so that ``auditkit secrets
--staged``, the pre-commit path, never imports httpx, asyncpg or jinja2.
"""

from __future__ import annotations

import importlib

import click

from auditkit import __version__

__all__ = ["main"]

# name -> (module, attribute, one-line help shown by `auditkit --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "secrets": (
        "auditkit.cli.secrets_cmd",
        "secrets",
        "Find hardcoded credentials in files, staged changes or git history.",
    ),
    "baseline": (
        "auditkit.cli.secrets_cmd",
        "baseline",
        "Write or update the baseline of accepted secret findings.",
    ),
    "scan": (
        "auditkit.cli.scan_cmd",
        "scan",
        "Run the scored audit (secrets, coverage, probes) and write reports.",
    ),
    "history": ("auditkit.cli.scan_cmd", "history", "List earlier scans of a repository with their scores."),
    "probe": (
        "auditkit.cli.probe_cmd",
        "probe",
        "Run an HTTP or PostgreSQL load probe with k6-style thresholds.",
    ),
    "demo": (
        "auditkit.cli.demo_cmd",
        "demo",
        "Audit the bundled example platform (a replica of the audited one), twice.",
    ),
    "coverage": (
        "auditkit.cli.coverage_cmd",
        "coverage",
        "Measure load-test coverage of a monorepo: services, tools, endpoints, quality.",
    ),
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """All command names, without importing them."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Import and return one subcommand."""
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module = importlib.import_module(spec[0])
        command: click.Command = getattr(module, spec[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands with their one-line help from :data:`COMMANDS` (no imports)."""
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="auditkit")
def main() -> None:
    """auditkit: hardcoded secrets, load-test coverage, load probes and a scored audit.

    Exit codes: 0 clean, 1 findings or failed thresholds, 2 usage or input error.
    Machine-readable output goes to stdout; notices and progress go to stderr.
    """
