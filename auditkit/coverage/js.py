"""JavaScript/TypeScript helpers over tree-sitter: parse, walk, and evaluate literals.

tree-sitter is imported lazily (only when a JS/TS file is actually parsed) so
that importing :mod:`auditkit.coverage` stays cheap. Evaluation is *static*:
nothing is executed; values that cannot be known become :class:`EnvRef` (read
from the environment) or :class:`Unknown`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BASE_HOLE",
    "HOLE",
    "EnvRef",
    "JsFile",
    "Unknown",
    "call_name",
    "node_line",
    "parse_js",
    "string_value",
    "walk",
]

_LANGUAGES: dict[str, Any] = {}
_JS_EXTS = {".js", ".mjs", ".cjs", ".jsx"}


def _language(kind: str) -> Any:
    # Language objects are immutable and costly to build; one per kind per process.
    lang = _LANGUAGES.get(kind)
    if lang is None:
        from tree_sitter import Language

        if kind == "js":
            import tree_sitter_javascript as tsj

            lang = Language(tsj.language())
        else:
            import tree_sitter_typescript as tst

            lang = Language(tst.language_tsx() if kind == "tsx" else tst.language_typescript())
        _LANGUAGES[kind] = lang
    return lang


def parse_js(data: bytes, suffix: str) -> Any:
    """Parse JS or TS source (chosen by file suffix) and return the tree-sitter tree."""
    from tree_sitter import Parser

    kind = "js" if suffix in _JS_EXTS else ("tsx" if suffix == ".tsx" else "ts")
    return Parser(_language(kind)).parse(data)


def walk(node: Any) -> Iterator[Any]:
    """Every node under ``node`` (pre-order), iteratively so deep trees cannot overflow the stack."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def node_line(node: Any) -> int:
    """1-based line of a node."""
    return int(node.start_point[0]) + 1


def string_value(node: Any | None) -> str | None:
    """The value of a plain string literal (no substitutions), else ``None``."""
    if node is None:
        return None
    if node.type == "string":
        return "".join(
            c.text.decode("utf-8", "replace") if c.type == "string_fragment" else _escape(c)
            for c in node.named_children
        )
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return "".join(c.text.decode("utf-8", "replace") for c in node.named_children)
    return None


def _escape(node: Any) -> str:
    text = node.text.decode("utf-8", "replace")
    return text[1:] if text.startswith("\\") and len(text) == 2 else ""


def call_name(node: Any) -> tuple[str | None, str | None]:
    """For a call ``a.b.c(...)`` return ``("a.b", "c")``; for ``f(...)`` return ``(None, "f")``."""
    func = node.child_by_field_name("function")
    if func is None:
        return None, None
    if func.type == "identifier":
        return None, func.text.decode()
    if func.type == "member_expression":
        obj = func.child_by_field_name("object")
        prop = func.child_by_field_name("property")
        return (
            obj.text.decode("utf-8", "replace") if obj is not None else None,
            prop.text.decode("utf-8", "replace") if prop is not None else None,
        )
    return None, None


@dataclass(frozen=True)
class EnvRef:
    """A value read from the environment (``__ENV.X``, ``process.env.X``), with its literal fallback."""

    name: str
    default: Any = None


@dataclass(frozen=True)
class Unknown:
    """A value static analysis cannot know (a call result, a parameter...)."""

    text: str


HOLE = "\x00"
"""Marks an unknown part inside an evaluated string (a path placeholder, or a base URL of unknown origin)."""

BASE_HOLE = "\x01"
"""Marks a part of a URL read from the environment: the configurable base URL."""

_ENV_MEMBER = re.compile(r"^(?:__ENV|process\.env)\.([A-Za-z_][A-Za-z0-9_]*)$")
_ENV_INDEX = re.compile(r"^(?:__ENV|process\.env)\[\s*['\"]([^'\"]+)['\"]\s*\]$")


class JsFile:
    """One parsed JS/TS file with a static evaluator for literals, constants and environment reads."""

    def __init__(self, data: bytes, suffix: str) -> None:
        self.tree = parse_js(data, suffix)
        self.root = self.tree.root_node
        self._decls: dict[str, Any] | None = None

    @property
    def has_error(self) -> bool:
        """True when tree-sitter had to recover from a syntax error."""
        return bool(self.root.has_error)

    def first_error_line(self) -> int | None:
        """Line of the first ERROR or missing node, for the notice."""
        for node in walk(self.root):
            if node.type == "ERROR" or node.is_missing:
                return node_line(node)
        return None

    @property
    def declarations(self) -> dict[str, Any]:
        """Variable name -> initialiser node, first declaration wins (scopes are not tracked)."""
        if self._decls is None:
            decls: dict[str, Any] = {}
            for node in walk(self.root):
                if node.type == "variable_declarator":
                    name = node.child_by_field_name("name")
                    value = node.child_by_field_name("value")
                    if name is not None and value is not None and name.type == "identifier":
                        decls.setdefault(name.text.decode(), value)
            self._decls = decls
        return self._decls

    # ------------------------------------------------------------------ values

    def value(self, node: Any | None, depth: int = 0) -> Any:
        """Evaluate a literal-ish expression: dict, list, str, float, bool, None, EnvRef or Unknown."""
        if node is None:
            return None
        if depth > 12:
            return Unknown(node.text.decode("utf-8", "replace")[:80])
        t = node.type
        if t in ("string", "template_string"):
            s = self.string(node, depth)
            return s if s is not None else Unknown(node.text.decode("utf-8", "replace")[:80])
        if t == "number":
            try:
                return float(node.text.decode().replace("_", ""))
            except ValueError:
                return Unknown(node.text.decode())
        if t in ("true", "false"):
            return t == "true"
        if t in ("null", "undefined"):
            return None
        if t == "object":
            out: dict[str, Any] = {}
            for child in node.named_children:
                if child.type == "pair":
                    key = self._key(child.child_by_field_name("key"))
                    if key is not None:
                        out[key] = self.value(child.child_by_field_name("value"), depth + 1)
                elif child.type == "shorthand_property_identifier":
                    name = child.text.decode()
                    out[name] = self._resolve(name, depth)
                elif child.type == "spread_element" and child.named_children:
                    spread = self.value(child.named_children[0], depth + 1)
                    if isinstance(spread, dict):
                        out.update(spread)
            return out
        if t == "array":
            return [self.value(c, depth + 1) for c in node.named_children if c.type != "comment"]
        if t in ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression"):
            return self.value(node.named_children[0], depth + 1) if node.named_children else None
        if t == "identifier":
            return self._resolve(node.text.decode(), depth)
        if t in ("member_expression", "subscript_expression"):
            env = self.env_name(node)
            if env is not None:
                return EnvRef(env)
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            left = node.child_by_field_name("left")
            right = node.child_by_field_name("right")
            optext = op.text.decode() if op is not None else ""
            if optext in ("||", "??"):
                lv = self.value(left, depth + 1)
                if isinstance(lv, EnvRef):
                    return EnvRef(lv.name, self.value(right, depth + 1))
                return (
                    lv if lv not in (None, "", False) and not isinstance(lv, Unknown) else self.value(right, depth + 1)
                )
            if optext == "+":
                s = self.string(node, depth)
                if s is not None:
                    return s
        return Unknown(node.text.decode("utf-8", "replace")[:80])

    def _key(self, node: Any | None) -> str | None:
        if node is None:
            return None
        if node.type in ("property_identifier", "identifier", "number"):
            return node.text.decode()
        return string_value(node)

    def _resolve(self, name: str, depth: int) -> Any:
        decl = self.declarations.get(name)
        if decl is None:
            return Unknown(name)
        return self.value(decl, depth + 1)

    def env_name(self, node: Any) -> str | None:
        """``X`` for ``__ENV.X``, ``process.env.X`` or ``__ENV['X']``; else ``None``."""
        text = node.text.decode("utf-8", "replace").replace(" ", "")
        m = _ENV_MEMBER.match(text) or _ENV_INDEX.match(text)
        return m.group(1) if m else None

    # ------------------------------------------------------------------ strings with holes

    def string(self, node: Any, depth: int = 0) -> str | None:
        """Evaluate a string-building expression; unknown parts become :data:`HOLE`.

        A part that reads the environment, or a constant whose value is a URL,
        becomes the URL's base: the caller strips it before matching paths.
        """
        if depth > 12:
            return HOLE
        t = node.type
        if t == "string":
            return string_value(node)
        if t == "template_string":
            parts: list[str] = []
            for child in node.named_children:
                if child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else None
                    parts.append(self.string_or_hole(inner, depth))
                elif child.type == "escape_sequence":
                    parts.append(_escape(child))
                else:
                    parts.append(child.text.decode("utf-8", "replace"))
            return "".join(parts)
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and op.text == b"+":
                left = self.string_or_hole(node.child_by_field_name("left"), depth)
                right = self.string_or_hole(node.child_by_field_name("right"), depth)
                return left + right
        if t == "call_expression":
            # http.url`...` (k6) is a tagged template; its value is the template.
            args = node.child_by_field_name("arguments")
            if args is not None and args.type == "template_string":
                return self.string(args, depth + 1)
        if t == "parenthesized_expression" and node.named_children:
            return self.string(node.named_children[0], depth + 1)
        return None

    def string_or_hole(self, node: Any | None, depth: int = 0) -> str:
        """Like :meth:`string`, but any expression is accepted: what is unknown becomes a hole."""
        if node is None:
            return HOLE
        direct = self.string(node, depth + 1)
        if direct is not None:
            return direct
        if node.type == "identifier":
            decl = self.declarations.get(node.text.decode())
            if decl is not None:
                resolved = self.value(decl, depth + 1)
                if isinstance(resolved, str):
                    return resolved
                if isinstance(resolved, EnvRef):
                    return BASE_HOLE
        elif self.env_name(node) is not None:
            return BASE_HOLE
        elif node.type == "binary_expression":
            resolved = self.value(node, depth + 1)
            if isinstance(resolved, EnvRef):
                return BASE_HOLE
        return HOLE
