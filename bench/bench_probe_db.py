"""Benchmark: `auditkit probe db` against `pgbench -M prepared`, same statement, same server, one run.

    python3 bench/bench_probe_db.py [--seconds 10] [--clients 16]

Starts a throwaway PostgreSQL 15 (tests/pgserver.py: initdb on a free port),
initialises pgbench's tables (scale 1) and pins the postmaster (so every
backend it forks) to CPU 0; pgbench (one thread) and the probe (one process)
run pinned to CPU 1. Both run the same primary-key select, prepared, with 16
clients. Target: probe >= 0.9x pgbench's tps.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pgserver import start_pg_server  # noqa: E402  (the repository root must be importable first)

STATEMENT = "SELECT abalance FROM pgbench_accounts WHERE aid = 4242"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    server = start_pg_server()
    folder = Path(tempfile.mkdtemp(prefix="auditkit-bench-pg-"))
    try:
        env = {**os.environ, **server.env(), "PYTHONPATH": str(ROOT)}
        env.pop("DATABASE_URL", None)
        pgbench = str(server.bindir / "pgbench")
        postmaster = (server.datadir / "postmaster.pid").read_text().splitlines()[0]
        subprocess.run(["taskset", "-a", "-cp", "0", postmaster], check=True, capture_output=True)
        subprocess.run([pgbench, "-i", "-s", "1", "-q"], check=True, capture_output=True, env=env)
        script = folder / "select.sql"
        script.write_text(STATEMENT + ";\n")
        common = ["-c", str(args.clients), "-T", str(args.seconds), "-n"]
        subprocess.run(
            [
                "taskset",
                "-c",
                "1",
                pgbench,
                "-M",
                "prepared",
                "-j",
                "1",
                "-T",
                "2",
                "-c",
                "4",
                "-n",
                "-f",
                str(script),
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        out = subprocess.run(
            ["taskset", "-c", "1", pgbench, "-M", "prepared", "-j", "1", *common, "-f", str(script)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        tps = float(re.search(r"tps = ([\d.]+)", out)[1])  # type: ignore[index]
        lat = float(re.search(r"latency average = ([\d.]+) ms", out)[1])  # type: ignore[index]
        probe = subprocess.run(
            [
                "taskset",
                "-c",
                "1",
                sys.executable,
                "-m",
                "auditkit",
                "probe",
                "db",
                "--clients",
                str(args.clients),
                "--duration",
                f"{args.seconds}s",
                "--query",
                STATEMENT,
                "--format",
                "json",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )
        if probe.returncode not in (0, 1):
            raise SystemExit(probe.stderr)
        doc = json.loads(probe.stdout)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    ours = doc["throughput"]
    print(
        f"{args.clients} clients, `{STATEMENT}`: pgbench -M prepared {tps:,.0f} tps (latency avg {lat:.3f} ms), "
        f"auditkit {ours:,.0f} tps (p50 {doc['latency_ms']['p50']:.3f} ms, p99 {doc['latency_ms']['p99']:.3f} ms, "
        f"mean {doc['latency_ms']['mean']:.3f} ms), ratio {ours / tps:.2f}x (target >= 0.9x); "
        f"generator saturated: {doc['generator']['saturated']} ({'; '.join(doc['generator']['reasons'])})"
    )
    print("\n| measurement | pgbench -M prepared | auditkit | ratio |\n|---|---:|---:|---:|")
    print(f"| tps, {args.clients} clients | {tps:,.0f} | {ours:,.0f} | {ours / tps:.2f} |")
    print(f"| mean latency ms | {lat:.3f} | {doc['latency_ms']['mean']:.3f} | {doc['latency_ms']['mean'] / lat:.2f} |")


if __name__ == "__main__":
    main()
