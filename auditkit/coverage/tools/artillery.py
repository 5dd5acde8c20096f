"""Artillery: YAML/JSON scripts (``config.phases``, ``scenarios[].flow``) and JS/TS scripts exporting them."""

from __future__ import annotations

import json
import re
from typing import Any

from auditkit.coverage.js import BASE_HOLE, HOLE, EnvRef, JsFile, Unknown, node_line, walk
from auditkit.coverage.matching import HTTP_METHODS
from auditkit.coverage.model import Facts
from auditkit.coverage.tools.base import Detection, SourceFile, line_of
from auditkit.coverage.tools.k6 import JS_SUFFIXES, K6Tool, record_url
from auditkit.coverage.tools.profile import Segment, analyze_profiles, parse_duration, record_profile

__all__ = ["ArtilleryTool", "load_yaml"]

_DATA_SUFFIXES = frozenset({".yml", ".yaml", ".json"})
_ENV_TEMPLATE = re.compile(r"\{\{\s*\$(?:env|processEnvironment|environment)\.[A-Za-z_]\w*\s*\}\}")
_OTHER_TEMPLATE = re.compile(r"\{\{[^}]*\}\}")
_VERBS = tuple(HTTP_METHODS)
_PERCENTILE = re.compile(r"\bp(?:50|75|90|95|99|999)\b|median", re.IGNORECASE)
_SINKS = (
    "statsd",
    "datadog",
    "prometheus",
    "influxdb",
    "cloudwatch",
    "honeycomb",
    "newrelic",
    "dynatrace",
    "open-telemetry",
    "opentelemetry",
    "splunk",
    "lightstep",
    "mixpanel",
)
_MAX_FLOW_DEPTH = 8


def load_yaml(src: SourceFile, notices: list[str]) -> list[Any]:
    """Every document of a YAML (or JSON) file; a parse error becomes a notice and ``[]``."""
    if src.suffix == ".json":
        try:
            return [json.loads(src.text)]
        except ValueError as exc:
            notices.append(f"{src.rel}: not valid JSON ({exc}); skipped")
            return []
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return [d for d in yaml.load_all(src.text, Loader=loader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or exc.__class__.__name__
        notices.append(f"{src.rel}: not valid YAML{where} ({problem}); skipped")
        return []
    except (ValueError, RecursionError):
        notices.append(f"{src.rel}: YAML could not be loaded; skipped")
        return []


def _is_script(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    config = doc.get("config")
    scenarios = doc.get("scenarios")
    if not isinstance(config, dict):
        return False
    has_flows = isinstance(scenarios, list) and any(isinstance(s, dict) and "flow" in s for s in scenarios)
    return "phases" in config or (has_flows and ("target" in config or "environments" in config))


class ArtilleryTool:
    """Detects and parses Artillery scripts."""

    name = "artillery"

    def claims(self, src: SourceFile) -> bool:
        """YAML/JSON or JS/TS files that mention phases or scenarios next to a config."""
        data = src.data
        if src.suffix in _DATA_SUFFIXES:
            return b"config" in data and (b"phases" in data or b"flow" in data) and b"scenarios" in data
        if src.suffix in JS_SUFFIXES:
            return b"scenarios" in data and (b"phases" in data or b"arrivalRate" in data) and not K6Tool().claims(src)
        return False

    def detect(self, src: SourceFile) -> Detection:
        """Parse the script's config and flows into facts."""
        out = Detection()
        if src.suffix in _DATA_SUFFIXES:
            docs = load_yaml(src, out.notices)
        else:
            docs = self._js_documents(src, out.notices)
        for doc in docs:
            if _is_script(doc):
                out.tests.append(self._analyze(src, doc))
                break
        return out

    def _js_documents(self, src: SourceFile, notices: list[str]) -> list[Any]:
        js = JsFile(src.data, src.suffix)
        if js.has_error:
            notices.append(
                f"{src.rel}: syntax error near line {js.first_error_line()}; Artillery script read partially"
            )
        doc: dict[str, Any] = {}
        for node in walk(js.root):
            if node.type == "assignment_expression":
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                target = left.text.decode() if left is not None else ""
                if target in ("module.exports", "exports") and right is not None:
                    value = js.value(right)
                    if isinstance(value, dict):
                        doc.update(value)
                elif target.startswith(("module.exports.", "exports.")) and right is not None:
                    doc[target.rsplit(".", 1)[-1]] = js.value(right)
            elif node.type == "export_statement":
                decl = node.child_by_field_name("declaration")
                value_node = node.child_by_field_name("value")
                if value_node is not None:
                    value = js.value(value_node)
                    if isinstance(value, dict):
                        doc.update(value)
                if decl is not None and decl.type in ("lexical_declaration", "variable_declaration"):
                    for d in decl.named_children:
                        name = d.child_by_field_name("name") if d.type == "variable_declarator" else None
                        if name is not None and name.text.decode() in (
                            "config",
                            "scenarios",
                            "before",
                            "after",
                        ):
                            doc[name.text.decode()] = js.value(d.child_by_field_name("value"))
        if doc:
            doc["__line__"] = node_line(js.root)
        return [doc] if doc else []

    # ------------------------------------------------------------------ analysis

    def _analyze(self, src: SourceFile, doc: dict[str, Any]) -> Facts:
        facts = Facts(tool="artillery", path=src.rel)
        config: dict[str, Any] = doc["config"]
        scenarios = [s for s in doc.get("scenarios") or [] if isinstance(s, dict)]
        environments = _table(config, "environments")
        cfg_line = line_of(src, "config")

        # Target: from the environment, selectable per environment, or hard-coded.
        target = config.get("target")
        target_text = _text(target)
        prefix = ""
        env_target = isinstance(target, EnvRef) or (isinstance(target, str) and bool(_ENV_TEMPLATE.search(target)))
        if target_text and not env_target:
            from auditkit.coverage.matching import split_url

            parsed = split_url(target_text)
            prefix = parsed.path.rstrip("/") if parsed.path != "/" else ""
            if parsed.host and not environments:
                facts.hosts.append(parsed.host)
                facts.lines["env_target"] = line_of(
                    src, target_text.split("/")[2] if "//" in target_text else target_text, cfg_line
                )

        # Requests, checks, think time, uploads.
        state = {"expect": False, "think": False, "upload": False}
        for scenario in scenarios:
            if isinstance(scenario.get("name"), str):
                facts.names.append(scenario["name"])
            self._flow(src, scenario.get("flow"), prefix, facts, state, 0)
        plugins = _table(config, "plugins")
        facts.mark(
            "checks",
            state["expect"],
            line_of(src, "expect") if state["expect"] else None,
            "no expect assertions on responses",
        )
        facts.mark(
            "think_time",
            state["think"],
            line_of(src, "think") if state["think"] else None,
            "no think steps between requests",
        )
        if state["upload"]:
            facts.signals.add("upload")

        if facts.hosts:
            facts.set("env_target", False, detail=f"hard-coded target {facts.hosts[0]}")
        else:
            facts.set("env_target", True if (env_target or environments or facts.requests) else None)

        # Phases: ramps, spikes, open model.
        phases: Any = config.get("phases")
        if not isinstance(phases, list):
            phases = next(
                (
                    e.get("phases")
                    for e in environments.values()
                    if isinstance(e, dict) and isinstance(e.get("phases"), list)
                ),
                [],
            )
        segments = [_phase_segment(p) for p in phases if isinstance(p, dict)]
        phase_line = line_of(src, "phases", cfg_line)
        record_profile(
            facts,
            analyze_profiles([(0.0, segments)]) if segments else None,
            phase_line,
            no_profile=("no phases: the whole load starts at once", "no cool-down phase"),
            flat=("the first phase is the peak rate", "no cool-down phase after the peak"),
        )
        facts.set("open_model", True if segments else None, phase_line)

        # Pass/fail criteria: the ensure plugin.
        ensure = config.get("ensure") or plugins.get("ensure")
        if ensure:
            blob = " ".join(_strings(ensure))
            facts.set("thresholds", True, line_of(src, "ensure", cfg_line))
            pct = bool(_PERCENTILE.search(blob))
            facts.mark(
                "percentiles",
                pct,
                line_of(src, "ensure", cfg_line),
                "ensure checks averages or maxima, not p95/p99",
            )
        else:
            facts.set(
                "thresholds",
                False,
                cfg_line,
                "no ensure thresholds: the run never fails on latency or errors",
            )
            facts.set("percentiles", True)

        facts.mark(
            "weighted",
            len(scenarios) >= 2,
            line_of(src, "weight", cfg_line),
            "a single scenario with no weighted traffic mix",
        )
        payload = config.get("payload")
        facts.mark(
            "test_data",
            bool(payload),
            line_of(src, "payload", cfg_line),
            "no payload file: every virtual user sends the same data",
        )

        for key, value in plugins.items():
            low = str(key).lower()
            for sink in _SINKS:
                if sink in low:
                    facts.sinks.add(sink)
            if low == "publish-metrics" and isinstance(value, list):
                for entry in value:
                    if isinstance(entry, dict) and isinstance(entry.get("type"), str):
                        facts.sinks.add(entry["type"].lower())
        if any("statsd" in text.lower() for text in _strings(config)):
            facts.sinks.add("statsd")
        facts.mark(
            "results_output",
            bool(facts.sinks),
            line_of(src, "plugins", cfg_line),
            "metrics are not published anywhere (no publish-metrics plugin or -o report)",
        )
        facts.line = int(doc.get("__line__", 1))
        return facts

    def _flow(self, src: SourceFile, flow: Any, prefix: str, facts: Facts, state: dict[str, bool], depth: int) -> None:
        if not isinstance(flow, list) or depth > _MAX_FLOW_DEPTH:
            return
        for step in flow:
            if not isinstance(step, dict):
                continue
            if "think" in step:
                state["think"] = True
            if "loop" in step:
                self._flow(src, step.get("loop"), prefix, facts, state, depth + 1)
            for verb in _VERBS:
                req = step.get(verb)
                if not isinstance(req, dict):
                    continue
                url = _text(req.get("url"))
                if not url:
                    continue
                if "expect" in req:
                    state["expect"] = True
                if "formData" in req or "upload" in url.lower():
                    state["upload"] = True
                if isinstance(req.get("name"), str):
                    facts.names.append(req["name"])
                line = line_of(src, url, facts.line)
                templated = _OTHER_TEMPLATE.sub(HOLE, _ENV_TEMPLATE.sub(BASE_HOLE, url))
                if templated.startswith("/"):
                    templated = prefix + templated
                record_url(facts, verb, templated, line)


def _strings(value: Any, budget: int = 20000) -> list[str]:
    """Keys and scalar values under ``value``, each shared node once (YAML aliases cannot blow this up)."""
    out: list[str] = []
    seen: set[int] = set()
    stack = [value]
    while stack and budget > 0:
        item = stack.pop()
        budget -= 1
        if isinstance(item, (dict, list)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, dict):
                out.extend(str(k) for k in item)
                stack.extend(item.values())
            else:
                stack.extend(item)
        elif item is not None:
            out.append(str(item))
    return out


def _table(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, EnvRef):
        return BASE_HOLE
    if isinstance(value, Unknown):
        return HOLE
    return ""


def _phase_segment(phase: dict[str, Any]) -> Segment:
    duration = parse_duration(phase.get("duration", phase.get("pause", 0)), 1.0) or 0.0
    if "pause" in phase and "arrivalRate" not in phase:
        return Segment(duration, 0.0, 0.0)
    rate = phase.get("arrivalRate")
    if not isinstance(rate, (int, float)) and isinstance(phase.get("arrivalCount"), (int, float)) and duration:
        rate = phase["arrivalCount"] / duration
    start = float(rate) if isinstance(rate, (int, float)) else 0.0
    end = phase.get("rampTo")
    return Segment(duration, start, float(end) if isinstance(end, (int, float)) else start)
