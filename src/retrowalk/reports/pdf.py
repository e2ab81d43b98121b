"""Clinical progress report: Jinja2 HTML rendered to PDF by WeasyPrint.

The report is built from a plain :class:`ReportData` model so it does not care where the data came
from (storage, a JSON file, a test); :mod:`retrowalk.app.records` assembles it from storage.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Literal

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, Field

from retrowalk.reports.charts import ChartInputs, all_charts


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


def render_html(data: ReportData) -> str:
    """The report as standalone HTML (also useful for previewing in a browser)."""
    charts = [
        {"title": c.title, "description": c.description, "svg": Markup(c.svg)}
        for c in all_charts(data.charts)
    ]
    return _env().get_template("report.html").render(data=data, charts=charts, figures=_figures(data))


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
    """The report as PDF bytes (A4)."""
    from retrowalk.extras import require

    weasyprint = require("pdf", "PDF report")
    pdf = weasyprint.HTML(string=render_html(data), base_url=".").write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
