"""The one exception hierarchy of auditkit.

Library code raises these; only :mod:`auditkit.cli` catches them, prints the
message and exits with code 2. A message never contains a secret value.

::

    AuditkitError                  anything auditkit reports as "usage or input error"
     ├── ConfigError               a config file is malformed (names file and key)
     ├── RuleError                 a secret-rule file is malformed (names file, rule and field)
     ├── DataFileError             another packaged or user data file is malformed (loadchecks, scoring, remediation)
     ├── SourceError               a path or git repository cannot be read as asked
     │    └── GitError             git itself failed or the path is not a repository
     ├── BaselineError             a baseline file cannot be read or written
     ├── CoverageError             the coverage analysis cannot start
     ├── ProbeError                a probe cannot start or was refused
     │    ├── UnsafeTargetError    the target is not loopback and not explicitly allowed
     │    └── CredentialError      a credential was offered outside the environment
     ├── ReportError               a report cannot be rendered or written
     └── HistoryStoreError         the run history store cannot be opened or written
"""

from __future__ import annotations

__all__ = [
    "AuditkitError",
    "BaselineError",
    "ConfigError",
    "CoverageError",
    "CredentialError",
    "DataFileError",
    "GitError",
    "HistoryStoreError",
    "ProbeError",
    "ReportError",
    "RuleError",
    "SourceError",
    "UnsafeTargetError",
]


class AuditkitError(Exception):
    """Base of every error auditkit raises on purpose; the CLI maps it to exit code 2."""


class ConfigError(AuditkitError):
    """A configuration file is malformed; the message names the file and the key."""


class RuleError(AuditkitError):
    """A secret-rule file is malformed; the message names the file, the rule and the field."""


class DataFileError(AuditkitError):
    """A data file (load checks, probe profile, scoring weights, remediation text) is malformed."""


class SourceError(AuditkitError):
    """A path or repository cannot be read the way the user asked."""


class GitError(SourceError):
    """git failed, or the path is not a git repository where one is required."""


class BaselineError(AuditkitError):
    """A baseline file cannot be read or written."""


class CoverageError(AuditkitError):
    """The load-test coverage analysis cannot start (for example: the path does not exist)."""


class ProbeError(AuditkitError):
    """A load probe cannot start, or was refused for safety."""


class UnsafeTargetError(ProbeError):
    """The probe target is not a loopback address and the user did not allow that host."""


class CredentialError(ProbeError):
    """A credential was given on the command line or in a file instead of the environment."""


class ReportError(AuditkitError):
    """A report cannot be rendered or written."""


class HistoryStoreError(AuditkitError):
    """The run history store cannot be opened, read or written."""
