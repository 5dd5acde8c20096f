"""JMeter test plans (``.jmx``), read with :mod:`xml.etree.ElementTree`.

A DOCTYPE is refused before parsing (no entity expansion, so no billion
laughs), and files over the size limit never reach the parser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from auditkit.coverage.model import Facts
from auditkit.coverage.tools.base import Detection, SourceFile, line_of
from auditkit.coverage.tools.k6 import record_url
from auditkit.coverage.tools.profile import Segment, analyze_profiles

__all__ = ["JMeterTool"]

_PROPERTY = re.compile(r"\$\{__(?:P|property|env|ENV|groovy)\(")
_ASSERTIONS = {
    "ResponseAssertion",
    "JSONPathAssertion",
    "JSONAssertion",
    "DurationAssertion",
    "SizeAssertion",
    "XPathAssertion",
    "JSR223Assertion",
    "XPath2Assertion",
    "HTMLAssertion",
}
_TIMERS = {"ConstantTimer", "UniformRandomTimer", "GaussianRandomTimer", "PoissonRandomTimer"}
_THROUGHPUT = {
    "ConstantThroughputTimer",
    "PreciseThroughputTimer",
    "OpenModelThreadGroup",
    "kg.apc.jmeter.timers.VariableThroughputTimer",
}


def _props(el: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): (p.text or "") for p in el if p.tag.endswith("Prop")}


class JMeterTool:
    """Detects and parses JMeter ``.jmx`` plans."""

    name = "jmeter"

    def claims(self, src: SourceFile) -> bool:
        """``.jmx`` files."""
        return src.suffix == ".jmx"

    def detect(self, src: SourceFile) -> Detection:
        """Parse thread groups, samplers, assertions, timers, CSV data sets and listeners."""
        out = Detection()
        if re.search(rb"<!DOCTYPE|<!ENTITY", src.data[:65536], re.IGNORECASE):
            out.notices.append(
                f"{src.rel}: XML with a DOCTYPE/ENTITY declaration is refused (entity expansion); skipped"
            )
            return out
        try:
            root = ET.fromstring(src.data)
        except ET.ParseError as exc:
            out.notices.append(f"{src.rel}: not valid XML ({exc}); skipped")
            return out
        facts = Facts(tool="jmeter", path=src.rel)
        tags = [el.tag for el in root.iter()]
        defaults = {}
        for el in root.iter("ConfigTestElement"):
            defaults.update({k: v for k, v in _props(el).items() if k.startswith("HTTPSampler.")})
        segments = []
        groups = 0
        for el in root.iter():
            if el.tag in (
                "ThreadGroup",
                "SetupThreadGroup",
                "kg.apc.jmeter.threads.UltimateThreadGroup",
                "com.blazemeter.jmeter.threads.concurrency.ConcurrencyThreadGroup",
                "OpenModelThreadGroup",
            ):
                if el.tag == "SetupThreadGroup":
                    continue
                groups += 1
                facts.names.append(el.get("testname", ""))
                p = _props(el)
                threads = _float(p.get("ThreadGroup.num_threads"), 1.0)
                ramp = _float(p.get("ThreadGroup.ramp_time") or p.get("RampUp"), 0.0)
                duration = _float(p.get("ThreadGroup.duration") or p.get("Hold"), 0.0)
                segments.append([Segment(ramp, 0.0 if ramp else threads, threads), Segment(duration, threads, threads)])
            elif el.tag == "HTTPSamplerProxy" or el.tag == "HTTPSampler":
                p = {**defaults, **{k: v for k, v in _props(el).items() if v}}
                facts.names.append(el.get("testname", ""))
                domain = p.get("HTTPSampler.domain", "")
                protocol = p.get("HTTPSampler.protocol", "http") or "http"
                port = p.get("HTTPSampler.port", "")
                path = p.get("HTTPSampler.path", "")
                method = p.get("HTTPSampler.method", "GET") or "GET"
                if path.startswith(("http://", "https://")):
                    url = path
                elif domain and "${" not in domain:
                    url = f"{protocol}://{domain}{':' + port if port and '${' not in port else ''}{path}"
                else:
                    url = "\x01" + path
                if "DO_MULTIPART_POST" in str(p) and p.get("HTTPSampler.DO_MULTIPART_POST") == "true":
                    facts.signals.add("upload")
                record_url(facts, method, url, line_of(src, path or domain, 1))
            elif el.tag == "JDBCSampler":
                facts.signals.add("database")
        prof = analyze_profiles([(0.0, s) for s in segments])
        facts.mark(
            "ramp_up",
            bool(prof and prof.ramp_up),
            line_of(src, "ramp_time"),
            "thread groups start every thread at once (ramp_time 0)",
        )
        facts.mark(
            "ramp_down",
            bool(prof and prof.ramp_down),
            line_of(src, "ThreadGroup"),
            "no ramp-down (needs a stepping/ultimate thread group)",
        )
        if prof:
            facts.max_duration_s = prof.duration_s
        facts.set("thresholds", False, 1, "JMeter has no pass/fail thresholds: the run exits 0 even with errors")
        facts.set("percentiles", None)
        has_assert = any(t in _ASSERTIONS for t in tags)
        facts.mark("checks", has_assert, line_of(src, "Assertion"), "no assertions on responses")
        think = any(t in _TIMERS for t in tags)
        facts.mark("think_time", think, line_of(src, "Timer"), "no timers between requests")
        weighted = groups >= 2 or "ThroughputController" in tags or "SwitchController" in tags
        facts.mark("weighted", weighted, 1, "one thread group: no weighted traffic mix")
        data = "CSVDataSet" in tags
        facts.mark("test_data", data, line_of(src, "CSVDataSet"), "no CSV Data Set Config")
        facts.set("open_model", True if any(t in _THROUGHPUT for t in tags) else None)
        if "BackendListener" in tags:
            facts.sinks.add("influxdb" if "influx" in src.text.lower() else "backend-listener")
        if "ResultCollector" in tags and "filename" in src.text:
            facts.sinks.add("jtl")
        facts.mark("results_output", bool(facts.sinks), 1, "no Backend Listener or result file")
        env = bool(_PROPERTY.search(src.text))
        if facts.hosts:
            facts.set("env_target", False, facts.lines.get("env_target"), f"hard-coded host {facts.hosts[0]}")
        else:
            facts.set("env_target", True if env or facts.requests else None)
        out.tests.append(facts)
        return out


def _float(text: str | None, default: float) -> float:
    try:
        return float(text) if text not in (None, "") else default
    except ValueError:
        return default
