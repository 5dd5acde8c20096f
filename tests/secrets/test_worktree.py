"""Working-tree scans through the library API, on real files and real git repositories."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditkit.config import load_config
from auditkit.errors import ConfigError, RuleError
from auditkit.findings import Confidence, Severity
from auditkit.secrets import scan_secrets
from auditkit.secrets.baseline import load_baseline, write_baseline
from auditkit.secrets.rules import load_rules
from auditkit.secrets.sources import FileEntry, Skipped, read_file_chunk
from tests.secrets.helpers import API_TOKEN, PG_PASSWORD, commit, init_repo, run_git, write

PG_LINE = f'PGPASSWORD={PG_PASSWORD} psql -U postgres -d tickettoken -c "SELECT COUNT(*) FROM tickets"\n'


def _platform(root: Path) -> Path:
    for rel in (
        "operations/scripts/smoke.sh",
        "operations/scripts/health.sh",
        "operations/load-tests/load-test.sh",
    ):
        write(root, rel, "#!/bin/bash\nset -e\n" + "echo step\n" * 3 + PG_LINE)
    write(root, "operations/scripts/ok.sh", 'PGPASSWORD="${DB_PASSWORD}" psql -U postgres\n')
    return root


def test_one_password_in_three_scripts_is_one_secret_reused_in_three_files(tmp_path: Path) -> None:
    result = scan_secrets([_platform(tmp_path)])
    assert len(result.findings) == 3
    assert {f.rule_id for f in result.findings} == {"pgpassword"}
    assert len(result.groups) == 1
    group = result.groups[0]
    assert group.severity is Severity.CRITICAL
    assert group.paths == (
        "operations/load-tests/load-test.sh",
        "operations/scripts/health.sh",
        "operations/scripts/smoke.sh",
    )
    assert all(f.location.line == 6 and f.location.column == 12 for f in result.findings)
    assert PG_PASSWORD not in repr(result) and PG_PASSWORD not in json.dumps(result.to_dict())


def test_environment_references_are_clean(tmp_path: Path) -> None:
    write(tmp_path, "a.sh", 'PGPASSWORD="${DB_PASSWORD}" psql\nexport DB_PASSWORD=$DB_PASSWORD\n')
    write(tmp_path, "b.js", "const pw = process.env.DB_PASSWORD;\nconst url = `postgres://u:${pw}@db/x`;\n")
    write(tmp_path, "c.py", 'password = os.environ["DB_PASSWORD"]\n')
    write(tmp_path, "d.yaml", "password: {{ .Values.db.password }}\n")
    assert scan_secrets([tmp_path]).findings == ()


def test_git_ignored_files_are_skipped(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    write(repo, ".gitignore", "local.env\n")
    write(repo, "local.env", f"DB_PASSWORD={API_TOKEN}\n")
    write(repo, "tracked.env", f"DB_PASSWORD={API_TOKEN}\n")
    result = scan_secrets([repo])
    assert [f.location.path for f in result.findings] == ["tracked.env"]


def test_binary_large_and_unreadable_files_are_skipped_with_notices(tmp_path: Path) -> None:
    write(tmp_path, "real.sh", PG_LINE)
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01PGPASSWORD=" + PG_PASSWORD.encode() + b"\x00")
    write(tmp_path, "big.sh", "x" * 3000 + "\n" + PG_LINE)
    (tmp_path / ".auditkit.toml").write_text("[secrets]\nmax_file_size = 2000\n")
    result = scan_secrets([tmp_path])
    assert [f.location.path for f in result.findings] == ["real.sh"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons["blob.bin"] == "binary file"
    assert reasons["big.sh"].startswith("larger than 2000 bytes")
    assert any("blob.bin" in n for n in result.all_notices)
    gone = read_file_chunk(FileEntry(str(tmp_path / "vanished.sh"), "vanished.sh"), 1000)
    assert isinstance(gone, Skipped) and gone.reason.startswith("unreadable")


def test_symlink_loops_do_not_hang_outside_git(tmp_path: Path) -> None:
    write(tmp_path, "d/real.sh", PG_LINE)
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    result = scan_secrets([tmp_path])
    assert [f.location.path for f in result.findings] == ["d/real.sh"]


def test_inline_allow_markers(tmp_path: Path) -> None:
    write(tmp_path, "a.sh", f"PGPASSWORD={PG_PASSWORD} psql  # auditkit:allow\n")
    write(tmp_path, "b.py", f'password = "{PG_PASSWORD}"  # pragma: allowlist secret\n')
    write(tmp_path, "c.py", f'# pragma: allowlist nextline secret\npassword = "{PG_PASSWORD}"\n')
    write(tmp_path, "d.py", f'password = "{PG_PASSWORD}"\n')
    assert [f.location.path for f in scan_secrets([tmp_path]).findings] == ["d.py"]


def test_config_allow_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    _platform(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.auditkit.secrets]\nallow_paths = ["operations/scripts/**"]\n')
    paths = [f.location.path for f in scan_secrets([tmp_path]).findings]
    assert paths == ["operations/load-tests/load-test.sh"]


def test_malformed_config_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / ".auditkit.toml").write_text('[secrets]\nmax_file_size = "big"\n')
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert ".auditkit.toml" in str(err.value) and "max_file_size" in str(err.value)
    (tmp_path / ".auditkit.toml").write_text("[secrets]\nallow_path = []\n")
    with pytest.raises(ConfigError, match="allow_path: unknown key"):
        load_config(tmp_path)
    (tmp_path / ".auditkit.toml").write_text("[secrets\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)


def test_malformed_rule_file_names_file_rule_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "mine.toml"
    bad.write_text("""[[rules]]
id = "my-rule"
description = "x"
severity = "severe"
regex = '(?P<secret>x)'
remediation = "fix"
samples.tp = ["x"]
""")
    with pytest.raises(RuleError) as err:
        load_rules([bad])
    assert "mine.toml" in str(err.value) and "'my-rule'" in str(err.value) and "severity" in str(err.value)
    bad.write_text("""[[rules]]
id = "my-rule"
description = "x"
severity = "high"
regex = '(?P<secret>x'
remediation = "fix"
samples.tp = ["x"]
""")
    with pytest.raises(RuleError, match="regex: invalid regular expression"):
        load_rules([bad])


def test_user_rule_files_extend_the_pack(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "internal.toml").write_text("""[[rules]]
id = "acme-internal-token"
description = "ACME internal token"
severity = "high"
keywords = ["acme_"]
regex = '''\\b(?P<secret>acme_[a-z0-9]{16})\\b'''
remediation = "Revoke it in the ACME console."
samples.tp = ["t = acme_0123456789abcdef"]
""")
    write(tmp_path, "app.cfg", "t = acme_0123456789abcdef\n")
    (tmp_path / ".auditkit.toml").write_text('[secrets]\nrules = ["rules"]\n')
    found = scan_secrets([tmp_path / "app.cfg"], root=tmp_path, config=load_config(tmp_path))
    assert [f.rule_id for f in found.findings] == ["acme-internal-token"]


def test_fingerprint_is_keyed_per_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a = init_repo(tmp_path / "a")
    b = init_repo(tmp_path / "b")
    for repo, name in ((a, "one"), (b, "two")):
        write(repo, "s.sh", PG_LINE)
        write(repo, name, name)
        commit(repo, f"init {name}")
    fa = scan_secrets([a]).findings[0].fingerprint
    fb = scan_secrets([b]).findings[0].fingerprint
    assert fa.startswith("ak1:") and fa != fb
    assert scan_secrets([a]).findings[0].fingerprint == fa  # stable across runs
    monkeypatch.setenv("AUDITKIT_FINGERPRINT_KEY", "team-key")
    assert scan_secrets([a]).findings[0].fingerprint == scan_secrets([b]).findings[0].fingerprint != fa


def test_baseline_survives_unrelated_edits_and_reports_new_secrets(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    _platform(repo)
    commit(repo, "init")
    first = scan_secrets([repo])
    target = repo / ".auditkit-baseline.json"
    assert write_baseline(target, first.findings, repo) == 3
    assert PG_PASSWORD not in target.read_text()
    again = scan_secrets([repo])
    assert again.findings == () and again.baselined == 3
    smoke = repo / "operations/scripts/smoke.sh"
    smoke.write_text("# new header\n# another\n" + smoke.read_text())
    assert scan_secrets([repo]).findings == ()
    write(repo, "operations/scripts/new.sh", f'export API_TOKEN="{API_TOKEN}"\n')
    fresh = scan_secrets([repo])
    assert [f.location.path for f in fresh.findings] == ["operations/scripts/new.sh"]
    assert load_baseline(target).kind == "auditkit"


def test_detect_secrets_baseline_is_accepted(tmp_path: Path) -> None:
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    repo = init_repo(tmp_path / "r")
    write(repo, "settings.py", f'DB_PASSWORD = "{PG_PASSWORD}"\n')
    commit(repo, "init")
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        with default_settings():
            collection = SecretsCollection()
            collection.scan_file("settings.py")
        from detect_secrets.core import baseline as ds_baseline

        ds_baseline.save_to_file(ds_baseline.format_for_output(collection), ".secrets.baseline")
    finally:
        os.chdir(cwd)
    assert scan_secrets([repo]).findings, "without the baseline the secret is reported"
    accepted = scan_secrets([repo], baseline=repo / ".secrets.baseline")
    assert accepted.findings == () and accepted.baselined == 1


def test_solana_keypairs_are_validated_offline(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    from auditkit.secrets.validators import b58decode

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()) + key.public_key().public_bytes(
        Encoding.Raw, PublicFormat.Raw
    )
    write(tmp_path, "id.json", json.dumps(list(raw)))
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n, text = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        text = alphabet[r] + text
    assert b58decode(text) == raw
    write(tmp_path, "wallet.ts", f'const kp = Keypair.fromSecretKey(bs58.decode("{text}"));\n')
    noise = bytes(reversed(raw))  # 64 bytes that are not a keypair
    write(tmp_path, "noise.json", json.dumps(list(noise)))
    found = {f.location.path: f for f in scan_secrets([tmp_path]).findings}
    assert set(found) == {"id.json", "wallet.ts"}
    assert all(f.confidence is Confidence.HIGH and f.details["validated"] is True for f in found.values())


def test_kubernetes_secret_manifest_values(tmp_path: Path) -> None:
    write(
        tmp_path,
        "k8s/secret.yaml",
        """apiVersion: v1
kind: Secret
metadata:
  name: db
data:
  username: YXBw
  password: VGlja2V0VG9rZW4yMDI0U2VjdXJlIQ==
---
apiVersion: v1
kind: ConfigMap
data:
  mode: cHJvZA==
""",
    )
    found = scan_secrets([tmp_path]).findings
    assert [(f.rule_id, f.location.line) for f in found] == [("kubernetes-secret-data", 7)]


def test_git_repository_files_listed_relative_to_scanned_folder(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "r")
    write(repo, "svc/a/run.sh", PG_LINE)
    commit(repo, "init")
    run_git(repo, "status")
    result = scan_secrets([repo / "svc"])
    assert [f.location.path for f in result.findings] == ["a/run.sh"]
