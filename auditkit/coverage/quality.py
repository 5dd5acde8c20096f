"""Load-test quality checks: loaded from ``loadchecks/checks.toml``, validated, applied to facts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.coverage.model import FACT_NAMES, CheckOutcome, Facts
from auditkit.errors import DataFileError
from auditkit.findings import Confidence, Severity
from auditkit.resources import data_file, read_toml

__all__ = ["WRITE_METHODS", "Category", "Check", "CheckSet", "Rule", "load_checks", "score"]

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
"""Methods that change a resource: a category's ``write_patterns`` look only at these requests."""

_CHECK_FIELDS = {
    "id",
    "fact",
    "title",
    "description",
    "weight",
    "severity",
    "remediation",
    "findings",
    "confidence",
}
_RULE_FIELDS = {"id", "severity", "message", "remediation"}
_CATEGORY_FIELDS = {"id", "title", "severity", "patterns", "write_patterns", "signals", "remediation"}
_RULE_IDS = {
    "coverage.critical-service-untested",
    "coverage.service-untested",
    "coverage.non-standard-tool",
    "coverage.not-in-ci",
    "coverage.no-results-storage",
    "coverage.missing-scenario",
}


@dataclass(frozen=True)
class Check:
    """One quality check."""

    id: str
    fact: str
    title: str
    description: str
    weight: float
    severity: Severity
    remediation: str
    findings: bool = True
    """False when another area reports the failure (hard-coded secrets: the secret scanner)."""
    confidence: Confidence = Confidence.HIGH


@dataclass(frozen=True)
class Rule:
    """A platform-level finding's severity, message template and remediation."""

    id: str
    severity: Severity
    message: str
    remediation: str


@dataclass(frozen=True)
class Category:
    """A scenario category the platform should exercise."""

    id: str
    title: str
    severity: Severity
    patterns: tuple[re.Pattern[str], ...]
    """Matched against request paths, scenario/group names and the test's file path."""
    signals: tuple[str, ...]
    remediation: str
    write_patterns: tuple[re.Pattern[str], ...] = ()
    """Matched only against the paths of write requests (:data:`WRITE_METHODS`)."""


@dataclass(frozen=True)
class CheckSet:
    """Everything in one checks file."""

    source: str
    checks: tuple[Check, ...]
    rules: Mapping[str, Rule]
    categories: tuple[Category, ...]
    good: float
    fair: float
    soak_min_s: float

    def verdict(self, quality: float | None) -> str:
        """``good``, ``fair``, ``poor`` or ``unknown``."""
        if quality is None:
            return "unknown"
        return "good" if quality >= self.good else "fair" if quality >= self.fair else "poor"


def load_checks(path: Path | None = None, disabled: Sequence[str] = ()) -> CheckSet:
    """Load and validate a checks file (the packaged one by default); raises :class:`DataFileError`."""
    file = path if path is not None else data_file("loadchecks", "checks.toml")
    data = read_toml(file, not_found="checks file not found")
    return parse_checks(data, str(file), disabled)


_CHECKS_VERSION = 1


def parse_checks(data: Mapping[str, Any], source: str, disabled: Sequence[str] = ()) -> CheckSet:
    """Validate an already parsed checks table; every error names ``source``, the entry and the field."""
    unknown = set(data) - {"version", "verdicts", "soak", "check", "rule", "category"}
    if unknown:
        raise DataFileError(f"{source}: unknown table {sorted(unknown)[0]!r}")
    version = data.get("version", _CHECKS_VERSION)
    if version != _CHECKS_VERSION:
        raise DataFileError(f"{source}: version: {version!r} is not supported (this auditkit reads version 1)")
    checks: list[Check] = []
    seen: set[str] = set()
    for i, raw in enumerate(_list(data, "check", source)):
        where = f"{source}: check #{i + 1}"
        r = _Entry(raw, where, _CHECK_FIELDS)
        cid = r.text("id")
        where = f"{source}: check {cid!r}"
        r.where = where
        if cid in seen:
            raise DataFileError(f"{where}: duplicate id")
        seen.add(cid)
        fact = r.text("fact")
        if fact not in FACT_NAMES:
            raise DataFileError(f"{where}: fact: unknown fact {fact!r} (known: {', '.join(FACT_NAMES)})")
        weight = r.number("weight")
        if weight <= 0:
            raise DataFileError(f"{where}: weight: must be > 0, got {weight}")
        if cid in disabled:
            continue
        checks.append(
            Check(
                id=cid,
                fact=fact,
                title=r.text("title"),
                description=r.text("description"),
                weight=weight,
                severity=r.severity(),
                remediation=r.text("remediation"),
                findings=r.boolean("findings", True),
                confidence=r.confidence(),
            )
        )
    rules: dict[str, Rule] = {}
    for i, raw in enumerate(_list(data, "rule", source)):
        r = _Entry(raw, f"{source}: rule #{i + 1}", _RULE_FIELDS)
        rid = r.text("id")
        r.where = f"{source}: rule {rid!r}"
        rules[rid] = Rule(id=rid, severity=r.severity(), message=r.text("message"), remediation=r.text("remediation"))
    missing = _RULE_IDS - set(rules)
    if missing:
        raise DataFileError(f"{source}: missing [[rule]] {sorted(missing)[0]!r}")
    categories: list[Category] = []
    for i, raw in enumerate(_list(data, "category", source)):
        r = _Entry(raw, f"{source}: category #{i + 1}", _CATEGORY_FIELDS)
        cat_id = r.text("id")
        r.where = f"{source}: category {cat_id!r}"
        patterns = _regexes(r, "patterns")
        write_patterns = _regexes(r, "write_patterns")
        signals = tuple(r.strings("signals", required=False))
        if not (patterns or write_patterns or signals):
            raise DataFileError(f"{r.where}: needs patterns, write_patterns or signals")
        categories.append(
            Category(
                id=cat_id,
                title=r.text("title"),
                severity=r.severity(),
                patterns=patterns,
                signals=signals,
                remediation=r.text("remediation"),
                write_patterns=write_patterns,
            )
        )
    verdicts = _Entry(data.get("verdicts", {}), f"{source}: [verdicts]", {"good", "fair"})
    soak = _Entry(data.get("soak", {}), f"{source}: [soak]", {"min_duration_s"})
    good = verdicts.number("good", 7.0)
    fair = verdicts.number("fair", 4.0)
    if not 0 <= fair <= good <= 10:
        raise DataFileError(f"{source}: [verdicts]: need 0 <= fair <= good <= 10")
    return CheckSet(
        source=source,
        checks=tuple(checks),
        rules=rules,
        categories=tuple(categories),
        good=good,
        fair=fair,
        soak_min_s=soak.number("min_duration_s", 1800.0),
    )


def score(facts: Facts, checks: CheckSet) -> tuple[float | None, tuple[CheckOutcome, ...]]:
    """Apply every check to one test: (quality 0-10 with one decimal or ``None``, outcomes)."""
    outcomes = []
    total = passed = 0.0
    for check in checks.checks:
        value = facts.values.get(check.fact)
        if value is None:
            reason = "not applicable"
        elif value:
            reason = "ok"
        else:
            reason = facts.detail.get(check.fact) or f"missing: {check.title.lower()}"
        if value is not None:
            total += check.weight
            passed += check.weight if value else 0.0
        outcomes.append(
            CheckOutcome(
                id=check.id,
                title=check.title,
                passed=value,
                weight=check.weight,
                severity=check.severity.value,
                reason=reason,
                line=facts.lines.get(check.fact) if value is False else None,
            )
        )
    quality = round(10.0 * passed / total, 1) if total else None
    return quality, tuple(outcomes)


def _list(data: Mapping[str, Any], key: str, source: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DataFileError(f"{source}: [[{key}]] must be an array of tables")
    return value


def _regexes(r: _Entry, key: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for p in r.strings(key, required=False):
        try:
            compiled.append(re.compile(p, re.IGNORECASE))
        except re.error as exc:
            raise DataFileError(f"{r.where}: {key}: bad regular expression {p!r} ({exc})") from None
    return tuple(compiled)


class _Entry:
    """Typed field access whose errors name the file, the entry and the field."""

    def __init__(self, data: Any, where: str, allowed: set[str]) -> None:
        if not isinstance(data, dict):
            raise DataFileError(f"{where}: must be a table")
        self.data = data
        self.where = where
        for key in data:
            if key not in allowed:
                raise DataFileError(f"{where}: {key}: unknown field (known: {', '.join(sorted(allowed))})")

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise DataFileError(f"{self.where}: {key}: expected a non-empty string, got {value!r}")
        return value

    def number(self, key: str, default: float | None = None) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataFileError(f"{self.where}: {key}: expected a number, got {value!r}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise DataFileError(f"{self.where}: {key}: expected true or false, got {value!r}")
        return value

    def strings(self, key: str, required: bool = True) -> list[str]:
        value = self.data.get(key, [] if not required else None)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or (required and not value):
            raise DataFileError(f"{self.where}: {key}: expected a non-empty list of strings, got {value!r}")
        return value

    def confidence(self) -> Confidence:
        try:
            return Confidence.parse(str(self.data.get("confidence", "high")))
        except ValueError as exc:
            raise DataFileError(f"{self.where}: confidence: {exc}") from None

    def severity(self) -> Severity:
        try:
            return Severity.parse(str(self.data.get("severity", "")))
        except ValueError as exc:
            raise DataFileError(f"{self.where}: severity: {exc}") from None
