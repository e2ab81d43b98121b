"""PDF layout (#14.9): a table row never splits across pages, a chart with no data is left out
with a line saying so, and adherence counts the prescribed session days."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PIL import Image
from web_helpers import require_tool
from web_report_fixtures import sample_report

from retrowalk.app.records import adherence_summary
from retrowalk.core.prescription import Programme as ProgrammeContent
from retrowalk.core.prescription import programme_from_items
from retrowalk.reports.charts import ChartInputs, KoosPoint, PainPoint
from retrowalk.reports.pdf import ProgrammeRow, charts_with_data, render_html, render_pdf
from retrowalk.storage.models import Programme, SessionLog

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _long_programme(n: int = 14) -> list[ProgrammeRow]:
    return [
        ProgrammeRow(
            exercise=f"ROWSTART{k:02d} Backward walking variant",
            stage="2",
            dose="10 min at 2.0 km/h, 3×/week",
            reason="quadriceps strength with low patellofemoral load " * 3,
            cues=[f"cue {c}: keep the trunk upright and the knee soft" for c in range(5)]
            + [f"ROWEND{k:02d}"],
        )
        for k in range(n)
    ]


def _pages_text(pdf: Path, pdftotext: str) -> list[str]:
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True)
    return text.stdout.split("\f")


def test_rows_stay_on_one_page_and_empty_charts_are_left_out(tmp_path: Path) -> None:
    pdftotext = require_tool("pdftotext")
    pdftoppm = require_tool("pdftoppm")
    data = sample_report().model_copy(
        update={
            "programme": _long_programme(),
            "charts": ChartInputs(pain=[PainPoint(when=date(2026, 1, 5), during=3, after=2)]),
        }
    )
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(render_pdf(data))
    pages = _pages_text(pdf, pdftotext)
    assert len([p for p in pages if p.strip()]) >= 3  # long enough to break
    for k in range(14):
        where = {i for i, page in enumerate(pages) if f"ROWSTART{k:02d}" in page or f"ROWEND{k:02d}" in page}
        assert len(where) == 1, f"row {k} split across pages {sorted(where)}"
    text = "\n".join(pages)
    assert "No data yet for:" in text
    assert text.count("Pain over time") == 1
    subprocess.run([pdftoppm, "-r", "50", "-png", str(pdf), str(tmp_path / "p")], check=True)
    ARTIFACTS.mkdir(exist_ok=True)
    for i, page in enumerate(sorted(tmp_path.glob("p-*.png")), 1):
        Image.open(page).save(ARTIFACTS / f"report-layout-page-{i}.png")


def test_only_charts_with_data_are_drawn() -> None:
    html = render_html(sample_report().model_copy(update={"charts": ChartInputs()}))
    assert '<svg role="img"' not in html.split("<h2>Charts</h2>")[1]
    assert 'id="no-chart"' in html


def test_a_chart_whose_points_hold_no_values_is_left_out() -> None:
    """A KOOS set too incomplete to score gives a dated point with no subscale: nothing to draw."""
    inputs = ChartInputs(
        pain=[PainPoint(when=date(2026, 11, 30), during=3)], koos=[KoosPoint(when=date(2026, 11, 30))]
    )
    shown, empty = charts_with_data(inputs)
    assert [c.key for c in shown] == ["pain"]
    assert any("KOOS" in title for title in empty)


def test_adherence_counts_prescribed_days_across_versions() -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)

    def content(per_week: int) -> ProgrammeContent:
        dose = {"minutes": 5, "speed_kmh": 2.0, "handrails": "both", "safety_key": True}
        dose["sessions_per_week"] = per_week
        return programme_from_items([{"exercise_id": "retro_walk_1", "dose": dose}])

    v1 = Programme(version=1, created_at=start, content=content(3))
    # a new version two weeks later neither restarts the count nor drops the earlier sessions
    v2 = Programme(version=2, created_at=start + timedelta(days=14), content=content(7))
    logs = [
        SessionLog(session_date=date(2026, 1, 5) + timedelta(days=d), completed=True, exercise_id="x")
        for d in (0, 2, 4, 7, 9, 11, 14, 15, 16)
    ]
    logs.append(SessionLog(session_date=date(2026, 1, 6), completed=False, exercise_id="x"))
    logs.append(
        SessionLog(session_date=date(2026, 1, 1), completed=True, exercise_id="x")
    )  # before any programme
    summary = adherence_summary(logs, [v2, v1], today=date(2026, 1, 25))
    assert summary is not None
    assert summary.since == date(2026, 1, 5)
    assert summary.done == 9
    assert summary.planned == 14 * 3 / 7 + 7 * 7 / 7  # 6 + 7 prescribed days
    assert summary.per_week == 7
    assert summary.pct == 100 * 9 / 13
    assert adherence_summary(logs, []) is None
