"""Locust: Python files with ``HttpUser``/``FastHttpUser`` classes, read with :mod:`ast`."""

from __future__ import annotations

import ast
import re

from auditkit.coverage.matching import HTTP_METHODS
from auditkit.coverage.model import Facts
from auditkit.coverage.tools.base import Detection, SourceFile
from auditkit.coverage.tools.k6 import record_url

__all__ = ["LocustTool"]

_USERS = {"HttpUser", "FastHttpUser", "HttpLocust", "User", "PostgresUser"}
_VERBS = HTTP_METHODS
_PERCENTILE = re.compile(r"percentile|p9\d|0\.9\d")
_ENVIRON = re.compile(r"os\.environ|os\.getenv|getenv\(")


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


class LocustTool:
    """Detects and parses locustfiles."""

    name = "locust"

    def claims(self, src: SourceFile) -> bool:
        """Python files importing locust."""
        return src.suffix == ".py" and b"locust" in src.data and (b"User" in src.data or b"TaskSet" in src.data)

    def detect(self, src: SourceFile) -> Detection:
        """Parse user classes, tasks, wait times, requests, shapes and exit-code hooks."""
        out = Detection()
        try:
            tree = ast.parse(src.text)
        except (SyntaxError, ValueError, RecursionError) as exc:
            line = getattr(exc, "lineno", None)
            out.notices.append(f"{src.rel}: Python syntax error{f' at line {line}' if line else ''}; skipped")
            return out
        users = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and any(_name(b) in _USERS for b in n.bases)]
        if not users:
            return out
        facts = Facts(tool="locust", path=src.rel, line=users[0].lineno)
        task_weights: list[int] = []
        user_weights = 0
        flags: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {_name(b) for b in node.bases}
                if "LoadTestShape" in bases:
                    flags.setdefault("shape", node.lineno)
                if "PostgresUser" in bases:
                    facts.signals.add("database")
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign):
                        targets = {_name(t) for t in stmt.targets}
                        if "wait_time" in targets:
                            flags.setdefault("think_time", stmt.lineno)
                        if "weight" in targets:
                            user_weights += 1
                        if "host" in targets:
                            value = stmt.value
                            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                                record_url(facts, "GET", value.value, stmt.lineno)
                                facts.requests.pop()
                        if "tasks" in targets and isinstance(stmt.value, ast.Dict) and len(stmt.value.keys) > 1:
                            task_weights.extend([1, 1])
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for dec in node.decorator_list:
                    if _name(dec.func if isinstance(dec, ast.Call) else dec) == "task":
                        facts.names.append(node.name)
                        weight = dec.args[0] if isinstance(dec, ast.Call) and dec.args else None
                        task_weights.append(
                            weight.value if isinstance(weight, ast.Constant) and isinstance(weight.value, int) else 1
                        )
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                attr = node.func.attr
                owner = node.func.value
                if _name(owner) == "client" and (attr in _VERBS or attr == "request"):
                    self._request(node, attr, facts)
                elif attr == "failure" or (attr == "raise_for_status"):
                    flags.setdefault("checks", node.lineno)
                elif attr in ("add_listener",) or _name(owner) in ("quitting", "test_stop"):
                    flags.setdefault("hook", node.lineno)
            elif isinstance(node, ast.keyword) and node.arg == "catch_response":
                flags.setdefault("checks", getattr(node.value, "lineno", 1))
            elif isinstance(node, ast.Attribute) and node.attr == "process_exit_code":
                flags.setdefault("thresholds", node.lineno)
        text = src.text
        first = facts.line
        for fact, flag, missing in (
            ("ramp_up", "shape", "no LoadTestShape: the ramp depends on --spawn-rate given by hand"),
            ("ramp_down", "shape", "no LoadTestShape with a ramp-down"),
            ("thresholds", "thresholds", "no exit-code hook: the run never fails on latency or errors"),
            ("checks", "checks", "responses are not checked (catch_response/failure)"),
            ("think_time", "think_time", "no wait_time between tasks"),
        ):
            facts.mark(fact, flag in flags, flags.get(flag, first), missing)
        if "thresholds" in flags:
            pct = bool(_PERCENTILE.search(text))
            facts.mark("percentiles", pct, flags["thresholds"], "thresholds use averages only")
        else:
            facts.set("percentiles", True)
        weighted = len(task_weights) >= 2 or user_weights >= 2 or len(users) >= 2
        facts.mark("weighted", weighted, first, "a single task: no weighted traffic mix")
        data = bool(re.search(r"\bcsv\b|open\(|json\.load|random\.choice", text))
        facts.mark("test_data", data, first, "no test data file")
        facts.set("open_model", "constant_throughput" in text or "constant_pacing" in text or None)
        sinks = {s for s in ("csv", "influxdb", "prometheus", "json") if s in text.lower()}
        facts.sinks.update(sinks)
        facts.mark("results_output", bool(sinks), first, "results are not exported")
        if facts.hosts:
            facts.set("env_target", False, facts.lines.get("env_target"), f"hard-coded host {facts.hosts[0]}")
        else:
            facts.set("env_target", True if (_ENVIRON.search(text) or facts.requests) else None)
        out.tests.append(facts)
        return out

    def _request(self, node: ast.Call, attr: str, facts: Facts) -> None:
        args = list(node.args)
        method = _VERBS.get(attr, "ANY")
        if attr == "request" and args:
            first = args.pop(0)
            method = first.value.upper() if isinstance(first, ast.Constant) and isinstance(first.value, str) else "ANY"
        name_kw = next((k.value for k in node.keywords if k.arg == "name"), None)
        url_node = args[0] if args else next((k.value for k in node.keywords if k.arg in ("url", "path")), None)
        url = _string(url_node)
        name = _string(name_kw)
        if name and "/" in name and (url is None or "\x00" in url):
            url = name
        if url is not None:
            record_url(facts, method, url, node.lineno)


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "\x00" for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left = _string(node.left)
        right = _string(node.right) if isinstance(node.op, ast.Add) else ""
        return (left or "\x00") + (right or "\x00") if left or right else None
    return None
