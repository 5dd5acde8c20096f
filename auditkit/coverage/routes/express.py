"""Express, Koa (koa-router / @koa/router), Fastify and Hapi routes, read statically with tree-sitter.

Recognised: ``router.get('/x', handler)``, ``app.route('/x').get().post()``,
``fastify.route({method, url})`` / ``server.route({method, path})``,
``app.use('/p', router)``, ``fastify.register(plugin, {prefix: '/p'})``,
``new Router({prefix: '/p'})``.
"""

from __future__ import annotations

import re
from typing import Any

from auditkit.coverage.js import BASE_HOLE, HOLE, JsFile, call_name, node_line, string_value, walk
from auditkit.coverage.matching import ANY, HTTP_METHODS
from auditkit.coverage.routes.base import FileRoutes, Mount, Route, resolve_module

__all__ = ["extract_express"]

_VERBS = {**HTTP_METHODS, "del": "DELETE", "all": ANY}
_RECEIVER = re.compile(
    r"^(?:app|application|server|fastify|instance|api|r|routes?|\w*router|\w*routes|v\d+|"
    r"\w*app|\w*server)$",
    re.IGNORECASE,
)
_NOT_SERVER = re.compile(
    r"^(?:axios|http|https|got|superagent|request|fetch|ky|client|\w*client|\$http|"
    r"httpservice|supertest|agent|cache|redis|map|params|query|headers|res|req|ctx)$",
    re.IGNORECASE,
)
_FACTORIES = re.compile(
    r"^(?:express|Router|express\.Router|fastify|Fastify|Koa|Hapi\.server|Hapi\.Server|"
    r"new\s+Router|new\s+KoaRouter|new\s+Koa)"
)
_FUNCTION_NODES = {
    "arrow_function",
    "function_expression",
    "function",
    "identifier",
    "member_expression",
    "call_expression",
    "array",
}


def _receiver(node: Any) -> str:
    """The last name of the object a method is called on: ``this.router`` -> ``router``."""
    text = node.text.decode("utf-8", "replace")
    return text.rsplit(".", 1)[-1]


def extract_express(js: JsFile, fr: FileRoutes, known: set[str]) -> None:
    """Add this file's Express/Koa/Fastify/Hapi routes and mounts to ``fr``."""
    declared: set[str] = set()
    imports = _imports(js, fr.path, known)
    for name, value in js.declarations.items():
        text = value.text.decode("utf-8", "replace")
        if _FACTORIES.match(text):
            declared.add(name)
            if value.type == "new_expression":
                args = value.child_by_field_name("arguments")
                opts = js.value(args.named_children[0]) if args is not None and args.named_children else None
                if isinstance(opts, dict) and isinstance(opts.get("prefix"), str):
                    fr.receiver_prefix[name] = opts["prefix"]
    for node in walk(js.root):
        if node.type != "call_expression":
            continue
        func = node.child_by_field_name("function")
        if func is None or func.type != "member_expression":
            continue
        obj = func.child_by_field_name("object")
        prop = func.child_by_field_name("property")
        if obj is None or prop is None:
            continue
        method = prop.text.decode()
        args_node = node.child_by_field_name("arguments")
        args = [a for a in args_node.named_children if a.type != "comment"] if args_node is not None else []
        receiver = _receiver(obj)
        if obj.type == "call_expression":
            # router.route('/x').get(h).post(h): walk down the chain to route('/x').
            base = obj
            while base.type == "call_expression":
                owner, fn = call_name(base)
                if fn == "route":
                    inner = base.child_by_field_name("arguments")
                    path = string_value(inner.named_children[0]) if inner is not None and inner.named_children else None
                    if path is not None and method in _VERBS:
                        root_obj = base.child_by_field_name("function").child_by_field_name("object")
                        fr.routes.append(
                            Route(
                                _VERBS[method],
                                path,
                                node_line(node),
                                "express",
                                _receiver(root_obj) if root_obj is not None else "",
                            )
                        )
                    break
                f = base.child_by_field_name("function")
                base = f.child_by_field_name("object") if f is not None and f.type == "member_expression" else f
                if base is None:
                    break
            continue
        if _NOT_SERVER.match(receiver) or not (receiver in declared or _RECEIVER.match(receiver)):
            continue
        if method in _VERBS and len(args) >= 2:
            path = string_value(args[0])
            if path is not None and path.startswith(("/", "*")) and args[-1].type in _FUNCTION_NODES:
                fr.routes.append(Route(_VERBS[method], path, node_line(node), "express", receiver))
        elif method == "route" and len(args) == 1 and args[0].type == "object":
            spec = js.value(args[0])
            if isinstance(spec, dict):
                path = spec.get("url", spec.get("path"))
                methods = spec.get("method", "GET")
                methods = methods if isinstance(methods, list) else [methods]
                if isinstance(path, str):
                    for m in methods:
                        verb = str(m).upper() if isinstance(m, str) else ANY
                        fr.routes.append(
                            Route(ANY if verb == "*" else verb, path, node_line(node), "fastify", receiver)
                        )
        elif method == "use" and len(args) >= 2:
            prefix = _const_string(js, args[0])
            if prefix is not None and prefix.startswith("/"):
                for target in args[1:]:
                    _mount(js, fr, prefix, target, imports, known, node_line(node))
        elif method == "register" and len(args) >= 2:
            opts = js.value(args[1])
            prefix = opts.get("prefix") if isinstance(opts, dict) else None
            if isinstance(prefix, str):
                _mount(js, fr, prefix, args[0], imports, known, node_line(node))


def _const_string(js: JsFile, node: Any) -> str | None:
    """A string literal, or a ``const`` of this file whose value is a fully known string."""
    direct = string_value(node)
    if direct is not None or node.type != "identifier":
        return direct
    decl = js.declarations.get(node.text.decode())
    statement = decl.parent.parent if decl is not None and decl.parent is not None else None
    if statement is None or statement.type != "lexical_declaration" or not statement.text.startswith(b"const"):
        return None
    value = js.value(decl)
    if not isinstance(value, str) or HOLE in value or BASE_HOLE in value:
        return None
    return value


def _mount(
    js: JsFile, fr: FileRoutes, prefix: str, target: Any, imports: dict[str, str], known: set[str], line: int
) -> None:
    if target.type == "identifier":
        name = target.text.decode()
        if name in imports:
            fr.mounts.append(Mount(prefix, None, imports[name], line))
        else:
            fr.mounts.append(Mount(prefix, name, None, line))
    elif target.type == "member_expression":
        # routes.router / eventRoutes.default: mount the module the object was imported from.
        head = target.text.decode().split(".", 1)[0]
        if head in imports:
            fr.mounts.append(Mount(prefix, None, imports[head], line))
    elif target.type == "call_expression":
        _, fn = call_name(target)
        args = target.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        if fn == "require" and first is not None:
            spec = string_value(first)
            module = resolve_module(fr.path, spec, known) if spec else None
            if module:
                fr.mounts.append(Mount(prefix, None, module, line))
        elif first is not None and first.type == "identifier":
            # app.use('/p', makeRouter(deps)): the factory's module holds the routes.
            name = first.text.decode()
            callee = target.child_by_field_name("function")
            callee_name = callee.text.decode().split(".", 1)[0] if callee is not None else ""
            module = imports.get(callee_name) or imports.get(name)
            if module:
                fr.mounts.append(Mount(prefix, None, module, line))
        else:
            callee = target.child_by_field_name("function")
            callee_name = callee.text.decode().split(".", 1)[0] if callee is not None else ""
            if callee_name in imports:
                fr.mounts.append(Mount(prefix, None, imports[callee_name], line))


def _imports(js: JsFile, importer: str, known: set[str]) -> dict[str, str]:
    """Local name -> resolved relative file, for ``import x from './y'`` and ``const x = require('./y')``."""
    out: dict[str, str] = {}
    for node in js.root.named_children:
        if node.type == "import_statement":
            spec = string_value(node.child_by_field_name("source"))
            module = resolve_module(importer, spec, known) if spec else None
            if module is None:
                continue
            for clause in node.named_children:
                if clause.type != "import_clause":
                    continue
                for part in walk(clause):
                    if part.type == "identifier":
                        out[part.text.decode()] = module
    for name, value in js.declarations.items():
        if value.type == "call_expression":
            _, fn = call_name(value)
            args = value.child_by_field_name("arguments")
            if fn == "require" and args is not None and args.named_children:
                spec = string_value(args.named_children[0])
                module = resolve_module(importer, spec, known) if spec else None
                if module:
                    out[name] = module
        elif value.type == "member_expression" and value.text.startswith(b"require("):
            inner = value.child_by_field_name("object")
            if inner is not None and inner.type == "call_expression":
                args = inner.child_by_field_name("arguments")
                spec = string_value(args.named_children[0]) if args is not None and args.named_children else None
                module = resolve_module(importer, spec, known) if spec else None
                if module:
                    out[name] = module
    return out
