"""The report in a real headless Chromium: the first screen shows the allocation, it prints A4.

Skipped with a message when ``/usr/bin/chromium`` is absent (``scripts/test.sh`` installs it
when run as root); in CI (``CI=true``) a skip is a failure (``tests/conftest.py``).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from paths import DATA

from h2lane.emissions import account, read_plan
from h2lane.emissions.report import render_html

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium (/usr/bin/chromium) is not installed: apt-get install chromium",
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--hide-scrollbars", "--no-first-run", "--disable-extensions"]  # fmt: skip


def _chromium(*args: str, cwd: Path) -> None:
    # a profile of its own so that parallel test workers do not share one
    profile = cwd / "profile"
    subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        timeout=120,
    )
    shutil.rmtree(profile, ignore_errors=True)


def _screenshot(html_path: Path, out: Path) -> bytes:
    _chromium(f"--screenshot={out}", "--window-size=1280,900", html_path.as_uri(), cwd=out.parent)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 900)
    return data


@pytest.fixture(scope="module")
def report_html() -> str:
    return render_html(account(read_plan(DATA / "emissions" / "dispatch_plan.json")))


def test_first_screen_shows_the_allocation_and_its_sensitivity(tmp_path, report_html):
    page = tmp_path / "report.html"
    page.write_text(report_html, encoding="utf-8")
    shown = _screenshot(page, tmp_path / "first.png")
    # the same page with the allocation section made invisible: if the first screen changes,
    # the section is on it (Chromium's own layout, no script in the report)
    hidden = tmp_path / "hidden.html"
    hidden.write_text(
        report_html.replace("</style>", "#allocation{visibility:hidden}</style>", 1),
        encoding="utf-8",
    )
    without = _screenshot(hidden, tmp_path / "hidden.png")
    assert shown != without
    # and the whole section is on it: a bar drawn right after the section's end shows in the
    # 1280 × 900 screenshot (black and white bars give different pictures)
    end = report_html.index("</section>", report_html.index('<section id="allocation"'))
    head = report_html[: end + len("</section>")]
    pictures = []
    for colour in ("#000000", "#ffffff"):
        bar = tmp_path / f"bar{colour[1:]}.html"
        bar.write_text(
            head + f'<div style="height:6px;background:{colour}"></div></body></html>',
            encoding="utf-8",
        )
        pictures.append(_screenshot(bar, tmp_path / f"bar{colour[1:]}.png"))
    assert pictures[0] != pictures[1], "the allocation section runs past the first screen"


def test_prints_to_a4_pdf(tmp_path, report_html):
    page = tmp_path / "report.html"
    page.write_text(report_html, encoding="utf-8")
    pdf = tmp_path / "r.pdf"
    _chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri(), cwd=tmp_path)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes, "no page in the PDF"
    for w, h in boxes:  # A4 = 595 × 842 pt
        assert abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
            check=True,
            timeout=60,
        )
        assert (tmp_path / "p-1.png").read_bytes()[:4] == b"\x89PNG"
