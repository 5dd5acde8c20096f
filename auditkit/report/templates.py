"""The jinja2 environment for the Markdown and HTML templates in ``reports/templates/``.

jinja2 is imported here, inside the function, so nothing on the pre-commit path
pays for it. HTML templates are autoescaped: a file name holding ``<script>``
is rendered as text.
"""

from __future__ import annotations

from typing import Any

__all__ = ["md_escape", "render_template"]

_MD_SPECIAL = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "#": "\\#",
        "\n": " ",
        "\r": " ",
    }
)


def md_escape(value: Any) -> str:
    """Escape text for Markdown tables and prose: no HTML, no emphasis, no broken table cells."""
    return "" if value is None else str(value).translate(_MD_SPECIAL)


def _fmt_score(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _fmt_delta(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"+{value:.1f}" if value > 0 else f"{value:.1f}"


def _fmt_hours(value: float) -> str:
    if value < 1:
        return f"{round(value * 60)} min"
    return f"{value:g} h" if value == int(value) else f"{value:.1f} h"


def render_template(name: str, **context: Any) -> str:
    """Render ``reports/templates/<name>``; autoescape is on for ``.html`` templates."""
    import jinja2

    from auditkit.resources import data_dir

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("reports") / "templates")),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "svg"), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["score"] = _fmt_score
    env.filters["delta"] = _fmt_delta
    env.filters["hours"] = _fmt_hours
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        from auditkit.errors import ReportError

        raise ReportError(
            f"report template {name} is missing from auditkit's reports/templates; reinstall auditkit"
        ) from None
    return template.render(**context)
