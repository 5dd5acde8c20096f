"""Load-test coverage of a monorepo: services, load tests, endpoints, test quality and the platform view.

One entry point, :func:`analyze`; the result is a :class:`CoverageResult`
whose ``to_dict()`` is the JSON contract of ``auditkit coverage --format json``
(documented in ``docs/coverage.md``) and whose ``findings`` feed scoring and reports.

Importing this package is cheap: tree-sitter and PyYAML load only when a
JS/TS or YAML file is actually parsed.
"""

from __future__ import annotations

from auditkit.coverage.analyze import DEFAULT_SECRET_FINDER, SecretFinder, analyze
from auditkit.coverage.model import (
    CheckOutcome,
    CoverageResult,
    Endpoint,
    LoadTest,
    PlatformView,
    Request,
    ServiceCoverage,
    Summary,
)

__all__ = [
    "DEFAULT_SECRET_FINDER",
    "CheckOutcome",
    "CoverageResult",
    "Endpoint",
    "LoadTest",
    "PlatformView",
    "Request",
    "SecretFinder",
    "ServiceCoverage",
    "Summary",
    "analyze",
]
