"""JUnit XML: one test case per area, so CI shows failing areas as failing tests.

An area fails when its status is critical; a not-measured area is skipped; the
overall score is one more test case that fails below ``--fail-under`` (or when
probe thresholds failed).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from auditkit.report.model import AuditReport
from auditkit.scoring import Status

__all__ = ["render_junit"]


def render_junit(report: AuditReport) -> str:
    """The scorecard as a JUnit XML document."""
    card = report.scorecard
    suite = ET.Element("testsuite", name="auditkit", timestamp=report.run.started_at)
    failures = skipped = tests = 0
    for area in card.areas:
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=f"auditkit.{area.id}", name=area.title, time="0")
        score = "not measured" if area.score is None else f"{area.score:.1f}/10"
        lines = [
            f"{area.title}: {score} ({area.status.value}, confidence {area.confidence.value})",
            area.summary,
        ]
        lines += [f"-{d.points:.1f}: {d.reason}" for d in area.explanation]
        if area.status is Status.NOT_MEASURED:
            skipped += 1
            ET.SubElement(case, "skipped", message=f"not measured: {area.summary}")
        elif area.status is Status.CRITICAL:
            failures += 1
            failure = ET.SubElement(case, "failure", message=f"{area.title} scored {score}", type="critical")
            failure.text = "\n".join(lines)
        ET.SubElement(case, "system-out").text = "\n".join(lines)
    tests += 1
    overall = "not measured" if card.overall is None else f"{card.overall:.1f}/10"
    case = ET.SubElement(suite, "testcase", classname="auditkit.overall", name="Overall score", time="0")
    gate = report.gate
    if not gate.passed or not gate.probes_passed:
        failures += 1
        why = []
        if not gate.passed:
            why.append(
                f"overall {overall} is below --fail-under {gate.fail_under:.1f}"
                if gate.fail_under is not None
                else overall
            )
        if not gate.probes_passed:
            why.append("probe thresholds failed")
        ET.SubElement(case, "failure", message="; ".join(why), type="gate")
    caps = [f"capped at {c.max:.1f}: {c.reason}" for c in card.caps if c.binding]
    ET.SubElement(case, "system-out").text = "\n".join([f"overall {overall} ({card.status.value})", *caps])
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites", name="auditkit scan", tests=str(tests), failures=str(failures), errors="0")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
