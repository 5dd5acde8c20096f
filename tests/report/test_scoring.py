"""Scoring: weighted mean of measured areas, caps, explanations that add up, data validated on load."""

from __future__ import annotations

import random
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from auditkit.errors import DataFileError
from auditkit.findings import Confidence, Severity
from auditkit.resources import data_file
from auditkit.scoring import (
    CoverageFacts,
    LoadTestFacts,
    ScoreInputs,
    SecretGroupFacts,
    SecretsFacts,
    ServiceFacts,
    Status,
    build_actions,
    load_remediation,
    load_scoring_model,
    score,
)
from auditkit.scoring.model import parse_scoring_model
from auditkit.scoring.remediation import parse_remediation
from tests.report.factories import platform_inputs


def _check_explained(card) -> None:  # noqa: ANN001
    for area in card.areas:
        if area.score is None:
            assert area.explanation == ()
            continue
        lost = sum(d.points for d in area.explanation)
        assert lost == pytest.approx(10.0 - area.score, abs=0.051), area.id
        assert all(d.reason and d.points > 0 for d in area.explanation)


def test_platform_lands_near_two_for_the_audits_reasons() -> None:
    card = score(platform_inputs())
    assert 1.0 <= card.overall <= 3.0
    assert card.status is Status.CRITICAL
    secrets = card.area("hardcoded_secrets")
    assert secrets.score == 0.0 and "in HEAD" in secrets.explanation[0].reason
    assert card.area("load_test_coverage").score < 2.5
    assert card.area("tool_standardization").score < 5.0
    assert card.area("probe_results").score is None
    assert [c.id for c in card.caps] == ["live-credential-in-head"]
    _check_explained(card)


def test_fixing_the_password_improves_the_score_and_lifts_the_cap() -> None:
    before = score(platform_inputs(password_in_head=True))
    after = score(platform_inputs(password_in_head=False))
    assert after.overall > before.overall
    assert after.area("hardcoded_secrets").score > 0
    assert after.area("hardcoded_secrets").explanation[0].kind == "secret_in_history"
    assert not any(c.id == "live-credential-in-head" for c in after.caps)


def test_not_measured_is_left_out_never_zero() -> None:
    inputs = platform_inputs()
    with_coverage = score(inputs)
    without = score(replace(inputs, coverage=None))
    for area_id in ("load_test_coverage", "load_test_quality", "tool_standardization"):
        area = without.area(area_id)
        assert area.score is None and area.status is Status.NOT_MEASURED
    # Only secrets is measured now, so the overall equals its score (0), capped or not.
    assert without.overall == without.area("hardcoded_secrets").score
    assert without.total_weight < with_coverage.total_weight
    nothing = score(ScoreInputs())
    assert nothing.overall is None and nothing.status is Status.NOT_MEASURED


def test_overall_is_the_weighted_mean_of_measured_areas() -> None:
    card = score(platform_inputs(password_in_head=False))
    measured = [a for a in card.areas if a.score is not None]
    expected = sum(a.weight * a.score for a in measured) / sum(a.weight for a in measured)
    assert card.overall == pytest.approx(expected, abs=0.06)
    weights = {a.risk: a.weight for a in card.areas}
    assert weights["critical"] == 10.0 and weights["high"] == 7.5 and weights["medium"] == 5.0 and weights["low"] == 2.5


def _clean_platform(n_services: int, covered: int) -> ScoreInputs:
    services = tuple(
        ServiceFacts(f"svc-{i}", f"svc/svc-{i}", False, 1 if i < covered else 0) for i in range(n_services)
    )
    tests = tuple(LoadTestFacts(f"svc/svc-{i}/load.js", "k6", f"svc-{i}", 1.0) for i in range(covered))
    return ScoreInputs(
        secrets=SecretsFacts((), history_scanned=True),
        coverage=CoverageFacts(services, tests, "k6", {"spike": True}, {"ci": True}),
    )


def test_a_live_secret_caps_an_otherwise_good_repo_and_the_card_says_so() -> None:
    clean = _clean_platform(4, 4)
    assert score(clean).overall == 10.0
    leaked = replace(
        clean,
        secrets=SecretsFacts(
            (SecretGroupFacts("fp", "aws-access-key", Severity.HIGH, Confidence.HIGH, True, ("deploy.sh",)),),
            history_scanned=True,
        ),
    )
    card = score(leaked)
    cap = next(c for c in card.caps if c.id == "live-credential-in-head")
    assert cap.binding and card.overall == cap.max == 3.0
    assert cap.uncapped > 3.0
    actions = build_actions(card, load_remediation())
    assert actions[0].id == "secret_in_head"
    assert actions[0].impact == pytest.approx(10.0 - 3.0, abs=0.01), "lifting the cap is the real gain"


def test_coverage_is_generic_not_tied_to_one_layout() -> None:
    for n, covered in ((3, 1), (40, 10), (500, 499)):
        area = score(_clean_platform(n, covered)).area("load_test_coverage")
        assert area.score == pytest.approx(round(10.0 * covered / n, 1))
        assert f"{covered} of {n} services" in area.summary


def test_random_inputs_always_explain_every_point() -> None:
    rng = random.Random(7)
    tools = ["k6", "artillery", "ab", "locust", "jmeter"]
    for _ in range(60):
        n = rng.randint(1, 30)
        services = tuple(ServiceFacts(f"s{i}", f"s/s{i}", rng.random() < 0.3, rng.randint(0, 2)) for i in range(n))
        tests = tuple(
            LoadTestFacts(f"t{i}.js", rng.choice(tools), None, rng.random()) for i in range(rng.randint(0, 8))
        )
        groups = tuple(
            SecretGroupFacts(
                f"fp{i}",
                "r",
                rng.choice(list(Severity)),
                Confidence.HIGH,
                rng.random() < 0.5,
                tuple(f"f{j}" for j in range(rng.randint(1, 4))),
            )
            for i in range(rng.randint(0, 5))
        )
        scen = {k: rng.random() < 0.5 for k in ("spike", "soak", "journey")}
        inputs = ScoreInputs(SecretsFacts(groups, True), CoverageFacts(services, tests, "k6", scen, {"ci": False}))
        card = score(inputs)
        _check_explained(card)
        assert card.overall is not None and 0.0 <= card.overall <= 10.0
        actions = build_actions(card, load_remediation())
        ratios = [round(a.impact_per_hour, 6) for a in actions]
        assert ratios == sorted(ratios, reverse=True)
        assert all(a.effort_hours > 0 and a.remediation for a in actions)


def _scoring_data() -> dict:
    return tomllib.loads(data_file("reports", "scoring.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["areas"][1].__setitem__("risk", "huge"), "areas[1].risk"),
        (lambda d: d["areas"][0].__setitem__("scorer", "magic"), "areas[0].scorer"),
        (lambda d: d["areas"][2].__setitem__("colour", "red"), "areas[2].colour: unknown key"),
        (lambda d: d["areas"][3].pop("title"), "areas[3].title: missing"),
        (lambda d: d["weights"].__setitem__("high", "lots"), "weights.high"),
        (lambda d: d["status"].__setitem__("warning", 9.5), "status.warning"),
        (lambda d: d["caps"][0].__setitem__("max", 11), "caps[0].max"),
        (lambda d: d["areas"].append(dict(d["areas"][0])), "unique id"),
    ],
)
def test_scoring_data_is_validated(mutate, message: str) -> None:  # noqa: ANN001
    data = _scoring_data()
    mutate(data)
    with pytest.raises(DataFileError, match=message.replace("[", r"\[").replace("]", r"\]")) as exc:
        parse_scoring_model(data, Path("reports/scoring.toml"))
    assert "reports/scoring.toml" in str(exc.value)


def test_bad_scorer_params_name_the_file_and_key(tmp_path: Path) -> None:
    data = _scoring_data()
    data["areas"][0]["params"]["head_points"] = {"critical": "ten"}
    model = parse_scoring_model(data, Path("custom-scoring.toml"))
    with pytest.raises(DataFileError, match=r"custom-scoring.toml: areas\[id=hardcoded_secrets\].params.head_points"):
        score(platform_inputs(), model)


def _remediation_data() -> dict:
    return tomllib.loads(data_file("reports", "remediation.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["actions"][0].__setitem__("remediation", "   "),
            r"actions\[0\].remediation: expected a non-empty",
        ),
        (lambda d: d["actions"][1].__setitem__("effort_hours", -1), r"actions\[1\].effort_hours"),
        (lambda d: d["actions"][2].__setitem__("priority", "whenever"), r"actions\[2\].priority"),
        (lambda d: d["actions"].pop(0), "no entry for deduction kind"),
        (lambda d: d["actions"].append(dict(d["actions"][0])), "duplicate kind"),
    ],
)
def test_remediation_data_is_validated(mutate, message: str) -> None:  # noqa: ANN001
    data = _remediation_data()
    mutate(data)
    with pytest.raises(DataFileError, match=message):
        parse_remediation(data, Path("reports/remediation.toml"))


def test_packaged_data_loads() -> None:
    model = load_scoring_model()
    ids = [a.id for a in model.areas]
    for required in (
        "hardcoded_secrets",
        "load_test_coverage",
        "load_test_quality",
        "tool_standardization",
        "scenario_coverage",
        "load_testing_infrastructure",
        "probe_results",
    ):
        assert required in ids
    assert load_remediation().lookup("scenario_missing:anything-new").kind == "scenario_missing"


def test_infrastructure_environment_gap_is_proportional_and_names_the_hard_coded_tests() -> None:
    from auditkit.audit import coverage_facts
    from auditkit.config import Config

    paths = [f"load/t{i}.js" for i in range(9)]

    class Result:
        findings = ()

        def __init__(self, env_tests: list[str]) -> None:
            self.env_tests = env_tests

        def to_dict(self) -> dict:
            return {
                "services": [
                    {
                        "name": "api",
                        "path": "api",
                        "load_tests": [{"path": p, "tool": "k6", "quality": 8} for p in paths],
                    }
                ],
                "platform": {
                    "standard_tool": "k6",
                    "ci": {"integrated": True},
                    "results_output": {"tests": [paths[0]]},
                    "configurable_target": {"tests": self.env_tests},
                },
            }

    def infra(env_tests: list[str]):  # noqa: ANN202
        card = score(
            ScoreInputs(coverage=coverage_facts(Result(env_tests), Config(base_dir=Path(".")))), load_scoring_model()
        )
        return next(a for a in card.areas if a.id == "load_testing_infrastructure")

    some = infra(paths[:4])  # 4 of 9 read their target from the environment
    assert some.score is not None and some.score == pytest.approx(10 - (10 / 3) * 5 / 9, abs=0.06)
    (d,) = some.explanation
    assert d.items == tuple(paths[4:]) and "5 of 9" in d.reason and "hard-code" in d.reason
    assert infra(paths).score == 10.0
    none = infra([])
    assert none.score == pytest.approx(10 - 10 / 3, abs=0.06)
    assert none.explanation[0].items == ("environment",)
