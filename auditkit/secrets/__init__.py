"""Secret scanning: rules as data, a keyword-prefiltered engine, sources for files, staged changes and history.

Entry point: :func:`scan_secrets`. Findings carry only a redacted form and a
keyed fingerprint of each secret, never the value.
"""

from auditkit.secrets.scan import SecretGroup, SecretsResult, finding_to_dict, scan_secrets

__all__ = ["SecretGroup", "SecretsResult", "finding_to_dict", "scan_secrets"]
