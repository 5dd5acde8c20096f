"""Fixtures for the coverage tests: the audited platform's replica and a small-file writer."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from auditkit.config import Config
from auditkit.findings import Area, Confidence, Finding, Location, Severity
from tests.coverage.replica import build_replica


@pytest.fixture(scope="session")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audited platform as the audit found it (read-only for tests)."""
    return build_replica(tmp_path_factory.mktemp("replica"))


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """``write("a/b.js", text)`` writes a dedented file under ``tmp_path``."""

    def _write(rel: str, text: str) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


def literal_finder(needle: str) -> Callable[[Sequence[Path]], Sequence[Finding]]:
    """A stand-in for the secret scanner that reports files containing ``needle`` (a known fake secret).

    It exercises the seam the coverage check uses; the secret scanner's own
    detection is tested in tests/secrets.
    """

    def find(paths: Sequence[Path]) -> Sequence[Finding]:
        out = []
        for path in paths:
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if needle in line:
                    out.append(
                        Finding(
                            rule_id="generic-password",
                            area=Area.SECRETS,
                            severity=Severity.CRITICAL,
                            confidence=Confidence.HIGH,
                            message="hardcoded password",
                            location=Location(str(path), number),
                            redacted="Tick***",
                        )
                    )
        return out

    return find


def default_config(root: Path) -> Config:
    """Built-in defaults, so no config file of the machine running the tests leaks in."""
    return Config.default(root)
