"""Secret-detection rules: data in ``rules/*.toml``, validated on load.

A rule file holds ``[[rules]]`` tables::

    [[rules]]
    id = "pgpassword"                 # unique, lowercase words joined by '-'
    description = "PostgreSQL password in PGPASSWORD"
    severity = "critical"             # critical | high | medium | low | info
    confidence = "high"               # high | medium | low (default medium)
    keywords = ["pgpassword"]         # prefilter: the rule runs only on text containing one (lowercase)
    regex = '''PGPASSWORD=(?P<secret>\\S+)'''   # group "secret" (or several "secret_*" alternatives)
    entropy = 0.0                     # minimum Shannon entropy of the secret (bits per char)
    min_length = 4                    # of the secret
    paths = ["*.sh"]                  # optional: the rule applies only to matching paths
    validator = "jwt"                 # optional offline validator (see validators.py)
    validator_required = false        # drop matches the validator rejects
    extractor = "k8s_secret"          # instead of regex: a structured extractor in code
    remediation = "Rotate ..., read it from the environment ..."
    multiline = false                 # true: the regex may span lines (else it runs on keyword lines only)
    run_chars = "1-9A-HJ-NP-Za-km-z"  # keyword-less rules: a match needs run_min of these in a row,
    run_min = 86                      #   checked at C speed before the regex runs
    allowlist = { regexes = [], stopwords = [], paths = [], keys = [], file_contains = [] }
    samples = { tp = ["..."], fp = ["..."], path = "sample.sh" }

Files whose name starts with ``_`` hold shared data, not rules (``_filters.toml``).
Every error names the file, the rule and the field.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditkit.errors import RuleError
from auditkit.findings import Confidence, Severity
from auditkit.resources import data_dir, read_toml

__all__ = ["FilterData", "Rule", "RuleSample", "RuleSet", "load_filter_data", "load_rules"]

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KNOWN_FIELDS = {
    "id",
    "description",
    "severity",
    "confidence",
    "keywords",
    "regex",
    "entropy",
    "min_length",
    "max_length",
    "paths",
    "validator",
    "validator_required",
    "extractor",
    "remediation",
    "allowlist",
    "samples",
    "tags",
    "skip_references",
    "skip_placeholders",
    "multiline",
    "run_chars",
    "run_min",
}
_ALLOWLIST_FIELDS = {"regexes", "stopwords", "paths", "keys", "file_contains"}
_SAMPLE_FIELDS = {"tp", "fp", "path"}


@dataclass(frozen=True)
class RuleSample:
    """A sample line (or block) and the path it pretends to come from."""

    text: str
    path: str


@dataclass(frozen=True)
class Rule:
    """One compiled, validated rule."""

    id: str
    description: str
    severity: Severity
    confidence: Confidence
    remediation: str
    source: str
    """The file the rule came from (for error messages)."""
    keywords: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None
    secret_groups: tuple[str, ...] = ("secret",)
    entropy: float = 0.0
    min_length: int = 1
    max_length: int = 4096
    paths: tuple[str, ...] = ()
    validator: str | None = None
    validator_required: bool = False
    extractor: str | None = None
    allow_regexes: tuple[re.Pattern[str], ...] = ()
    allow_stopwords: tuple[str, ...] = ()
    allow_paths: tuple[str, ...] = ()
    allow_keys: tuple[re.Pattern[str], ...] = ()
    allow_file_contains: tuple[str, ...] = ()
    """The rule does not run on text containing one of these (``kind: SealedSecret``: encrypted values)."""
    skip_references: bool = True
    skip_placeholders: bool = True
    multiline: bool = False
    """The regex may span lines; otherwise it runs only on the lines holding a keyword (much faster)."""
    run_table: bytes | None = None
    """For keyword-less rules: a bytes.translate table marking the characters a match is made of..."""
    run_min: int = 0
    """...and how many of them must stand in a row for the regex to have a chance (a C-speed precheck)."""

    def may_match(self, data: bytes) -> bool:
        """False when the run precheck proves the regex cannot match ``data`` (UTF-8 or Latin-1 bytes)."""
        if self.run_table is None:
            return True
        return data.translate(self.run_table).find(b"a" * self.run_min) >= 0

    tags: tuple[str, ...] = ()
    true_samples: tuple[RuleSample, ...] = ()
    false_samples: tuple[RuleSample, ...] = ()

    def applies_to(self, path: str) -> bool:
        """Whether the rule's path restriction and path allowlist admit ``path``."""
        name = path.rsplit("/", 1)[-1]
        if self.paths and not any(_glob(path, name, g) for g in self.paths):
            return False
        return not any(_glob(path, name, g) for g in self.allow_paths)


def _glob(path: str, name: str, pattern: str) -> bool:
    # A pattern without '/' matches the file name anywhere (like .gitignore); with '/', the whole path.
    if "/" in pattern:
        return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern.lstrip("/"))
    return fnmatch.fnmatchcase(name, pattern)


@dataclass(frozen=True)
class FilterData:
    """Shared filters from ``rules/_filters.toml``: what is never a secret."""

    placeholder_exact: frozenset[str] = frozenset()
    placeholder_regexes: tuple[re.Pattern[str], ...] = ()
    reference_regexes: tuple[re.Pattern[str], ...] = ()
    public_id_regexes: tuple[re.Pattern[str], ...] = ()
    skip_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """The rules in force plus the shared filter data."""

    rules: tuple[Rule, ...]
    filters: FilterData = field(default_factory=FilterData)

    def by_id(self, rule_id: str) -> Rule:
        """The rule with this id (KeyError when absent)."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


def load_rules(
    extra: Iterable[Path] = (),
    disabled: Iterable[str] = (),
    *,
    include_packaged: bool = True,
    where: str = "[secrets]",
) -> RuleSet:
    """Load the packaged rules, then ``extra`` files or folders (a later rule with the same id replaces
    an earlier one), drop ``disabled`` ids, and the shared filter data.

    ``where`` names the config file and table in error messages. Rules from
    ``extra`` files have their samples checked on load (the packaged rules'
    samples are checked by the test suite), so a user's rule that misses its
    own true positive or flags its own false positive is an error, not a silent gap.
    """
    files: list[tuple[Path, bool]] = []
    if include_packaged:
        files.extend((f, True) for f in _rule_files(data_dir("rules")))
    for path in extra:
        if path.is_dir():
            files.extend((f, False) for f in _rule_files(path))
        elif path.is_file():
            files.append((path, False))
        else:
            raise RuleError(f"{where} rules: {path}: rule file not found")
    rules: dict[str, Rule] = {}
    user_rules: list[Rule] = []
    for file, packaged in files:
        seen_here: set[str] = set()
        for rule in _load_rule_file(file):
            if rule.id in seen_here:
                raise RuleError(f"{file}: rule {rule.id!r}: id: defined twice in this file")
            seen_here.add(rule.id)
            rules[rule.id] = rule
            if not packaged:
                user_rules.append(rule)
    disabled_set = set(disabled)
    unknown = disabled_set - set(rules)
    if unknown:
        raise RuleError(f"{where} disable_rules: unknown rule ids: {', '.join(sorted(unknown))}")
    kept = tuple(r for r in rules.values() if r.id not in disabled_set)
    ruleset = RuleSet(kept, load_filter_data())
    if user_rules:
        _check_samples(ruleset, user_rules)
    return ruleset


def _check_samples(ruleset: RuleSet, rules: Sequence[Rule]) -> None:
    from auditkit.secrets.engine import Engine
    from auditkit.secrets.sources import Chunk

    for rule in rules:
        alone = Engine(RuleSet((rule,), ruleset.filters))
        for i, sample in enumerate(rule.true_samples):
            if not alone.scan(Chunk(sample.path, sample.text)):
                raise RuleError(f"{rule.source}: rule {rule.id!r}: samples.tp[{i}]: the rule does not match it")
        for i, sample in enumerate(rule.false_samples):
            if alone.scan(Chunk(sample.path, sample.text)):
                raise RuleError(f"{rule.source}: rule {rule.id!r}: samples.fp[{i}]: the rule matches it")


def _rule_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("_"))


def _load_rule_file(path: Path) -> list[Rule]:
    data = read_toml(path, RuleError, what="rule file")
    extra_keys = set(data) - {"rules"}
    if extra_keys:
        raise RuleError(f"{path}: unknown top-level key(s) {sorted(extra_keys)}; expected [[rules]]")
    tables = data.get("rules", [])
    if not isinstance(tables, list):
        raise RuleError(f"{path}: rules: expected an array of tables ([[rules]])")
    return [_parse_rule(path, i, t) for i, t in enumerate(tables)]


class _RuleReader:
    def __init__(self, path: Path, index: int, table: Mapping[str, Any]) -> None:
        self.path = path
        self.table = table
        rid = table.get("id")
        self.name = repr(rid) if isinstance(rid, str) else f"#{index + 1}"

    def error(self, fld: str, message: str) -> RuleError:
        return RuleError(f"{self.path}: rule {self.name}: {fld}: {message}")

    def string(self, fld: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.table.get(fld, default)
        if value is None:
            if required:
                raise self.error(fld, "is required")
            return None
        if not isinstance(value, str):
            raise self.error(fld, f"expected a string, got {value!r}")
        if required and not value.strip():
            raise self.error(fld, "must not be empty")
        return value

    def strings(self, fld: str, table: Mapping[str, Any] | None = None, prefix: str = "") -> tuple[str, ...]:
        source = self.table if table is None else table
        value = source.get(fld, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(prefix + fld, f"expected a list of strings, got {value!r}")
        return tuple(value)

    def number(self, fld: str, default: float) -> float:
        value = self.table.get(fld, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.error(fld, f"expected a non-negative number, got {value!r}")
        return float(value)

    def integer(self, fld: str, default: int) -> int:
        value = self.table.get(fld, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(fld, f"expected a non-negative integer, got {value!r}")
        return value

    def boolean(self, fld: str, default: bool) -> bool:
        value = self.table.get(fld, default)
        if not isinstance(value, bool):
            raise self.error(fld, f"expected true or false, got {value!r}")
        return value

    def regex(self, fld: str, pattern: str) -> re.Pattern[str]:
        try:
            return re.compile(pattern, re.MULTILINE)
        except re.error as exc:
            raise self.error(fld, f"invalid regular expression: {exc}") from None


def _parse_rule(path: Path, index: int, table: Any) -> Rule:
    from auditkit.secrets.validators import EXTRACTORS, VALIDATORS

    if not isinstance(table, dict):
        raise RuleError(f"{path}: rule #{index + 1}: expected a table")
    r = _RuleReader(path, index, table)
    unknown = set(table) - _KNOWN_FIELDS
    if unknown:
        raise r.error(sorted(unknown)[0], f"unknown field (known: {', '.join(sorted(_KNOWN_FIELDS))})")
    rule_id = r.string("id", required=True) or ""
    if not _ID.match(rule_id):
        raise r.error("id", f"must be lowercase words joined by '-', got {rule_id!r}")
    severity_text = r.string("severity", required=True) or ""
    try:
        severity = Severity.parse(severity_text)
    except ValueError as exc:
        raise r.error("severity", str(exc)) from None
    try:
        confidence = Confidence.parse(r.string("confidence", default="medium") or "medium")
    except ValueError as exc:
        raise r.error("confidence", str(exc)) from None

    pattern_text = r.string("regex")
    extractor = r.string("extractor")
    if (pattern_text is None) == (extractor is None):
        raise r.error("regex", "give exactly one of 'regex' or 'extractor'")
    regex = None
    groups: tuple[str, ...] = ()
    if pattern_text is not None:
        regex = r.regex("regex", pattern_text)
        groups = tuple(sorted(g for g in regex.groupindex if g == "secret" or g.startswith("secret_")))
        if not groups:
            raise r.error("regex", "needs a named group 'secret' (or 'secret_*' alternatives)")
    if extractor is not None and extractor not in EXTRACTORS:
        raise r.error("extractor", f"unknown extractor {extractor!r} (known: {', '.join(sorted(EXTRACTORS))})")
    validator = r.string("validator")
    if validator is not None and validator not in VALIDATORS:
        raise r.error("validator", f"unknown validator {validator!r} (known: {', '.join(sorted(VALIDATORS))})")

    keywords = tuple(k.lower() for k in r.strings("keywords"))
    if any(not k for k in keywords):
        raise r.error("keywords", "must not contain empty strings")

    allow = table.get("allowlist", {})
    if not isinstance(allow, dict):
        raise r.error("allowlist", "expected a table")
    bad = set(allow) - _ALLOWLIST_FIELDS
    if bad:
        raise r.error(f"allowlist.{sorted(bad)[0]}", f"unknown field (known: {', '.join(sorted(_ALLOWLIST_FIELDS))})")
    allow_regexes = tuple(r.regex("allowlist.regexes", p) for p in r.strings("regexes", allow, "allowlist."))
    allow_keys = tuple(
        re.compile(p, re.IGNORECASE) if _valid(p) else _raise(r.error("allowlist.keys", f"invalid regex {p!r}"))
        for p in r.strings("keys", allow, "allowlist.")
    )

    samples = table.get("samples", {})
    if not isinstance(samples, dict):
        raise r.error("samples", "expected a table")
    bad = set(samples) - _SAMPLE_FIELDS
    if bad:
        raise r.error(f"samples.{sorted(bad)[0]}", "unknown field (known: fp, path, tp)")
    sample_path = samples.get("path", "sample.txt")
    if not isinstance(sample_path, str):
        raise r.error("samples.path", f"expected a string, got {sample_path!r}")
    tp = tuple(_sample(r, "tp", s, sample_path) for s in samples.get("tp", []))
    fp = tuple(_sample(r, "fp", s, sample_path) for s in samples.get("fp", []))
    if not tp:
        raise r.error("samples.tp", "every rule needs at least one true-positive sample")

    min_length, max_length = r.integer("min_length", 1), r.integer("max_length", 4096)
    if min_length > max_length:
        raise r.error("min_length", f"{min_length} is larger than max_length {max_length}: the rule can never match")
    remediation = r.string("remediation", required=True) or ""
    description = r.string("description", required=True) or ""
    return Rule(
        id=rule_id,
        description=description,
        severity=severity,
        confidence=confidence,
        remediation=remediation.strip(),
        source=str(path),
        keywords=keywords,
        regex=regex,
        secret_groups=groups,
        entropy=r.number("entropy", 0.0),
        min_length=min_length,
        max_length=max_length,
        paths=r.strings("paths"),
        validator=validator,
        validator_required=r.boolean("validator_required", False),
        extractor=extractor,
        allow_regexes=allow_regexes,
        allow_stopwords=tuple(s.lower() for s in r.strings("stopwords", allow, "allowlist.")),
        allow_paths=r.strings("paths", allow, "allowlist."),
        allow_keys=allow_keys,
        allow_file_contains=r.strings("file_contains", allow, "allowlist."),
        skip_references=r.boolean("skip_references", True),
        skip_placeholders=r.boolean("skip_placeholders", True),
        multiline=r.boolean("multiline", False),
        run_table=_run_table(r),
        run_min=r.integer("run_min", 0),
        tags=r.strings("tags"),
        true_samples=tp,
        false_samples=fp,
    )


def _run_table(r: _RuleReader) -> bytes | None:
    chars = r.string("run_chars")
    if chars is None:
        return None
    if r.table.get("run_min", 0) < 2:
        raise r.error("run_min", "run_chars needs run_min >= 2")
    try:
        member = re.compile(f"[{chars}]")
    except re.error as exc:
        raise r.error("run_chars", f"not a valid character class: {exc}") from None
    return bytes(ord("a") if member.match(chr(b)) else ord(" ") for b in range(256))


def _valid(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _raise(exc: Exception) -> Any:
    raise exc


def _sample(r: _RuleReader, kind: str, value: Any, default_path: str) -> RuleSample:
    if isinstance(value, str):
        return RuleSample(value, default_path)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        path = value.get("path", default_path)
        if not isinstance(path, str):
            raise r.error(f"samples.{kind}", f"sample path must be a string, got {path!r}")
        return RuleSample(value["text"], path)
    raise r.error(f"samples.{kind}", f"expected strings or {{text, path}} tables, got {value!r}")


def load_filter_data(path: Path | None = None) -> FilterData:
    """Load ``rules/_filters.toml`` (or ``path``): placeholders, references, public ids, skipped paths."""
    path = path or data_dir("rules") / "_filters.toml"
    data = read_toml(path, RuleError, what="filter data")

    def strings(section: str, key: str) -> Sequence[str]:
        table = data.get(section, {})
        value = table.get(key, []) if isinstance(table, dict) else None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RuleError(f"{path}: [{section}] {key}: expected a list of strings")
        return value

    def regexes(section: str, key: str) -> tuple[re.Pattern[str], ...]:
        out = []
        for pattern in strings(section, key):
            try:
                out.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise RuleError(f"{path}: [{section}] {key}: invalid regex {pattern!r}: {exc}") from None
        return tuple(out)

    return FilterData(
        placeholder_exact=frozenset(s.lower() for s in strings("placeholders", "exact")),
        placeholder_regexes=regexes("placeholders", "regexes"),
        reference_regexes=regexes("references", "regexes"),
        public_id_regexes=regexes("public_ids", "regexes"),
        skip_paths=tuple(strings("paths", "skip")),
    )
