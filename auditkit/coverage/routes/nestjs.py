"""NestJS controllers: ``@Controller('p')`` classes and ``@Get(':id')``-style method decorators."""

from __future__ import annotations

from typing import Any

from auditkit.coverage.js import JsFile, call_name, node_line, walk
from auditkit.coverage.matching import ANY
from auditkit.coverage.routes.base import FileRoutes, Route

__all__ = ["extract_nestjs"]

_DECORATORS = {
    "Get": "GET",
    "Post": "POST",
    "Put": "PUT",
    "Patch": "PATCH",
    "Delete": "DELETE",
    "Head": "HEAD",
    "Options": "OPTIONS",
    "All": ANY,
}


def _decorator_call(node: Any) -> tuple[str | None, list[Any]]:
    call = next((c for c in node.named_children if c.type in ("call_expression", "identifier")), None)
    if call is None:
        return None, []
    if call.type == "identifier":
        return call.text.decode(), []
    _, name = call_name(call)
    args = call.child_by_field_name("arguments")
    return name, [a for a in args.named_children if a.type != "comment"] if args is not None else []


def _paths(js: JsFile, args: list[Any]) -> list[str]:
    if not args:
        return [""]
    value = js.value(args[0])
    if isinstance(value, dict):
        value = value.get("path", "")
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)] or [""]
    return [value] if isinstance(value, str) else [""]


def extract_nestjs(js: JsFile, fr: FileRoutes) -> None:
    """Add NestJS controller routes and the global prefix (``app.setGlobalPrefix``) to ``fr``."""
    for node in walk(js.root):
        if node.type == "call_expression":
            _, fn = call_name(node)
            if fn == "setGlobalPrefix":
                args = node.child_by_field_name("arguments")
                value = js.value(args.named_children[0]) if args is not None and args.named_children else None
                if isinstance(value, str):
                    fr.global_prefix = value
            continue
        if node.type not in ("class_declaration", "abstract_class_declaration"):
            continue
        decorators = [c for c in node.children if c.type == "decorator"]
        if node.parent is not None and node.parent.type == "export_statement":
            decorators += [c for c in node.parent.children if c.type == "decorator"]
        prefixes = None
        for dec in decorators:
            name, args = _decorator_call(dec)
            if name == "Controller":
                prefixes = _paths(js, args)
        if prefixes is None:
            continue
        name_node = node.child_by_field_name("name")
        cls = name_node.text.decode() if name_node is not None else "controller"
        body = node.child_by_field_name("body")
        pending: list[tuple[str, list[str], int]] = []
        for member in body.named_children if body is not None else []:
            if member.type == "decorator":
                dname, dargs = _decorator_call(member)
                if dname in _DECORATORS:
                    pending.append((_DECORATORS[dname], _paths(js, dargs), node_line(member)))
                continue
            if member.type == "method_definition":
                inner = [c for c in member.children if c.type == "decorator"]
                for dec in inner:
                    dname, dargs = _decorator_call(dec)
                    if dname in _DECORATORS:
                        pending.append((_DECORATORS[dname], _paths(js, dargs), node_line(dec)))
                for method, paths, line in pending:
                    for prefix in prefixes:
                        for path in paths:
                            full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
                            fr.routes.append(Route(method, full, line, "nestjs", cls))
            pending = []
