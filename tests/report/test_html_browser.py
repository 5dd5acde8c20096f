"""The HTML report in a real headless browser (Debian's chromium): it renders, it is not blank, hostile text stays text."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from auditkit.report import render
from tests.report.factories import platform_report

pytestmark = pytest.mark.browser

HOSTILE = "ops/<script>document.title='pwned'</script>.sh"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("chromium is not installed (apt-get install -y chromium; .ci/run installs it)")


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines of a PNG (enough to tell blank from drawn)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


def test_report_renders_in_chromium_and_script_stays_text(tmp_path: Path) -> None:
    report = platform_report(with_probe=False, trend=True, odd_name=HOSTILE)
    page = tmp_path / "report.html"
    page.write_text(render(report, "html"), encoding="utf-8")

    shot = tmp_path / "shot.png"
    proc = _run(["--window-size=1200,1800", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri()], tmp_path)
    assert shot.is_file(), proc.stderr[-2000:]
    width, height, pixels = _png_pixels(shot)
    assert (width, height) == (1200, 1800)
    distinct = len(set(pixels[:: max(1, len(pixels) // 200_000)]))
    assert distinct > 40, "the screenshot looks blank"

    dom = _run(["--dump-dom", page.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "<title>auditkit: platform" in dom.stdout, "the page's own title, not the injected one"
    assert "pwned" in dom.stdout and "<script" not in dom.stdout.lower(), (
        "the file name is text, never a script element"
    )
    assert "&lt;script&gt;" in dom.stdout
