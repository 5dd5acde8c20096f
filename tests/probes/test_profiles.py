"""Profiles: the shipped examples load, errors name file and field, literal credentials are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.errors import CredentialError, DataFileError
from auditkit.probes.profiles import list_profiles, load_profile, looks_like_credential
from auditkit.probes.settings import EnvRef


def test_shipped_profiles_load() -> None:
    names = {p.stem for p in list_profiles()}
    assert {"smoke", "baseline", "spike", "soak"} <= names
    for name in names:
        profile = load_profile(name)
        assert profile.http is not None and profile.db is not None
        assert profile.http.thresholds, name
        assert profile.http.scenarios, name


def test_baseline_takes_its_token_from_the_environment() -> None:
    profile = load_profile("baseline")
    assert profile.http is not None
    headers = [h for s in profile.http.scenarios for step in s.steps for h in step.headers]
    assert ("Authorization", EnvRef("API_TOKEN", "Bearer ")) in headers


def _write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_literal_authorization_header_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[scenarios]]
name = "s"
[[scenarios.steps]]
path = "/x"
headers = { Authorization = "Bearer abc" }
""",
    )
    with pytest.raises(CredentialError) as info:
        load_profile(path)
    message = str(info.value)
    assert str(path) in message and "scenarios[0].steps[0].headers.Authorization" in message
    assert "abc" not in message


@pytest.mark.parametrize(
    "snippet",
    [
        'json = { password = "TestPassword123!" }',
        'path = "/x?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"',
        'body = "Bearer sk_live_51HxxxxxxxxxxxxYYYY"',
        'headers = { X-Api-Key = "k-12345" }',
    ],
)
def test_other_literal_credentials_are_refused(tmp_path: Path, snippet: str) -> None:
    path = _write(
        tmp_path,
        f"""
[[scenarios]]
name = "s"
[[scenarios.steps]]
method = "POST"
{snippet}
""",
    )
    with pytest.raises(CredentialError, match="scenarios\\[0\\].steps\\[0\\]"):
        load_profile(path)


@pytest.mark.parametrize(
    "param", ["api_key", "apikey", "token", "access_token", "password", "key", "secret", "signature", "X-Amz-Signature"]
)
def test_a_credential_in_a_step_path_query_is_refused(tmp_path: Path, param: str) -> None:
    value = "PlantProfQ_Pz4abc"  # not token-shaped: only its parameter name gives it away
    path = _write(tmp_path, f'[[scenarios]]\nname = "s"\n[[scenarios.steps]]\npath = "/x?page=2&{param}={value}"\n')
    with pytest.raises(CredentialError) as info:
        load_profile(path)
    message = str(info.value)
    assert str(path) in message and "scenarios[0].steps[0].path" in message and repr(param) in message
    assert value not in message


@pytest.mark.parametrize(
    ("target", "place"),
    [
        ("http://127.0.0.1:3000/?access_token=PlantTargetQ_Tq8xyz", "access_token"),
        ("http://svc:PlantUserinfo_Ui5@127.0.0.1:3000/", "userinfo"),
        ("http://svc:Plant/Slash@Ui6@127.0.0.1:3000/", "userinfo"),
    ],
)
def test_a_credential_in_the_target_url_is_refused(tmp_path: Path, target: str, place: str) -> None:
    path = _write(tmp_path, f'target = "{target}"\n[[scenarios]]\nname = "s"\n[[scenarios.steps]]\npath = "/"\n')
    with pytest.raises(CredentialError) as info:
        load_profile(path)
    message = str(info.value)
    assert f"{path}: target:" in message and place in message
    assert "Plant" not in message


def test_ordinary_queries_and_placeholders_in_paths_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "keys.csv").write_text("token\nabc\n")
    path = _write(
        tmp_path,
        'target = "http://127.0.0.1:3000/api?v=2"\n[[scenarios]]\nname = "s"\ndata = "keys.csv"\n'
        '[[scenarios.steps]]\npath = "/search?q=concert&sort_key=date&token={{token}}&key="\n',
    )
    profile = load_profile(path)
    assert profile.http is not None
    assert profile.http.scenarios[0].steps[0].path.startswith("/search?q=concert")


def test_placeholders_and_env_refs_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("email,password\na@example.com,x\n")
    path = _write(
        tmp_path,
        """
target = "http://127.0.0.1:3000"
[load]
model = "open"
rate = 5
[[scenarios]]
name = "login"
data = "users.csv"
[[scenarios.steps]]
method = "POST"
path = "/login"
json = { email = "{{email}}", password = "{{password}}", client_secret = { env = "CLIENT_SECRET" } }
think = ["1s", "2s"]
checks = { status = [200, 201], body_contains = "token" }
""",
    )
    profile = load_profile(path)
    assert profile.http is not None and profile.db is None
    step = profile.http.scenarios[0].steps[0]
    assert step.json["client_secret"] == EnvRef("CLIENT_SECRET")
    assert step.think == (1.0, 2.0)
    assert [c.name for c in step.checks] == [
        "POST /login: status in [200, 201]",
        "POST /login: body contains 'token'",
    ]
    assert profile.http.scenarios[0].data == (tmp_path / "users.csv").resolve()


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[load]\nmodel = "fast"\n', "load.model"),
        ('[load]\nvus = "ten"\n', "load.vus"),
        ('[load]\nduration = "forever"\n', "load.duration"),
        ('[load]\nthresholds = ["p95<1"]\n', "load.thresholds[0]"),
        ("[load]\nspeed = 1\n", "load.speed"),
        ('[[scenarios]]\nname = "s"\nsteps = []\n', "scenarios[0].steps"),
        ('[[scenarios]]\n[[scenarios.steps]]\nmethod = "FETCH"\n', "scenarios[0].steps[0].method"),
        ('[[scenarios]]\ndata = "missing.csv"\n[[scenarios.steps]]\n', "scenarios[0].data"),
        ('[db]\nworkload = "delete"\n', "db.workload"),
        ("[db]\nclients = 0\n", "db.clients"),
    ],
)
def test_errors_name_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(DataFileError) as info:
        load_profile(path)
    assert str(path) in str(info.value) and field in str(info.value)


def test_db_password_in_a_profile_is_refused(tmp_path: Path) -> None:
    for text in ('[db]\npassword = "x"\n', '[db]\ndsn = "postgresql://u:pw@localhost/db"\n'):
        with pytest.raises(CredentialError, match="PGPASSWORD"):
            load_profile(_write(tmp_path, text))


def test_yaml_profile(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name: yaml-smoke
load: {vus: 2, duration: 5s, thresholds: ["p(95)<100"]}
scenarios:
  - name: s
    steps:
      - {path: /health, checks: {status: 200}}
db: {workload: read, clients: 2}
""",
        "p.yaml",
    )
    profile = load_profile(path)
    assert profile.name == "yaml-smoke"
    assert profile.http is not None and profile.http.vus == 2 and profile.http.duration == 5.0
    assert profile.db is not None and profile.db.clients == 2


def test_unknown_profile_name() -> None:
    with pytest.raises(DataFileError, match="shipped"):
        load_profile("no-such-profile")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer abcdefgh12345678", True),
        ("Bearer {{token}}", False),
        ("postgresql://u:pw@host/db", True),
        ("postgresql://u@host/db", False),
        ("/api/events/search?q=concert", False),
        ("AKIAIOSFODNN7EXAMPLE", True),
    ],
)
def test_credential_shapes(text: str, expected: bool) -> None:
    assert looks_like_credential(text) is expected


def test_yaml_profile_error_is_one_line_with_the_place(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nhttp:\n  target: [unclosed\n")
    with pytest.raises(DataFileError) as err:
        load_profile(str(bad))
    message = str(err.value)
    assert "\n" not in message and str(bad) in message and "line" in message
