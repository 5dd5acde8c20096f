"""Every rule's own true- and false-positive samples, run through the real engine."""

from __future__ import annotations

import pytest

from auditkit.secrets.engine import Engine
from auditkit.secrets.rules import Rule, RuleSet, load_rules
from auditkit.secrets.sources import Chunk

RULESET = load_rules()
ENGINE = Engine(RULESET)


def _cases(kind: str) -> list[tuple[Rule, int]]:
    out = []
    for rule in RULESET.rules:
        samples = rule.true_samples if kind == "tp" else rule.false_samples
        out.extend((rule, i) for i in range(len(samples)))
    return out


def _id(case: tuple[Rule, int]) -> str:
    return f"{case[0].id}-{case[1]}"


@pytest.mark.parametrize("case", _cases("tp"), ids=_id)
def test_true_positive_sample_is_found_by_its_rule(case: tuple[Rule, int]) -> None:
    rule, i = case
    sample = rule.true_samples[i]
    alone = Engine(RuleSet((rule,), RULESET.filters))
    assert alone.scan(Chunk(sample.path, sample.text)), f"{rule.id} misses its own sample #{i}"
    # With every rule loaded the sample is still reported (perhaps by a more specific rule).
    assert ENGINE.scan(Chunk(sample.path, sample.text))


@pytest.mark.parametrize("case", _cases("fp"), ids=_id)
def test_false_positive_sample_is_not_reported(case: tuple[Rule, int]) -> None:
    rule, i = case
    sample = rule.false_samples[i]
    found = ENGINE.scan(Chunk(sample.path, sample.text))
    assert not found, f"sample #{i} of {rule.id} reported by {[m.rule.id for m in found]}"


def test_every_rule_has_samples_and_remediation() -> None:
    assert len(RULESET.rules) >= 30
    for rule in RULESET.rules:
        assert rule.true_samples and rule.remediation.strip()
