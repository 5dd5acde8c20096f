"""Scoring: areas, risk weights, caps and status thresholds from ``reports/scoring.toml``.

One entry point, :func:`score`, from generic facts (:class:`ScoreInputs`) to a
frozen :class:`Scorecard`; :func:`build_actions` turns its deductions into the
action list (remediation and effort from ``reports/remediation.toml``).
"""

from __future__ import annotations

from auditkit.scoring.engine import score, status_for
from auditkit.scoring.inputs import (
    CoverageFacts,
    LoadTestFacts,
    ProbeFacts,
    ScoreInputs,
    SecretGroupFacts,
    SecretsFacts,
    ServiceFacts,
)
from auditkit.scoring.model import ScoringModel, load_scoring_model
from auditkit.scoring.remediation import Action, Remediation, build_actions, load_remediation
from auditkit.scoring.result import AreaScore, CapApplied, Deduction, Scorecard, Status, finding_key

__all__ = [
    "Action",
    "AreaScore",
    "CapApplied",
    "CoverageFacts",
    "Deduction",
    "LoadTestFacts",
    "ProbeFacts",
    "Remediation",
    "ScoreInputs",
    "Scorecard",
    "ScoringModel",
    "SecretGroupFacts",
    "SecretsFacts",
    "ServiceFacts",
    "Status",
    "build_actions",
    "finding_key",
    "load_remediation",
    "load_scoring_model",
    "score",
    "status_for",
]
