"""auditkit: hardcoded secrets, load-test coverage, load probes and a scored audit report.

The package is a library first; :mod:`auditkit.cli` is a thin click layer over it.
Importing :mod:`auditkit` is cheap on purpose: the pre-commit path
(``auditkit secrets --staged``) must not pay for httpx, asyncpg or jinja2.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
