"""Safety rails: loopback-only targets, caps, the circuit breaker."""

from __future__ import annotations

import pytest

from auditkit.config import ProbesConfig
from auditkit.errors import ProbeError, UnsafeTargetError
from auditkit.probes.safety import CircuitBreaker, check_caps, check_target, is_loopback_host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost", "api.localhost"])
def test_loopback_hosts_pass(host: str) -> None:
    assert is_loopback_host(host)
    check_target(host, ())


@pytest.mark.parametrize("host", ["192.0.2.10", "10.0.0.1", "8.8.8.8", "2001:db8::1"])
def test_non_loopback_hosts_are_refused_unless_allowed(host: str) -> None:
    with pytest.raises(UnsafeTargetError) as info:
        check_target(host, ())
    assert "--allow-host" in str(info.value)
    check_target(host, (host,))


def test_unix_socket_path_counts_as_local() -> None:
    check_target("/var/run/postgresql", ())


def test_caps() -> None:
    cfg = ProbesConfig(max_rate=100, max_duration=60, max_vus=10)
    check_caps(cfg, rate=100, duration=60, vus=10)
    for kwargs, word in (
        ({"rate": 101, "duration": 1, "vus": 1}, "max_rate"),
        ({"rate": None, "duration": 61, "vus": 1}, "max_duration"),
        ({"rate": None, "duration": 1, "vus": 11}, "max_vus"),
    ):
        with pytest.raises(ProbeError, match=word):
            check_caps(cfg, **kwargs)


def test_breaker_trips_on_error_rate_over_the_window_only() -> None:
    breaker = CircuitBreaker(limit=0.5, window=1.0, min_requests=10)
    assert not breaker.observe(0.1, 100, 0)
    assert not breaker.observe(0.5, 10, 9)
    # 2 seconds later the healthy start has left the window; errors now dominate.
    assert breaker.observe(2.0, 20, 15)
    assert breaker.trip is not None and breaker.trip.error_rate > 0.5
    assert "error rate" in breaker.trip.reason


def test_breaker_needs_enough_requests() -> None:
    breaker = CircuitBreaker(limit=0.1, window=1.0, min_requests=20)
    assert not breaker.observe(0.1, 5, 5)
    assert breaker.trip is None
