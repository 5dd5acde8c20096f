"""Helpers shared by the subcommands: exit codes, error handling, colour, notices."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn, TypeVar

import click

from auditkit.errors import AuditkitError

__all__ = [
    "EXIT_CLEAN",
    "FiniteFloatRange",
    "EXIT_FINDINGS",
    "EXIT_USAGE",
    "color_enabled",
    "echo_notices",
    "fail",
    "guarded",
    "stderr_is_tty",
    "style",
]

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """Print ``auditkit: error: message`` on stderr and exit 2."""
    click.echo(f"auditkit: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def guarded(func: F) -> F:
    """Turn :class:`AuditkitError` (and Ctrl-C) into a one-line message instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AuditkitError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("auditkit: interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def color_enabled(err: bool = False) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    stream = sys.stderr if err else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def stderr_is_tty() -> bool:
    """Progress displays are shown only when stderr is a terminal."""
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def style(text: str, *, enabled: bool, **kwargs: Any) -> str:
    """``click.style`` when colour is enabled, the plain text otherwise."""
    return click.style(text, **kwargs) if enabled else text


def echo_notices(notices: Iterable[str], quiet: bool = False) -> None:
    """Print notices (skipped files, truncated history, ...) on stderr."""
    if quiet:
        return
    for notice in notices:
        click.echo(f"auditkit: notice: {notice}", err=True)


class FiniteFloatRange(click.FloatRange):
    """``click.FloatRange`` that also refuses NaN, which compares false with every bound."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        rv = super().convert(value, param, ctx)
        if rv != rv:
            self.fail(f"{value!r} is not a number.", param, ctx)
        return rv
