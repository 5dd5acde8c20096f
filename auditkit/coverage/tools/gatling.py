"""Gatling simulations in Scala, Java or Kotlin (pattern-based: no parser for those languages is bundled)."""

from __future__ import annotations

import re

from auditkit.coverage.model import Facts
from auditkit.coverage.tools.base import Detection, SourceFile
from auditkit.coverage.tools.k6 import record_url

__all__ = ["GatlingTool"]

_SUFFIXES = {".scala", ".java", ".kt"}
_REQUEST = re.compile(r"\.(get|post|put|patch|delete|head|options)\(\s*\"([^\"]*)\"")
_BASE = re.compile(r"baseUrl\(\s*(\"[^\"]*\"|[^)]*)\)")
_OPEN = re.compile(
    r"\b(?:constantUsersPerSec|rampUsersPerSec|atOnceUsers|rampUsers|stressPeakUsers|"
    r"incrementUsersPerSec)\b"
)
_RAMP = re.compile(
    r"\b(?:rampUsers|rampUsersPerSec|rampConcurrentUsers|stressPeakUsers|incrementUsersPerSec|"
    r"incrementConcurrentUsers)\b"
)


class GatlingTool:
    """Detects and reads Gatling simulations."""

    name = "gatling"

    def claims(self, src: SourceFile) -> bool:
        """Scala/Java/Kotlin files importing io.gatling."""
        return src.suffix in _SUFFIXES and b"io.gatling" in src.data and b"Simulation" in src.data

    def detect(self, src: SourceFile) -> Detection:
        """Read requests, injection profile, checks, pauses, feeders and assertions."""
        out = Detection()
        text = src.text
        facts = Facts(tool="gatling", path=src.rel, line=src.line_at(max(text.find("Simulation"), 0)))
        base = _BASE.search(text)
        prefix = "\x01"
        if base:
            value = base.group(1).strip()
            if value.startswith('"') and "${" not in value:
                prefix = value.strip('"')
                record_url(facts, "GET", prefix, src.line_at(base.start()))
                facts.requests.pop()
        for m in _REQUEST.finditer(text):
            path = m.group(2)
            url = path if path.startswith("http") else prefix.rstrip("/") + "/" + path.lstrip("/")
            record_url(facts, m.group(1), re.sub(r"#\{[^}]*\}|\$\{[^}]*\}", "\x00", url), src.line_at(m.start()))
        for m in re.finditer(r"scenario\(\s*\"([^\"]+)\"", text):
            facts.names.append(m.group(1))

        def has(pattern: str) -> int | None:
            m = re.search(pattern, text)
            return src.line_at(m.start()) if m else None

        ramp = has(_RAMP.pattern)
        facts.mark(
            "ramp_up",
            ramp is not None,
            ramp or facts.line,
            "injection starts at full load (atOnceUsers/constant)",
        )
        facts.set("ramp_down", False, facts.line, "no ramp-down step in the injection profile")
        assertions = has(r"\.assertions\(")
        facts.mark(
            "thresholds",
            assertions is not None,
            assertions or facts.line,
            "no assertions: the simulation never fails on latency or errors",
        )
        if assertions:
            pct = has(r"percentile|\.p9\d") is not None
            facts.mark("percentiles", pct, assertions, "assertions use mean or max, not percentiles")
        else:
            facts.set("percentiles", True)
        checks = has(r"\.check\(")
        facts.mark("checks", checks is not None, checks or facts.line, "no checks on responses")
        pause = has(r"\.pause\(|\bpause\(")
        facts.mark("think_time", pause is not None, pause or facts.line, "no pauses between requests")
        weighted = has(r"randomSwitch|uniformRandomSwitch|roundRobinSwitch") is not None or len(facts.names) >= 2
        facts.mark("weighted", weighted, facts.line, "a single scenario")
        feeder = has(r"\bcsv\(|\bjsonFile\(|\.feed\(|\bfeed\(")
        facts.mark("test_data", feeder is not None, feeder or facts.line, "no feeder")
        facts.set("open_model", True if _OPEN.search(text) else None)
        facts.sinks.add("html")
        facts.set("results_output", True)
        env = re.search(r"System\.getenv|System\.getProperty|sys\.env|getProperty\(", text)
        if facts.hosts:
            facts.set("env_target", False, facts.lines.get("env_target"), f"hard-coded base URL {facts.hosts[0]}")
        else:
            facts.set("env_target", True if env or facts.requests else None)
        if re.search(r"upload|formUpload|bodyPart", text):
            facts.signals.add("upload")
        out.tests.append(facts)
        return out
