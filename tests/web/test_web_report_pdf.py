"""The PDF report contains the client, findings, outcomes and visible charts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image
from web_helpers import require_tool
from web_report_fixtures import sample_report

from retrowalk.reports.pdf import render_html, render_pdf

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Okabe-Ito blue used for the first series of every chart.
CHART_BLUE = (0x00, 0x72, 0xB2)


def _count_near(img: Image.Image, ref: tuple[int, int, int], tol: int = 40) -> int:
    px = np.asarray(img.convert("RGB"), dtype=np.int16)
    return int((np.abs(px - np.array(ref, dtype=np.int16)) <= tol).all(axis=2).sum())


def test_html_report_escapes_user_text_but_embeds_charts() -> None:
    html = render_html(sample_report(name="<script>alert(1)</script> Ann"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert html.count('<svg role="img"') == 5


def test_pdf_report_has_name_tables_and_chart_pixels(tmp_path: Path) -> None:
    pdftotext = require_tool("pdftotext")
    pdftoppm = require_tool("pdftoppm")
    data = sample_report()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(data))
    assert pdf.read_bytes().startswith(b"%PDF")

    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert data.client.name in text
    assert "Joint-by-joint findings" in text and "mobility deficit" in text
    assert "KOOS Pain" in text and "+19.5" in text  # change = latest - baseline
    assert "Pain over time" in text  # chart titles stay text in the PDF

    subprocess.run([pdftoppm, "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    blue_pixels = 0
    for i, page in enumerate(pages, 1):
        img = Image.open(page).convert("RGB")
        img.save(ARTIFACTS / f"report-page-{i}.png")
        blue_pixels += _count_near(img, CHART_BLUE)
    # the chart lines are drawn: many pixels in the series colour (tables use none of it)
    assert blue_pixels > 300
