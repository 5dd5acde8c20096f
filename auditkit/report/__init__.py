"""Renderers: one per format, all fed the same :class:`AuditReport`, none computing anything.

:func:`render` returns the text of one format; :func:`write_reports` writes the
chosen formats into a folder with fixed file names.
"""

from __future__ import annotations

import enum
import json
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from auditkit.errors import ReportError
from auditkit.report.model import SCHEMA_VERSION, AuditReport, assemble_report

__all__ = ["SCHEMA_VERSION", "AuditReport", "ReportFormat", "assemble_report", "render", "write_reports"]


class ReportFormat(str, enum.Enum):
    """The formats ``auditkit scan --report`` writes."""

    HTML = "html"
    MD = "md"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"

    @property
    def file_name(self) -> str:
        """The file this format is written to inside ``--out``."""
        return {
            "html": "auditkit-report.html",
            "md": "auditkit-report.md",
            "json": "auditkit-report.json",
            "sarif": "auditkit.sarif",
            "junit": "auditkit-junit.xml",
        }[self.value]


def render(report: AuditReport, fmt: ReportFormat | str) -> str:
    """Render ``report`` in one format and return the text."""
    fmt = ReportFormat(fmt)
    if fmt is ReportFormat.JSON:
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt is ReportFormat.SARIF:
        from auditkit.report.sarif import render_sarif

        return render_sarif(report)
    if fmt is ReportFormat.JUNIT:
        from auditkit.report.junit import render_junit

        return render_junit(report)
    from auditkit.report.templates import render_template

    return render_template("report.html" if fmt is ReportFormat.HTML else "report.md", report=report)


def write_reports(report: AuditReport, formats: Iterable[ReportFormat | str], out_dir: Path) -> list[Path]:
    """Write each format to ``out_dir`` (created if needed), atomically; returns the paths written."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{out_dir}: cannot create the report folder ({exc.strerror or exc})") from None
    written = []
    for fmt in dict.fromkeys(ReportFormat(f) for f in formats):
        text = render(report, fmt)
        target = out_dir / fmt.file_name
        # Not mkstemp: it creates the file 0600 whatever the umask, and reports are meant to be shared.
        # O_EXCL with a random name keeps the temporary file private to this run; mode 0666 lets the umask decide.
        tmp = out_dir / f".{fmt.file_name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ReportError(f"{target}: cannot write the report ({exc.strerror or exc})") from None
        written.append(target)
    return written
