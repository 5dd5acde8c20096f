"""Benchmark of ``auditkit coverage`` (one command): ``python3 bench/bench_coverage.py``.

Generates monorepos of 100, 250 and 500 TypeScript services (100 files each:
routes, controllers, services, models, unit tests, configs; one service in
five has a k6 test, one in ten an Artillery test) under ``bench/_work/``, times
:func:`auditkit.coverage.analyze` on each and on the audit replica, and states
how time grows with size. There is no peer tool that measures load-test
coverage, so only our own times are printed. Targets: 500 services / 50,000
files < 10 s, replica < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditkit.config import Config  # noqa: E402
from auditkit.coverage import analyze  # noqa: E402
from tests.coverage.replica import build_replica  # noqa: E402

FILES_PER_SERVICE = 100

_ROUTES = """import {{ Router }} from 'express';
import {{ validate }} from '../middleware/validate';
import * as ctl from '../controllers/{name}.controller';

const router = Router();
router.get('/', validate, ctl.list);
router.get('/:id', validate, ctl.get);
router.post('/', validate, ctl.create);
router.put('/:id', validate, ctl.update);
router.delete('/:id', validate, ctl.remove);
router.get('/:id/history', validate, ctl.history);
router.post('/:id/archive', validate, ctl.archive);
router.get('/search', validate, ctl.search);
export default router;
"""

_CODE = """import {{ Repository }} from '../db/repository';
import {{ logger }} from '../utils/logger';

export interface {cls}Input {{ id: string; name: string; createdAt: Date; tags: string[] }}

export class {cls} {{
  private cache = new Map<string, {cls}Input>();
  constructor(private readonly repo: Repository<{cls}Input>) {{}}

  async find(id: string): Promise<{cls}Input | undefined> {{
    const hit = this.cache.get(id);
    if (hit) return hit;
    const row = await this.repo.findOne({{ where: {{ id }} }});
    if (row) this.cache.set(id, row);
    logger.debug('find', {{ id, hit: Boolean(row) }});
    return row ?? undefined;
  }}

  async list(limit = 50): Promise<{cls}Input[]> {{
    const rows = await this.repo.find({{ take: limit, order: {{ createdAt: 'DESC' }} }});
    return rows.filter((r) => r.tags.length >= 0);
  }}
}}
"""

_K6 = """import http from 'k6/http';
import {{ check, sleep }} from 'k6';
const BASE = __ENV.BASE_URL || 'http://localhost:3000';
export const options = {{
  stages: [{{ duration: '1m', target: 20 }}, {{ duration: '3m', target: 20 }}, {{ duration: '1m', target: 0 }}],
  thresholds: {{ http_req_duration: ['p(95)<500'], http_req_failed: ['rate<0.01'] }},
}};
export default function () {{
  const res = http.get(`${{BASE}}/api/{name}/items/${{__VU}}`);
  check(res, {{ ok: (r) => r.status === 200 }});
  http.get(`${{BASE}}/api/{name}/items/search?q=x`);
  sleep(1);
}}
"""

_ARTILLERY = """config:
  target: "{{{{ $env.TARGET }}}}"
  phases:
    - {{duration: 60, arrivalRate: 5, rampTo: 50}}
scenarios:
  - name: browse
    flow:
      - get: {{url: "/api/{name}/items"}}
      - think: 2
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate(root: Path, services: int) -> int:
    """Write a monorepo of ``services`` services with FILES_PER_SERVICE files each; return the file count."""
    if root.exists():
        shutil.rmtree(root)
    count = 0
    for i in range(services):
        name = f"svc{i:04d}"
        base = root / "services" / name
        files: dict[str, str] = {
            "package.json": json.dumps(
                {"name": name, "scripts": {"start": "node dist/index.js"}, "dependencies": {"express": "^4"}}
            ),
            "Dockerfile": "FROM node:20\nCOPY . .\nCMD node dist/index.js\n",
            "tsconfig.json": '{"compilerOptions": {"strict": true}}',
            "README.md": f"# {name}\n",
            "src/app.ts": "import express from 'express';\n"
            + "".join(f"import r{k} from './routes/r{k}.routes';\n" for k in range(5))
            + "export const app = express();\n"
            + "".join(f"app.use('/api/{name}/r{k}', r{k});\n" for k in range(5)),
        }
        if i % 5 == 0:
            files["tests/load/load.js"] = _K6.format(name=name)
        if i % 10 == 3:
            files["tests/load/artillery.yml"] = _ARTILLERY.format(name=name)
        for k in range(5):
            files[f"src/routes/r{k}.routes.ts"] = _ROUTES.format(name=f"c{k}")
        kinds = ("controllers", "services", "models", "utils", "db", "dto")
        k = 0
        while len(files) < FILES_PER_SERVICE - 20:
            kind = kinds[k % len(kinds)]
            files[f"src/{kind}/m{k}.{kind}.ts"] = _CODE.format(cls=f"M{k}")
            k += 1
        t = 0
        while len(files) < FILES_PER_SERVICE:
            files[f"tests/unit/m{t}.test.ts"] = (
                f"import {{ M{t} }} from '../../src/services/m{t}.services';\n"
                f"test('m{t}', () => expect(M{t}).toBeDefined());\n"
            )
            t += 1
        for rel, text in files.items():
            _write(base / rel, text)
        count += len(files)
    _write(root / "ops" / "load.sh", "#!/bin/sh\nab -n 1000 -c 100 http://localhost:3000/health\n")
    return count + 1


def timed(root: Path, repeat: int, secrets: bool = False) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` analyses (secret scanner off: it is benchmarked on its own).

    CPU time is shown beside wall time because the machine may be shared: it
    shows the work done, whatever else runs.
    """
    walls, cpus = [], []
    result = None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        if secrets:
            result = analyze(root, Config.default(root))
        else:
            result = analyze(root, Config.default(root), secret_finder=None)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> int:
    """Run the benchmark and print a table (markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,250,500", help="service counts (comma-separated)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = ROOT / "bench" / "_work" / "coverage"
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    replica = build_replica(work / "replica")
    analyze(replica, Config.default(replica), secret_finder=None)  # warm imports and tree-sitter languages
    rt, rcpu, rres = timed(replica, max(args.repeat, 5))
    print(
        f"replica: {rres.summary.services_covered}/{rres.summary.services_total} services, "  # type: ignore[attr-defined]
        f"{len(rres.load_tests)} tests: {rt:.3f} s wall, {rcpu:.3f} s CPU (target < 1 s)"
    )  # type: ignore[attr-defined]
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    print()
    print(
        "| services | files | endpoints | load tests | first run | warm median (wall) | warm median (CPU) | CPU us/file |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for size in [int(s) for s in args.sizes.split(",")]:
        root = work / f"mono{size}"
        files = generate(root, size)
        # The first run reads files the generator has just written (page cache still filling, writeback
        # running); it is shown, but growth is judged on the warm runs.
        first, _, _ = timed(root, 1)
        seconds, cpu, res = timed(root, args.repeat)
        rows.append((size, files, seconds, cpu))
        print(
            f"| {size} | {files} | {res.summary.endpoints_total} | {len(res.load_tests)} | "  # type: ignore[attr-defined]
            f"{first:.2f} s | {seconds:.2f} s | {cpu:.2f} s | {1e6 * cpu / files:.0f} |"
        )
    if len(rows) >= 2:
        (_, f0, _, c0), (_, f1, _, c1) = rows[0], rows[-1]
        print()
        print(
            f"growth: {f1 / f0:.1f}x the files took {c1 / c0:.2f}x the CPU time "
            f"({'linear' if 0.75 <= (c1 / c0) / (f1 / f0) <= 1.3 else 'non-linear'} in the number of files)"
        )
        print(f"target 500 services < 10 s (warm): {'met' if rows[-1][2] < 10 else 'MISSED'} ({rows[-1][2]:.2f} s)")
    largest = work / f"mono{rows[-1][0]}"
    wall, cpu, _ = timed(largest, args.repeat, secrets=True)
    print(
        f"with the secret scanner deciding 'secrets from the environment' on the {rows[-1][0]}-service repo: "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
