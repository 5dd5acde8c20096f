"""Safety rails of the probes: loopback-only targets, caps, and a circuit breaker.

A probe only sends load to a loopback address unless the user named the host
(``--allow-host`` or ``[probes] allow_hosts``). Rate, duration and virtual users
are capped by :class:`~auditkit.config.ProbesConfig`. The breaker stops a run
when the error rate over a sliding window passes a limit, so a probe never
keeps hammering a service that is already failing. :func:`url_credential`
finds a literal credential in a target URL or a request path (userinfo, or a
query parameter such as ``api_key=``), which is refused wherever it is written.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from auditkit.config import ProbesConfig
from auditkit.errors import ProbeError, UnsafeTargetError

__all__ = ["CircuitBreaker", "check_caps", "check_target", "is_loopback_host", "url_credential"]

# Query parameter names (lower case, '-' as '_') that carry a credential: API keys, tokens, passwords,
# signed-URL signatures. Names merely ending in "key" (sort_key) are not among them.
_CREDENTIAL_PARAM = re.compile(
    r"^(?:key|api_?key|token|access_?token|auth|auth_?token|secret|signature|sig|password|passwd|pwd"
    r"|x_amz_(?:signature|credential|security_token)|x_goog_(?:signature|credential))$"
    r"|_(?:token|secret|password|passwd|signature|api_?key)$"
)
_PLACEHOLDER_ONLY = re.compile(r"^\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}$")


def url_credential(url: str) -> str | None:
    """What in ``url`` (a full URL or a path with a query) is a literal credential, or ``None``.

    The answer names the place (``user:password@``, ``the query parameter 'api_key'``), never the value.
    A ``{{column}}`` placeholder filled from a scenario's data file is not a literal.
    """
    if "://" in url:
        rest = url.split("://", 1)[1]
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        # A password may hold '/', '?' or '#', so an '@' after one of them can still end a userinfo;
        # "host:8080/@me" is a port and a path, not one.
        head = re.split(r"[/?#]", rest.rsplit("@", 1)[0], maxsplit=1)[0] if "@" in rest else ""
        if "@" in authority or (":" in head and not head.rsplit(":", 1)[1].isdigit()):
            return "userinfo (user:password@)"
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if value and not _PLACEHOLDER_ONLY.match(value) and _CREDENTIAL_PARAM.search(name.lower().replace("-", "_")):
            return f"the query parameter {name!r}"
    return None


_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback_host(host: str) -> bool:
    """True for a loopback IP literal or a name that only resolves to loopback addresses."""
    bare = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        pass
    if bare in _LOCAL_NAMES or bare.endswith(".localhost"):
        return True
    try:
        infos = socket.getaddrinfo(bare, None)
    except OSError:
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def check_target(host: str, allowed: Iterable[str], what: str = "target") -> None:
    """Raise UnsafeTargetError unless ``host`` is loopback, a unix socket path, or explicitly allowed."""
    if not host or host.startswith("/"):
        return
    allowed_set = {h.strip("[]").lower() for h in allowed}
    if host.strip("[]").lower() in allowed_set:
        return
    if is_loopback_host(host):
        return
    raise UnsafeTargetError(
        f"refusing to send load to {what} host {host!r}: it is not a loopback address. "
        f'Allow it explicitly with --allow-host {host} or [probes] allow_hosts = ["{host}"] '
        "(only for systems you own and may load-test)"
    )


def check_caps(config: ProbesConfig, *, rate: float | None, duration: float, vus: int) -> None:
    """Raise ProbeError when the request exceeds a configured cap."""
    if rate is not None and rate > config.max_rate:
        raise ProbeError(
            f"requested rate {rate:g}/s exceeds the cap of {config.max_rate:g}/s (raise [probes] max_rate to allow it)"
        )
    if duration > config.max_duration:
        raise ProbeError(
            f"requested duration {duration:g}s exceeds the cap of {config.max_duration:g}s "
            "(raise [probes] max_duration to allow it)"
        )
    if vus > config.max_vus:
        raise ProbeError(
            f"requested {vus} virtual users/clients exceeds the cap of {config.max_vus} "
            "(raise [probes] max_vus to allow it)"
        )


@dataclass(frozen=True)
class BreakerTrip:
    """Why and when the breaker tripped."""

    at_s: float
    error_rate: float
    requests: int
    window_s: float

    @property
    def reason(self) -> str:
        """One sentence for the report."""
        return (
            f"error rate {self.error_rate:.0%} over the last {self.window_s:g}s "
            f"({self.requests} requests) passed the limit"
        )


class CircuitBreaker:
    """Trips when, over the last ``window`` seconds, errors/requests exceeds ``limit``.

    Counts are kept in slots of a tenth of the window, so memory is constant.
    ``min_requests`` keeps a single early failure from tripping it.
    """

    def __init__(self, limit: float, window: float, min_requests: int = 20, enabled: bool = True) -> None:
        self.limit = limit
        self.window = window
        self.min_requests = min_requests
        self.enabled = enabled and limit < 1.0
        self._slot = window / 10.0
        self._slots: deque[list[float]] = deque()
        self._requests = 0
        self._errors = 0
        self.trip: BreakerTrip | None = None

    def observe(self, now: float, requests: int, errors: int) -> bool:
        """Add counts seen up to ``now`` (seconds since start); returns True when tripped."""
        if self.trip is not None:
            return True
        if not self.enabled:
            return False
        slot_start = now - (now % self._slot)
        if self._slots and self._slots[-1][0] == slot_start:
            self._slots[-1][1] += requests
            self._slots[-1][2] += errors
        else:
            self._slots.append([slot_start, float(requests), float(errors)])
        self._requests += requests
        self._errors += errors
        while self._slots and self._slots[0][0] <= now - self.window:
            _, r, e = self._slots.popleft()
            self._requests -= int(r)
            self._errors -= int(e)
        if self._requests >= self.min_requests and self._errors / self._requests > self.limit:
            self.trip = BreakerTrip(round(now, 3), self._errors / self._requests, self._requests, self.window)
            return True
        return False
