"""Find the packaged data folders (``rules/``, ``loadchecks/``, ``reports/``).

In a wheel they are installed inside the package (``auditkit/rules`` ...); in a
source checkout or an editable install they sit at the top of the repository,
beside the package. :func:`data_dir` looks in that order, so the same code works
in both.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from auditkit.errors import AuditkitError, DataFileError

__all__ = ["DATA_FOLDERS", "data_dir", "data_file", "read_toml"]

DATA_FOLDERS = ("rules", "loadchecks", "reports")

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder of the packaged data set ``name`` (one of :data:`DATA_FOLDERS`)."""
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}; expected one of {DATA_FOLDERS}")
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise DataFileError(
        f"auditkit's data folder {name!r} is missing (looked in {_PACKAGE_DIR} and its parent); reinstall auditkit"
    )


def data_file(name: str, relative: str) -> Path:
    """Return a file inside a packaged data folder; raises DataFileError when missing."""
    path = data_dir(name) / relative
    if not path.is_file():
        raise DataFileError(f"auditkit data file {name}/{relative} is missing; reinstall auditkit")
    return path


def read_toml(
    path: Path, error: type[AuditkitError] = DataFileError, *, what: str = "", not_found: str | None = None
) -> dict[str, Any]:
    """Parse a TOML data file; every failure is ``error`` with a one-line message naming the file.

    ``what`` names the kind of file in "cannot read <what>"; ``not_found``, when given, is the
    message for a missing file (otherwise it is reported like any unreadable file).
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not_found is None:
            raise error(f"{path}: cannot read{' ' + what if what else ''} (FileNotFoundError)") from None
        raise error(f"{path}: {not_found}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read{' ' + what if what else ''} ({exc.__class__.__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
