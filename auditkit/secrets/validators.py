"""Offline validators and structured extractors named by rules.

A validator answers "is this really a secret of that format?" without any
network call: ``True`` (checked: confidence becomes high), ``False`` (not
valid: dropped when the rule says ``validator_required``, else kept at low
confidence) or ``None`` (cannot tell).

An extractor replaces a rule's regex when the format is structural (a
Kubernetes Secret manifest); it yields ``(offset, secret, key)`` triples.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator

__all__ = ["EXTRACTORS", "VALIDATORS", "b58decode", "shannon_entropy"]

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


def shannon_entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    import math

    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def b58decode(text: str) -> bytes | None:
    """Decode Bitcoin-alphabet base58 (as Solana uses); ``None`` when not base58."""
    num = 0
    for ch in text:
        digit = _B58_INDEX.get(ch)
        if digit is None:
            return None
        num = num * 58 + digit
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    leading = len(text) - len(text.lstrip("1"))
    return b"\0" * leading + body


def _ed25519_keypair_consistent(raw: bytes) -> bool:
    """True when ``raw`` is a 64-byte Solana keypair: seed (32) followed by its ed25519 public key (32)."""
    if len(raw) != 64:
        return False
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = Ed25519PrivateKey.from_private_bytes(raw[:32]).public_key()
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw) == raw[32:]


def solana_keypair_base58(secret: str) -> bool | None:
    """A base58 string that decodes to a consistent 64-byte ed25519 keypair."""
    raw = b58decode(secret.strip())
    if raw is None:
        return False
    return _ed25519_keypair_consistent(raw)


def solana_keypair_json(secret: str) -> bool | None:
    """A JSON array of 64 integers 0-255 forming a consistent ed25519 keypair (solana-keygen's file)."""
    try:
        numbers = json.loads(secret)
    except ValueError:
        return False
    if not isinstance(numbers, list) or len(numbers) != 64:
        return False
    if not all(isinstance(n, int) and 0 <= n <= 255 for n in numbers):
        return False
    return _ed25519_keypair_consistent(bytes(numbers))


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt(secret: str) -> bool | None:
    """Three base64url parts whose header and payload are JSON objects and header names an ``alg``."""
    parts = secret.split(".")
    if len(parts) != 3:
        return False
    try:
        header = json.loads(_b64url(parts[0]))
        payload = json.loads(_b64url(parts[1]))
    except (ValueError, binascii.Error):
        return False
    return isinstance(header, dict) and "alg" in header and isinstance(payload, dict)


def base64_nonempty(secret: str) -> bool | None:
    """A base64 value that decodes to something non-blank (Kubernetes ``data:`` values)."""
    try:
        decoded = base64.b64decode(secret, validate=True)
    except (ValueError, binascii.Error):
        return None
    return bool(decoded.strip())


def pem_private_key(secret: str) -> bool | None:
    """A PEM block whose body is valid base64 of a plausible key length."""
    lines = [ln.strip() for ln in secret.strip().splitlines()]
    body = "".join(ln for ln in lines[1:-1] if ln and ":" not in ln)
    try:
        decoded = base64.b64decode(body, validate=True)
    except (ValueError, binascii.Error):
        return False
    return len(decoded) >= 64


VALIDATORS: dict[str, Callable[[str], bool | None]] = {
    "solana_keypair_base58": solana_keypair_base58,
    "solana_keypair_json": solana_keypair_json,
    "jwt": jwt,
    "base64_nonempty": base64_nonempty,
    "pem_private_key": pem_private_key,
}

# ------------------------------------------------------------------------------ extractors

_DOC_SPLIT = re.compile(r"^---[^\n]*$", re.MULTILINE)
_KIND_SECRET = re.compile(r"""^kind:\s*["']?Secret["']?\s*(?:#.*)?$""", re.MULTILINE)
_DATA_HEADER = re.compile(r"^(?P<indent>[ \t]*)(?P<section>data|stringData):[ \t]*(?:#.*)?$", re.MULTILINE)
_ENTRY = re.compile(r"""^(?P<indent>[ \t]+)(?P<key>["']?[\w.\-]+["']?):[ \t]*(?P<value>[^\n#]*?)[ \t]*(?:#.*)?$""")


def k8s_secret(text: str) -> Iterator[tuple[int, str, str]]:
    """Values under ``data:``/``stringData:`` of every ``kind: Secret`` document in a YAML stream."""
    starts = [0] + [m.end() for m in _DOC_SPLIT.finditer(text)]
    ends = [m.start() for m in _DOC_SPLIT.finditer(text)] + [len(text)]
    for start, end in zip(starts, ends, strict=True):
        doc = text[start:end]
        if not _KIND_SECRET.search(doc):
            continue
        for header in _DATA_HEADER.finditer(doc):
            base_indent = len(header.group("indent").expandtabs())
            yield from _k8s_entries(doc, start, header.end() + 1, base_indent)


def _k8s_entries(doc: str, doc_offset: int, pos: int, base_indent: int) -> Iterator[tuple[int, str, str]]:
    lines = doc[pos:].split("\n")
    offset = pos
    i = 0
    entry_indent: int | None = None
    while i < len(lines):
        line = lines[i]
        line_start = offset
        offset += len(line) + 1
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= base_indent:
            return
        m = _ENTRY.match(line)
        if not m:
            continue
        if entry_indent is None:
            entry_indent = indent
        if indent != entry_indent:
            continue
        key = m.group("key").strip("\"'")
        value = m.group("value").strip()
        value_offset = line_start + m.start("value")
        if value in ("|", "|-", "|+", ">", ">-", ">+"):
            block: list[str] = []
            block_start = offset
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i].strip())
                offset += len(lines[i]) + 1
                i += 1
            value = "\n".join(b for b in block if b)
            value_offset = block_start
        else:
            value = value.strip("\"'")
        if value:
            yield doc_offset + value_offset, value, key


EXTRACTORS: dict[str, Callable[[str], Iterator[tuple[int, str, str]]]] = {
    "k8s_secret": k8s_secret,
}
