"""Every load-test tool on small fixtures: detection, requests and the facts behind the quality checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from auditkit.coverage import LoadTest, analyze
from tests.coverage.conftest import default_config


def _tests(root: Path) -> dict[str, LoadTest]:
    result = analyze(root, default_config(root), secret_finder=None)
    return {t.path: t for t in result.load_tests}


def _check(test: LoadTest, check_id: str) -> bool | None:
    return next(c.passed for c in test.checks if c.id == check_id)


def _assert_passing(test: LoadTest, *check_ids: str) -> None:
    failing = [cid for cid in check_ids if _check(test, cid) is not True]
    assert not failing, f"{test.path}: expected to pass: {failing}"


def _reqs(test: LoadTest) -> set[tuple[str, str]]:
    return {(r.method, r.path) for r in test.requests}


def test_k6_typescript_arrival_rate_scenarios(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "load/checkout.ts",
        """
        import http from 'k6/http';
        import { check, sleep } from 'k6';
        import { SharedArray } from 'k6/data';
        const users = new SharedArray('users', () => JSON.parse(open('./users.json')));
        const BASE: string = __ENV.BASE_URL ?? 'http://localhost:8080';
        export const options = {
          scenarios: {
            browse: { executor: 'ramping-arrival-rate', startRate: 1, timeUnit: '1s', preAllocatedVUs: 10,
                      stages: [{ target: 50, duration: '2m' }, { target: 50, duration: '40m' }, { target: 0, duration: '1m' }] },
            buy: { executor: 'constant-vus', vus: 5, duration: '10m', exec: 'checkout' },
          },
          thresholds: { http_req_failed: ['rate<0.01'], 'http_req_duration{name:cart}': [{ threshold: 'p(99)<900', abortOnFail: true }] },
        };
        export function checkout() {
          const res = http.post(`${BASE}/api/cart/${users[0].id}/checkout`, JSON.stringify({}), { tags: { name: 'cart' } });
          check(res, { ok: (r) => r.status === 201 });
          http.request('DELETE', http.url`${BASE}/api/cart/${users[0].id}`);
          sleep(1);
        }
        export function handleSummary(data: unknown) { return { 'summary.json': JSON.stringify(data) }; }
        """,
    )
    t = _tests(tmp_path)["load/checkout.ts"]
    assert t.tool == "k6"
    assert _reqs(t) == {("POST", "/api/cart/{}/checkout"), ("DELETE", "/api/cart/{}")}
    _assert_passing(
        t,
        "load.env-config",
        "load.ramp-up",
        "load.thresholds",
        "load.percentiles",
        "load.checks",
        "load.think-time",
        "load.weighted-scenarios",
        "load.test-data",
        "load.open-model",
        "load.results-output",
    )
    assert "soak" in t.categories and "checkout" in t.categories


def test_k6_bad_practices(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "perf/smoke.js",
        """
        const http = require('k6/http');
        export const options = { vus: 200, duration: '30s', thresholds: { http_req_duration: ['avg<300'], http_reqs: ['rate>500'] } };
        export default function () {
          http.get('https://api.example.com/v1/items/42');
          http.batch([['GET', 'https://api.example.com/v1/items'], { method: 'POST', url: 'https://api.example.com/v1/items' }]);
        }
        """,
    )
    t = _tests(tmp_path)["perf/smoke.js"]
    assert _reqs(t) == {("GET", "/v1/items/{}"), ("GET", "/v1/items"), ("POST", "/v1/items")}
    assert _check(t, "load.env-config") is False
    assert _check(t, "load.ramp-up") is False
    assert _check(t, "load.percentiles") is False  # avg only
    assert _check(t, "load.open-model") is False  # throughput threshold with constant VUs
    assert _check(t, "load.checks") is False and _check(t, "load.think-time") is False
    assert any("api.example.com" in i for i in t.issues)


@pytest.mark.parametrize(
    "name,text",
    [
        (
            "search.yml",
            """
        config:
          target: "{{ $env.TARGET_URL }}"
          phases:
            - duration: 30
              arrivalRate: 2
              rampTo: 20
            - duration: 10
              arrivalRate: 100
          ensure:
            thresholds:
              - http.response_time.p99: 250
          plugins:
            publish-metrics:
              - type: prometheus
                pushgateway: "http://pg:9091"
        scenarios:
          - name: login storm
            flow:
              - post:
                  url: "/auth/login"
                  expect:
                    - statusCode: 200
              - get:
                  url: "/events/{{ id }}"
        """,
        ),
        (
            "search.json",
            """
        {"config": {"target": "{{ $env.TARGET_URL }}", "phases": [{"duration": 30, "arrivalRate": 2, "rampTo": 20},
          {"duration": 10, "arrivalRate": 100}], "ensure": {"p99": 250},
          "plugins": {"publish-metrics": [{"type": "prometheus"}]}},
         "scenarios": [{"name": "login storm", "flow": [{"post": {"url": "/auth/login", "expect": [{"statusCode": 200}]}},
                       {"get": {"url": "/events/{{ id }}"}}]}]}
        """,
        ),
        (
            "search.ts",
            """
        export const config = {
          target: process.env.TARGET_URL,
          phases: [{ duration: 30, arrivalRate: 2, rampTo: 20 }, { duration: 10, arrivalRate: 100 }],
          ensure: { thresholds: [{ 'http.response_time.p99': 250 }] },
          plugins: { 'publish-metrics': [{ type: 'prometheus' }] },
        };
        export const scenarios = [{ name: 'login storm', flow: [
          { post: { url: '/auth/login', expect: [{ statusCode: 200 }] } }, { get: { url: `/events/{{ id }}` } }] }];
        """,
        ),
    ],
)
def test_artillery_yaml_json_ts(write: Callable[[str, str], Path], tmp_path: Path, name: str, text: str) -> None:
    write(f"load/{name}", text)
    t = _tests(tmp_path)[f"load/{name}"]
    assert t.tool == "artillery"
    assert _reqs(t) == {("POST", "/auth/login"), ("GET", "/events/{}")}
    assert _check(t, "load.env-config") is True
    assert _check(t, "load.thresholds") is True and _check(t, "load.percentiles") is True
    assert _check(t, "load.ramp-up") is True and _check(t, "load.open-model") is True
    assert _check(t, "load.results-output") is True and "prometheus" in t.sinks
    assert _check(t, "load.think-time") is False and _check(t, "load.weighted-scenarios") is False
    assert "auth_storm" in t.categories and "spike" in t.categories


def test_artillery_hardcoded_target(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "load/a.yml",
        """
        config:
          target: "http://10.0.0.5:8080/api"
          phases: [{duration: 60, arrivalRate: 50}]
        scenarios:
          - flow:
              - get: {url: "/items"}
        """,
    )
    t = _tests(tmp_path)["load/a.yml"]
    assert _check(t, "load.env-config") is False and _check(t, "load.ramp-up") is False
    assert _reqs(t) == {("GET", "/api/items")}


def test_locust(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "locust/locustfile.py",
        """
        import os
        from locust import FastHttpUser, LoadTestShape, between, events, task

        class Shopper(FastHttpUser):
            host = os.environ["TARGET"]
            wait_time = between(1, 5)

            @task(3)
            def browse(self):
                self.client.get(f"/events/{self.event_id}", name="/events/[id]")

            @task(1)
            def buy(self):
                with self.client.post("/orders", json={}, catch_response=True) as r:
                    if r.status_code != 201:
                        r.failure("no order")

        class Shape(LoadTestShape):
            def tick(self):
                return (10, 1)

        @events.quitting.add_listener
        def _(environment, **kw):
            if environment.stats.total.get_response_time_percentile(0.95) > 800:
                environment.process_exit_code = 1
        """,
    )
    t = _tests(tmp_path)["locust/locustfile.py"]
    assert t.tool == "locust"
    assert _reqs(t) == {("GET", "/events/{}"), ("POST", "/orders")}
    _assert_passing(
        t,
        "load.env-config",
        "load.ramp-up",
        "load.thresholds",
        "load.percentiles",
        "load.checks",
        "load.think-time",
        "load.weighted-scenarios",
    )


@pytest.mark.parametrize(
    "tool,line,expected_open",
    [
        ("ab", 'ab -k -n 1000 -c 50 -p body.json "${TARGET:-http://localhost}/api/orders"', False),
        ("wrk", "wrk -t4 -c100 -d30s --latency $TARGET/api/events", False),
        ("wrk2", "wrk2 -t2 -c50 -d60s -R 2000 --latency $TARGET/api/events", True),
        ("hey", "hey -z 30s -c 20 -m PUT $TARGET/api/items/7", False),
        ("siege", "siege -c 25 -t 1M -d 2 $TARGET/api/search", False),
        (
            "vegeta",
            'echo "GET $TARGET/api/events" | vegeta attack -rate=100 -duration=30s | vegeta report',
            True,
        ),
    ],
)
def test_command_line_tools_in_shell(
    write: Callable[[str, str], Path], tmp_path: Path, tool: str, line: str, expected_open: bool
) -> None:
    write("scripts/load.sh", f"#!/bin/sh\n{line}\n")
    t = _tests(tmp_path)["scripts/load.sh"]
    assert t.tool == tool
    assert len(t.requests) == 1
    assert _check(t, "load.env-config") is True
    assert _check(t, "load.thresholds") is False
    assert _check(t, "load.open-model") is expected_open


def test_pgbench_in_makefile(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "db/Makefile",
        """
        DB_HOST ?= localhost
        bench:
        \tpgbench -h $(DB_HOST) -c 20 -j 4 -T 600 -R 500 --log -f reads.sql@9 -f writes.sql@1 tickets
        """.replace("\\t", "\t"),
    )
    t = _tests(tmp_path)["db/Makefile"]
    assert t.tool == "pgbench"
    assert _check(t, "load.weighted-scenarios") is True and _check(t, "load.open-model") is True
    assert _check(t, "load.db-tool") is True and _check(t, "load.env-config") is True
    assert "database" in t.categories


def test_tools_in_package_json_and_ci(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "services/api/package.json",
        '{"name": "api", "scripts": {"start": "node .", '
        '"load": "k6 run --out influxdb=http://influx:8086/k6 tests/load/api.js", '
        '"bench": "autocannon x", "stress": "hey -n 100 http://localhost:3000/ping"}}',
    )
    write(
        "services/api/tests/load/api.js",
        """
        import http from 'k6/http';
        export default function () { http.get(`${__ENV.BASE}/ping`); }
        """,
    )
    write(
        ".github/workflows/perf.yml",
        """
        on: [push]
        jobs:
          perf:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  npm ci
                  cd services/api && npm run load
              - run: ab -n 10 -c 2 https://staging.example.com/ping
        """,
    )
    write("Jenkinsfile", "pipeline { stages { stage('p') { steps { sh 'wrk -t1 -c1 -d5s $URL/ping' } } } }\n")
    r = analyze(tmp_path, default_config(tmp_path), secret_finder=None)
    tests = {t.path: t for t in r.load_tests}
    assert tests["services/api/package.json"].tool == "hey"
    assert tests[".github/workflows/perf.yml"].tool == "ab"
    assert tests["Jenkinsfile"].tool == "wrk"
    k6 = tests["services/api/tests/load/api.js"]
    assert k6.in_ci, "npm run load in CI runs the k6 test"
    assert "influxdb" in k6.sinks and _check(k6, "load.results-output") is True
    assert ".github/workflows/perf.yml" in r.platform.ci_files
    assert _check(tests[".github/workflows/perf.yml"], "load.env-config") is False


def test_jmeter(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "jmeter/plan.jmx",
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <jmeterTestPlan version="1.2">
          <hashTree>
            <ThreadGroup testname="Buyers">
              <stringProp name="ThreadGroup.num_threads">50</stringProp>
              <stringProp name="ThreadGroup.ramp_time">120</stringProp>
            </ThreadGroup>
            <hashTree>
              <HTTPSamplerProxy testname="checkout">
                <stringProp name="HTTPSampler.domain">${__P(host,localhost)}</stringProp>
                <stringProp name="HTTPSampler.path">/api/checkout</stringProp>
                <stringProp name="HTTPSampler.method">POST</stringProp>
              </HTTPSamplerProxy>
              <ResponseAssertion testname="200"/>
              <UniformRandomTimer testname="think"/>
              <CSVDataSet testname="users"/>
            </hashTree>
          </hashTree>
        </jmeterTestPlan>
        """,
    )
    t = _tests(tmp_path)["jmeter/plan.jmx"]
    assert t.tool == "jmeter" and _reqs(t) == {("POST", "/api/checkout")}
    assert _check(t, "load.ramp-up") is True and _check(t, "load.checks") is True
    assert _check(t, "load.think-time") is True and _check(t, "load.test-data") is True
    assert _check(t, "load.thresholds") is False and _check(t, "load.env-config") is True


@pytest.mark.parametrize(
    "name,text",
    [
        (
            "BasicSimulation.scala",
            """
        import io.gatling.core.Predef._
        import io.gatling.http.Predef._
        class BasicSimulation extends Simulation {
          val httpProtocol = http.baseUrl(System.getenv("TARGET"))
          val scn = scenario("browse").exec(http("list").get("/api/events").check(status.is(200))).pause(2)
            .exec(http("one").get("/api/events/#{id}"))
          setUp(scn.inject(rampUsersPerSec(1).to(50).during(120))).protocols(httpProtocol)
            .assertions(global.responseTime.percentile(95).lt(800))
        }
        """,
        ),
        (
            "BasicSimulation.java",
            """
        import static io.gatling.javaapi.core.CoreDsl.*;
        import io.gatling.javaapi.core.*;
        public class BasicSimulation extends Simulation {
          HttpProtocolBuilder p = http.baseUrl(System.getProperty("target"));
          ScenarioBuilder scn = scenario("browse").exec(http("list").get("/api/events").check(status().is(200))).pause(2)
            .exec(http("one").get("/api/events/#{id}"));
          { setUp(scn.injectOpen(rampUsersPerSec(1).to(50).during(120))).assertions(global().responseTime().percentile(95.0).lt(800)); }
        }
        """,
        ),
        (
            "BasicSimulation.kt",
            """
        import io.gatling.javaapi.core.CoreDsl.*
        class BasicSimulation : Simulation() {
          val p = http.baseUrl(System.getenv("TARGET"))
          val scn = scenario("browse").exec(http("list").get("/api/events").check(status().shouldBe(200))).pause(2)
            .exec(http("one").get("/api/events/#{id}"))
          init { setUp(scn.injectOpen(rampUsersPerSec(1.0).to(50.0).during(120))).assertions(global().responseTime().percentile(95.0).lt(800)) }
        }
        """,
        ),
    ],
)
def test_gatling(write: Callable[[str, str], Path], tmp_path: Path, name: str, text: str) -> None:
    write(f"perf/src/{name}", text)
    t = _tests(tmp_path)[f"perf/src/{name}"]
    assert t.tool == "gatling"
    assert _reqs(t) == {("GET", "/api/events"), ("GET", "/api/events/{}")}
    _assert_passing(
        t,
        "load.env-config",
        "load.ramp-up",
        "load.thresholds",
        "load.percentiles",
        "load.checks",
        "load.think-time",
        "load.open-model",
    )


def test_stepped_ramp_in_a_loop(write: Callable[[str, str], Path], tmp_path: Path) -> None:
    write(
        "bench/ramp.sh",
        """
        for c in 10 50 100 20; do
          hey -z 30s -c $c "$TARGET/api/events"
        done
        """,
    )
    t = _tests(tmp_path)["bench/ramp.sh"]
    assert _check(t, "load.ramp-up") is True and _check(t, "load.ramp-down") is True
