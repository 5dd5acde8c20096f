"""Load-test tools: one module per tool, each implementing :class:`~auditkit.coverage.tools.base.LoadTool`."""

from __future__ import annotations

from auditkit.coverage.tools.base import LoadTool

__all__ = ["all_tools"]


def all_tools() -> list[LoadTool]:
    """Every tool, in the order they are tried on a file (the first that finds a test claims it)."""
    from auditkit.coverage.tools.artillery import ArtilleryTool
    from auditkit.coverage.tools.commands import CommandTools
    from auditkit.coverage.tools.gatling import GatlingTool
    from auditkit.coverage.tools.jmeter import JMeterTool
    from auditkit.coverage.tools.k6 import K6Tool
    from auditkit.coverage.tools.locust import LocustTool

    return [K6Tool(), ArtilleryTool(), LocustTool(), JMeterTool(), GatlingTool(), CommandTools()]
