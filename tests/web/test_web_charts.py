"""Charts are valid, accessible SVG that reflect their data."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from web_report_fixtures import sample_report

from retrowalk.reports.charts import (
    ChartInputs,
    KneeRomPoint,
    KoosPoint,
    PainPoint,
    RetroWalkPoint,
    all_charts,
    chart_version,
    koos_chart,
    pain_chart,
)
from retrowalk.reports.pdf import OutcomeRow

SVG_NS = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> str:
    root = ET.fromstring(svg)
    return " ".join("".join(el.itertext()) for el in root.iter(f"{SVG_NS}text"))


def test_every_chart_is_labelled_svg_with_text_alternative() -> None:
    charts = all_charts(sample_report().charts)
    assert [c.key for c in charts] == ["pain", "koos", "knee-rom", "retro-walk", "gait"]
    for chart in charts:
        root = ET.fromstring(chart.svg)
        assert root.tag == f"{SVG_NS}svg"
        assert root.get("role") == "img"
        title = root.find(f"{SVG_NS}title")
        desc = root.find(f"{SVG_NS}desc")
        assert title is not None and title.text == chart.title
        assert desc is not None and desc.text == chart.description
        ids = root.get("aria-labelledby", "").split()
        assert ids == [title.get("id"), desc.get("id")]
        # axis labels are real text, with units
        assert "(" in _texts(chart.svg)


def test_pain_chart_shows_the_acceptable_limit_and_units() -> None:
    chart = pain_chart(sample_report().charts.pain)
    text = _texts(chart.svg)
    assert "Acceptable limit (5/10)" in text
    assert "Pain (0-10 NRS)" in text
    assert "Session date" in text


def test_koos_chart_marks_mcid_band_with_the_given_value() -> None:
    pts = sample_report().charts.koos
    text = _texts(koos_chart(pts, mcid={"pain": 15}).svg)
    assert "Baseline ± MCID (15)" in text


def test_empty_inputs_say_so_instead_of_failing() -> None:
    for chart in all_charts(ChartInputs()):
        ET.fromstring(chart.svg)
        assert "no data" in chart.description.lower()
    assert "No pain ratings recorded yet" in _texts(pain_chart([]).svg)


def test_rendering_is_deterministic() -> None:
    data = sample_report().charts
    assert [c.svg for c in all_charts(data)] == [c.svg for c in all_charts(data)]


pain_values = st.one_of(st.none(), st.floats(min_value=0, max_value=10, allow_nan=False))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(pain_values, pain_values, pain_values), max_size=8))
def test_pain_description_counts_what_was_given(rows: list[tuple[float | None, ...]]) -> None:
    start = date(2026, 3, 1)
    pts = [
        PainPoint(when=start + timedelta(days=i), during=a, after=b, next_morning=c)
        for i, (a, b, c) in enumerate(rows)
    ]
    chart = pain_chart(pts)
    ET.fromstring(chart.svg)
    n_during = sum(1 for r in rows if r[0] is not None)
    if n_during:
        assert f"During session: {n_during} values" in chart.description
    else:
        assert "During session: no data." in chart.description


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=1, max_size=5))
def test_koos_accepts_any_valid_scores(values: list[float]) -> None:
    pts = [KoosPoint(when=date(2026, 1, 1) + timedelta(weeks=i), pain=v) for i, v in enumerate(values)]
    chart = koos_chart(pts)
    assert f"Pain: {len(values)} values" in chart.description


@given(
    st.floats(min_value=-100, max_value=100, allow_nan=False),
    st.floats(min_value=-100, max_value=100, allow_nan=False),
    st.floats(min_value=0.1, max_value=30, allow_nan=False),
)
def test_mcid_reached_is_direction_aware(baseline: float, latest: float, mcid: float) -> None:
    up = OutcomeRow(measure="m", baseline=baseline, latest=latest, mcid=mcid, better="higher")
    down = OutcomeRow(measure="m", baseline=-baseline, latest=-latest, mcid=mcid, better="lower")
    assert up.mcid_reached == down.mcid_reached
    assert up.mcid_reached == (latest - baseline >= mcid)
    assert OutcomeRow(measure="m", baseline=baseline, mcid=mcid).mcid_reached is None


def test_gait_chart_points_come_from_what_the_engines_store() -> None:
    from datetime import UTC, datetime
    from pathlib import Path

    from retrowalk.app.records import gait_points
    from retrowalk.gait.summary import GaitSummary
    from retrowalk.io.recordings import analyse_file
    from retrowalk.storage.documents import RecordingMetrics
    from retrowalk.storage.models import Recording

    pose = analyse_file(Path(__file__).parents[1] / "data" / "pose" / "backward_walk_generic.csv", "pose")
    imu = GaitSummary(source="imu", cadence_spm=104.0, step_time_asymmetry_pct=6.5, steps=40)
    recordings = [
        Recording(status=status, metrics=m, created_at=datetime(2026, 1, d, tzinfo=UTC))
        for d, status, m in (
            (1, "analysed", RecordingMetrics.from_engine("pose", pose)),
            (2, "imported", RecordingMetrics.imported(imu)),
            (3, "failed", None),
        )
    ]
    p_pose, p_imu = gait_points(recordings)
    assert p_pose.cadence_spm == pose["cadence_spm"]
    assert p_pose.symmetry_pct == 100.0 - pose["step_length_asymmetry_pct"]
    assert (p_imu.cadence_spm, p_imu.symmetry_pct) == (104.0, 93.5)


when = st.one_of(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.builds(PainPoint, when=when, during=pain_values, after=pain_values), max_size=60),
    st.lists(
        st.builds(
            KneeRomPoint,
            when=when,
            side=st.sampled_from(["left", "right"]),
            extension_deficit_deg=st.one_of(st.none(), st.floats(-30, 90)),
            flexion_deg=st.one_of(st.none(), st.floats(0, 180)),
        ),
        max_size=8,
    ),
    st.lists(
        st.builds(
            RetroWalkPoint,
            when=when,
            minutes=st.one_of(st.none(), st.floats(1, 60)),
            speed_kmh=st.one_of(st.none(), st.floats(0.1, 6)),
        ),
        max_size=30,
    ),
)
def test_any_valid_series_draws_well_formed_svg_inside_its_box(
    pain: list[PainPoint], rom: list[KneeRomPoint], walks: list[RetroWalkPoint]
) -> None:
    """Hand-drawn SVG: every coordinate is a finite number within the chart, whatever the data."""
    inputs = ChartInputs(pain=pain, knee_rom=rom, retro_walk=walks)
    for chart in all_charts(inputs):
        root = ET.fromstring(chart.svg)
        width, height = float(root.get("width", "0")), float(root.get("height", "0"))
        for el in root.iter():
            xs = [float(el.get(a, "")) for a in ("x", "x1", "x2", "cx") if el.get(a) is not None]
            ys = [float(el.get(a, "")) for a in ("y", "y1", "y2", "cy") if el.get(a) is not None]
            for pair in el.get("points", "").split():
                px, py = pair.split(",")
                xs.append(float(px))
                ys.append(float(py))
            assert all(math.isfinite(v) and -1 <= v <= width + 1 for v in xs), (chart.key, el.tag)
            assert all(math.isfinite(v) and -1 <= v <= height + 1 for v in ys), (chart.key, el.tag)
        assert chart.version == chart_version(inputs, chart.key)
