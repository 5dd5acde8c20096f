"""Service discovery in other monorepo layouts, config options, routes of other frameworks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditkit.config import load_config
from auditkit.coverage import analyze
from tests.coverage.conftest import default_config

Write = Callable[[str, str], Path]


def _services(root: Path, config=None) -> dict[str, object]:
    r = analyze(root, config or default_config(root), secret_finder=None)
    return {s.name: s for s in r.services}


def test_services_apps_packages_layouts(write: Write, tmp_path: Path) -> None:
    write("services/billing/pyproject.toml", "[project]\nname='billing'\ndependencies=['fastapi']\n")
    write("services/ledger/go.mod", "module ledger\n")
    write("services/edge/Dockerfile", "FROM nginx\n")
    write("services/docs-only/README.md", "no manifest: not a service\n")
    write("apps/web/package.json", '{"name": "web", "scripts": {"dev": "next dev"}}')
    write("packages/api/package.json", '{"name": "api", "dependencies": {"fastify": "^4"}}')
    write("packages/shared-utils/package.json", '{"name": "utils", "main": "index.js"}')
    found = _services(tmp_path)
    assert set(found) == {"billing", "ledger", "edge", "web", "api"}
    assert found["billing"].manifests == ("pyproject.toml",)


def test_config_lists_renames_excludes_and_marks_critical(write: Write, tmp_path: Path) -> None:
    write("platform/core/users/package.json", "{}")
    write("platform/core/billing/package.json", "{}")
    write("platform/core/legacy/package.json", "{}")
    write(
        "platform/core/users/load/users.js",
        "import http from 'k6/http';\nexport default () => http.get(`${__ENV.B}/u`);\n",
    )
    write("perf/billing.js", "import http from 'k6/http';\nexport default () => http.get(`${__ENV.B}/b`);\n")
    write(
        ".auditkit.toml",
        """
        [coverage]
        services = ["platform/core/*"]
        exclude = ["platform/core/legacy"]
        rename = { "platform/core/users" = "identity" }
        critical = ["billing"]
        test_map = { "perf/billing.js" = "billing" }
        """,
    )
    cfg = load_config(tmp_path)
    r = analyze(tmp_path, cfg, secret_finder=None)
    found = {s.name: s for s in r.services}
    assert set(found) == {"identity", "billing"}
    assert found["billing"].critical and not found["identity"].critical
    assert [t.path for t in found["billing"].load_tests] == ["perf/billing.js"]
    assert r.summary.services_covered == 2 and not r.platform_tests


def test_fastapi_flask_and_openapi_endpoints(write: Write, tmp_path: Path) -> None:
    write("services/py/pyproject.toml", "[project]\nname='py'\n")
    write(
        "services/py/app/main.py",
        """
        from fastapi import FastAPI
        from .routers import items
        app = FastAPI()
        app.include_router(items.router, prefix="/api/items")
        @app.get("/health")
        def health(): return {}
        """,
    )
    write(
        "services/py/app/routers/items.py",
        """
        from fastapi import APIRouter
        router = APIRouter()
        @router.get("/{item_id}")
        async def get_item(item_id: int): ...
        @router.api_route("/", methods=["POST", "PUT"])
        async def upsert(): ...
        """,
    )
    write("services/fl/Dockerfile", "FROM python\n")
    write(
        "services/fl/app.py",
        """
        from flask import Blueprint, Flask
        app = Flask(__name__)
        bp = Blueprint("orders", __name__, url_prefix="/orders")
        @bp.route("/<int:order_id>", methods=["GET", "DELETE"])
        def order(order_id): ...
        app.register_blueprint(bp)
        """,
    )
    write("services/spec/Dockerfile", "FROM scratch\n")
    write(
        "services/spec/openapi.yaml",
        """
        openapi: 3.0.0
        servers: [{url: "https://api.example.com/v2"}]
        paths:
          /pets: {get: {}, post: {}}
          /pets/{petId}: {get: {}}
        """,
    )
    write("services/spec/src/server.js", "app.get('/not-counted', (req, res) => res.end());\n")
    found = _services(tmp_path)
    eps = lambda name: {(e.method, e.path) for e in found[name].endpoints}  # noqa: E731
    assert eps("py") == {
        ("GET", "/api/items/{}"),
        ("POST", "/api/items"),
        ("PUT", "/api/items"),
        ("GET", "/health"),
    }
    assert eps("fl") == {("GET", "/orders/{}"), ("DELETE", "/orders/{}")}
    assert found["spec"].endpoint_source == "openapi"
    assert eps("spec") == {("GET", "/v2/pets"), ("POST", "/v2/pets"), ("GET", "/v2/pets/{}")}


def test_express_koa_fastify_prefixes_and_matching(write: Write, tmp_path: Path) -> None:
    write("services/shop/package.json", '{"scripts": {"start": "node ."}}')
    write(
        "services/shop/src/index.js",
        """
        const express = require('express');
        const orders = require('./orders');
        const app = express();
        const admin = express.Router();
        admin.delete('/cache', (req, res) => res.end());
        app.use('/api/orders', orders);
        app.use('/admin', admin);
        app.route('/api/cart').get((q, s) => s.end()).post((q, s) => s.end());
        app.register(require('./plugins'), { prefix: '/v1' });
        axios.get('/api/other-service/x', handler);
        """,
    )
    write(
        "services/shop/src/orders.js",
        """
        const router = require('express').Router();
        router.get('/:orderId', (req, res) => res.end());
        router.post('/', async (req, res) => res.end());
        router.get('/search', (req, res) => res.end());
        module.exports = router;
        """,
    )
    write(
        "services/shop/src/plugins.ts",
        """
        import Router from '@koa/router';
        const r = new Router({ prefix: '/koa' });
        r.get('/ping', (ctx) => { ctx.body = 'pong'; });
        export async function routes(fastify: any) {
          fastify.route({ method: ['GET', 'HEAD'], url: '/fast/:id', handler: async () => 1 });
        }
        """,
    )
    write(
        "services/shop/tests/load/shop.js",
        """
        import http from 'k6/http';
        const B = __ENV.SHOP;
        export default function () {
          http.get(`${B}/api/orders/search?q=x`);
          http.get(`${B}/api/orders/${Math.floor(Math.random() * 100)}`);
          http.get(`${B}/v1/fast/9`);
        }
        """,
    )
    found = _services(tmp_path)
    shop = found["shop"]
    eps = {(e.method, e.path): e for e in shop.endpoints}
    assert set(eps) == {
        ("GET", "/api/orders/{}"),
        ("POST", "/api/orders"),
        ("GET", "/api/orders/search"),
        ("DELETE", "/admin/cache"),
        ("GET", "/api/cart"),
        ("POST", "/api/cart"),
        ("GET", "/v1/koa/ping"),
        ("GET", "/v1/fast/{}"),
        ("HEAD", "/v1/fast/{}"),
    }
    covered = {k for k, e in eps.items() if e.covered}
    # /search matches the literal route, not /:orderId; register(..., {prefix}) put /fast under /v1.
    assert covered == {("GET", "/api/orders/search"), ("GET", "/api/orders/{}"), ("GET", "/v1/fast/{}")}


def test_no_services_is_a_notice(write: Write, tmp_path: Path) -> None:
    write("README.md", "# nothing\n")
    r = analyze(tmp_path, default_config(tmp_path), secret_finder=None)
    assert r.summary.services_total == 0 and r.summary.coverage_pct is None
    assert any("no services found" in n for n in r.notices)


def test_git_ignored_files_are_not_read(write: Write, tmp_path: Path, git_env: dict[str, str]) -> None:
    from tests.conftest import git

    write("services/a/Dockerfile", "FROM x\n")
    write(
        "services/a/tests/load/a.js",
        "import http from 'k6/http';\nexport default () => http.get(`${__ENV.B}/a`);\n",
    )
    write("services/b/Dockerfile", "FROM x\n")
    write(
        "generated/copy/services/x/load.js",
        "import http from 'k6/http';\nexport default () => http.get('/x');\n",
    )
    write("services/a/tmp-load.js", "import http from 'k6/http';\nexport default () => http.get('/tmp');\n")
    write(".gitignore", "generated/\ntmp-*.js\n")
    git(tmp_path, "init", "-q")
    r = analyze(tmp_path, default_config(tmp_path), secret_finder=None)
    assert [t.path for t in r.load_tests] == ["services/a/tests/load/a.js"]
    assert r.summary.services_total == 2
