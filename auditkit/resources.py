"""Find the packaged data folders (``rules/``, ``loadchecks/``, ``reports/``).

In a wheel they are installed inside the package (``auditkit/rules`` ...); in a
source checkout or an editable install they sit at the top of the repository,
beside the package. :func:`data_dir` looks in that order, so the same code works
in both.
"""

from __future__ import annotations

from pathlib import Path

from auditkit.errors import DataFileError

__all__ = ["DATA_FOLDERS", "data_dir", "data_file"]

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
