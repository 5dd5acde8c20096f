"""Endpoint discovery: one module per framework or spec (express, nestjs, python_web, openapi)."""

__all__: list[str] = []
