"""Fixtures of the probe tests: a real HTTP server on 127.0.0.1 and the PostgreSQL environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pgserver import PgServer
from tests.probes.servers import TestServer


@pytest.fixture()
def http_server() -> Iterator[TestServer]:
    """A fresh threaded HTTP/1.1 server for one test."""
    server = TestServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def pg_env(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """libpq variables of the throwaway server, set in the environment (and no DATABASE_URL)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    env = pg_server.env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
