"""OpenAPI 3 and Swagger 2 specifications: the authoritative endpoint list of a service when present."""

from __future__ import annotations

import re
from typing import Any

from auditkit.coverage.matching import normalize_path, split_url

__all__ = ["SPEC_NAME", "spec_endpoints"]

SPEC_NAME = re.compile(r"(?:^|/)(?:openapi|swagger|api-docs?|oas)[^/]*\.(?:ya?ml|json)$", re.IGNORECASE)
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def spec_endpoints(doc: Any) -> list[tuple[str, str, int]] | None:
    """(METHOD, normalised path, 0) for every operation; ``None`` when ``doc`` is not a spec."""
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        return None
    if "openapi" not in doc and "swagger" not in doc:
        return None
    prefix = ""
    if isinstance(doc.get("basePath"), str):
        prefix = doc["basePath"]
    servers = doc.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = servers[0].get("url")
        if isinstance(url, str):
            prefix = split_url(url).path if "://" in url else url
    prefix = "" if prefix in ("/", "") else prefix.rstrip("/")
    out: list[tuple[str, str, int]] = []
    for path, item in doc["paths"].items():
        if not isinstance(item, dict) or not isinstance(path, str):
            continue
        full = normalize_path(prefix + "/" + path.lstrip("/"))
        out.extend((method.upper(), full, 0) for method in _METHODS if method in item)
    return out
