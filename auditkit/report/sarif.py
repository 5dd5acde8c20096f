"""SARIF 2.1.0 for GitHub code scanning.

One run, one rule per rule id with short and full descriptions and help, one
result per finding with a repository-relative location, a stable
``partialFingerprints`` entry (the finding key, which holds no secret; secret
findings add their value fingerprint) and no snippet. Location URIs are
percent-encoded relative references. A probe finding is located on its profile
when the profile lies in the scanned repository (``run_audit`` makes that path
repository-relative); a profile outside it (a built-in one, or a file elsewhere)
gets the pseudo-path ``auditkit-probes/<file name>`` and the real path in the
result's ``properties.profile``, because GitHub needs a physical location on
every result and a path outside the repository would name a file that is not there. ``security-severity`` follows GitHub's bands (critical > 9.0, high
7.0-8.9, medium 4.0-6.9, low < 4.0).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from auditkit.findings import Area, Finding
from auditkit.report.model import AuditReport, RuleInfo
from auditkit.scoring import finding_key

__all__ = ["findings_to_sarif", "render_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
_PRECISION = {"high": "high", "medium": "medium", "low": "low"}
_PROBE_FOLDER = "auditkit-probes"


def _uri(path: str) -> tuple[str, str | None]:
    """The artifact URI of a finding's path, and the original path when it had to be replaced by a pseudo-path."""
    from urllib.parse import quote

    if path.startswith("probe:"):
        # A probe without a profile file: ``probe:http`` would read as a URI scheme.
        return f"{_PROBE_FOLDER}/{quote(path.removeprefix('probe:'), safe='')}", None
    if path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] in "\\/"):
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        return f"{_PROBE_FOLDER}/{quote(name, safe='')}", path
    return quote(path, safe="/") or ".", None


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    loc = f.location
    region: dict[str, Any] = {"startLine": loc.line or 1}
    if loc.column:
        region["startColumn"] = loc.column
    text = f.message
    if loc.commit:
        text += f" (in commit {loc.commit[:12]}"
        text += (
            f", introduced by {f.introduced.commit[:12]})"
            if f.introduced and f.introduced.commit != loc.commit
            else ")"
        )
    if f.redacted:
        text += f" Redacted value: {f.redacted}."
    uri, outside = _uri(loc.path)
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVEL[f.severity.value],
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
        "partialFingerprints": {"auditkitFindingKey/v1": finding_key(f)},
        "properties": {"severity": f.severity.value, "confidence": f.confidence.value},
    }
    if f.fingerprint and f.area is Area.SECRETS:
        result["partialFingerprints"]["auditkitSecret/v1"] = f.fingerprint
    if outside is not None:
        result["properties"]["profile"] = outside
        result["properties"]["note"] = "located on a pseudo-path: the profile is outside the repository"
    return result


def findings_to_sarif(
    findings: Sequence[Finding],
    rules: Sequence[RuleInfo],
    *,
    tool_version: str,
    category: str,
    properties: dict[str, Any] | None = None,
    provenance: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One SARIF 2.1.0 log for ``findings``; ``rules`` must describe every rule id they use."""
    sarif_rules = []
    index: dict[str, int] = {}
    for i, rule in enumerate(rules):
        index[rule.id] = i
        sarif_rules.append(
            {
                "id": rule.id,
                "name": "".join(part.capitalize() for part in rule.id.replace(".", "-").replace("_", "-").split("-")),
                "shortDescription": {"text": rule.short[:1024]},
                "fullDescription": {"text": rule.full[:1024]},
                "help": {"text": rule.help, "markdown": rule.help},
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                "properties": {
                    "tags": ["security" if rule.area == "hardcoded_secrets" else "reliability", rule.area],
                    "security-severity": _SECURITY_SEVERITY[rule.severity],
                    "precision": "high",
                },
            }
        )
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "auditkit",
                "semanticVersion": tool_version,
                "informationUri": "https://github.com/auditkit/auditkit",
                "rules": sarif_rules,
            }
        },
        "automationDetails": {"id": f"{category}/"},
        "results": [_result(f, index[f.rule_id]) for f in findings],
    }
    if properties:
        run["properties"] = properties
    if provenance:
        run["versionControlProvenance"] = [provenance]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: AuditReport) -> str:
    """The report's findings as one SARIF 2.1.0 log (JSON text)."""
    provenance = None
    if report.run.commit:
        provenance = {
            "repositoryUri": report.run.repo,
            "revisionId": report.run.commit,
            **({"branch": report.run.branch} if report.run.branch else {}),
        }
    log = findings_to_sarif(
        report.findings,
        report.rules,
        tool_version=report.run.tool_version,
        category="auditkit/scan",
        properties={"score": report.scorecard.overall, "status": report.scorecard.status.value},
        provenance=provenance,
    )
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
