"""HTTP and PostgreSQL load probes that measure honestly.

Entry points: :func:`run_http_probe`, :func:`run_db_probe` (synchronous; they
run their own event loop) and :func:`load_profile`. Heavy imports (asyncpg,
httpx, uvloop) happen only when a probe runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["load_profile", "run_db_probe", "run_http_probe"]

if TYPE_CHECKING:
    from auditkit.probes.db import run_db_probe
    from auditkit.probes.http import run_http_probe
    from auditkit.probes.profiles import load_profile


def __getattr__(name: str) -> Any:
    if name == "run_http_probe":
        from auditkit.probes.http import run_http_probe

        return run_http_probe
    if name == "run_db_probe":
        from auditkit.probes.db import run_db_probe

        return run_db_probe
    if name == "load_profile":
        from auditkit.probes.profiles import load_profile

        return load_profile
    raise AttributeError(name)
