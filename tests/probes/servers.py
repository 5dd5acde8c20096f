"""Real HTTP servers on 127.0.0.1 for the probe tests (threaded, HTTP/1.1 keep-alive).

Routes:
  /ok            200 "ok"
  /fail          500
  /missing       404
  /chunked       200, chunked transfer encoding
  /close         200 with Connection: close
  /auth          200 when Authorization equals the expected value, else 401 (never echoes it)
  /echo/<x>      200 with body <x> (for data-row substitution)
  anything else  200 "ok"
``stall(seconds)`` freezes every request that arrives (or is in progress) until
the stall ends, like suspending the server process.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["TestServer"]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; Nagle + delayed ACK would add 40 ms
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence the default stderr log
        return

    def _reply(self, status: int, body: bytes, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.bodies.append(body)
        self._handle()

    def _handle(self) -> None:
        srv = self.server
        wait = srv.stall_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        with srv.lock:
            srv.hits[self.path.split("?")[0]] += 1
            srv.total += 1
            if "Authorization" in self.headers:
                srv.auth_seen.append(self.headers["Authorization"])
        path = self.path.split("?")[0]
        if path == "/fail":
            self._reply(500, b"boom")
        elif path == "/missing":
            self._reply(404, b"nope")
        elif path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/close":
            self.close_connection = True
            self._reply(200, b"bye", {"Connection": "close"})
        elif path == "/auth":
            ok = self.headers.get("Authorization") == srv.expected_auth
            self._reply(200 if ok else 401, b"welcome" if ok else b"denied")
        elif path.startswith("/echo/"):
            self._reply(200, path[len("/echo/") :].encode())
        else:
            self._reply(200, b"ok")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.total = 0
        self.stall_until = 0.0
        self.expected_auth = ""
        self.auth_seen: list[str] = []
        self.bodies: list[bytes] = []


class TestServer:
    """A started server; ``url`` is its base URL."""

    __test__ = False

    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def hits(self) -> Counter[str]:
        """Requests per path."""
        return self._server.hits

    @property
    def total(self) -> int:
        """Requests handled."""
        return self._server.total

    @property
    def auth_seen(self) -> list[str]:
        """Authorization headers received."""
        return self._server.auth_seen

    @property
    def bodies(self) -> list[bytes]:
        """POST bodies received."""
        return self._server.bodies

    def expect_auth(self, value: str) -> None:
        """The Authorization value /auth accepts."""
        self._server.expected_auth = value

    def stall_at(self, delay: float, seconds: float) -> None:
        """Freeze request handling for ``seconds``, starting ``delay`` seconds from now."""

        def start() -> None:
            self._server.stall_until = time.monotonic() + seconds

        threading.Timer(delay, start).start()

    def reset(self) -> None:
        """Forget counts."""
        with self._server.lock:
            self._server.hits.clear()
            self._server.total = 0
            self._server.auth_seen.clear()
            self._server.bodies.clear()

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()
