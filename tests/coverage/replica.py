"""The audited platform's replica lives in the package (it is also the bundled example)."""

from auditkit.examples.ticketing import AUDIT_PASSWORD, SERVICES, build_replica

__all__ = ["AUDIT_PASSWORD", "SERVICES", "build_replica"]
