"""Outcome charts rendered by matplotlib to standalone, accessible SVG strings.

Inputs are plain pydantic time series so the same charts serve the web pages (inline SVG), the
PDF report (WeasyPrint embeds SVG) and anything fed from storage. Each SVG carries a ``<title>``
and ``<desc>`` plus ``role="img"`` so screen readers announce it; text stays text (not paths) so it
is searchable in the PDF. Colours follow the Okabe-Ito palette (colour-blind safe) and every series
also differs by marker/line style, never by colour alone.
"""

from __future__ import annotations

import html
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from pydantic import BaseModel, Field
from pydantic_core import to_json

from retrowalk.core.scores.koos import SUBSCALE_TITLES
from retrowalk.core.scores.nprs import pain_rules
from retrowalk.core.vocab import InclinePct, KoosScore, Minutes, Pain, SpeedKmh

#: Okabe & Ito (2008) colour-blind safe palette; dark enough on white for lines and markers.
PALETTE = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "purple": "#CC79A7",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "black": "#000000",
    "grey": "#595959",
}
MARKERS = ("o", "s", "^", "D", "v")
#: At most this many markers per series: a year of sessions stays readable (the line style still
#: tells the series apart) and the SVG small enough for the PDF renderer (one element per marker).
MAX_MARKERS = 40
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)))

#: Pain-monitoring model: pain during/after activity may reach 5/10 (Silbernagel 2007).
PAIN_LIMIT = pain_rules().limit_above
#: General KOOS guidance, ~8-10 points (Roos & Lohmander 2003); callers pass instrument-specific values.
DEFAULT_KOOS_MCID = 10.0
#: Panels in the KOOS chart, titled as the questionnaire titles its subscales (core koos.yaml).
KOOS_SUBSCALES: tuple[tuple[str, str], ...] = tuple(
    (key, SUBSCALE_TITLES[key]) for key in ("pain", "symptoms", "adl", "sport_rec", "qol")
)

_RC: Any = {  # matplotlib types rcParams keys as Literals
    "svg.fonttype": "none",  # keep text as <text>: selectable, searchable, screen-reader friendly
    "svg.hashsalt": "retrowalk",  # deterministic ids -> reproducible output
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#111111",
    "xtick.color": "#222222",
    "ytick.color": "#222222",
    "axes.grid": True,
    "grid.color": "#d0d0d0",
    "grid.linewidth": 0.6,
    "lines.linewidth": 2.0,
    "lines.markersize": 5,
    "legend.frameon": False,
    "legend.fontsize": 9,
}


#: Rendered charts kept in memory (about 15-100 kB each): five per client for the last ~100
#: clients viewed, so a client page, its PDF and a repeat view render each chart once.
CHART_CACHE_SIZE = 500

_P = ParamSpec("_P")


class _ChartCache:
    """Bounded, thread-safe LRU of rendered charts keyed by the chart and its exact inputs.

    Why: matplotlib takes 0.1-0.3 s per chart and the client page, the PDF and every repeat
    view draw the same series; a key made of the inputs' JSON (a few kB) can never serve a
    chart for other data, and any new or corrected row changes it.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._charts: OrderedDict[bytes, Chart] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes, render: Callable[[], Chart]) -> Chart:
        with self._lock:
            chart = self._charts.get(key)
            if chart is not None:
                self._charts.move_to_end(key)
                return chart.model_copy()
        chart = render()  # outside the lock: two threads may both render a new chart, never wait
        with self._lock:
            self._charts[key] = chart
            while len(self._charts) > self.size:
                self._charts.popitem(last=False)
        return chart.model_copy()

    def clear(self) -> None:
        with self._lock:
            self._charts.clear()

    def __len__(self) -> int:
        return len(self._charts)


chart_cache = _ChartCache(CHART_CACHE_SIZE)


#: A DPI while rendering for print (``reports.pdf``): charts then come as PNG (``Chart.png``, no
#: SVG). WeasyPrint draws an image at once but walks an SVG's thousands of nodes in Python (about
#: two thirds of a report's time, growing with the series' length).
raster_dpi: ContextVar[int | None] = ContextVar("raster_dpi", default=None)


def _cached(render: Callable[_P, Chart]) -> Callable[_P, Chart]:
    @wraps(render)
    def cached(*args: _P.args, **kwargs: _P.kwargs) -> Chart:
        key = f"{render.__name__}@{raster_dpi.get() or 'svg'}".encode() + to_json([args, kwargs])
        return chart_cache.get(key, lambda: render(*args, **kwargs))

    return cached


class PainPoint(BaseModel):
    """One session's pain ratings on the 0-10 numeric rating scale."""

    when: date | datetime
    during: Pain | None = None
    after: Pain | None = None
    next_morning: Pain | None = None


class KoosPoint(BaseModel):
    """KOOS subscale scores (0-100, 100 = no problems) at one time point."""

    when: date | datetime
    pain: KoosScore | None = None
    symptoms: KoosScore | None = None
    adl: KoosScore | None = None
    sport_rec: KoosScore | None = None
    qol: KoosScore | None = None


class KneeRomPoint(BaseModel):
    """Goniometric knee range at one assessment. ``extension_deficit`` > 0 means lacking full extension."""

    when: date | datetime
    side: str = Field(pattern="^(left|right)$")
    extension_deficit_deg: float | None = Field(default=None, ge=-30, le=90)
    flexion_deg: float | None = Field(default=None, ge=0, le=180)


class RetroWalkPoint(BaseModel):
    """Dose actually walked backwards in one session."""

    when: date | datetime
    minutes: Minutes | None = None
    speed_kmh: SpeedKmh | None = None
    incline_pct: InclinePct | None = None


class GaitPoint(BaseModel):
    """Gait metrics from one recording (IMU or video keypoints)."""

    when: date | datetime
    cadence_spm: float | None = Field(default=None, ge=0, le=300)
    symmetry_pct: float | None = Field(
        default=None, ge=0, le=200, description="Step symmetry, 100 % = perfectly symmetric."
    )


class Chart(BaseModel):
    """A rendered chart: the SVG markup plus the text alternative used for it."""

    key: str
    title: str
    description: str
    svg: str
    png: bytes | None = None


#: Figure width and fixed margins, in inches: room for the title, the y label (``left``; the KOOS
#: panels' horizontal labels need more), the date ticks with their year line and the x label.
#: Fixed margins instead of matplotlib's constrained layout, which measured every text twice and
#: took more than half of each chart's rendering time.
FIG_WIDTH_IN = 7.0
MARGIN_IN = {"top": 0.42, "bottom": 0.78, "right": 0.18, "left": 0.78, "gap": 0.22}


def _new_figure(
    rows: int = 1, height_per_row: float = 2.6, *, left_in: float = MARGIN_IN["left"]
) -> tuple[Figure, list[Axes]]:
    m = MARGIN_IN
    height = 0.6 + height_per_row * rows
    fig = Figure(figsize=(FIG_WIDTH_IN, height))
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)
    panel = (height - m["top"] - m["bottom"] - m["gap"] * (rows - 1)) / rows
    fig.subplots_adjust(
        left=left_in / FIG_WIDTH_IN,
        right=1 - m["right"] / FIG_WIDTH_IN,
        top=1 - m["top"] / height,
        bottom=m["bottom"] / height,
        hspace=m["gap"] / panel,
    )
    return fig, [row[0] for row in axes]


def _format_dates(ax: Axes, points: Sequence[BaseModel] = ()) -> None:
    days = {_sort_key(p.when).date() for p in points}  # type: ignore[attr-defined]
    if len(days) == 1:  # one time point: show a week around it, not matplotlib's multi-year default
        (day,) = days
        lo = date2num(datetime(day.year, day.month, day.day) - timedelta(days=3))
        ax.set_xlim(lo, lo + 6.0)
    locator = AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _no_data(ax: Axes, what: str) -> None:
    ax.text(
        0.5,
        0.25,
        f"No {what} recorded yet",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color=PALETTE["grey"],
        fontsize=11,
    )
    ax.set_xticks([])


def _series(points: Sequence[BaseModel], attr: str) -> tuple[list[Any], list[float]]:
    xs: list[Any] = []
    ys: list[float] = []
    for p in points:
        value = getattr(p, attr)
        if value is not None:
            xs.append(p.when)  # type: ignore[attr-defined]
            ys.append(float(value))
    return xs, ys


def _every(xs: Sequence[Any]) -> int:
    """Marker stride keeping a series at :data:`MAX_MARKERS` markers or fewer (1 = every point)."""
    return max(1, -(-len(xs) // MAX_MARKERS))


def _line(ax: Any, xs: Sequence[Any], ys: Sequence[Any], style: int, colour: str, **kw: Any) -> None:
    """One series in the charts' shared style: marker and line style by position, thinned markers."""
    ax.plot(xs, ys, markevery=_every(xs), marker=MARKERS[style], ls=LINESTYLES[style], color=colour, **kw)


def _to_svg(fig: Figure, key: str, title: str, description: str) -> Chart:
    if dpi := raster_dpi.get():
        png = io.BytesIO()
        with rc_context(_RC):
            # light compression: WeasyPrint re-compresses the pixels into the PDF anyway
            fig.savefig(
                png,
                format="png",
                dpi=dpi,
                metadata={"Software": "retrowalk"},
                pil_kwargs={"compress_level": 1},
            )
        return Chart(key=key, title=title, description=description, svg="", png=png.getvalue())
    buf = io.StringIO()
    with rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "retrowalk"})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]  # drop XML prolog and doctype: embeddable inline in HTML
    tid, did = f"chart-{key}-title", f"chart-{key}-desc"
    svg = re.sub(
        r"<svg ",
        f'<svg role="img" aria-labelledby="{tid} {did}" class="chart" ',
        svg,
        count=1,
    )
    open_end = svg.index(">") + 1
    svg = (
        svg[:open_end]
        + f'\n <title id="{tid}">{html.escape(title)}</title>'
        + f'\n <desc id="{did}">{html.escape(description)}</desc>'
        + svg[open_end:]
    )
    return Chart(key=key, title=title, description=description, svg=svg)


def _describe(name: str, xs: Sequence[Any], ys: Sequence[float], unit: str) -> str:
    if not ys:
        return f"{name}: no data."
    first, last = ys[0], ys[-1]
    return (
        f"{name}: {len(ys)} values from {_d(xs[0])} to {_d(xs[-1])}; first {first:g}{unit}, "
        f"latest {last:g}{unit}."
    )


def _d(x: Any) -> str:
    return x.date().isoformat() if isinstance(x, datetime) else str(x)


@_cached
def pain_chart(points: Sequence[PainPoint], *, limit: float = PAIN_LIMIT) -> Chart:
    """Pain during, after and next morning per session, with the acceptable-pain line at ``limit``/10."""
    pts = sorted(points, key=lambda p: _sort_key(p.when))
    title = "Pain over time (0-10 numeric rating scale)"
    with rc_context(_RC):
        fig, (ax,) = _new_figure(1, 3.2)
        ax.axhspan(limit, 10.5, color=PALETTE["vermillion"], alpha=0.08, lw=0)
        ax.axhline(
            limit, color=PALETTE["vermillion"], lw=1.5, ls="--", label=f"Acceptable limit ({limit:g}/10)"
        )
        parts = []
        for i, (attr, label, colour) in enumerate(
            (
                ("during", "During session", PALETTE["blue"]),
                ("after", "After session", PALETTE["orange"]),
                ("next_morning", "Next morning", PALETTE["green"]),
            )
        ):
            xs, ys = _series(pts, attr)
            parts.append(_describe(label, xs, ys, "/10"))
            if ys:
                _line(ax, xs, ys, i, colour, label=label)
        ax.set_ylim(-0.3, 10.3)
        ax.set_yticks(range(0, 11))
        ax.set_ylabel("Pain (0-10 NRS)")
        ax.set_xlabel("Session date")
        ax.set_title(title)
        if not pts:
            _no_data(ax, "pain ratings")
        else:
            _format_dates(ax, pts)
        ax.legend(loc="upper right", ncols=2)
    desc = f"Dashed line marks {limit:g}/10, the upper limit of acceptable pain. " + " ".join(parts)
    return _to_svg(fig, "pain", title, desc)


@_cached
def koos_chart(points: Sequence[KoosPoint], *, mcid: dict[str, float] | None = None) -> Chart:
    """One small panel per KOOS subscale; the shaded band is baseline ± MCID (change inside it is
    not clinically important), so a point above the band is a clinically important improvement."""
    mcid = {**{k: DEFAULT_KOOS_MCID for k, _ in KOOS_SUBSCALES}, **(mcid or {})}
    pts = sorted(points, key=lambda p: _sort_key(p.when))
    title = "KOOS subscales over time (0-100, higher is better)"
    parts = []
    with rc_context(_RC):
        fig, axes = _new_figure(len(KOOS_SUBSCALES), 1.2, left_in=2.6)
        for i, ((attr, label), ax) in enumerate(zip(KOOS_SUBSCALES, axes, strict=True)):
            xs, ys = _series(pts, attr)
            parts.append(_describe(label, xs, ys, ""))
            if ys:
                base = ys[0]
                band = mcid[attr]
                ax.axhspan(
                    max(0.0, base - band),
                    min(100.0, base + band),
                    color=PALETTE["sky"],
                    alpha=0.25,
                    lw=0,
                    label=f"Baseline ± MCID ({band:g})",
                )
                _line(ax, xs, ys, i, PALETTE["blue"], label="Score")
                if i == 0:
                    ax.legend(loc="lower right", ncols=2)
            else:
                ax.text(
                    0.5,
                    0.5,
                    "no scores",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                    color=PALETTE["grey"],
                )
            ax.set_ylim(0, 100)
            ax.set_yticks([0, 50, 100])
            ax.set_ylabel(label, rotation=0, ha="right", va="center")
        axes[0].set_title(title, loc="right")  # wider than the panels: extends into the margin
        axes[-1].set_xlabel("Questionnaire date")
        if pts:
            _format_dates(axes[-1], pts)
        else:
            axes[-1].set_xticks([])
    desc = (
        "Shaded band: baseline score plus or minus the minimal clinically important difference. "
        + " ".join(parts)
    )
    return _to_svg(fig, "koos", title, desc)


@_cached
def knee_rom_chart(points: Sequence[KneeRomPoint]) -> Chart:
    """Knee extension deficit (target 0°) and flexion (typical 135-150°) per side."""
    pts = sorted(points, key=lambda p: _sort_key(p.when))
    title = "Knee range of motion (degrees)"
    parts = []
    with rc_context(_RC):
        fig, (ax_ext, ax_flex) = _new_figure(2, 2.4)
        ax_ext.axhline(0, color=PALETTE["green"], lw=1.5, ls="--", label="Full extension (0°)")
        ax_flex.axhspan(
            135, 150, color=PALETTE["green"], alpha=0.15, lw=0, label="Typical flexion (135-150°)"
        )
        for j, (side, colour) in enumerate((("left", PALETTE["blue"]), ("right", PALETTE["vermillion"]))):
            side_pts = [p for p in pts if p.side == side]
            for ax, attr, what in (
                (ax_ext, "extension_deficit_deg", "extension deficit"),
                (ax_flex, "flexion_deg", "flexion"),
            ):
                xs, ys = _series(side_pts, attr)
                parts.append(_describe(f"{side.title()} {what}", xs, ys, "°"))
                if ys:
                    _line(ax, xs, ys, j, colour, label=f"{side.title()} knee")
        ax_ext.set_ylabel("Extension deficit (°)")
        ax_ext.invert_yaxis()  # up = better (less deficit)
        ax_flex.set_ylabel("Flexion (°)")
        ax_flex.set_xlabel("Assessment date")
        ax_ext.set_title(title)
        for ax in (ax_ext, ax_flex):
            ax.legend(loc="best")
        if pts:
            _format_dates(ax_flex, pts)
        else:
            _no_data(ax_flex, "knee range")
    desc = (
        "Upper panel: extension deficit, 0 degrees is full extension (axis inverted so up is better). "
        "Lower panel: flexion with the typical 135-150 degree range shaded. " + " ".join(parts)
    )
    return _to_svg(fig, "knee-rom", title, desc)


@_cached
def retro_walk_chart(points: Sequence[RetroWalkPoint]) -> Chart:
    """Retro-walking dose per session: duration, belt speed and incline."""
    pts = sorted(points, key=lambda p: _sort_key(p.when))
    title = "Retro-walking dose per session"
    parts = []
    with rc_context(_RC):
        fig, axes = _new_figure(3, 1.7)
        for i, ((attr, label, unit, colour), ax) in enumerate(
            zip(
                (
                    ("minutes", "Duration (min)", " min", PALETTE["blue"]),
                    ("speed_kmh", "Speed (km/h)", " km/h", PALETTE["vermillion"]),
                    ("incline_pct", "Incline (%)", " %", PALETTE["green"]),
                ),
                axes,
                strict=True,
            )
        ):
            xs, ys = _series(pts, attr)
            parts.append(_describe(label, xs, ys, unit))
            if ys:
                _line(ax, xs, ys, i, colour, drawstyle="steps-post")
            ax.set_ylabel(label)
            ax.set_ylim(bottom=0)
        axes[0].set_title(title)
        axes[-1].set_xlabel("Session date")
        if pts:
            _format_dates(axes[-1], pts)
        else:
            _no_data(axes[0], "retro-walking sessions")
            axes[-1].set_xticks([])
    return _to_svg(fig, "retro-walk", title, " ".join(parts))


@_cached
def gait_chart(points: Sequence[GaitPoint]) -> Chart:
    """Cadence and step symmetry from recordings; 100 % symmetry is the reference."""
    pts = sorted(points, key=lambda p: _sort_key(p.when))
    title = "Gait: cadence and symmetry"
    parts = []
    with rc_context(_RC):
        fig, (ax_c, ax_s) = _new_figure(2, 2.0)
        xs, ys = _series(pts, "cadence_spm")
        parts.append(_describe("Cadence", xs, ys, " steps/min"))
        if ys:
            ax_c.plot(xs, ys, markevery=_every(xs), marker=MARKERS[0], color=PALETTE["blue"])
        ax_c.set_ylabel("Cadence (steps/min)")
        ax_s.axhline(100, color=PALETTE["green"], lw=1.5, ls="--", label="Perfect symmetry (100 %)")
        xs, ys = _series(pts, "symmetry_pct")
        parts.append(_describe("Symmetry", xs, ys, " %"))
        if ys:
            _line(ax_s, xs, ys, 1, PALETTE["vermillion"], label="Step symmetry")
        ax_s.set_ylabel("Symmetry (%)")
        ax_s.legend(loc="best")
        ax_s.set_xlabel("Recording date")
        ax_c.set_title(title)
        if pts:
            _format_dates(ax_s, pts)
        else:
            _no_data(ax_c, "gait recordings")
            ax_s.set_xticks([])
    return _to_svg(fig, "gait", title, " ".join(parts))


def _sort_key(when: date | datetime) -> datetime:
    return when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)


class ChartInputs(BaseModel):
    """Everything the outcome charts need for one client."""

    pain: list[PainPoint] = Field(default_factory=list)
    koos: list[KoosPoint] = Field(default_factory=list)
    koos_mcid: dict[str, float] = Field(default_factory=dict)
    knee_rom: list[KneeRomPoint] = Field(default_factory=list)
    retro_walk: list[RetroWalkPoint] = Field(default_factory=list)
    gait: list[GaitPoint] = Field(default_factory=list)


def all_charts(inp: ChartInputs) -> list[Chart]:
    """The five outcome charts in report order."""
    return [
        pain_chart(inp.pain),
        koos_chart(inp.koos, mcid=inp.koos_mcid),
        knee_rom_chart(inp.knee_rom),
        retro_walk_chart(inp.retro_walk),
        gait_chart(inp.gait),
    ]
