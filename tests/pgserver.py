"""A throwaway PostgreSQL server for tests: initdb in a temp dir, started on a free port.

PostgreSQL refuses to run as root, so when the tests run as root (as CI does)
the server runs as the ``postgres`` system user (or ``nobody``) through
``runuser``. The server listens on 127.0.0.1 only, with scram-sha-256
password authentication, so tests exercise the same credential path users do.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PgServer", "find_pg_bin", "start_pg_server"]


def find_pg_bin() -> Path | None:
    """The folder holding initdb/pg_ctl, or None when PostgreSQL is not installed."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server; ``dsn`` carries the superuser's password (tests only)."""

    host: str
    port: int
    user: str
    password: str
    database: str
    datadir: Path
    bindir: Path
    run_as: str | None

    @property
    def dsn(self) -> str:
        """A ``postgresql://`` URL for the superuser."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"

    def env(self) -> dict[str, str]:
        """libpq environment variables for this server."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.database,
        }

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its data."""
        _run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"],
            self.run_as,
            check=False,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _run(cmd: list[str], run_as: str | None, check: bool = True) -> subprocess.CompletedProcess[str]:
    if run_as:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)


def start_pg_server() -> PgServer:
    """initdb + start a server on 127.0.0.1:<free port>; raises RuntimeError when impossible."""
    bindir = find_pg_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb) not found")
    run_as = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
            except KeyError:
                continue
            run_as = name
            break
        if run_as is None:
            raise RuntimeError("running as root and no unprivileged user to run PostgreSQL")
    base = Path(tempfile.mkdtemp(prefix="auditkit-pg-"))
    os.chmod(base, 0o755)
    datadir = base / "data"
    password = "pw-" + secrets.token_hex(12)
    pwfile = base / "pwfile"
    pwfile.write_text(password + "\n")
    if run_as:
        uid = pwd.getpwnam(run_as).pw_uid
        gid = pwd.getpwnam(run_as).pw_gid
        os.chown(base, uid, gid)
        os.chown(pwfile, uid, gid)
    user = "auditkit"
    _run(
        [
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            user,
            "--pwfile",
            str(pwfile),
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        run_as,
    )
    port = _free_port()
    opts = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
    )
    _run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(datadir),
            "-o",
            opts,
            "-l",
            str(base / "log"),
            "-w",
            "-t",
            "60",
            "start",
        ],
        run_as,
    )
    server = PgServer("127.0.0.1", port, user, password, "postgres", datadir, bindir, run_as)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return server
