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


def _versions(value: Any) -> tuple[str, ...]:
    """``'1'``, ``['1', '2']`` or ``VERSION_NEUTRAL`` (anything not a string: ``""``, no segment)."""
    items = value if isinstance(value, list) else [value]
    return tuple(v if isinstance(v, str) else "" for v in items)


def _enable_versioning(js: JsFile, args: list[Any], fr: FileRoutes) -> None:
    """``enableVersioning({type: VersioningType.URI, prefix?, defaultVersion?})``: only URI versioning changes paths."""
    opts_node = args[0] if args else None
    opts = js.value(opts_node) if opts_node is not None else None
    if not isinstance(opts, dict) or opts_node is None:
        return
    # The type is an enum member (VersioningType.URI), which has no literal value to evaluate.
    kind = ""
    for pair in opts_node.named_children:
        key = pair.child_by_field_name("key") if pair.type == "pair" else None
        if key is not None and key.text.decode().strip("'\"") == "type":
            kind = pair.child_by_field_name("value").text.decode()
    if not kind.endswith(".URI"):
        return
    prefix = opts.get("prefix", "v")
    fr.uri_version_prefix = prefix if isinstance(prefix, str) else ""  # prefix: false -> bare version
    if "defaultVersion" in opts:
        fr.default_versions = _versions(opts["defaultVersion"])


def extract_nestjs(js: JsFile, fr: FileRoutes) -> None:
    """Add NestJS controller routes, the global prefix and URI versioning (``app.enableVersioning``) to ``fr``."""
    for node in walk(js.root):
        if node.type == "call_expression":
            _, fn = call_name(node)
            args_node = node.child_by_field_name("arguments")
            args = [a for a in args_node.named_children if a.type != "comment"] if args_node is not None else []
            if fn == "setGlobalPrefix":
                value = js.value(args[0]) if args else None
                if isinstance(value, str):
                    fr.global_prefix = value
            elif fn == "enableVersioning":
                _enable_versioning(js, args, fr)
            continue
        if node.type not in ("class_declaration", "abstract_class_declaration"):
            continue
        decorators = [c for c in node.children if c.type == "decorator"]
        if node.parent is not None and node.parent.type == "export_statement":
            decorators += [c for c in node.parent.children if c.type == "decorator"]
        prefixes = None
        controller_versions: tuple[str, ...] = ()
        for dec in decorators:
            name, args = _decorator_call(dec)
            if name == "Controller":
                prefixes = _paths(js, args)
                options = js.value(args[0]) if args else None
                if isinstance(options, dict) and "version" in options:
                    controller_versions = _versions(options["version"])
        if prefixes is None:
            continue
        name_node = node.child_by_field_name("name")
        cls = name_node.text.decode() if name_node is not None else "controller"
        body = node.child_by_field_name("body")
        pending: list[tuple[str, list[str], int]] = []
        method_versions: tuple[str, ...] = ()
        for member in body.named_children if body is not None else []:
            decs = [member] if member.type == "decorator" else []
            if member.type == "method_definition":
                decs = [c for c in member.children if c.type == "decorator"]
            for dec in decs:
                dname, dargs = _decorator_call(dec)
                if dname in _DECORATORS:
                    pending.append((_DECORATORS[dname], _paths(js, dargs), node_line(dec)))
                elif dname == "Version" and dargs:
                    method_versions = _versions(js.value(dargs[0]))
            if member.type != "method_definition":
                continue
            for method, paths, line in pending:
                for prefix in prefixes:
                    for path in paths:
                        full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
                        versions = method_versions or controller_versions
                        fr.routes.append(Route(method, full, line, "nestjs", cls, versions))
            pending = []
            method_versions = ()
