"""``auditkit coverage``: load-test coverage of a monorepo."""

from __future__ import annotations

import json
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
    style,
)

__all__ = ["coverage", "render_text"]


@click.command("coverage")
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: a table to read; json: one document on stdout.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (.auditkit.toml or pyproject.toml); discovered from PATH when omitted.",
)
@click.option(
    "--fail-under",
    type=FiniteFloatRange(0, 100),
    default=None,
    help="Exit 1 when fewer than this percentage of services have a load test.",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print notices on stderr.")
@guarded
def coverage(path: Path, fmt: str, config_file: Path | None, fail_under: float | None, quiet: bool) -> None:
    """Measure load-test coverage: services, tools, endpoints and test quality.

    Exit codes: 0 done, 1 coverage below --fail-under, 2 usage or input error.
    """
    from auditkit.config import load_config
    from auditkit.coverage import analyze

    config = load_config(path, config_file)
    result = analyze(path, config)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, sort_keys=False))
    else:
        click.echo(render_text(result.to_dict(), color=color_enabled()))
    echo_notices(result.notices, quiet=quiet)
    pct = result.summary.coverage_pct
    if fail_under is not None and (pct is None or pct < fail_under):
        raise SystemExit(EXIT_FINDINGS)
    raise SystemExit(EXIT_CLEAN)


def _cell(text: str, width: int) -> str:
    return text[: width - 1] + "…" if len(text) > width else text.ljust(width)


def render_text(doc: dict[str, Any], color: bool = False) -> str:
    """The text view: headline, a row per service (uncovered critical first), tests, platform view."""
    s = doc["summary"]
    lines: list[str] = []
    pct = "n/a" if s["coverage_pct"] is None else f"{s['coverage_pct']:.1f}%"
    ep = "n/a" if s["endpoint_coverage_pct"] is None else f"{s['endpoint_coverage_pct']:.1f}%"
    head_color = "red" if (s["coverage_pct"] or 0) < 50 else "yellow" if (s["coverage_pct"] or 0) < 80 else "green"
    lines.append(
        style(
            f"Load-test coverage: {s['services_covered']}/{s['services_total']} services ({pct})",
            enabled=color,
            fg=head_color,
            bold=True,
        )
        + f"   endpoints {s['endpoints_covered']}/{s['endpoints_total']} ({ep})"
        + f"   critical {s['critical_covered']}/{s['critical_total']}"
    )
    platform = doc["platform"]
    tools = ", ".join(f"{k} {v}" for k, v in s["tools"].items()) or "none"
    verdict = platform["standardization"]
    lines.append(
        f"Tools: {tools}  ->  {verdict} (standard: {platform['standard_tool']}"
        + (f"; migrate {len(platform['migrate'])})" if platform["migrate"] else ")")
    )
    lines.append("")
    if doc["services"]:
        width = max(16, min(32, max(len(x["name"]) for x in doc["services"]) + 2))
        lines.append(f"{'SERVICE':<{width}}{'CRITICAL':<10}{'TESTS':<7}{'TOOLS':<14}{'QUALITY':<14}ENDPOINTS")
        rows = sorted(doc["services"], key=lambda x: (x["covered"], not x["critical"], x["name"]))
        for svc in rows:
            tests = svc["load_tests"]
            qualities = [t["quality"] for t in tests if t["quality"] is not None]
            quality = (
                "-"
                if not tests
                else (
                    f"{min(qualities):.1f} {min(tests, key=lambda t: t['quality'] or 0)['verdict']}"
                    if qualities
                    else "?"
                )
            )
            eps = f"{svc['endpoints_covered']}/{svc['endpoints_total']}" if svc["endpoints_total"] else "-"
            row = (
                _cell(svc["name"], width)
                + _cell("yes" if svc["critical"] else "", 10)
                + _cell(str(len(tests)) if tests else "-", 7)
                + _cell(",".join(sorted({t["tool"] for t in tests})) or "-", 14)
                + _cell(quality, 14)
                + eps
            )
            fg = "green" if tests else ("red" if svc["critical"] else "yellow")
            lines.append(style(row, enabled=color, fg=fg))
    else:
        lines.append("No services found.")
    tests = [t for svc in doc["services"] for t in svc["load_tests"]] + doc["platform_tests"]
    if tests:
        lines.append("")
        lines.append("Load tests")
        for t in tests:
            where = "platform" if t in doc["platform_tests"] else "service"
            q = "?" if t["quality"] is None else f"{t['quality']:.1f}/10 {t['verdict']}"
            lines.append(f"  {t['path']}  [{t['tool']}, {where}]  quality {q}")
            lines.extend(f"    - {issue}" for issue in t["issues"])
    lines.append("")
    cats = platform["scenario_categories"]
    lines.append("Scenario categories present: " + (", ".join(sorted(cats["present"])) or "none"))
    lines.append("Scenario categories missing: " + (", ".join(cats["missing"]) or "none"))
    ci = platform["ci"]
    lines.append("CI: " + (f"{len(ci['tests'])} test(s) run in CI" if ci["tests"] else "no load test runs in CI"))
    res = platform["results_output"]
    lines.append(
        "Results stored: " + (f"{', '.join(res['sinks'])} ({len(res['tests'])} test(s))" if res["tests"] else "nowhere")
    )
    uncovered = [x for x in doc["services"] if not x["covered"]]
    critical = [x["name"] for x in uncovered if x["critical"]]
    if uncovered:
        lines.append("")
        first = critical or [x["name"] for x in uncovered[:5]]
        lines.append(style("Next: write load tests for " + ", ".join(first), enabled=color, bold=True))
    return "\n".join(lines)
