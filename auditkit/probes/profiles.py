"""Probe profiles: TOML or YAML files describing load, scenarios and thresholds.

Shipped examples live in ``loadchecks/profiles/`` (smoke, baseline, spike,
soak); ``load_profile("smoke")`` finds them, any other argument is a path.
Every error names the file and the field (``profile.toml: scenarios[0].steps[1].method: ...``).

Credentials never live in a profile: a header such as ``Authorization`` or a
JSON field such as ``password`` must be ``{ env = "NAME" }`` (optionally with
``prefix = "Bearer "``), and a literal token-looking value anywhere is refused
with :class:`~auditkit.errors.CredentialError`. The PostgreSQL section takes no
password at all: the connection comes from ``DATABASE_URL`` or ``PG*`` variables.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.config import ProbesConfig
from auditkit.errors import CredentialError, DataFileError, ProbeError
from auditkit.probes.safety import url_credential
from auditkit.probes.settings import (
    WORKLOADS,
    Check,
    DbSettings,
    EnvRef,
    HttpSettings,
    Scenario,
    Stage,
    Step,
    Value,
    parse_duration,
)
from auditkit.probes.thresholds import parse_threshold
from auditkit.resources import data_dir

__all__ = ["Profile", "find_profile", "list_profiles", "load_profile", "looks_like_credential"]

PROFILE_SUFFIXES = (".toml", ".yaml", ".yml")
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_SENSITIVE_HEADER = re.compile(
    r"^(authorization|proxy-authorization|cookie|x-api-key|api-key|apikey|x-auth-token|x-access-token)$"
    r"|token|secret|password|passwd|api[-_]?key|session",
    re.IGNORECASE,
)
_SENSITIVE_FIELD = re.compile(
    r"pass(word|wd)?$|^pwd$|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|client[-_]?secret",
    re.IGNORECASE,
)
_PLACEHOLDER_ONLY = re.compile(r"^\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}$")
_CREDENTIAL_SHAPES = re.compile(
    r"\b(bearer|basic|token)\s+(?!\{\{)[A-Za-z0-9._~+/=-]{8,}"
    r"|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
    r"|\b(sk|pk|rk)_(live|test)_[A-Za-z0-9]{10,}"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}"
    r"|\bxox[abposr]-[A-Za-z0-9-]{10,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|://[^/\s:@]+:[^/\s@]+@",
    re.IGNORECASE,
)


def looks_like_credential(text: str) -> bool:
    """True when ``text`` has the shape of a literal credential (bearer token, JWT, API key, URL password)."""
    return bool(_CREDENTIAL_SHAPES.search(text))


@dataclass(frozen=True)
class Profile:
    """A validated profile: HTTP settings (if it has scenarios or a load section) and PostgreSQL settings."""

    name: str
    description: str
    path: Path
    http: HttpSettings | None
    db: DbSettings | None


def list_profiles() -> tuple[Path, ...]:
    """The profiles shipped in ``loadchecks/profiles/``."""
    folder = data_dir("loadchecks") / "profiles"
    if not folder.is_dir():
        return ()
    return tuple(sorted(p for p in folder.iterdir() if p.suffix in PROFILE_SUFFIXES))


def find_profile(name_or_path: str | Path) -> Path:
    """A path as given, or a shipped profile by name (``smoke``, ``baseline``, ``spike``, ``soak``)."""
    text = str(name_or_path)
    candidate = Path(text)
    if candidate.is_file():
        return candidate
    if "/" not in text and "\\" not in text and candidate.suffix not in PROFILE_SUFFIXES:
        for path in list_profiles():
            if path.stem == text:
                return path
        names = ", ".join(p.stem for p in list_profiles())
        raise DataFileError(f"no profile file {text!r} and no shipped profile of that name (shipped: {names})")
    raise DataFileError(f"{text}: profile file not found")


def load_profile(name_or_path: str | Path, config: ProbesConfig | None = None) -> Profile:
    """Load and validate a profile (a shipped name or a path); raises DataFileError or CredentialError."""
    path = find_profile(name_or_path)
    data = _read(path)
    return _Parser(path, config or ProbesConfig()).profile(data)


def _read(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: cannot read profile ({exc.__class__.__name__})") from None
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DataFileError(f"{path}: not valid YAML: {_one_line_yaml_error(exc)}") from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise DataFileError(f"{path}: not valid TOML: {exc}") from None
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: a profile must be a table/mapping at the top level")
    return data


class _Parser:
    """Validates one profile's data; every error names the file and the field path."""

    def __init__(self, path: Path, config: ProbesConfig) -> None:
        self.path = path
        self.config = config

    def fail(self, field: str, message: str) -> DataFileError:
        return DataFileError(f"{self.path}: {field}: {message}")

    def credential(self, field: str, hint: str) -> CredentialError:
        return CredentialError(
            f"{self.path}: {field}: a literal credential is not allowed in a profile (files end up in "
            f"version control and logs); {hint}"
        )

    def keys(self, table: Mapping[str, Any], field: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                where = f"{field}.{key}" if field else str(key)
                raise self.fail(where, f"unknown key (known: {', '.join(sorted(allowed))})")

    def table(self, data: Mapping[str, Any], key: str, field: str) -> Mapping[str, Any] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(field, "expected a table")
        return value

    def string(self, value: Any, field: str) -> str:
        if not isinstance(value, str):
            raise self.fail(field, f"expected a string, got {value!r}")
        return value

    def number(self, value: Any, field: str, minimum: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.fail(field, f"expected a number >= {minimum:g}, got {value!r}")
        return float(value)

    def integer(self, value: Any, field: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(field, f"expected an integer >= {minimum}, got {value!r}")
        return value

    def duration(self, value: Any, field: str) -> float:
        try:
            return parse_duration(value, "value")
        except ProbeError:
            raise self.fail(field, f"expected a duration like '30s', '2m' or seconds, got {value!r}") from None

    def thresholds(self, value: Any, field: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(field, "expected a list of threshold expressions such as ['p(95)<2000', 'rate<0.01']")
        for i, expr in enumerate(value):
            try:
                parse_threshold(expr)
            except ProbeError as exc:
                raise self.fail(f"{field}[{i}]", str(exc)) from None
        return tuple(value)

    def env_ref(self, value: Mapping[str, Any], field: str) -> EnvRef:
        self.keys(value, field, {"env", "prefix"})
        name = self.string(value.get("env"), f"{field}.env")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise self.fail(f"{field}.env", f"not an environment variable name: {name!r}")
        prefix = self.string(value.get("prefix", ""), f"{field}.prefix")
        if looks_like_credential(prefix):
            raise self.credential(f"{field}.prefix", "the prefix is text like 'Bearer ', the token is in the variable")
        return EnvRef(name, prefix)

    def literal(self, value: str, field: str) -> str:
        if looks_like_credential(value):
            raise self.credential(field, 'take it from the environment: { env = "NAME" }')
        return value

    def url(self, value: str, field: str) -> str:
        """A target URL or request path: no userinfo, no credential in the query."""
        where = url_credential(value)
        if where is not None:
            raise self.credential(
                field,
                f"{where} carries one; send it in a header from the environment "
                '(X-Api-Key = { env = "API_KEY" }) or fill it from the scenario\'s data file ({{column}})',
            )
        return self.literal(value, field)

    # ------------------------------------------------------------------ sections

    def profile(self, data: Mapping[str, Any]) -> Profile:
        self.keys(data, "", {"name", "description", "target", "load", "scenarios", "db"})
        name = self.string(data.get("name", self.path.stem), "name")
        description = self.string(data.get("description", ""), "description")
        http = None
        if "load" in data or "scenarios" in data or "target" in data:
            http = self.http(data)
        db = None
        db_table = self.table(data, "db", "db")
        if db_table is not None:
            db = self.db(db_table)
        if http is None and db is None:
            raise self.fail("", "a profile needs a [load]/[[scenarios]] section (HTTP) or a [db] section")
        return Profile(name, description, self.path, http, db)

    def http(self, data: Mapping[str, Any]) -> HttpSettings:
        target = ""
        if "target" in data:
            raw = data["target"]
            if isinstance(raw, dict):
                raise self.fail(
                    "target",
                    "write the URL here, or pass --target; "
                    'a target from the environment is passed as --target "$TARGET_URL"',
                )
            target = self.url(self.string(raw, "target"), "target")
        load = self.table(data, "load", "load") or {}
        self.keys(
            load,
            "load",
            {
                "model",
                "vus",
                "max_vus",
                "rate",
                "duration",
                "stages",
                "timeout",
                "thresholds",
                "workers",
                "late_tolerance",
            },
        )
        model = self.string(load.get("model", "closed"), "load.model")
        if model not in ("closed", "open"):
            raise self.fail("load.model", f"expected 'closed' or 'open', got {model!r}")
        stages = self.stages(load.get("stages"), "load.stages")
        rate = self.number(load["rate"], "load.rate") if "rate" in load else None
        if model == "open" and not rate and not stages:
            raise self.fail("load.rate", "the open model needs a rate or rate stages")
        scenarios = self.scenarios(data.get("scenarios"))
        return HttpSettings(
            target=target,
            scenarios=scenarios,
            model=model,
            vus=self.integer(load.get("vus", 10 if model == "open" else 1), "load.vus", 1),
            max_vus=self.integer(load["max_vus"], "load.max_vus", 1) if "max_vus" in load else None,
            rate=rate,
            duration=self.duration(load.get("duration", "10s"), "load.duration"),
            stages=stages,
            timeout=self.duration(load.get("timeout", "10s"), "load.timeout"),
            thresholds=self.thresholds(load.get("thresholds", []), "load.thresholds"),
            workers=self.integer(load.get("workers", 1), "load.workers", 0),
            late_tolerance=self.duration(load.get("late_tolerance", "5ms"), "load.late_tolerance"),
            config=self.config,
            source=str(self.path),
        )

    def stages(self, value: Any, field: str) -> tuple[Stage, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(field, 'expected a list of { duration = "30s", target = 10 }')
        out: list[Stage] = []
        for i, item in enumerate(value):
            where = f"{field}[{i}]"
            if not isinstance(item, dict):
                raise self.fail(where, "expected a table { duration, target }")
            self.keys(item, where, {"duration", "target"})
            if "duration" not in item or "target" not in item:
                raise self.fail(where, "needs both duration and target")
            out.append(
                Stage(
                    self.duration(item["duration"], f"{where}.duration"),
                    self.number(item["target"], f"{where}.target"),
                )
            )
        return tuple(out)

    def scenarios(self, value: Any) -> tuple[Scenario, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail("scenarios", "expected a list of scenarios ([[scenarios]])")
        out: list[Scenario] = []
        names: set[str] = set()
        for i, item in enumerate(value):
            where = f"scenarios[{i}]"
            if not isinstance(item, dict):
                raise self.fail(where, "expected a table")
            self.keys(item, where, {"name", "weight", "data", "steps"})
            name = self.string(item.get("name", f"scenario{i + 1}"), f"{where}.name")
            if name in names:
                raise self.fail(f"{where}.name", f"duplicate scenario name {name!r}")
            names.add(name)
            weight = self.number(item.get("weight", 1), f"{where}.weight")
            if weight <= 0:
                raise self.fail(f"{where}.weight", "must be greater than 0")
            data_path = None
            if "data" in item:
                data_path = (self.path.parent / self.string(item["data"], f"{where}.data")).resolve()
                if not data_path.is_file():
                    raise self.fail(f"{where}.data", f"data file {data_path} not found")
            steps_raw = item.get("steps")
            if not isinstance(steps_raw, list) or not steps_raw:
                raise self.fail(f"{where}.steps", "expected at least one step ([[scenarios.steps]])")
            steps = tuple(self.step(s, f"{where}.steps[{j}]", j) for j, s in enumerate(steps_raw))
            out.append(Scenario(name, steps, weight, data_path))
        return tuple(out)

    def step(self, item: Any, where: str, index: int) -> Step:
        if not isinstance(item, dict):
            raise self.fail(where, "expected a table")
        self.keys(item, where, {"name", "method", "path", "headers", "json", "body", "think", "checks"})
        method = self.string(item.get("method", "GET"), f"{where}.method").upper()
        if method not in _METHODS:
            raise self.fail(f"{where}.method", f"expected one of {', '.join(sorted(_METHODS))}, got {method!r}")
        path = self.url(self.string(item.get("path", "/"), f"{where}.path"), f"{where}.path")
        if not path.startswith("/"):
            raise self.fail(f"{where}.path", "must start with / (it is appended to the target URL)")
        name = self.string(item.get("name", f"{method} {path}"), f"{where}.name")
        headers = self.headers(item.get("headers", {}), f"{where}.headers")
        if "json" in item and "body" in item:
            raise self.fail(where, "give either json or body, not both")
        body = self.literal(self.string(item["body"], f"{where}.body"), f"{where}.body") if "body" in item else None
        json_body = self.json_value(item["json"], f"{where}.json", "") if "json" in item else None
        think = self.think(item.get("think", 0), f"{where}.think")
        checks = self.checks(item.get("checks"), f"{where}.checks", name)
        return Step(name, method, path, headers, json_body, body, think, checks)

    def headers(self, value: Any, field: str) -> tuple[tuple[str, Value], ...]:
        if not isinstance(value, dict):
            raise self.fail(field, "expected a table of header name = value")
        out: list[tuple[str, Value]] = []
        for name, raw in value.items():
            where = f"{field}.{name}"
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name):
                raise self.fail(where, "not a valid header name")
            if isinstance(raw, dict):
                out.append((name, self.env_ref(raw, where)))
                continue
            text = self.string(raw, where)
            if "\r" in text or "\n" in text:
                raise self.fail(where, "header values cannot contain line breaks")
            if _SENSITIVE_HEADER.search(name) and not _PLACEHOLDER_ONLY.match(text):
                raise self.credential(
                    where,
                    f'use {name} = {{ env = "API_TOKEN", prefix = "Bearer " }} and export API_TOKEN before the run',
                )
            out.append((name, self.literal(text, where)))
        return tuple(out)

    def json_value(self, value: Any, field: str, key: str) -> Any:
        if isinstance(value, dict):
            if set(value) <= {"env", "prefix"} and "env" in value:
                return self.env_ref(value, field)
            return {k: self.json_value(v, f"{field}.{k}", str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json_value(v, f"{field}[{i}]", key) for i, v in enumerate(value)]
        if isinstance(value, str):
            if key and _SENSITIVE_FIELD.search(key) and not _PLACEHOLDER_ONLY.match(value):
                raise self.credential(
                    field,
                    f'use {key} = {{ env = "NAME" }} or a {{{{column}}}} from the scenario\'s data file',
                )
            return self.literal(value, field)
        return value

    def think(self, value: Any, field: str) -> tuple[float, float]:
        if isinstance(value, list):
            if len(value) != 2:
                raise self.fail(field, "expected a duration or [min, max]")
            low, high = (self.duration(v, f"{field}[{i}]") for i, v in enumerate(value))
            if high < low:
                raise self.fail(field, "max is smaller than min")
            return (low, high)
        seconds = self.duration(value, field)
        return (seconds, seconds)

    def checks(self, value: Any, field: str, step_name: str) -> tuple[Check, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            raise self.fail(field, "expected a table with status and/or body_contains")
        self.keys(value, field, {"status", "body_contains"})
        out: list[Check] = []
        if "status" in value:
            raw = value["status"]
            statuses = raw if isinstance(raw, list) else [raw]
            codes = tuple(self.integer(s, f"{field}.status", 100) for s in statuses)
            out.append(Check(f"{step_name}: status in {list(codes)}", statuses=codes))
        if "body_contains" in value:
            text = self.string(value["body_contains"], f"{field}.body_contains")
            out.append(Check(f"{step_name}: body contains {text!r}", body_contains=text))
        return tuple(out)

    def db(self, table: Mapping[str, Any]) -> DbSettings:
        for key in table:
            if str(key).lower() in {"password", "pgpassword", "passwd"}:
                raise CredentialError(
                    f"{self.path}: db.{key}: a database password is never read from a profile; set PGPASSWORD "
                    "or DATABASE_URL in the environment of the probe run"
                )
        self.keys(
            table,
            "db",
            {
                "workload",
                "clients",
                "duration",
                "rate",
                "query",
                "thresholds",
                "allow_writes",
                "dsn",
                "pool_cap",
                "timeout",
            },
        )
        workload = self.string(table.get("workload", "read"), "db.workload")
        if workload not in WORKLOADS:
            raise self.fail("db.workload", f"expected one of {', '.join(WORKLOADS)}, got {workload!r}")
        dsn = None
        if "dsn" in table:
            dsn = self.string(table["dsn"], "db.dsn")
            from auditkit.dsn import dsn_has_password

            if dsn_has_password(dsn):
                raise CredentialError(
                    f"{self.path}: db.dsn: the DSN carries a password; keep host and database here and put the "
                    "password in PGPASSWORD (or the whole URL in DATABASE_URL)"
                )
        allow_writes = table.get("allow_writes", False)
        if not isinstance(allow_writes, bool):
            raise self.fail("db.allow_writes", "expected true or false")
        query = self.string(table["query"], "db.query") if "query" in table else None
        return DbSettings(
            workload=workload,
            clients=self.integer(table.get("clients", 8), "db.clients", 1),
            duration=self.duration(table.get("duration", "10s"), "db.duration"),
            rate=(self.number(table["rate"], "db.rate") or None) if "rate" in table else None,
            query=query,
            allow_writes=allow_writes,
            thresholds=self.thresholds(table.get("thresholds", []), "db.thresholds"),
            dsn=dsn,
            pool_cap=self.integer(table["pool_cap"], "db.pool_cap", 1) if "pool_cap" in table else None,
            timeout=self.duration(table.get("timeout", "10s"), "db.timeout"),
            config=self.config,
            source=str(self.path),
        )


def _one_line_yaml_error(exc: Exception) -> str:
    """PyYAML's messages span several lines (with a source excerpt); keep the problem and where."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(problem).split())
