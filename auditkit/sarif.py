"""SARIF 2.1.0 from findings, as GitHub code scanning accepts it.

Every area's findings share this one converter. Fingerprints are auditkit's
own (``partialFingerprints``), computed from rule, path and the secret's keyed
fingerprint, never from the line or the secret: a result keeps its identity
when lines move, and when its file exists only in history (GitHub cannot
compute one for such files). No snippet is ever included.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from auditkit import __version__
from auditkit.findings import Confidence, Finding, Severity

__all__ = ["SARIF_SCHEMA", "findings_to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/auditkit/auditkit"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub maps security-severity > 9.0 to critical, 7.0-8.9 high, 4.0-6.9 medium, below low.
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
_PRECISION = {Confidence.HIGH: "high", Confidence.MEDIUM: "medium", Confidence.LOW: "low"}


def _rule_name(rule_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_.]", rule_id) if part)


def _result_fingerprint(f: Finding) -> str:
    identity = "\0".join((f.rule_id, f.location.path, f.fingerprint or f.message))
    return hashlib.sha256(identity.encode()).hexdigest()


def findings_to_sarif(
    findings: Iterable[Finding],
    *,
    rule_texts: Mapping[str, tuple[str, str]] | None = None,
    category: str = "auditkit",
) -> dict[str, Any]:
    """Build a SARIF log with one run.

    ``rule_texts`` maps a rule id to (short description, remediation); when a
    rule is missing there, the first finding's message and remediation serve.
    """
    findings = sorted(findings, key=lambda f: f.sort_key)
    rule_texts = dict(rule_texts or {})
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for f in findings:
        if f.rule_id not in index:
            short, remediation = rule_texts.get(f.rule_id, (f.message, f.remediation))
            index[f.rule_id] = len(rules)
            rules.append(
                {
                    "id": f.rule_id,
                    "name": _rule_name(f.rule_id),
                    "shortDescription": {"text": short[:1024]},
                    "fullDescription": {"text": short[:1024]},
                    "help": {"text": remediation or short, "markdown": remediation or short},
                    "defaultConfiguration": {"level": _LEVEL[f.severity]},
                    "properties": {
                        "tags": ["security", f.area.value],
                        "precision": _PRECISION[f.confidence],
                        "security-severity": _SECURITY_SEVERITY[f.severity],
                    },
                }
            )
        region: dict[str, int] = {"startLine": max(1, f.location.line or 1)}
        if f.location.column:
            region["startColumn"] = f.location.column
        message = f.message
        if f.redacted:
            message += f" (value {f.redacted}, fingerprint {f.fingerprint})"
        if f.location.commit:
            message += f"; added in commit {f.location.commit[:12]}"
        properties: dict[str, Any] = {"severity": f.severity.value, "confidence": f.confidence.value}
        if f.fingerprint:
            properties["fingerprint"] = f.fingerprint
        if f.location.commit:
            properties["commit"] = f.location.commit
        result_fp = _result_fingerprint(f)
        results.append(
            {
                "ruleId": f.rule_id,
                "ruleIndex": index[f.rule_id],
                "level": _LEVEL[f.severity],
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.location.path},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {
                    "auditkit/v1": result_fp,
                    "primaryLocationLineHash": result_fp[:16] + ":1",
                },
                "properties": properties,
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "auditkit",
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"{category}/"},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
