"""A replica of the audited TicketToken platform, built on disk for tests, benchmarks and the bundled example.

``build_replica(root)`` writes 21 Node.js services under ``backend/services/``
(Express and NestJS routes, about 200 endpoints), the well-written k6 test of
analytics-service, the Artillery test of search-service (a JS script, as the
audit found it), and the central ``operations/load-tests/load-test.sh`` that
uses ab and a loop of 10 psql calls with a hard-coded database password (the
same password is in ``operations/scripts/smoke.sh`` and ``health.sh``).
``fixed_password=True`` writes the remediated scripts (``${DB_PASSWORD}``).

The password below is the audit's own published, fake credential.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["AUDIT_PASSWORD", "SERVICES", "build_replica"]

AUDIT_PASSWORD = "TicketToken2024Secure!"

# service -> (framework, {mount prefix: [(METHOD, path)]})
_CRUD = [("GET", "/"), ("GET", "/:id"), ("POST", "/"), ("PUT", "/:id"), ("DELETE", "/:id")]


def _crud(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [*_CRUD, *extra]


SERVICES: dict[str, tuple[str, dict[str, list[tuple[str, str]]]]] = {
    "api-gateway": (
        "express",
        {
            "/api/gateway": [
                ("GET", "/routes"),
                ("GET", "/status"),
                ("POST", "/cache/flush"),
                ("GET", "/rate-limits"),
            ],
            "/api/events": [("GET", "/search"), ("GET", "/:id")],
        },
    ),
    "auth-service": (
        "express",
        {
            "/api/auth": [
                ("POST", "/login"),
                ("POST", "/logout"),
                ("POST", "/register"),
                ("POST", "/refresh"),
                ("POST", "/forgot-password"),
                ("POST", "/reset-password"),
                ("GET", "/me"),
                ("POST", "/mfa/setup"),
                ("POST", "/mfa/verify"),
                ("GET", "/sessions"),
                ("DELETE", "/sessions/:sessionId"),
            ],
        },
    ),
    "venue-service": (
        "express",
        {
            "/api/v1/venues": _crud(
                ("GET", "/:id/sections"),
                ("POST", "/:id/sections"),
                ("GET", "/:id/staff"),
                ("POST", "/:id/staff"),
                ("GET", "/:id/settings"),
                ("PUT", "/:id/settings"),
            ),
        },
    ),
    "event-service": (
        "express",
        {
            "/api/v1/events": _crud(
                ("GET", "/:id/availability"),
                ("POST", "/:id/publish"),
                ("POST", "/:id/cancel"),
                ("GET", "/:id/pricing"),
                ("PUT", "/:id/pricing"),
            ),
            "/api/v1/categories": [("GET", "/"), ("POST", "/")],
        },
    ),
    "ticket-service": (
        "express",
        {
            "/api/v1/tickets": _crud(
                ("POST", "/reserve"),
                ("POST", "/purchase"),
                ("GET", "/:id/qr"),
                ("POST", "/:id/validate"),
                ("GET", "/user/:userId"),
            ),
            "/api/v1/ticket-types": [("GET", "/"), ("POST", "/"), ("PUT", "/:id")],
        },
    ),
    "order-service": (
        "express",
        {
            "/api/v1/orders": _crud(
                ("POST", "/:id/cancel"),
                ("POST", "/:id/refund"),
                ("GET", "/user/:userId"),
                ("GET", "/:id/items"),
            ),
            "/api/v1/cart": [
                ("GET", "/"),
                ("POST", "/items"),
                ("DELETE", "/items/:itemId"),
                ("POST", "/checkout"),
            ],
        },
    ),
    "payment-service": (
        "express",
        {
            "/api/v1/payments": [
                ("POST", "/intents"),
                ("POST", "/confirm"),
                ("GET", "/:id"),
                ("POST", "/:id/refund"),
                ("GET", "/methods"),
                ("POST", "/methods"),
                ("DELETE", "/methods/:methodId"),
                ("POST", "/webhooks/stripe"),
                ("GET", "/payouts"),
                ("POST", "/payouts"),
            ],
        },
    ),
    "notification-service": (
        "express",
        {
            "/api/v1/notifications": [
                ("POST", "/email"),
                ("POST", "/sms"),
                ("POST", "/push"),
                ("GET", "/"),
                ("GET", "/:id"),
                ("PUT", "/preferences"),
                ("GET", "/templates"),
                ("POST", "/templates"),
            ],
        },
    ),
    "queue-service": (
        "express",
        {
            "/api/v1/queue": [
                ("POST", "/jobs"),
                ("GET", "/jobs/:id"),
                ("DELETE", "/jobs/:id"),
                ("GET", "/stats"),
                ("POST", "/jobs/:id/retry"),
                ("GET", "/dead-letter"),
                ("POST", "/pause"),
                ("POST", "/resume"),
            ],
        },
    ),
    "search-service": (
        "express",
        {
            "/api/v1/search": [
                ("GET", "/"),
                ("GET", "/autocomplete"),
                ("GET", "/geo"),
                ("POST", "/advanced"),
                ("GET", "/trending"),
                ("GET", "/suggestions"),
                ("POST", "/reindex"),
                ("GET", "/facets"),
                ("POST", "/sync"),
            ],
        },
    ),
    "analytics-service": (
        "express",
        {
            "/api/analytics": [
                ("GET", "/venues/:venueId/revenue/summary"),
                ("GET", "/venues/:venueId/revenue/projections"),
                ("GET", "/venues/:venueId/customers/clv"),
                ("GET", "/venues/:venueId/customers/segments"),
                ("GET", "/venues/:venueId/customers/churn-risk"),
                ("GET", "/venues/:venueId/dashboard"),
                ("GET", "/venues/:venueId/realtime"),
                ("POST", "/exports"),
                ("GET", "/exports/:exportId"),
                ("GET", "/events/:eventId/sales"),
                ("POST", "/reports"),
                ("GET", "/reports/:reportId"),
            ],
        },
    ),
    "blockchain-service": (
        "express",
        {
            "/api/v1/blockchain": [
                ("POST", "/transactions"),
                ("GET", "/transactions/:signature"),
                ("GET", "/balance/:wallet"),
                ("POST", "/wallets"),
                ("GET", "/wallets/:id"),
                ("GET", "/network/status"),
                ("POST", "/airdrop"),
            ],
        },
    ),
    "blockchain-indexer": (
        "nestjs",
        {
            "indexer": [
                ("GET", "status"),
                ("POST", "reindex"),
                ("GET", "transactions"),
                ("GET", "transactions/:signature"),
                ("GET", "nfts/:mint"),
                ("GET", "wallets/:wallet/activity"),
            ],
        },
    ),
    "file-service": (
        "express",
        {
            "/api/v1/files": [
                ("POST", "/upload"),
                ("GET", "/:id"),
                ("DELETE", "/:id"),
                ("GET", "/:id/download"),
                ("POST", "/images/resize"),
                ("GET", "/"),
                ("POST", "/presign"),
            ],
        },
    ),
    "compliance-service": (
        "nestjs",
        {
            "compliance": [
                ("POST", "kyc"),
                ("GET", "kyc/:userId"),
                ("POST", "tax/1099"),
                ("GET", "tax/reports"),
                ("POST", "ofac/check"),
                ("GET", "audit-log"),
                ("POST", "gdpr/export"),
                ("DELETE", "gdpr/:userId"),
            ],
        },
    ),
    "integration-service": (
        "nestjs",
        {
            "integrations": [
                ("GET", ""),
                ("POST", ""),
                ("GET", ":id"),
                ("DELETE", ":id"),
                ("POST", ":id/sync"),
                ("GET", ":id/logs"),
                ("POST", "webhooks/:provider"),
            ],
        },
    ),
    "marketplace-service": (
        "express",
        {
            "/api/v1/listings": _crud(("POST", "/:id/buy"), ("GET", "/:id/offers"), ("POST", "/:id/offers")),
            "/api/v1/marketplace": [("GET", "/stats"), ("GET", "/fees")],
        },
    ),
    "monitoring-service": (
        "nestjs",
        {
            "monitoring": [
                ("GET", "metrics"),
                ("GET", "alerts"),
                ("POST", "alerts"),
                ("GET", "health/services"),
                ("GET", "dashboards"),
                ("GET", "incidents"),
                ("POST", "incidents"),
            ],
        },
    ),
    "minting-service": (
        "express",
        {
            "/api/v1/mint": [
                ("POST", "/"),
                ("POST", "/batch"),
                ("GET", "/jobs/:jobId"),
                ("GET", "/collections"),
                ("POST", "/collections"),
                ("GET", "/collections/:id"),
            ],
        },
    ),
    "transfer-service": (
        "express",
        {
            "/api/v1/transfers": [
                ("POST", "/"),
                ("GET", "/:id"),
                ("POST", "/:id/accept"),
                ("POST", "/:id/reject"),
                ("GET", "/user/:userId"),
                ("GET", "/pending"),
            ],
        },
    ),
    "scanning-service": (
        "express",
        {
            "/api/v1/scan": [
                ("POST", "/"),
                ("POST", "/offline-sync"),
                ("GET", "/devices"),
                ("POST", "/devices"),
                ("GET", "/events/:eventId/stats"),
                ("POST", "/policies"),
            ],
        },
    ),
}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _resource(prefix: str) -> str:
    return prefix.rstrip("/").rsplit("/", 1)[-1] or "root"


def _express_service(folder: Path, mounts: dict[str, list[tuple[str, str]]]) -> None:
    imports, uses = [], []
    for prefix, routes in mounts.items():
        name = _resource(prefix)
        var = name.replace("-", "_") + "Routes"
        imports.append(f"import {var} from './routes/{name}.routes';")
        uses.append(f"app.use('{prefix}', authenticate, {var});")
        handlers = "\n".join(
            f"router.{m.lower()}('{p}', validate, async (req: Request, res: Response) => {{\n"
            f"  res.json(await controller.handle('{m} {p}', req));\n}});\n"
            for m, p in routes
        )
        _write(
            folder / "src" / "routes" / f"{name}.routes.ts",
            "import { Router, Request, Response } from 'express';\n"
            "import { validate } from '../middleware/validate';\n"
            f"import * as controller from '../controllers/{name}.controller';\n\n"
            "const router = Router();\n\n" + handlers + "\nexport default router;\n",
        )
        _write(
            folder / "src" / "controllers" / f"{name}.controller.ts",
            "const cache = new Map<string, unknown>();\n\n"
            "export async function handle(op: string, req: { params: unknown }): Promise<unknown> {\n"
            "  const hit = cache.get(op);\n"
            "  return hit ?? { op, params: req.params };\n}\n",
        )
    _write(
        folder / "src" / "app.ts",
        "import express from 'express';\nimport helmet from 'helmet';\n"
        "import { authenticate } from './middleware/auth';\n" + "\n".join(imports) + "\n\n"
        "export const app = express();\napp.use(helmet());\napp.use(express.json());\n\n"
        "app.get('/health', (_req, res) => res.json({ status: 'ok' }));\n" + "\n".join(uses) + "\n",
    )
    _write(
        folder / "src" / "middleware" / "auth.ts",
        "export function authenticate(req: any, _res: any, next: () => void) {\n"
        "  const token = req.headers.authorization;\n  req.user = token ? { id: 'u' } : undefined;\n  next();\n}\n",
    )
    _write(
        folder / "src" / "middleware" / "validate.ts",
        "export function validate(_req: unknown, _res: unknown, next: () => void) { next(); }\n",
    )
    _write(
        folder / "src" / "index.ts",
        "import { app } from './app';\n\nconst port = Number(process.env.PORT || 3000);\n"
        "app.listen(port, () => console.log(`listening on ${port}`));\n",
    )


def _nest_service(folder: Path, mounts: dict[str, list[tuple[str, str]]]) -> None:
    for controller, routes in mounts.items():
        cls = "".join(part.capitalize() for part in controller.split("-")) + "Controller"
        methods = []
        for i, (m, p) in enumerate(routes):
            deco = m.capitalize()
            arg = f"'{p}'" if p else ""
            params = "@Param() params: Record<string, string>" if ":" in p else "@Body() body: unknown"
            methods.append(
                f"  @{deco}({arg})\n  @UseGuards(JwtAuthGuard)\n"
                f"  async handler{i}({params}) {{\n    return this.service.run('{m} {p}');\n  }}\n"
            )
        _write(
            folder / "src" / controller / f"{controller}.controller.ts",
            "import { Body, Controller, Delete, Get, Param, Post, Put, UseGuards } from '@nestjs/common';\n"
            "import { JwtAuthGuard } from '../auth/jwt.guard';\n"
            f"import {{ Service }} from './{controller}.service';\n\n"
            f"@Controller('{controller}')\nexport class {cls} {{\n"
            "  constructor(private readonly service: Service) {}\n\n" + "\n".join(methods) + "}\n",
        )
        _write(
            folder / "src" / controller / f"{controller}.service.ts",
            "export class Service {\n  async run(op: string) { return { op }; }\n}\n",
        )
    _write(
        folder / "src" / "main.ts",
        "import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\n\n"
        "async function bootstrap() {\n  const app = await NestFactory.create(AppModule);\n"
        "  app.setGlobalPrefix('api/v1');\n  await app.listen(process.env.PORT || 3000);\n}\nbootstrap();\n",
    )


_K6_TEST = """import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Rate, Trend } from 'k6/metrics';

// Custom metrics for the analytics endpoints
const errorRate = new Rate('errors');
const revenueTrend = new Trend('revenue_summary_duration');
const customerTrend = new Trend('customer_analytics_duration');

const BASE_URL = __ENV.ANALYTICS_URL || 'http://localhost:3010';
const AUTH_TOKEN = __ENV.AUTH_TOKEN;
const VENUE_ID = __ENV.VENUE_ID || 'test-venue-1';

export const options = {
  stages: [
    { duration: '1m', target: 20 },   // Ramp up to 20 users
    { duration: '3m', target: 50 },   // Stay at 50 users
    { duration: '2m', target: 100 },  // Spike to 100 users
    { duration: '2m', target: 50 },   // Drop back to 50
    { duration: '1m', target: 0 },    // Ramp down
  ],
  thresholds: {
    http_req_duration: ['p(95)<2000', 'p(99)<5000'],
    http_req_failed: ['rate<0.01'],
    errors: ['rate<0.05'],
    revenue_summary_duration: ['p(95)<1500'],
  },
};

const params = { headers: { Authorization: `Bearer ${AUTH_TOKEN}` } };

export default function () {
  group('Revenue Analytics', () => {
    let res = http.get(`${BASE_URL}/api/analytics/venues/${VENUE_ID}/revenue/summary`, params);
    revenueTrend.add(res.timings.duration);
    check(res, { 'revenue summary 200': (r) => r.status === 200 }) || errorRate.add(1);

    res = http.get(`${BASE_URL}/api/analytics/venues/${VENUE_ID}/revenue/projections?days=30`, params);
    check(res, { 'projections 200': (r) => r.status === 200 }) || errorRate.add(1);
  });
  sleep(1);

  group('Customer Analytics', () => {
    let res = http.get(`${BASE_URL}/api/analytics/venues/${VENUE_ID}/customers/clv`, params);
    customerTrend.add(res.timings.duration);
    check(res, { 'clv 200': (r) => r.status === 200 }) || errorRate.add(1);

    res = http.get(`${BASE_URL}/api/analytics/venues/${VENUE_ID}/customers/segments`, params);
    check(res, { 'segments 200': (r) => r.status === 200 }) || errorRate.add(1);

    res = http.get(`${BASE_URL}/api/analytics/venues/${VENUE_ID}/customers/churn-risk`, params);
    check(res, { 'churn risk 200': (r) => r.status === 200 }) || errorRate.add(1);
  });
  sleep(Math.random() * 2 + 1);
}
"""

_ARTILLERY_TEST = """// Artillery load test for search-service (run: artillery run search-load-test.js)
module.exports = {
  config: {
    target: process.env.SEARCH_SERVICE_URL || 'http://localhost:3020',
    phases: [
      { duration: 60, arrivalRate: 5, name: 'Warm-up' },
      { duration: 120, arrivalRate: 5, rampTo: 50, name: 'Ramp-up' },
      { duration: 300, arrivalRate: 50, name: 'Sustained peak' },
      { duration: 120, arrivalRate: 50, rampTo: 100, name: 'Stress' },
      { duration: 60, arrivalRate: 10, name: 'Cool down' },
    ],
    payload: {
      path: './search-terms.csv',
      fields: ['query', 'city', 'lat', 'lon'],
      order: 'random',
    },
    plugins: {
      expect: {},
      statsd: { host: process.env.STATSD_HOST || 'localhost', port: 8125, prefix: 'artillery.search' },
    },
    defaults: { headers: { 'Content-Type': 'application/json' } },
  },
  scenarios: [
    {
      name: 'Basic Search Queries',
      weight: 40,
      flow: [
        { get: { url: '/api/v1/search?q={{ query }}&city={{ city }}', expect: [{ statusCode: 200 }] } },
        { think: 2 },
      ],
    },
    {
      name: 'Autocomplete Suggestions',
      weight: 30,
      flow: [
        { get: { url: '/api/v1/search/autocomplete?q={{ query }}', expect: [{ statusCode: 200 }] } },
        { think: 1 },
      ],
    },
    {
      name: 'Geo-Location Search',
      weight: 15,
      flow: [
        { get: { url: '/api/v1/search/geo?lat={{ lat }}&lon={{ lon }}&radius=25', expect: [{ statusCode: 200 }] } },
        { think: 3 },
      ],
    },
    {
      name: 'Advanced Search with Filters',
      weight: 10,
      flow: [
        { post: { url: '/api/v1/search/advanced', json: { q: '{{ query }}', filters: { city: '{{ city }}' } },
                  expect: [{ statusCode: 200 }, { contentType: 'json' }] } },
        { think: 2 },
      ],
    },
    {
      name: 'Trending Searches',
      weight: 5,
      flow: [
        { get: { url: '/api/v1/search/trending', expect: [{ statusCode: 200 }] } },
      ],
    },
  ],
};
"""


def _central_script(fixed: bool) -> str:
    password = "${DB_PASSWORD}" if fixed else AUDIT_PASSWORD
    return f"""#!/bin/bash
# TicketToken platform load test

CONCURRENT_USERS=100
TOTAL_REQUESTS=1000
API_URL="http://localhost:3000"

echo "=================================="
echo "TICKETTOKEN LOAD TEST"
echo "=================================="

# Test 1: Health endpoint (baseline)
echo "Test 1: Health endpoint"
echo "------------------------------"
ab -n $TOTAL_REQUESTS -c $CONCURRENT_USERS -q "$API_URL/health" | grep -E "Requests per second|Time per request|Failed requests"

# Test 2: Event search (read heavy)
echo ""
echo "Test 2: Event search"
echo "------------------------------"
ab -n 500 -c 50 -q "$API_URL/api/events/search?q=concert" | grep -E "Requests per second|Time per request|Failed requests"

# Test 3: Database queries
echo ""
echo "Test 3: Database Performance"
echo "------------------------------"
echo "Running 1000 concurrent queries..."
for i in {{1..10}}; do
  PGPASSWORD={password} psql -U postgres -d tickettoken \\
    -c "SELECT COUNT(*) FROM tickets" > /dev/null 2>&1 &
done
wait

echo ""
echo "Load test complete"
"""


def _ops_script(name: str, fixed: bool) -> str:
    password = "${DB_PASSWORD}" if fixed else AUDIT_PASSWORD
    return (
        f"#!/bin/bash\n# {name}: quick platform check\nset -e\n\n"
        "curl -sf http://localhost:3000/health > /dev/null && echo 'gateway ok'\n"
        f"PGPASSWORD={password} psql -h localhost -U postgres -d tickettoken -c 'SELECT 1' > /dev/null\n"
        "echo 'database ok'\n"
    )


def build_replica(root: Path, *, fixed_password: bool = False) -> Path:
    """Write the replica under ``root`` (created if needed) and return ``root``."""
    root = Path(root)
    services = root / "backend" / "services"
    for index, (name, (framework, mounts)) in enumerate(SERVICES.items()):
        folder = services / name
        deps = (
            {"@nestjs/common": "^10.3.0", "@nestjs/core": "^10.3.0"}
            if framework == "nestjs"
            else {"express": "^4.19.2", "helmet": "^7.1.0"}
        )
        package: dict[str, Any] = {
            "name": f"@tickettoken/{name}",
            "version": "1.0.0",
            "private": True,
            "main": "dist/index.js",
            "scripts": {
                "build": "tsc",
                "start": "node dist/index.js",
                "dev": "ts-node-dev src/index.ts",
                "test": "jest",
            },
            "dependencies": deps,
            "devDependencies": {"typescript": "^5.4.0", "jest": "^29.7.0"},
        }
        if name == "analytics-service":
            package["scripts"]["test:load"] = "k6 run tests/load/analytics-load-test.js"
            package["devDependencies"]["@types/k6"] = "^0.50.0"
        if name == "search-service":
            package["scripts"]["test:load"] = "artillery run tests/load/search-load-test.js"
            package["devDependencies"]["artillery"] = "^2.0.0"
        _write(folder / "package.json", json.dumps(package, indent=2) + "\n")
        _write(folder / "tsconfig.json", '{\n  "compilerOptions": {"target": "ES2020", "outDir": "dist"}\n}\n')
        _write(
            folder / "Dockerfile",
            f"FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n"
            f'EXPOSE {3000 + index}\nCMD ["node", "dist/index.js"]\n',
        )
        _write(
            folder / "tests" / "unit" / "health.test.ts",
            "import request from 'supertest';\nimport { app } from '../../src/app';\n\n"
            "it('health', async () => {\n  await request(app).get('/health').expect(200);\n});\n",
        )
        if framework == "nestjs":
            _nest_service(folder, mounts)
        else:
            _express_service(folder, mounts)
    _write(services / "analytics-service" / "tests" / "load" / "analytics-load-test.js", _K6_TEST)
    _write(services / "search-service" / "tests" / "load" / "search-load-test.js", _ARTILLERY_TEST)
    _write(
        services / "search-service" / "tests" / "load" / "search-terms.csv",
        "query,city,lat,lon\nconcert,NYC,40.71,-74.00\njazz,Chicago,41.88,-87.63\ncomedy,Austin,30.27,-97.74\n",
    )
    _write(root / "operations" / "load-tests" / "load-test.sh", _central_script(fixed_password))
    _write(root / "operations" / "scripts" / "smoke.sh", _ops_script("smoke", fixed_password))
    _write(root / "operations" / "scripts" / "health.sh", _ops_script("health", fixed_password))
    _write(
        root / "package.json",
        json.dumps({"name": "tickettoken", "private": True, "workspaces": ["backend/services/*"]}, indent=2) + "\n",
    )
    _write(root / "README.md", "# TicketToken platform\n")
    _write(
        root / ".github" / "workflows" / "ci.yml",
        "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: npm ci\n      - run: npm test --workspaces\n",
    )
    return root
