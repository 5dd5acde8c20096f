"""Benchmark: `auditkit probe http` against wrk on the same nginx, in one run.

    apt-get install -y nginx wrk libnginx-mod-http-echo   # once
    python3 bench/bench_probe_http.py [--seconds 10]

nginx (one worker) is pinned to CPU 0, every load generator (wrk, or the probe
and all its processes) to CPU 1 with taskset, so the ratio measures the
generators and not the scheduler. Three comparisons:

1. maximum throughput, 50 keep-alive connections, closed loop: probe vs wrk
   (target: probe >= 0.2x wrk);
2. latency at a fixed rate well below saturation on an endpoint that takes
   ~2 ms (echo_sleep): probe (open model, latency from the intended start) vs
   wrk paced by a Lua delay() to the same rate (target: p50 and p99 within 20%);
3. the same on the static page (sub-millisecond), reported for honesty: here
   the generators' own overhead is a large part of what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_nginx(folder: Path, port: int) -> Path:
    (folder / "logs").mkdir()
    (folder / "html").mkdir()
    (folder / "html" / "index.html").write_text("<html><body>" + "auditkit bench " * 40 + "</body></html>\n")
    load = f"load_module {ECHO_MODULE};" if ECHO_MODULE.exists() else ""
    slow = "location = /slow { echo_sleep 0.002; echo ok; }" if ECHO_MODULE.exists() else ""
    conf = folder / "nginx.conf"
    conf.write_text(f"""{load}
worker_processes 1;
daemon on;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  server {{
    listen 127.0.0.1:{port};
    root {folder}/html;
    location / {{ }}
    {slow}
  }}
}}
""")
    subprocess.run(["taskset", "-c", "0", "nginx", "-c", str(conf), "-p", str(folder)], check=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return folder / "nginx.pid"
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nginx did not start")


def wrk(url: str, connections: int, seconds: int, script: Path | None = None) -> dict[str, float]:
    cmd = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[5:5] = ["-s", str(script)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    lat = {}
    for pct, value, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        lat[f"p{pct}"] = float(value) * scale
    return {"rps": rps, **lat}


def probe(url: str, seconds: int, *args: str) -> dict:
    cmd = [
        "taskset",
        "-c",
        "1",
        sys.executable,
        "-m",
        "auditkit",
        "probe",
        "http",
        "--target",
        url,
        "--duration",
        f"{seconds}s",
        "--format",
        "json",
        "--quiet",
        *args,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode not in (0, 1):
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)


def paced_wrk_script(folder: Path, connections: int, rate: float) -> Path:
    # wrk2-style pacing with stock wrk: every connection waits so that the sum is `rate`.
    script = folder / "pace.lua"
    script.write_text(f"function delay() return {1000.0 * connections / rate:.3f} end\n")
    return script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1000.0)
    args = parser.parse_args()
    for tool in ("nginx", "wrk", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: apt-get install -y nginx wrk libnginx-mod-http-echo util-linux")
    folder = Path(tempfile.mkdtemp(prefix="auditkit-bench-nginx-"))
    port = free_port()
    pidfile = start_nginx(folder, port)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c50", "-d2s", base + "/"], capture_output=True)
        w = wrk(base + "/", 50, args.seconds)
        p = probe(base + "/", args.seconds, "--vus", "50")
        print(
            f"max throughput, 50 connections: wrk {w['rps']:,.0f} req/s, auditkit {p['throughput']:,.0f} req/s, "
            f"ratio {p['throughput'] / w['rps']:.2f}x (target >= 0.2x); generator saturated: "
            f"{p['generator']['saturated']} ({'; '.join(p['generator']['reasons'])})"
        )
        rows.append(("max throughput (req/s), 50 conns", w["rps"], p["throughput"]))
        paths = (["/slow"] if ECHO_MODULE.exists() else []) + ["/"]
        for path in paths:
            script = paced_wrk_script(folder, 10, args.rate)
            w = wrk(base + path, 10, args.seconds, script)
            p = probe(base + path, args.seconds, "--rate", f"{args.rate:g}", "--vus", "10")
            lat = p["latency_ms"]
            print(
                f"fixed rate {path}: wrk paced {w['rps']:,.0f}/s p50 {w['p50']:.3f} ms p99 {w['p99']:.3f} ms | "
                f"auditkit {p['throughput']:,.0f}/s p50 {lat['p50']:.3f} ms p99 {lat['p99']:.3f} ms | "
                f"ratio p50 {lat['p50'] / w['p50']:.2f} p99 {lat['p99'] / w['p99']:.2f} "
                f"(late {p['late']}, dropped {p['dropped']}; generator loop lag max "
                f"{p['generator']['loop_lag_ms']['max']:.1f} ms, saturated {p['generator']['saturated']})"
            )
            rows.append((f"fixed {args.rate:g}/s {path} p50 ms", w["p50"], lat["p50"]))
            rows.append((f"fixed {args.rate:g}/s {path} p99 ms", w["p99"], lat["p99"]))
    finally:
        subprocess.run(["kill", pidfile.read_text().strip()], check=False)
        time.sleep(0.3)
        shutil.rmtree(folder, ignore_errors=True)
    print("\n| measurement | wrk | auditkit | ratio |\n|---|---:|---:|---:|")
    for name, peer, ours in rows:
        print(f"| {name} | {peer:,.3f} | {ours:,.3f} | {ours / peer:.2f} |")


if __name__ == "__main__":
    main()
