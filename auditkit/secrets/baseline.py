"""Baselines: findings a team has accepted, so only new ones fail.

auditkit's own format (``.auditkit-baseline.json``) is keyed on
``(path, rule, fingerprint)``: no line numbers and no timestamps, so it
survives unrelated edits and does not churn in code review::

    {"version": 1, "tool": "auditkit",
     "findings": [{"path": "ops/smoke.sh", "rule": "pgpassword", "fingerprint": "ak1:..."}]}

A detect-secrets ``.secrets.baseline`` is accepted as input too (teams
migrating keep their accepted secrets). Its entries are SHA-1 hashes of the
secret per file; detect-secrets' own loader reads it (and upgrades old
versions), and the engine compares hashes while it still holds the value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from auditkit.errors import BaselineError
from auditkit.findings import Finding

__all__ = ["BASELINE_FILENAME", "Baseline", "load_baseline", "write_baseline"]

BASELINE_FILENAME = ".auditkit-baseline.json"
_VERSION = 1


@dataclass(frozen=True)
class Baseline:
    """Accepted findings; paths are relative to :attr:`base_dir` (the baseline file's folder)."""

    base_dir: Path
    source: Path | None = None
    entries: frozenset[tuple[str, str, str]] = frozenset()
    """(path, rule id, fingerprint) from an auditkit baseline."""
    sha1_entries: frozenset[tuple[str, str]] = frozenset()
    """(path, sha1 hex of the secret) from a detect-secrets baseline."""
    kind: str = "auditkit"

    def relative(self, absolute: Path) -> str:
        """``absolute`` as a path relative to the baseline's folder, with ``/``."""
        return Path(os.path.relpath(absolute, self.base_dir)).as_posix()

    def accepts(self, relpath: str, rule_id: str, fingerprint: str) -> bool:
        """Whether an auditkit baseline entry covers this finding."""
        return (relpath, rule_id, fingerprint) in self.entries

    def accepts_sha1(self, relpath: str, sha1_hex: str) -> bool:
        """Whether a detect-secrets entry covers this secret in this file."""
        return (relpath, sha1_hex) in self.sha1_entries

    @property
    def needs_sha1(self) -> bool:
        """Only detect-secrets baselines need the (unsalted) SHA-1 of each secret computed."""
        return bool(self.sha1_entries)


def load_baseline(path: Path) -> Baseline:
    """Read an auditkit or detect-secrets baseline; raises :class:`BaselineError` naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read baseline ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from None
    base = path.resolve().parent
    if isinstance(data, dict) and "results" in data and "findings" not in data:
        return _load_detect_secrets(path, data, base)
    if not isinstance(data, dict) or data.get("tool") != "auditkit":
        raise BaselineError(f"{path}: not an auditkit or detect-secrets baseline")
    if data.get("version") != _VERSION:
        raise BaselineError(f"{path}: version: unsupported baseline version {data.get('version')!r}")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise BaselineError(f"{path}: findings: expected a list")
    entries = set()
    for i, item in enumerate(findings):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("path", "rule", "fingerprint")):
            raise BaselineError(f"{path}: findings[{i}]: expected path, rule and fingerprint strings")
        entries.add((item["path"], item["rule"], item["fingerprint"]))
    return Baseline(base, path, frozenset(entries))


def _load_detect_secrets(path: Path, data: dict[str, object], base: Path) -> Baseline:
    from detect_secrets.core import baseline as ds_baseline

    try:
        collection = ds_baseline.load(data, filename=str(path))
    except Exception as exc:  # detect-secrets raises assorted errors on malformed input
        raise BaselineError(f"{path}: not a valid detect-secrets baseline ({exc.__class__.__name__})") from None
    entries = {(Path(filename).as_posix(), secret.secret_hash) for filename, secret in collection}
    return Baseline(base, path, sha1_entries=frozenset(entries), kind="detect-secrets")


def write_baseline(path: Path, findings: Iterable[Finding], root: Path, keep: Baseline | None = None) -> int:
    """Write an auditkit baseline accepting ``findings`` (paths relative to ``root``) plus ``keep``'s entries
    whose files still exist. Returns the number of entries written."""
    base = path.resolve().parent
    entries: set[tuple[str, str, str]] = set()
    for finding in findings:
        if finding.location.commit:
            rel = finding.location.path  # history paths are repository-relative already
        else:
            rel = Path(os.path.relpath(root / finding.location.path, base)).as_posix()
        entries.add((rel, finding.rule_id, finding.fingerprint))
    if keep is not None and keep.kind == "auditkit":
        entries.update(e for e in keep.entries if (base / e[0]).exists())
    payload = {
        "version": _VERSION,
        "tool": "auditkit",
        "findings": [{"path": p, "rule": r, "fingerprint": f} for p, r, f in sorted(entries)],
    }
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write baseline ({exc.strerror or exc})") from None
    return len(entries)
