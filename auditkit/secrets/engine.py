"""The matching engine: keyword prefilter, regex or extractor, filters, validators.

:class:`Engine` turns a :class:`~auditkit.secrets.sources.Chunk` into
:class:`Match` values. A match holds the secret value, so it never leaves the
``auditkit.secrets`` package: :mod:`auditkit.secrets.scan` turns it into a
:class:`~auditkit.findings.Finding` (redacted + fingerprint) straight away.

Speed comes from the prefilter: a rule runs only on text that contains one of
its keywords (lowercase substring search runs in C at memory speed), so most
files see no regex at all.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from auditkit.findings import Confidence
from auditkit.secrets.rules import Rule, RuleSet, _glob
from auditkit.secrets.sources import Chunk
from auditkit.secrets.validators import EXTRACTORS, VALIDATORS, shannon_entropy

__all__ = ["ALLOW_MARKERS", "Engine", "Match"]

ALLOW_MARKERS = ("auditkit:allow", "pragma: allowlist secret", "gitleaks:allow")
_NEXTLINE_MARKER = "pragma: allowlist nextline secret"


@dataclass(frozen=True, repr=False)
class Match:
    """One accepted match. Holds the secret: internal to the secrets package."""

    rule: Rule
    secret: str
    line: int
    """Real 1-based line number (after the chunk's line map)."""
    column: int
    """1-based column of the secret's first character."""
    key: str | None
    confidence: Confidence
    validated: bool | None
    span: tuple[int, int]

    def __repr__(self) -> str:  # never show the secret, even in a debugger or a test failure
        return f"Match(rule={self.rule.id!r}, line={self.line}, column={self.column})"


class _Lines:
    """Offset -> (line, column) with a lazily built newline index."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None

    def locate(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1

    def line_text(self, offset: int) -> str:
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return self.text[start : end if end >= 0 else len(self.text)]

    def previous_line_text(self, offset: int) -> str:
        start = self.text.rfind("\n", 0, offset)
        if start <= 0:
            return ""
        return self.line_text(start - 1) if start > 0 else ""


class Engine:
    """Compiled rules ready to scan chunks."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._always: list[Rule] = []
        self._by_keyword: dict[str, list[Rule]] = {}
        for rule in ruleset.rules:
            if not rule.keywords:
                self._always.append(rule)
            for keyword in rule.keywords:
                self._by_keyword.setdefault(keyword, []).append(rule)
        self._order = {rule.id: i for i, rule in enumerate(ruleset.rules)}

    def path_skipped(self, path: str) -> bool:
        """Whether the shared filter data says never to scan ``path`` (lockfiles, minified bundles)."""
        name = path.rsplit("/", 1)[-1]
        return any(_glob(path, name, g) for g in self.ruleset.filters.skip_paths)

    def candidate_rules(self, text: str) -> list[Rule]:
        """Rules whose keyword occurs in ``text`` (plus keyword-less rules), in rule order."""
        lower = text.lower()
        chosen = {rule.id: rule for rule in self._always}
        for keyword, rules in self._by_keyword.items():
            if keyword in lower:
                for rule in rules:
                    chosen.setdefault(rule.id, rule)
        return sorted(chosen.values(), key=lambda r: self._order[r.id])

    def scan(self, chunk: Chunk) -> list[Match]:
        """All accepted matches in ``chunk``, one per secret occurrence (most specific rule wins)."""
        if self.path_skipped(chunk.path):
            return []
        lines = _Lines(chunk.text)
        accepted: list[Match] = []
        for rule in self.candidate_rules(chunk.text):
            if not rule.applies_to(chunk.path):
                continue
            for offset, secret, key in _raw_matches(rule, chunk.text):
                match = self._accept(rule, chunk, lines, offset, secret, key)
                if match is not None and not _overlaps(match, accepted):
                    accepted.append(match)
        accepted.sort(key=lambda m: (m.line, m.column))
        return accepted

    def _accept(
        self, rule: Rule, chunk: Chunk, lines: _Lines, offset: int, secret: str, key: str | None
    ) -> Match | None:
        if not self.keep_value(rule, secret, key):
            return None
        line, column = lines.locate(offset)
        real_line = chunk.line_map[line - 1] if chunk.line_map else line
        if chunk.only_lines is not None and real_line not in chunk.only_lines:
            return None
        line_text = lines.line_text(offset)
        if any(marker in line_text for marker in ALLOW_MARKERS):
            return None
        if _NEXTLINE_MARKER in lines.previous_line_text(offset):
            return None
        confidence = rule.confidence
        validated: bool | None = None
        if rule.validator:
            validated = VALIDATORS[rule.validator](secret)
            if validated is True:
                confidence = Confidence.HIGH
            elif validated is False:
                if rule.validator_required:
                    return None
                confidence = Confidence.LOW
        return Match(rule, secret, real_line, column, key, confidence, validated, (offset, offset + len(secret)))

    def keep_value(self, rule: Rule, secret: str, key: str | None) -> bool:
        """The value filters: length, allowlists, references, placeholders, public ids, entropy."""
        if not (rule.min_length <= len(secret) <= rule.max_length):
            return False
        lowered = secret.lower()
        if any(word in lowered for word in rule.allow_stopwords):
            return False
        if any(p.search(secret) for p in rule.allow_regexes):
            return False
        if key is not None and any(p.search(key) for p in rule.allow_keys):
            return False
        filters = self.ruleset.filters
        if rule.skip_references and any(p.search(secret) for p in filters.reference_regexes):
            return False
        if rule.skip_placeholders and (
            lowered in filters.placeholder_exact or any(p.search(secret) for p in filters.placeholder_regexes)
        ):
            return False
        if any(p.fullmatch(secret) for p in filters.public_id_regexes):
            return False
        return not (rule.entropy and shannon_entropy(secret) < rule.entropy)


def _raw_matches(rule: Rule, text: str) -> Iterator[tuple[int, str, str | None]]:
    if rule.extractor is not None:
        yield from EXTRACTORS[rule.extractor](text)
        return
    assert rule.regex is not None
    has_key = "key" in rule.regex.groupindex
    for m in rule.regex.finditer(text):
        for group in rule.secret_groups:
            value = m.group(group)
            if value:
                yield m.start(group), value, (m.group("key") if has_key else None)
                break


def _overlaps(match: Match, accepted: list[Match]) -> bool:
    start, end = match.span
    return any(start < other.span[1] and other.span[0] < end for other in accepted)
