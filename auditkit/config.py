"""Configuration: ``[tool.auditkit]`` in ``pyproject.toml`` or a ``.auditkit.toml``.

:func:`load_config` finds and validates the file and returns a frozen
:class:`Config`. Every error names the file and the key, for example::

    .auditkit.toml: [secrets] max_file_size: expected an integer, got 'big'

Discovery, when no file is given: starting at the scanned directory and walking
up to the root of its git work tree (never beyond), the first ``.auditkit.toml``
wins, then the first ``pyproject.toml`` that has a ``[tool.auditkit]`` table.
In ``.auditkit.toml`` the tables sit at the top (``[secrets]``); a
``[tool.auditkit]`` table there is accepted too.

Relative paths in a config file (rule files, baselines, allowlist globs) are
relative to the directory holding that file: :attr:`Config.base_dir`.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditkit.errors import ConfigError

__all__ = [
    "Config",
    "CoverageConfig",
    "ProbesConfig",
    "ScanConfig",
    "SecretsConfig",
    "find_config_file",
    "load_config",
]

DEFAULT_SERVICE_ROOTS = ("backend/services/*", "services/*", "apps/*", "packages/*")
DEFAULT_CRITICAL = ("gateway", "auth", "payment", "order", "checkout", "ticket")


@dataclass(frozen=True)
class SecretsConfig:
    """``[secrets]``: what the secret scanner reads and what it accepts."""

    rules: tuple[Path, ...] = ()
    """Extra rule files or folders, loaded after the packaged rules."""
    disable_rules: tuple[str, ...] = ()
    """Rule ids to switch off."""
    allow_paths: tuple[str, ...] = ()
    """Globs (``fnmatch``, relative to the config file's folder); matching files are not reported."""
    max_file_size: int = 5 * 1024 * 1024
    """Files larger than this many bytes are skipped with a notice."""
    baseline: Path | None = None
    """Baseline of accepted findings (auditkit JSON or a detect-secrets ``.secrets.baseline``)."""
    fingerprint_key_env: str = "AUDITKIT_FINGERPRINT_KEY"
    """Environment variable that may hold the fingerprint key (else it is derived from the repository)."""
    jobs: int = 0
    """Worker processes for large trees; 0 means one per CPU."""


@dataclass(frozen=True)
class CoverageConfig:
    """``[coverage]``: how services and load tests are found in a monorepo."""

    service_roots: tuple[str, ...] = DEFAULT_SERVICE_ROOTS
    """Globs whose matching folders are candidate services."""
    services: tuple[str, ...] = ()
    """Explicit service folders; when set, discovery through ``service_roots`` is off."""
    exclude: tuple[str, ...] = ()
    """Globs of folders that are never services nor scanned for load tests."""
    critical: tuple[str, ...] = DEFAULT_CRITICAL
    """A service whose name contains one of these words is critical."""
    rename: Mapping[str, str] = field(default_factory=dict)
    """Folder path -> display name."""
    test_map: Mapping[str, str] = field(default_factory=dict)
    """Glob of load-test paths -> service name, for tests that live outside their service."""
    standard_tool: str = "k6"
    """The load-test tool the platform should standardise on."""
    checks_file: str | None = None
    """A checks file replacing the packaged ``loadchecks/checks.toml`` (relative to the config file's folder)."""
    disable_checks: tuple[str, ...] = ()
    """Quality check ids to switch off."""
    max_file_size: int = 2 * 1024 * 1024
    """Source files larger than this many bytes are skipped with a notice."""


@dataclass(frozen=True)
class ProbesConfig:
    """``[probes]``: safety caps and allowed targets of the load probes."""

    allow_hosts: tuple[str, ...] = ()
    """Non-loopback hosts the user explicitly allows as probe targets."""
    max_rate: float = 2000.0
    """Cap on the requested arrival rate (requests or transactions per second)."""
    max_duration: float = 600.0
    """Cap on a probe's duration in seconds."""
    max_vus: int = 1000
    """Cap on virtual users or database clients."""
    breaker_error_rate: float = 0.5
    """The circuit breaker trips when the error rate over one window exceeds this fraction."""
    breaker_window: float = 5.0
    """Length of the circuit breaker's window in seconds."""


@dataclass(frozen=True)
class ScanConfig:
    """``[scan]``: the scored audit and its history."""

    fail_under: float | None = None
    """Exit 1 when the overall score is below this."""
    reports: tuple[str, ...] = ()
    """Report formats written by default (html, md, json, sarif, junit)."""
    out: Path | None = None
    """Folder the reports go to."""
    history: bool = True
    """Scan git history for secrets too."""
    history_store: str | None = None
    """SQLite path or ``postgresql://`` URL of the run history (``AUDITKIT_HISTORY_URL`` overrides)."""
    probes: tuple[str, ...] = ()
    """Probe profiles run by every scan."""
    allow_unmeasured: bool = False
    """Let ``fail_under`` judge the measured areas alone even when most of the weight was not measured."""


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    base_dir: Path
    """Folder relative paths and globs are resolved against."""
    source: Path | None = None
    """The file this came from, or ``None`` for built-in defaults."""
    secrets: SecretsConfig = field(default_factory=SecretsConfig)
    coverage: CoverageConfig = field(default_factory=CoverageConfig)
    probes: ProbesConfig = field(default_factory=ProbesConfig)
    scan: ScanConfig = field(default_factory=ScanConfig)
    digest: str = ""
    """sha256 of the effective configuration (for the run history: compare like with like)."""

    @classmethod
    def default(cls, base_dir: Path) -> Config:
        """The configuration used when no file is found."""
        return cls(base_dir=base_dir, digest=_digest({}))


# --------------------------------------------------------------------------- discovery


def find_config_file(start: Path) -> Path | None:
    """Return the config file that applies to ``start``, or ``None``.

    Walks from ``start`` up to the top of its git work tree (or only ``start``
    itself outside git): ``.auditkit.toml`` first, then a ``pyproject.toml``
    holding ``[tool.auditkit]``. A ``pyproject.toml`` that cannot be read or
    parsed raises :class:`~auditkit.errors.ConfigError` (it may be the config).
    """
    start = start.resolve()
    if start.is_file():
        start = start.parent
    for folder in _folders_up_to_worktree_top(start):
        dotfile = folder / ".auditkit.toml"
        if dotfile.is_file():
            return dotfile
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_auditkit(pyproject):
            return pyproject
    return None


def _folders_up_to_worktree_top(start: Path) -> list[Path]:
    chain = [start, *start.parents]
    for i, folder in enumerate(chain):
        if (folder / ".git").exists():
            return chain[: i + 1]
    return [start]


def _has_tool_auditkit(pyproject: Path) -> bool:
    """Whether ``pyproject`` holds ``[tool.auditkit]``.

    A file that cannot be read or parsed is an error, not a "no": it may hold
    the project's settings, and scanning with the defaults instead would
    silently drop them (allowlists, thresholds, rules).
    """
    data = _read_toml(pyproject, hint="; fix it, or pass --config to use another file")
    tool = data.get("tool")
    return isinstance(tool, dict) and "auditkit" in tool


def _read_toml(path: Path, hint: str = "") -> dict[str, Any]:
    """Parse a config file; :class:`ConfigError` naming the file when it is missing, unreadable or not TOML."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.__class__.__name__}){hint}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}{hint}") from None


def load_config(start: Path, explicit: Path | None = None) -> Config:
    """Load the configuration for a scan of ``start``.

    ``explicit`` (from ``--config``) must exist and parse; otherwise the file is
    discovered with :func:`find_config_file`, and built-in defaults apply when
    there is none. Raises :class:`~auditkit.errors.ConfigError`.
    """
    path = explicit if explicit is not None else find_config_file(start)
    if path is None:
        base = start.resolve()
        return Config.default(base.parent if base.is_file() else base)
    path = Path(path)
    data = _read_toml(path)
    table = _auditkit_table(path, data)
    return parse_config(table, path)


def _auditkit_table(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    tool = data.get("tool")
    if isinstance(tool, dict) and "auditkit" in tool:
        table = tool["auditkit"]
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.auditkit] must be a table")
        return table
    if path.name == "pyproject.toml":
        return {}
    return {k: v for k, v in data.items() if k != "tool"}


def parse_config(table: Mapping[str, Any], path: Path) -> Config:
    """Validate an already-parsed ``[tool.auditkit]`` table that came from ``path``."""
    base = path.resolve().parent
    root = _Table(table, path, "")
    root.reject_unknown({"secrets", "coverage", "probes", "scan"})
    return Config(
        base_dir=base,
        source=path,
        secrets=_parse_secrets(root.table("secrets"), base),
        coverage=_parse_coverage(root.table("coverage")),
        probes=_parse_probes(root.table("probes")),
        scan=_parse_scan(root.table("scan"), base),
        digest=_digest(table),
    )


def _parse_secrets(t: _Table, base: Path) -> SecretsConfig:
    d = SecretsConfig()
    t.reject_unknown(set(SecretsConfig.__dataclass_fields__))
    baseline = t.string("baseline", None)
    return SecretsConfig(
        rules=tuple(base / p for p in t.strings("rules", ())),
        disable_rules=t.strings("disable_rules", d.disable_rules),
        allow_paths=t.strings("allow_paths", d.allow_paths),
        max_file_size=t.integer("max_file_size", d.max_file_size, minimum=1),
        baseline=(base / baseline) if baseline else None,
        fingerprint_key_env=t.string("fingerprint_key_env", d.fingerprint_key_env) or d.fingerprint_key_env,
        jobs=t.integer("jobs", d.jobs, minimum=0),
    )


def _parse_coverage(t: _Table) -> CoverageConfig:
    d = CoverageConfig()
    t.reject_unknown(set(CoverageConfig.__dataclass_fields__))
    return CoverageConfig(
        service_roots=t.strings("service_roots", d.service_roots),
        services=t.strings("services", d.services),
        exclude=t.strings("exclude", d.exclude),
        critical=t.strings("critical", d.critical),
        rename=t.string_map("rename"),
        test_map=t.string_map("test_map"),
        standard_tool=t.string("standard_tool", d.standard_tool) or d.standard_tool,
        checks_file=t.string("checks_file", None),
        disable_checks=t.strings("disable_checks", d.disable_checks),
        max_file_size=t.integer("max_file_size", d.max_file_size, minimum=1),
    )


def _parse_probes(t: _Table) -> ProbesConfig:
    d = ProbesConfig()
    t.reject_unknown(set(ProbesConfig.__dataclass_fields__))
    return ProbesConfig(
        allow_hosts=t.strings("allow_hosts", d.allow_hosts),
        max_rate=t.number("max_rate", d.max_rate, minimum=0.0),
        max_duration=t.number("max_duration", d.max_duration, minimum=0.0),
        max_vus=t.integer("max_vus", d.max_vus, minimum=1),
        breaker_error_rate=t.number("breaker_error_rate", d.breaker_error_rate, minimum=0.0, maximum=1.0),
        breaker_window=t.number("breaker_window", d.breaker_window, minimum=0.1),
    )


def _parse_scan(t: _Table, base: Path) -> ScanConfig:
    d = ScanConfig()
    t.reject_unknown(set(ScanConfig.__dataclass_fields__))
    fail_under = t.number("fail_under", None, minimum=0.0, maximum=10.0)
    out = t.string("out", None)
    return ScanConfig(
        fail_under=fail_under,
        reports=t.strings("reports", d.reports),
        out=(base / out) if out else None,
        history=t.boolean("history", d.history),
        history_store=t.string("history_store", None),
        probes=t.strings("probes", d.probes),
        allow_unmeasured=t.boolean("allow_unmeasured", d.allow_unmeasured),
    )


def _digest(table: Mapping[str, Any]) -> str:
    blob = json.dumps(table, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


class _Table:
    """A typed reader over one TOML table whose errors name file, table and key."""

    def __init__(self, data: Mapping[str, Any], path: Path, name: str) -> None:
        self._data = data
        self._path = path
        self._name = name

    def _where(self, key: str) -> str:
        table = f"[{self._name}] " if self._name else ""
        return f"{self._path}: {table}{key}"

    def _fail(self, key: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{self._where(key)}: expected {expected}, got {value!r}")

    def reject_unknown(self, allowed: set[str]) -> None:
        """Fail on keys this table does not know (typos should not pass silently)."""
        for key in self._data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise ConfigError(f"{self._where(key)}: unknown key (known keys: {known})")

    def table(self, key: str) -> _Table:
        """A sub-table, empty when absent."""
        value = self._data.get(key, {})
        if not isinstance(value, dict):
            raise self._fail(key, "a table", value)
        return _Table(value, self._path, f"{self._name}.{key}" if self._name else key)

    def string(self, key: str, default: str | None) -> str | None:
        """A string value."""
        value = self._data.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self._fail(key, "a string", value)
        return value

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """A list of strings."""
        value = self._data.get(key)
        if value is None:
            return tuple(default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings", value)
        return tuple(value)

    def string_map(self, key: str) -> dict[str, str]:
        """A table of string -> string."""
        value = self._data.get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._fail(key, "a table of strings", value)
        return dict(value)

    def integer(self, key: str, default: int, minimum: int | None = None) -> int:
        """An integer value, at least ``minimum``."""
        value = self._data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, "an integer", value)
        if minimum is not None and value < minimum:
            raise self._fail(key, f"an integer >= {minimum}", value)
        return value

    def number(self, key: str, default: Any, minimum: float | None = None, maximum: float | None = None) -> Any:
        """A float or integer value within bounds."""
        value = self._data.get(key, default)
        if value is None:
            return None
        # NaN compares false with every bound, so it would slip through the range checks below.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise self._fail(key, "a number", value)
        if minimum is not None and value < minimum:
            raise self._fail(key, f"a number >= {minimum}", value)
        if maximum is not None and value > maximum:
            raise self._fail(key, f"a number <= {maximum}", value)
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean value."""
        value = self._data.get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false", value)
        return value
