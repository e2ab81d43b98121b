"""Clinical progress report: Jinja2 HTML rendered to PDF by WeasyPrint.

The report is built from a plain :class:`ReportData` model so it does not care where the data came
from (storage, a JSON file, a test); :mod:`retrowalk.app.records` assembles it from storage.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Literal

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, Field

from retrowalk.reports.charts import Chart, ChartInputs, all_charts


class ReportClient(BaseModel):
    id: str
    name: str
    date_of_birth: date | None = None
    sex: str | None = None
    affected_side: str | None = None
    trainer: str | None = None
    goals: list[str] = Field(default_factory=list)


class FindingRow(BaseModel):
    """One joint-by-joint finding: measured value against the cut-off that classified it."""

    joint: str
    test: str
    side: str | None = None
    measured: str
    cut_off: str = ""
    status: str = Field(description="ok | mobility deficit | stability deficit | asymmetry | ...")
    source: str = ""

    @property
    def is_ok(self) -> bool:
        return self.status.strip().lower() == "ok"


class ProgrammeRow(BaseModel):
    exercise: str
    exercise_id: str | None = Field(default=None, description="library id: the row shows its key poses")
    stage: str = ""
    dose: str = ""
    reason: str = ""
    cues: list[str] = Field(default_factory=list)


class OutcomeRow(BaseModel):
    """Baseline vs latest for one measure, with whether the change beats the MCID."""

    measure: str
    unit: str = ""
    baseline: float | None = None
    latest: float | None = None
    mcid: float | None = None
    better: Literal["higher", "lower"] = "higher"
    source: str = ""

    @property
    def change(self) -> float | None:
        if self.baseline is None or self.latest is None:
            return None
        return self.latest - self.baseline

    @property
    def mcid_reached(self) -> bool | None:
        """True when the change is an improvement at least as large as the MCID."""
        change = self.change
        if change is None or self.mcid is None:
            return None
        improvement = change if self.better == "higher" else -change
        return improvement >= self.mcid


class AdherenceSummary(BaseModel):
    """Completed session days against the days the programme prescribed (its sessions per week)."""

    since: date
    per_week: int = Field(description="prescribed sessions per week (the current version's)")
    planned: float = Field(ge=0)
    done: int = Field(ge=0)

    @property
    def pct(self) -> float | None:
        return None if self.planned <= 0 else min(100.0, 100.0 * self.done / self.planned)


class ReportData(BaseModel):
    client: ReportClient
    generated_at: datetime
    assessed_at: date | datetime | None = None
    findings: list[FindingRow] = Field(default_factory=list)
    red_flags: list[str] = Field(default_factory=list)
    flagged: list[str] = Field(
        default_factory=list, description="Stored session rows outside today's bounds (left out of charts)."
    )
    stop: bool = False
    programme: list[ProgrammeRow] = Field(default_factory=list)
    outcomes: list[OutcomeRow] = Field(default_factory=list)
    sessions_logged: int = 0
    adherence_pct: float | None = None
    adherence: AdherenceSummary | None = None
    charts: ChartInputs = Field(default_factory=ChartInputs)


def template_environment(package: str) -> Environment:
    """The HTML templates of ``package`` (autoescaped, tidy whitespace): the report's and the pages'."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = template_environment("retrowalk.reports")
    env.filters["num"] = _num
    env.filters["signed"] = _signed
    return env


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _signed(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return ("+" if value > 0 else "") + _num(value, digits)


def render_html(data: ReportData, *, inline_charts: bool = True) -> str:
    """The report as standalone HTML (also useful for previewing in a browser).

    ``inline_charts=False`` embeds each chart as an SVG image (a data URI) instead of inline
    markup. Charts with no data are left out; the template names them in one line.
    """
    shown, empty = charts_with_data(data.charts)
    return _html(data, [Markup(c.svg) if inline_charts else _img(c) for c in shown], shown, empty)


def _html(data: ReportData, markup: Sequence[Markup | str], shown: Sequence[Chart], empty: list[str]) -> str:
    charts = [
        {"title": c.title, "description": c.description, "svg": Markup(m)}
        for c, m in zip(shown, markup, strict=True)
    ]
    return (
        _env()
        .get_template("report.html")
        .render(data=data, charts=charts, empty_charts=empty, figures=_figures(data))
    )


#: The chart inputs' series, in the order of :func:`~retrowalk.reports.charts.all_charts`.
_SERIES = ("pain", "koos", "knee_rom", "retro_walk", "gait")


def charts_with_data(inputs: ChartInputs) -> tuple[list[Chart], list[str]]:
    """The charts that have something to draw, and the titles of those left out (no empty axes).

    A series with nothing to draw is emptied first: its chart is then the same for every client
    and comes from the chart cache (only its title is used), so no figure is drawn for it.
    """
    has_data = [any(map(_drawable, getattr(inputs, name))) for name in _SERIES]
    trimmed = inputs.model_copy(update={n: [] for n, ok in zip(_SERIES, has_data, strict=True) if not ok})
    shown: list[Chart] = []
    empty: list[str] = []
    for chart, ok in zip(all_charts(trimmed), has_data, strict=True):
        (shown.append(chart) if ok else empty.append(chart.title))
    return shown, empty


def _drawable(point: BaseModel) -> bool:
    """A point with at least one value to plot (a KOOS answer set too incomplete to score has none)."""
    return any(isinstance(v, int | float) for k, v in point if k not in ("when", "side"))


def _img(chart: Chart) -> str:
    uri = "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode()).decode("ascii")
    return f'<img class="chart" alt="{html.escape(chart.title)}" src="{uri}">'


def _figures(data: ReportData) -> dict[str, Markup]:
    """Key-pose strips (no cue text: the row lists the cues) for rows of library exercises."""
    from retrowalk.core.exercises import load_library
    from retrowalk.illustrations.svg import strip_svg

    exercises = load_library().exercises
    out: dict[str, Markup] = {}
    for row in data.programme:
        ex = exercises.get(row.exercise_id or "")
        if ex is not None and ex.id not in out:
            out[ex.id] = Markup(strip_svg(ex.id, ex.name, ex.cues, with_cues=False))
    return out


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes (A4); the charts as SVG images (vector, sharp on paper)."""
    from retrowalk.extras import require

    weasyprint = require("pdf", "PDF report")
    pdf = weasyprint.HTML(string=render_html(data, inline_charts=False), base_url=".").write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
