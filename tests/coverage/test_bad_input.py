"""Bad input: notices, never tracebacks; the analysis goes on where it can."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from auditkit.config import Config, CoverageConfig
from auditkit.coverage import analyze
from auditkit.coverage.quality import load_checks
from auditkit.errors import CoverageError, DataFileError
from tests.coverage.conftest import default_config

Write = Callable[[str, str], Path]


def test_unparsable_files_become_notices(write: Write, tmp_path: Path) -> None:
    write("services/a/package.json", '{"scripts": {"start": "node ."}')  # truncated JSON
    write(
        "services/a/tests/load/broken.js",
        "import http from 'k6/http';\nexport const options = { stages: [\nhttp.get(`${__ENV.B}/x`);\n",
    )
    write("services/a/tests/load/bad.yml", "config:\n  phases: [\n scenarios: {flow\n")
    write("services/a/plan.jmx", "<jmeterTestPlan><hashTree></jmeterTestPlan>")
    write("services/a/bomb.jmx", '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<a>&lol;</a>')
    write("services/a/locustfile.py", "from locust import HttpUser\nclass U(HttpUser:\n")
    write("services/a/src/routes.js", "router.get('/ok', (q, s) => s.end());\nrouter.post('/x', (\n")
    r = analyze(tmp_path, default_config(tmp_path), secret_finder=None)
    notices = "\n".join(r.notices)
    assert "broken.js: syntax error" in notices
    assert "bad.yml: not valid YAML" in notices
    assert "plan.jmx: not valid XML" in notices
    assert "bomb.jmx: XML with a DOCTYPE" in notices
    assert "locustfile.py: Python syntax error" in notices
    # What could be read still counts: the k6 request, the route before the syntax error.
    svc = r.services[0]
    assert [t.tool for t in svc.load_tests] == ["k6"]
    assert ("GET", "/ok") in {(e.method, e.path) for e in svc.endpoints}


def test_binary_and_huge_files_skipped(write: Write, tmp_path: Path) -> None:
    write("services/a/Dockerfile", "FROM x\n")
    (tmp_path / "services/a/blob.js").write_bytes(b"\x00\x01k6/http" * 100)
    (tmp_path / "services/a/huge.js").write_bytes(b"// " + b"x" * 5000 + b"\nimport http from 'k6/http';\n")
    cfg = Config(base_dir=tmp_path, coverage=CoverageConfig(max_file_size=1000))
    r = analyze(tmp_path, cfg, secret_finder=None)
    notices = "\n".join(r.notices)
    assert "blob.js: binary content" in notices
    assert "huge.js: larger than 1000 bytes" in notices
    assert r.summary.services_total == 1 and not r.load_tests


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_ends(write: Write, tmp_path: Path) -> None:
    write("services/a/Dockerfile", "FROM x\n")
    os.symlink(tmp_path / "services", tmp_path / "services/a/loop")
    os.symlink(tmp_path / "nowhere", tmp_path / "services/a/dangling.js")
    r = analyze(tmp_path, default_config(tmp_path), secret_finder=None)
    assert any("symlink loop" in n for n in r.notices)
    assert r.summary.services_total == 1


def test_missing_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CoverageError, match="no such folder"):
        analyze(tmp_path / "nope", default_config(tmp_path))
    (tmp_path / "f").write_text("x")
    with pytest.raises(CoverageError, match="not a folder"):
        analyze(tmp_path / "f", default_config(tmp_path))


@pytest.mark.parametrize(
    "text,message",
    [
        ('[[check]]\nid = "x"\nfact = "nope"\n', "check 'x': fact: unknown fact 'nope'"),
        (
            '[[check]]\nid = "x"\nfact = "checks"\ntitle = "t"\ndescription = "d"\nweight = "heavy"\n',
            "check 'x': weight: expected a number",
        ),
        (
            '[[check]]\nid = "x"\nfact = "checks"\ntitle = "t"\ndescription = "d"\nweight = 1\nseverity = "awful"\n'
            'remediation = "r"\n',
            "check 'x': severity: unknown severity",
        ),
        (
            '[[check]]\nid = "x"\nfact = "checks"\ntitle = "t"\ndescription = "d"\nweight = 1\nseverity = "low"\n'
            'remediation = ""\n',
            "check 'x': remediation: expected a non-empty string",
        ),
        ('[[check]]\nid = "x"\nfact = "checks"\nwieght = 1\n', "check #1: wieght: unknown field"),
        ("not toml = = ", "not valid TOML"),
    ],
)
def test_checks_file_errors_name_file_check_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "checks.toml"
    path.write_text(text)
    with pytest.raises(DataFileError) as err:
        load_checks(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_packaged_checks_are_valid_and_tunable(tmp_path: Path) -> None:
    packaged = load_checks()
    assert all(c.remediation and c.weight > 0 for c in packaged.checks)
    fewer = load_checks(disabled=("load.thresholds",))
    assert "load.thresholds" not in {c.id for c in fewer.checks}


def test_yaml_alias_bombs_stay_cheap(write: Write, tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = "\n".join(levels)
    write(".github/workflows/bomb.yml", bomb + "\njobs:\n  x:\n    steps:\n      - run: ab -n 1 http://h/x\n")
    write(
        "load/bomb.yml",
        "config:\n  phases: [{duration: 1, arrivalRate: 1}]\n  plugins:\n    "
        + bomb.replace("\n", "\n    ")
        + "\n  ensure: *a8\nscenarios:\n  - flow:\n      - get: {url: /x}\n",
    )
    r = analyze(tmp_path, default_config(tmp_path), secret_finder=None)
    assert {t.tool for t in r.load_tests} == {"ab", "artillery"}


def test_checks_file_of_an_unknown_version_is_refused(tmp_path: Path) -> None:
    from auditkit.resources import data_dir

    text = (data_dir("loadchecks") / "checks.toml").read_text()
    future = tmp_path / "checks.toml"
    future.write_text(text.replace("version = 1", "version = 99", 1))
    with pytest.raises(DataFileError, match=r"version: 99 is not supported"):
        load_checks(future)
