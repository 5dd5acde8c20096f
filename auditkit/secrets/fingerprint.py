"""Fingerprints and redaction: the only forms in which a secret leaves the engine.

A fingerprint is an HMAC-SHA256 of the secret value alone, keyed per
repository, so that

* one password in three files is one fingerprint ("reused in 3 files");
* a baseline keyed on it survives unrelated edits (no line numbers);
* a leaked report cannot be brute-forced back to a weak password without the
  key. The key is, in order: the environment variable named by
  ``[secrets] fingerprint_key_env`` (default ``AUDITKIT_FINGERPRINT_KEY``),
  else derived from the repository's root commit (the same in every clone, so
  a committed baseline works in CI), else a fixed key for non-git folders.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
from pathlib import Path

__all__ = ["FingerprintKey", "redact"]

_PREFIX = "ak1:"


class FingerprintKey:
    """A per-repository key that turns secret values into stable fingerprints."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def for_repository(cls, root: Path, env_var: str = "AUDITKIT_FINGERPRINT_KEY") -> FingerprintKey:
        """Derive the key for the repository containing ``root`` (see the module docstring)."""
        from_env = os.environ.get(env_var)
        if from_env:
            return cls(hashlib.sha256(b"auditkit-env:" + from_env.encode()).digest())
        root_commit = _root_commit(root)
        if root_commit:
            return cls(hashlib.sha256(b"auditkit-repo:" + root_commit.encode()).digest())
        return cls(hashlib.sha256(b"auditkit-no-repository").digest())

    def fingerprint(self, value: str) -> str:
        """``ak1:`` + 32 hex digits of HMAC-SHA256(key, value)."""
        digest = hmac.new(self._key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return _PREFIX + digest[:32]

    def __getstate__(self) -> bytes:
        return self._key

    def __setstate__(self, state: bytes) -> None:
        self._key = state

    def __repr__(self) -> str:
        return "FingerprintKey(<hidden>)"


def _root_commit(root: Path) -> str | None:
    folder = root if root.is_dir() else root.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "rev-list", "--max-parents=0", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    roots = sorted(line for line in out.stdout.split() if line)
    return roots[0] if out.returncode == 0 and roots else None


def redact(value: str) -> str:
    """A display form that never contains the secret.

    Long values keep a short prefix (enough to tell ``sk_live_`` from
    ``AKIA``), short ones keep nothing; the rest is a fixed-width mask, so
    even the length of a short password is not revealed.
    """
    value = value.strip()
    if "\n" in value:  # PEM blocks and other multi-line secrets: show their first line's head only
        head = value.splitlines()[0]
        return (head[:31] + "…") if len(head) > 32 else head
    n = len(value)
    keep = 0 if n < 12 else min(4, n // 6)
    return value[:keep] + "*" * 8
