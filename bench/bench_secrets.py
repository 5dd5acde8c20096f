"""Secret-scanning benchmarks: auditkit beside its peers, in one run, printing the ratios.

    python3 bench/bench_secrets.py                 # all three parts
    python3 bench/bench_secrets.py --part worktree # or: precommit, history

* worktree: Django 5.1.4's sdist (fetched with `pip download`), auditkit vs
  `detect-secrets scan --all-files`; MB/s and how time grows with tree size.
* precommit: a commit of 5 changed files, `auditkit secrets --staged` vs
  `detect-secrets-hook` on the same files (median of repeated runs).
* history: a real repository with >= 5,000 commits (``--repo``; default: a
  local mirror of pallets/flask when present, cloned with --no-checkout so
  every tool sees the same refs), `auditkit secrets --history` vs the floor
  `git log -p --all`, plus peak RSS at three history sizes, and truffleHog 2.x
  (``--trufflehog PATH``, e.g. a venv with `pip install truffleHog==2.2.1`;
  regex rules, no entropy) on the same clone. Objects missing from the mirror
  are excluded from the floor by pathspec (auditkit reports and skips them).

Run it on a quiet machine: the numbers are wall-clock times.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
DEFAULT_REPO = Path("/work/.mirror/pallets+flask/repo")


def sh(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> float:
    """Run a command, discard its output, return wall seconds."""
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def peak_rss_mb(cmd: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) via GNU time."""
    with tempfile.NamedTemporaryFile("r") as out:
        start = time.perf_counter()
        subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", out.name, *cmd],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - start
        return wall, int(out.read().strip().splitlines()[-1]) / 1024


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"


def django_tree() -> Path:
    WORK.mkdir(exist_ok=True)
    sdist = WORK / "Django-5.1.4.tar.gz"
    if not sdist.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "django==5.1.4",
                "-d",
                str(WORK),
            ],
            check=True,
        )
    # Outside any git work tree, so nothing is skipped as git-ignored.
    target = Path(tempfile.gettempdir()) / "auditkit-bench-django"
    if not (target / "Django-5.1.4").exists():
        target.mkdir(exist_ok=True)
        with tarfile.open(sdist) as tar:
            tar.extractall(target, filter="data")
    return target / "Django-5.1.4"


def tree_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def part_worktree() -> None:
    tree = django_tree()
    mb = tree_mb(tree)
    auditkit = [shutil.which("auditkit") or "auditkit", "secrets", "--format", "json", "--quiet"]
    ours = min(sh([*auditkit, str(tree)]) for _ in range(3))
    ours_1 = min(sh([*auditkit, "--jobs", "1", str(tree)]) for _ in range(2))
    print(f"\n## worktree: Django 5.1.4 sdist ({mb:.1f} MB)")
    print(f"auditkit secrets (all cores) : {ours:7.2f} s  ({mb / ours:6.1f} MB/s)")
    print(f"auditkit secrets --jobs 1     : {ours_1:7.2f} s  ({mb / ours_1:6.1f} MB/s)")
    ds = shutil.which("detect-secrets")
    if ds:
        with tempfile.NamedTemporaryFile() as out:
            start = time.perf_counter()
            subprocess.run([ds, "scan", "--all-files"], cwd=tree, stdout=out, stderr=subprocess.DEVNULL, check=False)
            peer = time.perf_counter() - start
        print(f"detect-secrets scan --all-files: {peer:7.2f} s")
        print(f"ratio auditkit / detect-secrets: {ours / peer:.3f}  (target <= 0.1)")
    print("growth (auditkit, all cores):")
    for sub in ("django/contrib", "django", "."):
        path = tree / sub
        size = tree_mb(path)
        took = min(sh([*auditkit, str(path)]) for _ in range(2))
        print(f"  {sub:15} {size:6.1f} MB  {took:6.2f} s  {size / took:6.1f} MB/s")


def part_precommit() -> None:
    tree = django_tree()
    files = [
        "django/contrib/auth/hashers.py",
        "django/db/backends/postgresql/base.py",
        "django/core/mail/message.py",
        "docs/topics/auth/customizing.txt",
        "tests/auth_tests/test_views.py",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@example.com",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@example.com",
        }
        subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
        for rel in files:
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(tree / rel, repo / rel)
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run(["git", "commit", "-qm", "base"], cwd=repo, check=True, env=env)
        for rel in files:
            with open(repo / rel, "a") as handle:
                handle.write("\n# edited\nvalue = compute(1, 2)\n")
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        auditkit = [shutil.which("auditkit") or "auditkit", "secrets", "--staged", "--quiet"]
        ours = statistics.median(sh(auditkit, cwd=repo) for _ in range(15))
        print("\n## pre-commit: 5 changed files")
        print(f"auditkit secrets --staged : {ours * 1000:7.0f} ms (median of 15)")
        hook = shutil.which("detect-secrets-hook")
        if hook:
            peer = statistics.median(sh([hook, *files], cwd=repo) for _ in range(15))
            print(f"detect-secrets-hook       : {peer * 1000:7.0f} ms (median of 15)")
            print(f"ratio auditkit / detect-secrets-hook: {ours / peer:.2f}  (target <= 1.0)")


def _missing_path_excludes(repo: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--objects", "--all", "--missing=print"],
        capture_output=True,
        text=True,
    ).stdout
    missing = {line[1:] for line in listed.splitlines() if line.startswith("?")}
    if not missing:
        return []
    raw = subprocess.run(
        ["git", "-C", str(repo), "log", "--all", "--raw", "--no-abbrev", "--format="],
        capture_output=True,
        text=True,
    ).stdout
    paths = set()
    for line in raw.splitlines():
        parts = line.split()
        if len(parts) >= 6 and (parts[2] in missing or parts[3] in missing):
            paths.add(parts[-1])
    return ["--", ".", *(f":(exclude){p}" for p in sorted(paths))]


def part_history(source: Path, trufflehog: str | None) -> None:
    if not source.exists():
        print(f"\n## history: {source} not found; pass --repo PATH (a repository with >= 5,000 commits)")
        return
    WORK.mkdir(exist_ok=True)
    repo = WORK / f"history-{source.parent.name if source.name == 'repo' else source.name}"
    if not repo.exists():
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(source), str(repo)], check=True)
    commits = int(
        subprocess.run(
            ["git", "-C", str(repo), "rev-list", "--all", "--count"], capture_output=True, text=True
        ).stdout.strip()
        or 0
    )
    excludes = _missing_path_excludes(repo)
    floor = min(sh(["git", "-C", str(repo), "log", "-p", "--all", *excludes]) for _ in range(3))
    auditkit = [shutil.which("auditkit") or "auditkit", "secrets", "--history", "--format", "json", "--quiet"]
    runs = [peak_rss_mb([*auditkit, str(repo)]) for _ in range(3)]
    ours, rss = min(r[0] for r in runs), max(r[1] for r in runs)
    print(f"\n## history: {repo} ({commits} commits)")
    if excludes:
        print(f"floor excludes {len(excludes) - 2} path(s) whose blobs are missing from this mirror")
    print(f"git log -p --all          : {floor:7.2f} s")
    print(f"auditkit secrets --history: {ours:7.2f} s  peak RSS {rss:.0f} MB")
    print(f"ratio auditkit / git log -p: {ours / floor:.2f}  (target <= 3)")
    trufflehog = trufflehog or shutil.which("trufflehog")
    if trufflehog:
        peer = sh([trufflehog, "--regex", "--entropy=False", "--json", "--repo_path", str(repo), "file:///unused"])
        print(
            f"truffleHog 2.x --regex    : {peer:7.2f} s  ratio to floor {peer / floor:.1f}  "
            f"(auditkit / truffleHog {ours / peer:.3f})"
        )
    print("peak RSS as history grows (--since):")
    dates = subprocess.run(
        ["git", "-C", str(repo), "log", "--all", "--format=%ct"], capture_output=True, text=True
    ).stdout.split()
    stamps = sorted(int(d) for d in dates)
    for fraction in (0.25, 0.5, 1.0):
        since = stamps[int(len(stamps) * (1 - fraction))] if fraction < 1 else 0
        extra = [f"--since=@{since}"] if since else []
        took, mem = peak_rss_mb([*auditkit, *extra, str(repo)])
        print(f"  {fraction:4.0%} of commits: {took:6.2f} s  peak RSS {mem:5.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["worktree", "precommit", "history", "all"], default="all")
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO, help="repository for the history benchmark")
    parser.add_argument("--trufflehog", help="truffleHog 2.x executable to run beside auditkit on the history")
    args = parser.parse_args()
    print(f"# auditkit secret-scanning benchmark\nmachine: {machine()}")
    if args.part in ("worktree", "all"):
        part_worktree()
    if args.part in ("precommit", "all"):
        part_precommit()
    if args.part in ("history", "all"):
        part_history(args.repo, args.trufflehog)


if __name__ == "__main__":
    main()
