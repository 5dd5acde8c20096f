"""Benchmark: `auditkit scan` (history included) against the secret history scan alone, on a real repository.

One command:

    python3 bench/bench_scan.py [--repo PATH_OR_GIT_DIR] [--runs N]

The repository defaults to the psf/requests mirror under /work/.mirror (a real
project with about 11,000 commits on all refs); it is cloned into bench/_work/
so the scan has a working tree. Each tool runs as a fresh process, alternating,
N times; the best (minimum) wall time of each is compared:

    ratio = scan / (secrets --history)      target: <= 1.5

`git log -p --all` (the floor of reading history) is timed beside them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MIRROR = Path("/work/.mirror/psf+requests/repo")


def _prepare(source: Path) -> Path:
    work = ROOT / "bench" / "_work" / "scan"
    target = work / source.parent.name.replace("+", "-") if source.name == "repo" else work / source.name
    if not (target / ".git").exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", "--no-local", str(source), str(target)], check=True)
        # Every branch of the source, so `--all` sees the same history as the mirror.
        subprocess.run(
            ["git", "-C", str(target), "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*"],
            check=True,
        )
    return target


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{cmd[:4]} failed with exit {proc.returncode}: {proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    """Run the comparison and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=DEFAULT_MIRROR, help="a git repository or bare git dir")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    repo = _prepare(args.repo)
    commits = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--all", "--count"], capture_output=True, text=True, check=True
    ).stdout.strip()
    files = subprocess.run(
        ["git", "-C", str(repo), "ls-files"], capture_output=True, text=True, check=True
    ).stdout.count("\n")
    out = Path(tempfile.mkdtemp(prefix="auditkit-bench-"))
    env = {**os.environ, "XDG_DATA_HOME": str(out / "xdg"), "PYTHONPATH": str(ROOT)}
    py = sys.executable
    commands = {
        "git log -p --all": ["git", "-C", str(repo), "log", "-p", "--all", "--no-color", "--no-ext-diff"],
        "auditkit secrets --history": [
            py,
            "-m",
            "auditkit",
            "secrets",
            "--history",
            "--format",
            "json",
            "-q",
            "--no-baseline",
            str(repo),
        ],
        "auditkit scan": [
            py,
            "-m",
            "auditkit",
            "scan",
            str(repo),
            "--report",
            "json",
            "--report",
            "html",
            "--report",
            "sarif",
            "--out",
            str(out / "reports"),
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            times[name].append(_time(cmd, env))
    best = {name: min(values) for name, values in times.items()}
    print(f"repository: {args.repo} ({commits} commits on all refs, {files} files in HEAD)")
    for name, value in best.items():
        print(f"  {name:<28} best {value:7.2f} s   runs: {', '.join(f'{t:.2f}' for t in times[name])}")
    ratio = best["auditkit scan"] / best["auditkit secrets --history"]
    print(f"ratio scan / secrets --history: {ratio:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
