"""The HTTP probe against real servers on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditkit.config import ProbesConfig
from auditkit.errors import CredentialError, ProbeError, UnsafeTargetError
from auditkit.findings import Area
from auditkit.probes.http import run_http_probe
from auditkit.probes.settings import Check, EnvRef, HttpSettings, Scenario, Stage, Step
from tests.probes.servers import TestServer


def test_closed_model_counts_every_request_the_server_saw(http_server: TestServer) -> None:
    settings = HttpSettings(target=http_server.url + "/ok", vus=4, duration=1.0, thresholds=("p(95)<5000", "rate<0.01"))
    result = run_http_probe(settings)
    # The preflight request is the one the probe does not count. Every counted request was answered,
    # so the server saw it; a request cut off when the run stopped is reported as aborted (sent, it may
    # or may not have reached the server) and is the only kind the server may have seen uncounted.
    assert result.requests + 1 <= http_server.total <= result.requests + result.aborted + 1
    assert result.aborted <= settings.vus, "at most one request in flight per virtual user"
    assert result.to_dict()["aborted"] == result.aborted
    assert result.requests > 10
    assert result.errors == {}
    assert result.thresholds == {"p(95)<5000": True, "rate<0.01": True}
    lat = result.latency_ms
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    doc = result.to_dict()
    assert json.loads(json.dumps(doc)) == doc
    for key in ("throughput", "latency_ms", "errors", "thresholds", "settings", "server"):
        assert key in doc
    assert doc["server"]["preflight_status"] == 200
    assert result.passed
    # A fast in-process server can make the generator CPU-bound; that may be flagged, nothing else.
    assert {f.rule_id for f in result.findings} <= {"probe-http-generator-saturated"}


def test_open_model_reports_a_server_stall_in_the_percentiles(http_server: TestServer) -> None:
    # One connection, 40 requests/s, and the server freezes for 1s in the middle. A closed
    # loop (or a tool timing from the actual send) would see one slow request; measured from
    # each request's intended start, every request due during the stall is slow.
    http_server.stall_at(0.8, 1.0)
    settings = HttpSettings(
        target=http_server.url + "/ok",
        model="open",
        rate=40,
        vus=1,
        max_vus=1,
        duration=3.0,
        thresholds=("p(90)<100",),
    )
    result = run_http_probe(settings)
    assert result.requests >= 100
    slow_share = 1.0 / 3.0
    assert result.latency_ms["p90"] > 300, result.latency_ms
    assert result.latency_ms["p50"] < result.latency_ms["p90"]
    assert result.late >= int(40 * 1.0 * slow_share)
    assert result.thresholds == {"p(90)<100": False}
    assert any(f.rule_id == "probe-http-threshold-failed" and f.area is Area.PROBES for f in result.findings)
    assert not result.generator.saturated


def test_closed_model_with_one_user_hides_the_same_stall(http_server: TestServer) -> None:
    http_server.stall_at(0.8, 1.0)
    result = run_http_probe(HttpSettings(target=http_server.url + "/ok", vus=1, duration=3.0))
    # The contrast that motivates the open model: only the one request in flight waited.
    assert result.latency_ms["p90"] < 300
    assert result.latency_ms["max"] > 500


def test_breaker_stops_a_failing_target_early(http_server: TestServer) -> None:
    config = ProbesConfig(breaker_error_rate=0.5, breaker_window=0.5)
    settings = HttpSettings(target=http_server.url + "/fail", vus=4, duration=20.0, config=config)
    result = run_http_probe(settings)
    assert result.breaker_tripped
    assert result.duration_s < 10.0
    assert result.errors.get("http_5xx", 0) == result.requests > 0
    assert not result.passed
    rules = {f.rule_id for f in result.findings}
    assert "probe-http-breaker-tripped" in rules
    assert result.to_dict()["breaker"]["tripped"] is True


def test_errors_by_type_checks_and_steps(http_server: TestServer) -> None:
    scenario = Scenario(
        "mix",
        (
            Step(
                "ok",
                path="/ok",
                checks=(Check("ok: status in [200]", statuses=(200,)), Check("ok: body", body_contains="ok")),
            ),
            Step("missing", path="/missing", checks=(Check("missing: status in [200]", statuses=(200,)),)),
            Step("chunked", path="/chunked", checks=(Check("chunked: body", body_contains="chunked world"),)),
            Step("close", path="/close", checks=(Check("close: body", body_contains="bye"),)),
        ),
    )
    settings = HttpSettings(
        target=http_server.url,
        scenarios=(scenario,),
        vus=2,
        duration=1.0,
        thresholds=("checks: rate>0.99", "rate<0.5"),
    )
    result = run_http_probe(settings)
    steps = {s.name: s for s in result.steps}
    assert set(steps) == {"ok", "missing", "chunked", "close"}
    assert steps["missing"].errors == {"http_4xx": steps["missing"].requests}
    assert steps["chunked"].errors == {} and steps["close"].errors == {}
    checks = {c.name: c for c in result.checks}
    assert checks["ok: body"].failed == 0 and checks["ok: body"].passed > 0
    assert checks["chunked: body"].failed == 0
    assert checks["close: body"].failed == 0
    assert checks["missing: status in [200]"].passed == 0
    assert result.thresholds["checks: rate>0.99"] is False
    assert result.errors == {"http_4xx": steps["missing"].requests}
    assert http_server.hits["/close"] == steps["close"].requests


def test_weighted_scenarios_and_data_rows(http_server: TestServer, tmp_path: Path) -> None:
    data = tmp_path / "users.csv"
    data.write_text("name\nalice\nbob\n")
    heavy = Scenario("heavy", (Step("echo", path="/echo/{{name}}"),), weight=3, data=data)
    light = Scenario("light", (Step("light", path="/ok"),), weight=1)
    result = run_http_probe(HttpSettings(target=http_server.url, scenarios=(heavy, light), vus=2, duration=1.0))
    assert http_server.hits["/echo/alice"] > 0 and http_server.hits["/echo/bob"] > 0
    echoes = http_server.hits["/echo/alice"] + http_server.hits["/echo/bob"]
    assert echoes > http_server.hits["/ok"] - 1  # 3:1 by weight; the preflight hits the bare URL
    assert result.requests == echoes + sum(v for k, v in http_server.hits.items() if not k.startswith("/echo")) - 1


def test_credential_from_environment_is_sent_and_never_reported(http_server: TestServer) -> None:
    token = "tok-9f8e7d6c5b4a39281706"
    http_server.expect_auth("Bearer " + token)
    step = Step(
        "auth",
        path="/auth",
        headers=(("Authorization", EnvRef("PROBE_TOKEN", "Bearer ")),),
        json={"password": EnvRef("PROBE_TOKEN")},
        method="POST",
        checks=(Check("auth: 200", statuses=(200,)),),
    )
    settings = HttpSettings(target=http_server.url, scenarios=(Scenario("s", (step,)),), vus=1, duration=0.5)
    result = run_http_probe(settings, env={"PROBE_TOKEN": token})
    assert result.errors == {}
    assert {c.name: c.failed for c in result.checks} == {"auth: 200": 0}
    assert http_server.auth_seen and set(http_server.auth_seen) == {"Bearer " + token}
    assert json.loads(http_server.bodies[0]) == {"password": token}
    text = json.dumps(result.to_dict()) + repr(result)
    assert token not in text
    assert "<from env PROBE_TOKEN>" in text


def test_missing_credential_variable_is_an_error_before_any_load(http_server: TestServer) -> None:
    step = Step("auth", path="/auth", headers=(("Authorization", EnvRef("NOPE_TOKEN", "Bearer ")),))
    settings = HttpSettings(target=http_server.url, scenarios=(Scenario("s", (step,)),), vus=1, duration=0.5)
    with pytest.raises(CredentialError, match="NOPE_TOKEN"):
        run_http_probe(settings, env={})
    assert http_server.total == 0


def test_non_loopback_target_is_refused_before_any_traffic() -> None:
    with pytest.raises(UnsafeTargetError):
        run_http_probe(HttpSettings(target="http://192.0.2.10:8080/", duration=1.0))


@pytest.mark.parametrize(
    "target",
    [
        "http://user:secret@127.0.0.1:9/",
        "http://127.0.0.1:9/?api_key=PlantCliQ_Cq3abc",
        "ftp://user:PlantFtp_Fp2@127.0.0.1:9/",
    ],
)
def test_credentials_in_the_target_url_are_refused_without_quoting_them(target: str) -> None:
    with pytest.raises(CredentialError) as info:
        run_http_probe(HttpSettings(target=target, duration=1.0))
    assert "Plant" not in str(info.value) and "secret@" not in str(info.value)


def test_caps_and_bad_input(http_server: TestServer) -> None:
    cfg = ProbesConfig(max_rate=10, max_duration=5, max_vus=3)
    with pytest.raises(ProbeError, match="max_rate"):
        run_http_probe(HttpSettings(target=http_server.url, model="open", rate=11, config=cfg, duration=1))
    with pytest.raises(ProbeError, match="max_duration"):
        run_http_probe(HttpSettings(target=http_server.url, duration=6, config=cfg))
    with pytest.raises(ProbeError, match="max_vus"):
        run_http_probe(HttpSettings(target=http_server.url, vus=4, duration=1, config=cfg))
    with pytest.raises(ProbeError, match="p95"):
        run_http_probe(HttpSettings(target=http_server.url, duration=1, thresholds=("p95<1",)))
    assert http_server.total == 0


def test_unreachable_target_is_a_probe_error() -> None:
    with pytest.raises(ProbeError, match="does not answer"):
        run_http_probe(HttpSettings(target="http://127.0.0.1:9/", duration=1.0))


def test_ramping_stages_and_open_rate_stages(http_server: TestServer) -> None:
    closed = run_http_probe(HttpSettings(target=http_server.url, stages=(Stage(0.5, 3), Stage(0.5, 0)), duration=99))
    assert closed.settings["duration_s"] == 1.0
    assert 0 < closed.requests == http_server.total - 1
    http_server.reset()
    opened = run_http_probe(
        HttpSettings(target=http_server.url, model="open", rate=20, stages=(Stage(1.0, 60),), vus=2)
    )
    # 20/s ramping linearly to 60/s over 1s schedules (20+60)/2 = 40 arrivals.
    assert opened.requests == http_server.total - 1
    assert 36 <= opened.requests <= 41


def test_worker_processes_merge_their_histograms(http_server: TestServer) -> None:
    result = run_http_probe(HttpSettings(target=http_server.url, vus=4, duration=1.0, workers=2))
    assert result.generator.workers == 2
    assert result.requests == http_server.total - 1 > 0
    assert result.steps[0].requests == result.requests
