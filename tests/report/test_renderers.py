"""Every renderer: golden files (deterministic input), plus structural checks that could fail on their own."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser

import pytest

from auditkit.report import ReportFormat, render, write_reports
from tests.report.factories import platform_report

ODD = "tests/<script>alert('x')</script>&amp;.js"


@pytest.fixture(scope="module")
def report():  # noqa: ANN201
    return platform_report(with_probe=False, trend=True, odd_name=ODD, fail_under=5.0)


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_golden(report, fmt: ReportFormat, golden: Callable[[str, str], None]) -> None:  # noqa: ANN001
    text = render(report, fmt)
    assert text == render(report, fmt), "rendering must be deterministic"
    golden(fmt.file_name, text)


def test_json_schema_top_level(report) -> None:  # noqa: ANN001
    doc = json.loads(render(report, "json"))
    for key in (
        "schema_version",
        "score",
        "areas",
        "actions",
        "run",
        "status",
        "confidence",
        "caps",
        "trend",
    ):
        assert key in doc
    assert doc["schema_version"] == "1.0"
    assert isinstance(doc["score"], float)
    for area in doc["areas"]:
        assert set(area) >= {"id", "score", "status", "confidence", "findings", "explanation"}
        if area["score"] is None:
            assert area["status"] == "not_measured"
        else:
            lost = sum(d["points"] for d in area["explanation"])
            assert abs((10 - area["score"]) - lost) < 0.15, area["id"]
    ratios = [a["impact_per_hour"] for a in doc["actions"]]
    assert ratios == sorted(ratios, reverse=True)
    assert doc["trend"]["overall"]["delta"] == pytest.approx(doc["score"] - 1.5, abs=0.05)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_and_escaped(report) -> None:  # noqa: ANN001
    html = render(report, "html")
    parser = _Collector()
    parser.feed(html)
    names = [t for t, _ in parser.tags]
    assert "script" not in names, "no JavaScript, and a file name must never become a script element"
    for tag, attrs in parser.tags:
        for attr in ("src", "href", "action", "xlink:href"):
            value = attrs.get(attr)
            assert not value or not value.startswith(("http:", "https:", "//")), (tag, attr, value)
    assert "link" not in names and "img" not in names and "iframe" not in names
    assert names.count("style") == 1 and "svg" in names
    text = "".join(parser.text)
    assert ODD in text, "the odd file name is shown as text"
    assert "2.7" in text or str(report.scorecard.overall) in text
    assert html.index(str(report.scorecard.overall)) < html.index("Areas"), "overall score comes first"
    for area in report.scorecard.areas:
        assert f'id="area-{area.id}"' in html
    assert "@media print" in html


def test_markdown_escapes_and_sections(report) -> None:  # noqa: ANN001
    md = render(report, "md")
    assert "<script>" not in md
    assert "&lt;script&gt;" in md
    assert f"**{report.scorecard.overall:.1f}/10**" in md
    for area in report.scorecard.areas:
        assert "## " in md and area.title in md
    assert "Immediate actions" in md and "Since the previous run" in md


def test_sarif_fields_github_requires(report) -> None:  # noqa: ANN001
    log = json.loads(render(report, "sarif"))
    assert log["version"] == "2.1.0" and log["$schema"]
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    for rule in rules:
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"].strip()
        assert 0.1 <= float(rule["properties"]["security-severity"]) <= 10.0
    assert len(run["results"]) == len(report.findings)
    for result in run["results"]:
        assert result["ruleId"] in ids and rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        loc = result["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1
        assert "snippet" not in loc["region"]
        assert result["partialFingerprints"]["auditkitFindingKey/v1"]
    keys = [r["partialFingerprints"]["auditkitFindingKey/v1"] for r in run["results"]]
    again = json.loads(render(platform_report(with_probe=False, trend=True, odd_name=ODD), "sarif"))
    assert keys == [r["partialFingerprints"]["auditkitFindingKey/v1"] for r in again["runs"][0]["results"]]


def test_junit_one_case_per_area(report) -> None:  # noqa: ANN001
    root = ET.fromstring(render(report, "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(report.scorecard.areas) + 1
    by_class = {c.get("classname"): c for c in cases}
    for area in report.scorecard.areas:
        case = by_class[f"auditkit.{area.id}"]
        assert (case.find("failure") is not None) == (area.status.value == "critical")
        assert (case.find("skipped") is not None) == (area.status.value == "not_measured")
    overall = by_class["auditkit.overall"]
    assert overall.find("failure") is not None, "fail_under 5 with a score near 2 fails the gate"
    assert int(suite.get("failures", "0")) == sum(1 for c in cases if c.find("failure") is not None)


def test_write_reports_writes_every_format(tmp_path, report) -> None:  # noqa: ANN001
    written = write_reports(report, ["html", "sarif", "html"], tmp_path / "out")
    assert [p.name for p in written] == ["auditkit-report.html", "auditkit.sarif"]
    assert all(p.read_text(encoding="utf-8") for p in written)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")], "no temp files left"


def test_not_measured_area_renders_as_such() -> None:
    report = platform_report()  # no probe: probe_results not measured
    md = render(report, "md")
    assert "| Probe results | n/a | ⚪ not measured |" in md
    doc = json.loads(render(report, "json"))
    probe = next(a for a in doc["areas"] if a["id"] == "probe_results")
    assert probe["score"] is None and probe["status"] == "not_measured"


def test_reports_are_written_with_the_umask_mode_not_0600(report, tmp_path) -> None:  # noqa: ANN001
    import os
    import stat

    old = os.umask(0o022)
    try:
        written = write_reports(report, ["json", "md"], tmp_path / "out")
    finally:
        os.umask(old)
    for p in written:
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in written)


def test_sarif_secret_fingerprints_only_on_secrets_and_uris_encoded_and_in_repo() -> None:
    from auditkit.findings import Area, Confidence, Finding, Location, Severity
    from auditkit.report.model import RuleInfo
    from auditkit.report.sarif import findings_to_sarif

    def finding(rule: str, area: Area, path: str) -> Finding:
        return Finding(
            rule_id=rule,
            area=area,
            severity=Severity.HIGH,
            confidence=Confidence.HIGH,
            message="m",
            location=Location(path, 3),
            remediation="r",
            fingerprint="f" * 32,
        )

    findings = [
        finding("secret", Area.SECRETS, "my scripts/db run.sh"),
        finding("cov", Area.COVERAGE, "services/<img src=x onerror=alert(1)>"),
        finding("probe", Area.PROBES, "/tmp/review2-prof/quick.toml"),
        finding("probe", Area.PROBES, "loadchecks/quick.toml"),
        finding("probe", Area.PROBES, "probe:http"),
    ]
    rules = [RuleInfo(r, "x", "s", "f", "h", "high") for r in ("secret", "cov", "probe")]
    results = findings_to_sarif(findings, rules, tool_version="1", category="c")["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == [
        "my%20scripts/db%20run.sh",
        "services/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E",
        "auditkit-probes/quick.toml",
        "loadchecks/quick.toml",
        "auditkit-probes/http",
    ]
    assert results[2]["properties"]["profile"] == "/tmp/review2-prof/quick.toml"
    assert "profile" not in results[3]["properties"]
    assert ["auditkitSecret/v1" in r["partialFingerprints"] for r in results] == [True] + [False] * 4


def test_probe_profile_inside_the_scanned_repo_is_named_relative_to_it(tmp_path) -> None:  # noqa: ANN001
    import dataclasses

    from auditkit.audit import _relative_source

    @dataclasses.dataclass(frozen=True)
    class Result:
        source: str | None

    (tmp_path / "repo" / "load").mkdir(parents=True)
    root = (tmp_path / "repo").resolve()
    assert _relative_source(Result(str(root / "load" / "quick.toml")), root).source == "load/quick.toml"
    assert _relative_source(Result(str(tmp_path / "elsewhere.toml")), root).source == str(tmp_path / "elsewhere.toml")
    assert _relative_source(Result(None), root).source is None
