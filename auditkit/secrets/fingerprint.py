"""Fingerprints and redaction: the only forms in which a secret leaves the engine.

A fingerprint is an HMAC-SHA256 of the secret value alone, keyed per
repository, so that

* one password in three files is one fingerprint ("reused in 3 files");
* a baseline keyed on it survives unrelated edits (no line numbers);
* a leaked report cannot be brute-forced back to a weak password without the
  key. The key is, in order: the environment variable named by
  ``[secrets] fingerprint_key_env`` (default ``AUDITKIT_FINGERPRINT_KEY``),
  else derived from the repository's root commit (the same in every clone, so
  a committed baseline works in CI; the root tree id, which no report prints,
  is part of it), else a fixed key for non-git folders.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import subprocess
from pathlib import Path

__all__ = ["FingerprintKey", "normalize", "redact"]

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
        """``ak1:`` + 32 hex digits of HMAC-SHA256(key, normalized value)."""
        data = normalize(value).encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, data, hashlib.sha256).hexdigest()
        return _PREFIX + digest[:32]

    def __getstate__(self) -> bytes:
        return self._key

    def __setstate__(self, state: bytes) -> None:
        self._key = state

    def __repr__(self) -> str:
        return "FingerprintKey(<hidden>)"


def _root_commit(root: Path) -> str | None:
    """The oldest root commit of HEAD and its tree id, as one string.

    Reports print commit ids (a secret added in the first commit shows it as
    ``introduced.sha``), so the commit id alone would let a leaked report be
    brute-forced; the root tree id is printed nowhere.
    """
    folder = root if root.is_dir() else root.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(folder), "log", "--max-parents=0", "--format=%H:%T", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    roots = sorted(line for line in out.stdout.split() if line)
    return roots[0] if out.returncode == 0 and roots else None


_PEM_HEADER = re.compile(r"^-----BEGIN [A-Z0-9 _-]{0,60}-----")


def redact(value: str) -> str:
    """A display form that never contains the secret.

    At most 4 leading characters of a long value (enough to tell ``sk_live_``
    from ``AKIA``), none of a short one, then a fixed-width mask, so even the
    length of a short password is not revealed. Multi-line values (a YAML
    block, a pretty-printed key file) get the same treatment, counted on the
    whole value; a PEM block shows only its public ``-----BEGIN ...-----`` line.
    """
    value = value.strip()
    header = _PEM_HEADER.match(value)
    if header:
        return header.group(0) + "********"
    n = len(value)
    keep = 0 if n < 12 else min(4, n // 6)
    head = value[:keep]
    if any(ch.isspace() for ch in head):
        head = head.split()[0] if head.split() else ""
    return head + "*" * 8


def normalize(value: str) -> str:
    """The form a secret is fingerprinted in: one key pasted with other indentation, line breaks
    or JSON-escaped newlines (a PEM block in YAML, a pretty-printed keypair file) is the same secret."""
    if "\n" in value or "\\n" in value or value.startswith(("[", "-----BEGIN")):
        return "".join(value.replace("\\n", "\n").split())
    return value
