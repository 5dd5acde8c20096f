"""Load profiles: what counts as a spike (a sharp rise above a level being run), and what does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from auditkit.coverage import analyze
from auditkit.coverage.tools.profile import Segment, analyze_profiles
from tests.coverage.conftest import default_config


def _spike(*segments: tuple[float, float, float]) -> bool:
    facts = analyze_profiles([(0.0, [Segment(*s) for s in segments])])
    assert facts is not None
    return facts.spike


@pytest.mark.parametrize(
    "segments",
    [
        # A short ramp from zero, a long hold and a short ramp-down: a plain load test.
        [(30, 0, 20), (600, 20, 20), (30, 20, 0)],
        # An instant start at the full level (Artillery's first phase).
        [(60, 50, 50)],
        # A staircase warm-up: each step doubles, but nothing was held first.
        [(30, 0, 10), (30, 10, 50), (300, 50, 50), (30, 50, 0)],
        # A fast ramp-down from a plateau.
        [(120, 0, 100), (600, 100, 100), (10, 100, 0)],
        # A gentle rise from a plateau (more than the spike window).
        [(60, 0, 10), (300, 10, 10), (120, 10, 40)],
    ],
)
def test_not_a_spike(segments: list[tuple[float, float, float]]) -> None:
    assert _spike(*segments) is False


@pytest.mark.parametrize(
    "segments",
    [
        # From a held plateau to many times the level in seconds.
        [(10, 0, 100), (60, 100, 100), (10, 100, 1400), (180, 1400, 1400), (10, 1400, 0)],
        # An instant jump between two phases from a level being run.
        [(30, 2, 20), (10, 100, 100)],
        # A long warm-up then a steep burst (no explicit plateau).
        [(300, 0, 50), (10, 50, 500), (30, 500, 500), (10, 500, 50)],
    ],
)
def test_spike(segments: list[tuple[float, float, float]]) -> None:
    assert _spike(*segments) is True


def _categories(root: Path) -> dict[str, tuple[str, ...]]:
    result = analyze(root, default_config(root), secret_finder=None)
    return {t.path: t.categories for t in result.load_tests}


def test_k6_short_ramp_up_is_not_a_spike(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "load/steady.js",
        """
        import http from 'k6/http';
        export const options = { stages: [{ duration: '30s', target: 20 }, { duration: '10m', target: 20 },
                                          { duration: '30s', target: 0 }] };
        export default function () { http.get(`${__ENV.BASE_URL}/api/things`); }
        """,
    )
    write(
        "load/surge.js",
        """
        import http from 'k6/http';
        export const options = { stages: [{ duration: '1m', target: 20 }, { duration: '5m', target: 20 },
                                          { duration: '10s', target: 200 }, { duration: '1m', target: 200 },
                                          { duration: '10s', target: 0 }] };
        export default function () { http.get(`${__ENV.BASE_URL}/api/things`); }
        """,
    )
    cats = _categories(tmp_path)
    assert "spike" not in cats["load/steady.js"]
    assert "spike" in cats["load/surge.js"]


def test_artillery_ramp_phases_are_not_a_spike(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "load/ramp.yml",
        """
        config:
          target: "{{ $env.TARGET }}"
          phases:
            - { duration: 20, arrivalRate: 1, rampTo: 10 }
            - { duration: 600, arrivalRate: 10 }
            - { duration: 20, arrivalRate: 10, rampTo: 1 }
        scenarios:
          - flow: [{ get: { url: "/api/things" } }]
        """,
    )
    write(
        "load/burst.yml",
        """
        config:
          target: "{{ $env.TARGET }}"
          phases:
            - { duration: 300, arrivalRate: 10 }
            - { duration: 30, arrivalRate: 80 }
            - { duration: 300, arrivalRate: 10 }
        scenarios:
          - flow: [{ get: { url: "/api/things" } }]
        """,
    )
    cats = _categories(tmp_path)
    assert "spike" not in cats["load/ramp.yml"]
    assert "spike" in cats["load/burst.yml"]
