"""k6: JavaScript/TypeScript scripts importing ``k6/http`` (or ``k6``), parsed with tree-sitter."""

from __future__ import annotations

import re
from typing import Any

from auditkit.coverage.js import EnvRef, JsFile, call_name, node_line, string_value, walk
from auditkit.coverage.matching import ANY, HTTP_METHODS, split_url
from auditkit.coverage.model import Facts, Request
from auditkit.coverage.tools.base import Detection, SourceFile
from auditkit.coverage.tools.profile import Segment, analyze_profiles, parse_duration, record_profile

__all__ = ["JS_SUFFIXES", "K6Tool", "record_url"]

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})
_K6_IMPORT = re.compile(rb"""(?:from\s*|require\(\s*)['"]k6(?:/[\w/-]*)?['"]""")
_VERBS = {**HTTP_METHODS, "del": "DELETE"}
_PERCENTILE = re.compile(r"\bp\(\s*\d+(?:\.\d+)?\s*\)|\bmed\b")
_RANDOM_VAR = re.compile(r"(?:const|let|var)\s+(\w+)\s*=\s*Math\.random\(\)")
_URL_START = re.compile(r"^(?:https?|wss?)://", re.IGNORECASE)


def record_url(facts: Facts, method: str, url: str, line: int) -> None:
    """Add a request built from an evaluated URL; note a literal host as hard-coded."""
    parsed = split_url(url)
    if parsed.host and parsed.host not in facts.hosts:
        facts.hosts.append(parsed.host)
        facts.lines.setdefault("env_target", line)
    if parsed.path == "/{}" and not parsed.host and "/" not in url.strip("\x00\x01"):
        return  # a URL held in a parameter: nothing to match
    facts.requests.append(Request(method=method.upper(), path=parsed.path, line=line))


class K6Tool:
    """Detects and parses k6 scripts."""

    name = "k6"

    def claims(self, src: SourceFile) -> bool:
        """JS/TS files that import a k6 module."""
        return src.suffix in JS_SUFFIXES and b"k6" in src.data and bool(_K6_IMPORT.search(src.data))

    def detect(self, src: SourceFile) -> Detection:
        """Parse the script into facts: requests, options (stages, scenarios, thresholds), checks..."""
        out = Detection()
        js = JsFile(src.data, src.suffix)
        if js.has_error:
            out.notices.append(f"{src.rel}: syntax error near line {js.first_error_line()}; k6 script read partially")
        facts = Facts(tool="k6", path=src.rel)
        http_names: set[str] = set()
        http_funcs: dict[str, str] = {}
        options_node: Any = None
        env_used = False
        flags: dict[str, int] = {}
        for node in walk(js.root):
            t = node.type
            if t == "import_statement":
                self._imports(node, http_names, http_funcs, facts)
            elif t == "variable_declarator":
                value = node.child_by_field_name("value")
                name = node.child_by_field_name("name")
                if value is not None and value.type == "call_expression" and name is not None:
                    _, fn = call_name(value)
                    args = value.child_by_field_name("arguments")
                    if fn == "require" and args is not None and args.named_children:
                        mod = string_value(args.named_children[0])
                        if mod == "k6/http" and name.type == "identifier":
                            http_names.add(name.text.decode())
            elif t == "export_statement":
                options_node = self._export(node, options_node, facts)
            elif t == "call_expression":
                self._call(js, node, http_names, http_funcs, facts, flags)
            elif t == "new_expression":
                ctor = node.child_by_field_name("constructor")
                if ctor is not None and ctor.text in (b"SharedArray",):
                    flags.setdefault("test_data", node_line(node))
            elif t in ("member_expression", "subscript_expression") and js.env_name(node):
                env_used = True
            elif t in ("string", "template_string") and _URL_START.match(node.text.decode("utf-8", "replace")[1:]):
                self._literal_host(js, node, facts)
        if not (http_names or http_funcs) and not _K6_IMPORT.search(src.data):
            return out
        options = js.value(options_node) if options_node is not None else {}
        if not isinstance(options, dict):
            options = {}
        self._options(options, facts, src, options_node)
        self._behaviour(src, facts, flags)
        if facts.hosts:
            facts.set("env_target", False, detail=f"hard-coded host {facts.hosts[0]}")
        elif env_used or facts.requests:
            facts.set("env_target", True)
        else:
            facts.set("env_target", None)
        out.tests.append(facts)
        return out

    # ------------------------------------------------------------------ pieces

    def _imports(self, node: Any, http_names: set[str], http_funcs: dict[str, str], facts: Facts) -> None:
        source = string_value(node.child_by_field_name("source"))
        if source is None:
            return
        if source.startswith("k6/x/sql") or source.startswith("k6/x/postgres"):
            facts.signals.add("database")
        if source in ("k6/ws", "k6/websockets", "k6/experimental/websockets"):
            facts.names.append("websocket")
        if "papaparse" in source:
            facts.set("test_data", True, node_line(node))
        if source != "k6/http":
            return
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    http_names.add(part.text.decode())
                elif part.type == "namespace_import":
                    for ident in part.named_children:
                        http_names.add(ident.text.decode())
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        names = [c.text.decode() for c in spec.named_children if c.type == "identifier"]
                        if names:
                            http_funcs[names[-1]] = names[0]

    def _export(self, node: Any, options_node: Any, facts: Facts) -> Any:
        decl = node.child_by_field_name("declaration")
        if decl is None:
            return options_node
        if decl.type in ("lexical_declaration", "variable_declaration"):
            for d in decl.named_children:
                if d.type == "variable_declarator":
                    name = d.child_by_field_name("name")
                    if name is not None and name.text == b"options":
                        return d.child_by_field_name("value")
        elif decl.type in ("function_declaration", "generator_function_declaration"):
            name = decl.child_by_field_name("name")
            if name is not None and name.text == b"handleSummary":
                facts.sinks.add("json")
                facts.lines.setdefault("results_output", node_line(decl))
        return options_node

    def _call(
        self,
        js: JsFile,
        node: Any,
        http_names: set[str],
        http_funcs: dict[str, str],
        facts: Facts,
        flags: dict[str, int],
    ) -> None:
        obj, fn = call_name(node)
        line = node_line(node)
        args_node = node.child_by_field_name("arguments")
        args = [a for a in args_node.named_children if a.type != "comment"] if args_node is not None else []
        verb: str | None = None
        if obj is not None and obj in http_names:
            verb = fn
        elif obj is None and fn in http_funcs:
            verb = http_funcs[fn]
        if verb is not None:
            if verb == "file":
                facts.signals.add("upload")
            self._request(js, verb, args, line, facts)
            return
        if obj is None and fn in ("check", "expect"):
            flags.setdefault("checks", line)
        elif obj is None and fn == "sleep":
            flags.setdefault("think_time", line)
        elif obj is None and fn == "open":
            flags.setdefault("test_data", line)
        elif obj is None and fn in ("group", "describe") and args:
            label = string_value(args[0])
            if label:
                facts.names.append(label)

    def _request(self, js: JsFile, verb: str, args: list[Any], line: int, facts: Facts) -> None:
        if verb in _VERBS and args:
            self._url(js, _VERBS[verb], args[0], args[-1] if len(args) > 1 else None, line, facts)
        elif verb in ("request", "asyncRequest") and len(args) >= 2:
            method = string_value(args[0]) or ANY
            self._url(js, method, args[1], args[-1] if len(args) > 3 else None, line, facts)
        elif verb == "batch" and args:
            batch = args[0]
            for item in batch.named_children if batch.type in ("array", "object") else []:
                target = item.child_by_field_name("value") if item.type == "pair" else item
                if target is None:
                    continue
                if target.type == "array" and target.named_children:
                    parts = target.named_children
                    if len(parts) >= 2:
                        self._url(js, string_value(parts[0]) or ANY, parts[1], None, node_line(target), facts)
                    else:
                        self._url(js, "GET", parts[0], None, node_line(target), facts)
                elif target.type == "object":
                    fields = {
                        self._pair_key(p): p.child_by_field_name("value")
                        for p in target.named_children
                        if p.type == "pair"
                    }
                    if fields.get("url") is not None:
                        method = string_value(fields.get("method")) or "GET"
                        self._url(js, method, fields["url"], None, node_line(target), facts)
                else:
                    self._url(js, "GET", target, None, node_line(target), facts)

    @staticmethod
    def _pair_key(pair: Any) -> str:
        key = pair.child_by_field_name("key")
        return (string_value(key) or key.text.decode()) if key is not None else ""

    def _url(self, js: JsFile, method: str, node: Any, params: Any, line: int, facts: Facts) -> None:
        url = js.string_or_hole(node)
        if url.strip("\x00\x01") == "" and params is not None:
            # http.get(url, { tags: { name: '/events/{id}' } }): the name tag is the URL template.
            value = js.value(params)
            tags = value.get("tags") if isinstance(value, dict) else None
            name = tags.get("name") if isinstance(tags, dict) else None
            if isinstance(name, str) and "/" in name:
                url = name
        record_url(facts, method, url, line)

    def _literal_host(self, js: JsFile, node: Any, facts: Facts) -> None:
        parent = node.parent
        while parent is not None and parent.type == "parenthesized_expression":
            parent = parent.parent
        if parent is None or parent.type in ("import_statement", "export_statement"):
            return
        if parent.type == "binary_expression":
            op = parent.child_by_field_name("operator")
            left = parent.child_by_field_name("left")
            if op is not None and op.text in (b"||", b"??") and left is not None and left.id != node.id:
                if isinstance(js.value(left), EnvRef) or b"__ENV" in left.text or b"process.env" in left.text:
                    return  # the fallback of an environment variable: configurable
        if parent.type == "arguments" and parent.parent is not None:
            _, fn = call_name(parent.parent)
            if fn in ("require",):
                return
        text = js.string(node)
        if text is None:
            return
        parsed = split_url(text)
        if parsed.host and parsed.host not in facts.hosts:
            facts.hosts.append(parsed.host)
            facts.lines.setdefault("env_target", node_line(node))

    def _options(self, options: dict[str, Any], facts: Facts, src: SourceFile, node: Any) -> None:
        opt_line = node_line(node) if node is not None else 1
        profiles: list[tuple[float, list[Segment]]] = []
        executors: list[str] = []
        scenarios = options.get("scenarios")
        if isinstance(scenarios, dict) and scenarios:
            for name, sc in scenarios.items():
                facts.names.append(str(name))
                if not isinstance(sc, dict):
                    continue
                if isinstance(sc.get("exec"), str):
                    facts.names.append(sc["exec"])
                executor = str(sc.get("executor", ""))
                executors.append(executor)
                start = parse_duration(sc.get("startTime", 0), 0.001) or 0.0
                profiles.append((start, _executor_segments(executor, sc)))
        else:
            stages = options.get("stages")
            if isinstance(stages, list) and stages:
                executors.append("ramping-vus")
                profiles.append((0.0, _stage_segments(_num(options.get("vus"), 1.0), stages)))
            elif options.get("duration") is not None:
                executors.append("constant-vus")
                vus = _num(options.get("vus"), 1.0)
                profiles.append((0.0, [Segment(parse_duration(options["duration"], 0.001) or 0.0, vus, vus)]))
        record_profile(
            facts,
            analyze_profiles(profiles),
            opt_line,
            no_profile=("no staged load profile: all virtual users start at once", "no ramp-down stage"),
            flat=(
                "the load starts at its peak level (no ramp-up stage)",
                "the load stops at its peak level (no ramp-down stage)",
            ),
        )
        open_model = any(e.endswith("arrival-rate") for e in executors)
        thresholds = options.get("thresholds")
        texts: list[str] = []
        keys: list[str] = []
        if isinstance(thresholds, dict):
            for key, value in thresholds.items():
                keys.append(str(key))
                items = value if isinstance(value, list) else [value]
                for item in items:
                    if isinstance(item, str):
                        texts.append(item)
                    elif isinstance(item, dict) and isinstance(item.get("threshold"), str):
                        texts.append(item["threshold"])
        if texts:
            facts.set("thresholds", True, opt_line)
            latency = [
                t
                for k, t in _pairs(thresholds if isinstance(thresholds, dict) else {})
                if "duration" in k or "waiting" in k or "time" in k
            ]
            if any(_PERCENTILE.search(t) for t in texts):
                facts.set("percentiles", True, opt_line)
            elif latency:
                facts.set("percentiles", False, opt_line, "latency thresholds use averages or maxima, not p95/p99")
            else:
                facts.set("percentiles", False, opt_line, "no latency percentile threshold (p95/p99)")
        else:
            facts.set("thresholds", False, opt_line, "no thresholds: the run never fails on latency or errors")
            trend = options.get("summaryTrendStats")
            facts.set(
                "percentiles",
                True if not isinstance(trend, list) or any(_PERCENTILE.search(str(s)) for s in trend) else False,
                opt_line,
            )
        throughput_goal = any(k.startswith(("http_reqs", "iterations")) for k in keys)
        if open_model:
            facts.set("open_model", True, opt_line)
        elif throughput_goal:
            facts.set(
                "open_model",
                False,
                opt_line,
                "a throughput threshold with a closed (VU-based) workload; use an arrival-rate executor",
            )
        else:
            facts.set("open_model", None)
        if len([e for e in executors if e]) >= 2 or (isinstance(scenarios, dict) and len(scenarios) >= 2):
            facts.set("weighted", True, opt_line)
        if "summary-export" in src.text or "handleSummary" in src.text:
            facts.sinks.add("json")

    def _behaviour(self, src: SourceFile, facts: Facts, flags: dict[str, int]) -> None:
        for fact, missing in (
            ("checks", "no check() on responses: errors pass unnoticed"),
            ("think_time", "no sleep() between requests: no think time"),
            ("test_data", "no test data file (open()/SharedArray): every user sends the same data"),
        ):
            if facts.values.get(fact):
                continue
            if fact in flags:
                facts.set(fact, True, flags[fact])
            else:
                facts.set(fact, False, detail=missing)
        if "weighted" not in facts.values:
            mixed = _random_mix(src.text)
            facts.mark("weighted", mixed, None, "a single scenario with no weighted traffic mix")
        facts.mark(
            "results_output",
            bool(facts.sinks),
            facts.lines.get("results_output"),
            "results are not exported (no handleSummary, --out or summary export)",
        )


def _random_mix(text: str) -> bool:
    """``if (Math.random() < 0.7)`` or ``const r = Math.random(); if (r < 0.7)``: a weighted traffic mix."""
    if re.search(r"Math\.random\(\)\s*[<>]", text):
        return True
    return any(
        re.search(rf"\b{re.escape(m.group(1))}\s*[<>]=?\s*(?:0?\.\d+|1\b)", text) for m in _RANDOM_VAR.finditer(text)
    )


def _num(value: Any, default: float) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _stage_segments(start: float, stages: list[Any]) -> list[Segment]:
    segments = []
    level = start
    for stage in stages:
        if not isinstance(stage, dict):
            continue
        target = _num(stage.get("target"), level)
        segments.append(Segment(parse_duration(stage.get("duration"), 0.001) or 0.0, level, target))
        level = target
    return segments


def _executor_segments(executor: str, sc: dict[str, Any]) -> list[Segment]:
    if executor == "ramping-vus":
        return _stage_segments(_num(sc.get("startVUs"), 1.0), sc.get("stages") or [])
    if executor == "ramping-arrival-rate":
        return _stage_segments(_num(sc.get("startRate"), 0.0), sc.get("stages") or [])
    if executor == "constant-vus":
        vus = _num(sc.get("vus"), 1.0)
        return [Segment(parse_duration(sc.get("duration"), 0.001) or 0.0, vus, vus)]
    if executor == "constant-arrival-rate":
        rate = _num(sc.get("rate"), 1.0)
        return [Segment(parse_duration(sc.get("duration"), 0.001) or 0.0, rate, rate)]
    vus = _num(sc.get("vus"), 1.0)
    return [Segment(parse_duration(sc.get("maxDuration", "10m"), 0.001) or 0.0, vus, vus)]


def _pairs(thresholds: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, value in thresholds.items():
        for item in value if isinstance(value, list) else [value]:
            text = item if isinstance(item, str) else (item.get("threshold") if isinstance(item, dict) else None)
            if isinstance(text, str):
                out.append((str(key), text))
    return out
