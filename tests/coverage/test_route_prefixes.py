"""Route prefixes frameworks apply at registration: Flask blueprints, NestJS URI versioning, Express consts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditkit.coverage import analyze
from tests.coverage.conftest import default_config

Write = Callable[[str, str], Path]


def _endpoints(root: Path, service: str) -> set[tuple[str, str]]:
    r = analyze(root, default_config(root), secret_finder=None)
    found = {s.name: s for s in r.services}
    return {(e.method, e.path) for e in found[service].endpoints}


def test_flask_register_blueprint_url_prefix_replaces_the_blueprints_own(write: Write, tmp_path: Path) -> None:
    write("services/pay/Dockerfile", "FROM python\n")
    write(
        "services/pay/app/payments.py",
        """
        from flask import Blueprint
        bp = Blueprint("payments", __name__, url_prefix="/payments")
        @bp.route("/<int:pid>")
        def show(pid): ...
        """,
    )
    write(
        "services/pay/app/refunds.py",
        """
        from flask import Blueprint
        refunds = Blueprint("refunds", __name__, url_prefix="/refunds")
        @refunds.post("/")
        def create(): ...
        """,
    )
    write(
        "services/pay/app/main.py",
        """
        from flask import Blueprint, Flask
        from .payments import bp
        from .refunds import refunds
        app = Flask(__name__)
        app.register_blueprint(bp, url_prefix="/v2")
        app.register_blueprint(refunds)
        local = Blueprint("local", __name__, url_prefix="/own")
        @local.get("/ping")
        def ping(): ...
        app.register_blueprint(local, url_prefix="/status")
        """,
    )
    assert _endpoints(tmp_path, "pay") == {
        ("GET", "/v2/{}"),
        ("POST", "/refunds"),
        ("GET", "/status/ping"),
    }


def test_fastapi_include_router_prefix_still_adds_to_the_routers(write: Write, tmp_path: Path) -> None:
    write("services/api/Dockerfile", "FROM python\n")
    write(
        "services/api/app/main.py",
        """
        from fastapi import APIRouter, FastAPI
        app = FastAPI()
        router = APIRouter(prefix="/items")
        @router.get("/{item_id}")
        async def get_item(item_id: int): ...
        app.include_router(router, prefix="/v1")
        """,
    )
    assert _endpoints(tmp_path, "api") == {("GET", "/v1/items/{}")}


def test_express_use_with_a_const_prefix(write: Write, tmp_path: Path) -> None:
    write("services/shop/package.json", '{"dependencies": {"express": "^4"}}')
    write(
        "services/shop/src/index.js",
        """
        const express = require('express');
        const orders = require('./orders');
        const PREFIX = '/api/v1';
        const ADMIN = PREFIX + '/admin';
        let moving = '/changes';
        const fromEnv = process.env.BASE_PATH;
        const app = express();
        app.use(PREFIX, orders);
        app.use(ADMIN, orders);
        app.use(moving, orders);
        app.use(fromEnv, orders);
        """,
    )
    write(
        "services/shop/src/orders.js",
        """
        const router = require('express').Router();
        router.get('/orders/:id', (req, res) => res.end());
        module.exports = router;
        """,
    )
    # A let may be reassigned and an environment value is unknown: neither is taken as the prefix.
    assert _endpoints(tmp_path, "shop") == {("GET", "/api/v1/orders/{}"), ("GET", "/api/v1/admin/orders/{}")}


def _nest_service(write: Write, name: str, versioning: str) -> None:
    write(f"services/{name}/package.json", '{"dependencies": {"@nestjs/core": "^10"}}')
    write(
        f"services/{name}/src/main.ts",
        f"""
        import {{ NestFactory }} from '@nestjs/core';
        import {{ VersioningType }} from '@nestjs/common';
        async function bootstrap() {{
          const app = await NestFactory.create(AppModule);
          app.setGlobalPrefix('api');
          {versioning}
          await app.listen(3000);
        }}
        """,
    )
    write(
        f"services/{name}/src/cats.controller.ts",
        """
        import { Controller, Get, Post, Version } from '@nestjs/common';
        @Controller({ path: 'cats', version: '1' })
        export class CatsController {
          @Get(':id')
          findOne() {}
          @Version('2')
          @Post()
          create() {}
        }
        @Controller('dogs')
        export class DogsController {
          @Get()
          list() {}
        }
        """,
    )


def test_nestjs_uri_versioning_adds_the_version_segment(write: Write, tmp_path: Path) -> None:
    _nest_service(write, "default", "app.enableVersioning({ type: VersioningType.URI });")
    _nest_service(
        write, "custom", "app.enableVersioning({ type: VersioningType.URI, prefix: 'ver', defaultVersion: '3' });"
    )
    _nest_service(write, "header", "app.enableVersioning({ type: VersioningType.HEADER, header: 'X-Version' });")
    assert _endpoints(tmp_path, "default") == {
        ("GET", "/api/v1/cats/{}"),
        ("POST", "/api/v2/cats"),
        ("GET", "/api/dogs"),
    }
    assert _endpoints(tmp_path, "custom") == {
        ("GET", "/api/ver1/cats/{}"),
        ("POST", "/api/ver2/cats"),
        ("GET", "/api/ver3/dogs"),
    }
    # Header versioning leaves the paths alone.
    assert _endpoints(tmp_path, "header") == {("GET", "/api/cats/{}"), ("POST", "/api/cats"), ("GET", "/api/dogs")}
