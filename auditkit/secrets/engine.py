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
from typing import Any
from urllib.parse import unquote

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
        self._automaton = _build_automaton(self._by_keyword)
        self._applies: dict[tuple[str, str], bool] = {}

    def path_skipped(self, path: str) -> bool:
        """Whether the shared filter data says never to scan ``path`` (lockfiles, minified bundles)."""
        name = path.rsplit("/", 1)[-1]
        return any(_glob(path, name, g) for g in self.ruleset.filters.skip_paths)

    def keyword_hits(self, lower: str) -> dict[str, list[int]]:
        """Start offsets of every keyword occurrence in ``lower``, in one Aho-Corasick pass."""
        hits: dict[str, list[int]] = {}
        if self._automaton is None:
            return hits
        for end, keyword in self._automaton.iter(lower):
            hits.setdefault(keyword, []).append(end - len(keyword) + 1)
        return hits

    def has_keyword(self, text: str) -> bool:
        """Whether any rule keyword occurs in ``text`` (stops at the first one)."""
        if self._automaton is None:
            return False
        return next(self._automaton.iter(text.lower()), None) is not None

    def keywordless_candidates(self, data: bytes, text: str, paths: list[str]) -> tuple[Rule, ...]:
        """The keyword-less rules that could match in ``text`` (a whole commit) or apply to ``paths``.

        With :meth:`has_keyword` this decides, on a commit's raw patch, whether it
        needs parsing at all; the result narrows the rules run on each of its files.
        """
        active = []
        for rule in self._always:
            if rule.paths:
                if any(self.applies(rule, p) for p in paths):
                    active.append(rule)
            elif rule.regex is None or (rule.may_match(data) and rule.regex.search(text)):
                active.append(rule)
        return tuple(active)

    def applies(self, rule: Rule, path: str) -> bool:
        """``rule.applies_to(path)``, memoised for the few rules with path conditions: the same
        paths come back in every commit. The cache is bounded, so memory stays flat on long histories."""
        if not rule.paths and not rule.allow_paths:
            return True
        key = (rule.id, path)
        cached = self._applies.get(key)
        if cached is None:
            if len(self._applies) >= 20_000:
                self._applies.clear()
            cached = self._applies[key] = rule.applies_to(path)
        return cached

    def candidate_rules(self, hits: dict[str, list[int]], keywordless: tuple[Rule, ...] | None = None) -> list[Rule]:
        """Rules whose keyword was hit plus the keyword-less rules (all, or ``keywordless``), in rule order."""
        chosen = {rule.id: rule for rule in (self._always if keywordless is None else keywordless)}
        for keyword in hits:
            for rule in self._by_keyword[keyword]:
                chosen.setdefault(rule.id, rule)
        return sorted(chosen.values(), key=lambda r: self._order[r.id])

    def scan(self, chunk: Chunk, keywordless: tuple[Rule, ...] | None = None) -> list[Match]:
        """All accepted matches in ``chunk``, one per secret occurrence (most specific rule wins).

        ``keywordless`` narrows the keyword-less rules to run (see :meth:`keywordless_candidates`).
        """
        if self.path_skipped(chunk.path):
            return []
        text = chunk.text
        lines = _Lines(text)
        lower = text.lower()
        # str.lower() can change the length of some non-ASCII text; then offsets differ and
        # keyword-line scoping is unsafe, so such chunks get whole-text matching.
        scoped = len(lower) == len(text)
        hits = self.keyword_hits(lower)
        spans: dict[str, list[tuple[int, int]]] = {}
        accepted: list[Match] = []
        data: bytes | None = None
        for rule in self.candidate_rules(hits, keywordless):
            if not self.applies(rule, chunk.path):
                continue
            if rule.allow_file_contains and any(marker in text for marker in rule.allow_file_contains):
                continue
            if rule.run_table is not None:
                data = text.encode("utf-8", "surrogatepass") if data is None else data
                if not rule.may_match(data):
                    continue
            if scoped and rule.keywords and rule.regex is not None and not rule.multiline:
                raw = _line_scoped_matches(rule, text, _keyword_spans(rule.keywords, text, hits, spans))
            else:
                raw = _raw_matches(rule, text)
            for offset, secret, key in raw:
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
            lowered in filters.placeholder_exact
            or any(p.search(secret) for p in filters.placeholder_regexes)
            or _only_placeholder_words(lowered, filters.placeholder_exact)
        ):
            return False
        if any(p.fullmatch(secret) for p in filters.public_id_regexes):
            return False
        return not (rule.entropy and shannon_entropy(secret) < rule.entropy)


_WORDS = re.compile(r"[a-z0-9]+")


def _only_placeholder_words(lowered: str, placeholders: frozenset[str]) -> bool:
    """``pass%23pass``, ``user:password``: nothing but placeholder words and punctuation."""
    words = _WORDS.findall(unquote(lowered))
    return bool(words) and all(w in placeholders for w in words)


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


def _build_automaton(by_keyword: dict[str, list[Rule]]) -> Any:
    if not by_keyword:
        return None
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for keyword in by_keyword:
        automaton.add_word(keyword, keyword)
    automaton.make_automaton()
    return automaton


def _keyword_spans(
    keywords: tuple[str, ...], text: str, hits: dict[str, list[int]], cache: dict[str, list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    """The (start, end) of every line holding one of ``keywords``, merged and sorted."""
    found: set[tuple[int, int]] = set()
    for keyword in keywords:
        spans = cache.get(keyword)
        if spans is None:
            spans = []
            last_end = -1
            for pos in hits.get(keyword, ()):
                if pos <= last_end:
                    continue  # same line as the previous hit
                start = text.rfind("\n", 0, pos) + 1
                end = text.find("\n", pos)
                last_end = len(text) if end < 0 else end
                spans.append((start, last_end))
            cache[keyword] = spans
        found.update(spans)
    return sorted(found)


def _line_scoped_matches(rule: Rule, text: str, spans: list[tuple[int, int]]) -> Iterator[tuple[int, str, str | None]]:
    assert rule.regex is not None
    has_key = "key" in rule.regex.groupindex
    for start, end in spans:
        for m in rule.regex.finditer(text, start, end):
            for group in rule.secret_groups:
                value = m.group(group)
                if value:
                    yield m.start(group), value, (m.group("key") if has_key else None)
                    break


def _overlaps(match: Match, accepted: list[Match]) -> bool:
    start, end = match.span
    return any(start < other.span[1] and other.span[0] < end for other in accepted)
