"""FastAPI and Flask routes, read with :mod:`ast` (nothing is imported or run)."""

from __future__ import annotations

import ast

from auditkit.coverage.matching import ANY, HTTP_METHODS
from auditkit.coverage.routes.base import FileRoutes, Mount, Route

__all__ = ["extract_python", "resolve_python_module"]

_VERBS = HTTP_METHODS


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def resolve_python_module(importer: str, module: str, level: int, known: set[str]) -> str | None:
    """Resolve ``from .routers import users`` / ``from app.api import items`` to a known ``.py`` path."""
    parts = module.split(".") if module else []
    if level:
        base = importer.split("/")[:-level]
        candidates = ["/".join(base + parts)]
    else:
        candidates = ["/".join(parts)]
    for cand in candidates:
        for ext in (".py", "/__init__.py"):
            if cand + ext in known:
                return cand + ext
        suffix = "/" + cand
        for k in known:
            if k.endswith(suffix + ".py"):
                return k
    return None


def extract_python(text: str, fr: FileRoutes, known: set[str]) -> str | None:
    """Add FastAPI/Flask routes and mounts to ``fr``; return a notice on a syntax error."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        return f"{fr.path}: Python syntax error{f' at line {line}' if line else ''}; routes not read"
    imports: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name
                resolved = resolve_python_module(
                    fr.path, f"{node.module or ''}.{alias.name}".strip("."), node.level, known
                ) or resolve_python_module(fr.path, node.module or "", node.level, known)
                if resolved:
                    imports[local] = resolved
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            prefix = None
            if fname == "APIRouter":
                prefix = _const_str(_kw(node.value, "prefix"))
            elif fname == "Blueprint":
                prefix = _const_str(_kw(node.value, "url_prefix"))
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if prefix:
                        fr.receiver_prefix[target.id] = prefix
                    if fname == "Blueprint":
                        fr.overridable.add(target.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            if attr in ("include_router", "register_blueprint") and node.args:
                given = _const_str(_kw(node, "prefix" if attr == "include_router" else "url_prefix"))
                prefix = given or ""
                # FastAPI adds include_router's prefix to the router's own; Flask's
                # register_blueprint url_prefix replaces the blueprint's.
                replaces = attr == "register_blueprint" and given is not None
                ref = node.args[0]
                head = ref
                while isinstance(head, ast.Attribute):
                    head = head.value
                if isinstance(head, ast.Name):
                    if head.id in imports:
                        fr.mounts.append(Mount(prefix, None, imports[head.id], node.lineno, replaces))
                    elif prefix or replaces:
                        fr.mounts.append(Mount(prefix, head.id, None, node.lineno, replaces))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for dec in node.decorator_list:
                if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
                    continue
                receiver = dec.func.value
                rname = receiver.id if isinstance(receiver, ast.Name) else getattr(receiver, "attr", "")
                attr = dec.func.attr
                path = _const_str(dec.args[0]) if dec.args else _const_str(_kw(dec, "path") or _kw(dec, "rule"))
                if path is None:
                    continue
                if attr in _VERBS:
                    fr.routes.append(Route(_VERBS[attr], path, dec.lineno, "fastapi/flask", rname))
                elif attr in ("route", "api_route"):
                    methods = _kw(dec, "methods")
                    names = [
                        m.value.upper()
                        for m in getattr(methods, "elts", [])
                        if isinstance(m, ast.Constant) and isinstance(m.value, str)
                    ]
                    framework = "flask" if attr == "route" else "fastapi"
                    for verb in names or (["GET"] if attr == "route" else [ANY]):
                        fr.routes.append(Route(verb, path, dec.lineno, framework, rname))
    return None
