"""Run history: every scan stored as an immutable record, compared with the previous run.

:func:`open_store` picks SQLite (default) or PostgreSQL (``AUDITKIT_HISTORY_URL``);
:func:`record_from_report` and :func:`compare_runs` make and compare records.
"""

from __future__ import annotations

from auditkit.history.records import AreaRecord, RunRecord, compare_runs, record_from_report
from auditkit.history.store import HistoryStore, default_location, open_store

__all__ = [
    "AreaRecord",
    "HistoryStore",
    "RunRecord",
    "compare_runs",
    "default_location",
    "open_store",
    "record_from_report",
]
