"""Outcome charts as standalone, accessible SVG strings, drawn directly (no plotting library).

Inputs are plain pydantic time series so the same charts serve the web pages (each chart its own
URL, see :func:`chart_version`), the PDF report (WeasyPrint embeds SVG) and anything fed from
storage. Each SVG carries a ``<title>`` and ``<desc>`` plus ``role="img"`` so screen readers
announce it; text stays text (not paths) so it is searchable in the PDF. Colours follow the
Okabe-Ito palette (colour-blind safe) and every series also differs by marker/line style, never
by colour alone.

Why hand-written SVG instead of matplotlib: these are a few dated line series on fixed axes, and
matplotlib took 40-100 ms of CPU per chart (its figure, transform and text machinery), which made
a client's first page view after new data cost 0.3 s of CPU; this module draws the same charts
in about a millisecond each, with fewer elements for the PDF renderer to draw.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import to_json

from retrowalk import __version__
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
#: tells the series apart) and the SVG small (one element per marker).
MAX_MARKERS = 40
#: SVG stroke-dasharray per line style, in the order of :data:`MARKERS`: solid, dashed,
#: dash-dot, dotted, long dash with dots.
LINESTYLES = ("", "7 4", "7 3 2 3", "2.5 2.5", "9 2 2 2")

#: Pain-monitoring model: pain during/after activity may reach 5/10 (Silbernagel 2007).
PAIN_LIMIT = pain_rules().limit_above
#: General KOOS guidance, ~8-10 points (Roos & Lohmander 2003); callers pass instrument-specific values.
DEFAULT_KOOS_MCID = 10.0
#: Panels in the KOOS chart, titled as the questionnaire titles its subscales (core koos.yaml).
KOOS_SUBSCALES: tuple[tuple[str, str], ...] = tuple(
    (key, SUBSCALE_TITLES[key]) for key in ("pain", "symptoms", "adl", "sport_rec", "qol")
)

#: Rendered charts kept in memory (a few kB each): five per client for the last ~100 clients
#: viewed, so the chart URLs of a page just shown, its PDF and repeat views draw each once.
CHART_CACHE_SIZE = 500
#: Part of every chart's version: a new release (or a change of drawing here) is a new URL, so a
#: browser never keeps an old drawing of the same data.
RENDERER_VERSION = hashlib.blake2b(
    to_json([__version__, Path(__file__).read_bytes().decode(), PAIN_LIMIT, KOOS_SUBSCALES]), digest_size=8
).hexdigest()  # the drawing code and the core values it draws (pain limit, KOOS titles) change it


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


class ChartText(BaseModel):
    """A chart's text alternative and version, known without drawing it (what a page that links
    the chart needs)."""

    key: str
    title: str
    description: str
    #: :func:`chart_version` of what it draws (its URL's version and ETag on the web pages).
    version: str = ""


class Chart(ChartText):
    """A rendered chart: the SVG markup plus the text alternative used for it."""

    svg: str


class ChartInputs(BaseModel):
    """Everything the outcome charts need for one client."""

    pain: list[PainPoint] = Field(default_factory=list)
    koos: list[KoosPoint] = Field(default_factory=list)
    koos_mcid: dict[str, float] = Field(default_factory=dict)
    knee_rom: list[KneeRomPoint] = Field(default_factory=list)
    retro_walk: list[RetroWalkPoint] = Field(default_factory=list)
    gait: list[GaitPoint] = Field(default_factory=list)


# --- drawing --------------------------------------------------------------------------------------

#: Chart width and fixed margins in SVG px (the web page and the PDF scale the whole chart).
WIDTH = 700.0
MARGIN = {"top": 40.0, "bottom": 58.0, "right": 18.0, "left": 74.0, "gap": 30.0}
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
INK, AXIS, GRID = "#111111", "#333333", "#d0d0d0"
_LEGEND_ROW = 18.0


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _num(v: float) -> str:
    """Coordinates with two decimals at most, no trailing zeros: small and deterministic."""
    return f"{v:.2f}".rstrip("0").rstrip(".")


def _text_width(text: str, size: float) -> float:
    """Approximate width of ``text`` in px (DejaVu Sans averages about 0.6 em per character)."""
    return 0.6 * size * len(text)


def _sort_key(when: date | datetime) -> datetime:
    return when if isinstance(when, datetime) else datetime(when.year, when.month, when.day)


def _x(when: date | datetime) -> float:
    """A point in time as days (with fractions) since year one: the x coordinate before scaling."""
    t = _sort_key(when)
    return t.toordinal() + (t.hour * 3600 + t.minute * 60 + t.second) / 86400.0


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / max(1, target)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _y_ticks(lo: float, hi: float) -> list[float]:
    step = _nice_step(hi - lo)
    first = math.ceil(lo / step - 1e-9) * step
    n = math.floor((hi - first) / step + 1e-9)
    return [round(first + i * step, 10) for i in range(n + 1)]


def _month_add(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def _date_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Between 3 and 7 ticks on whole days, weeks or month starts, labelled concisely (the year
    is given at the first tick and wherever it changes)."""
    first, last = date.fromordinal(math.ceil(lo)), date.fromordinal(math.floor(hi))
    span = (last - first).days
    for days in (1, 2, 7, 14):
        if span / days <= 6:
            ticks = [first + timedelta(days=i) for i in range(0, span + 1, days)]
            break
    else:
        months = next((m for m in (1, 2, 3, 6, 12) if span / (30.4 * m) <= 6), 24)
        start = _month_add(first, 0) if first.day == 1 else _month_add(first, 1)
        start = _month_add(start, (-(start.month - 1)) % months)
        ticks = []
        while start <= last:
            ticks.append(start)
            start = _month_add(start, months)
    out: list[tuple[float, str]] = []
    year = None
    for t in ticks:
        label = f"{t.day} {calendar.month_abbr[t.month]}" if span <= 90 else calendar.month_abbr[t.month]
        if t.year != year:
            label += f" {t.year}"
            year = t.year
        out.append((float(t.toordinal()), label))
    return out


@dataclass
class _Series:
    xs: list[float]
    ys: list[float]
    style: int
    colour: str
    label: str | None = None
    steps: bool = False


@dataclass
class _Panel:
    """One plotting area: horizontal bands and reference lines, series, its own y axis."""

    height: float
    ylabel: str
    caption: str = ""  # a panel's own name, above it (the KOOS subscales)
    ylim: tuple[float | None, float | None] = (None, None)
    yticks: Sequence[float] | None = None
    invert: bool = False
    bands: list[tuple[float, float, str, float, str | None]] = field(default_factory=list)
    hlines: list[tuple[float, str, str | None]] = field(default_factory=list)
    series: list[_Series] = field(default_factory=list)
    empty: str = ""  # text shown in the middle when nothing is plotted
    legend: bool = False

    def legend_items(self) -> list[tuple[str, str, str, int | None, float | None]]:
        """(label, colour, dasharray, marker, band opacity) for each labelled element."""
        items: list[tuple[str, str, str, int | None, float | None]] = []
        for _lo, _hi, colour, alpha, label in self.bands:
            if label:
                items.append((label, colour, "", None, alpha))
        for _y, colour, label in self.hlines:
            if label:
                items.append((label, colour, LINESTYLES[1], None, None))
        for s in self.series:
            if s.label:
                items.append((s.label, s.colour, LINESTYLES[s.style], s.style, None))
        return items

    def y_range(self) -> tuple[float, float]:
        values = [y for s in self.series for y in s.ys]
        values += [y for y, _c, _l in self.hlines]
        values += [v for lo, hi, *_ in self.bands for v in (lo, hi)]
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        if hi - lo < 1e-9:
            lo, hi = lo - 1.0, hi + 1.0
        pad = 0.05 * (hi - lo)
        lo, hi = lo - pad, hi + pad
        return (
            self.ylim[0] if self.ylim[0] is not None else lo,
            self.ylim[1] if self.ylim[1] is not None else hi,
        )


def _y_scale(lo: float, hi: float, top: float, bottom: float, *, invert: bool) -> Callable[[float], float]:
    """Data value to SVG y (which grows downwards); ``invert`` puts ``lo`` at the top."""

    def sy(v: float) -> float:
        frac = (v - lo) / (hi - lo)
        return top + (frac if invert else 1.0 - frac) * (bottom - top)

    return sy


def _marker(shape: int, x: float, y: float, colour: str) -> str:
    r = 3.2
    fill = f'fill="{colour}"'
    kind = MARKERS[shape]
    if kind == "o":
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{r}" {fill}/>'
    if kind == "s":
        return f'<rect x="{_num(x - r)}" y="{_num(y - r)}" width="{2 * r}" height="{2 * r}" {fill}/>'
    shapes = {
        "^": ((0, -1.2), (1.1, 0.8), (-1.1, 0.8)),
        "v": ((0, 1.2), (1.1, -0.8), (-1.1, -0.8)),
        "D": ((0, -1.3), (1.0, 0), (0, 1.3), (-1.0, 0)),
    }[kind]
    pts = " ".join(f"{_num(x + dx * r)},{_num(y + dy * r)}" for dx, dy in shapes)
    return f'<polygon points="{pts}" {fill}/>'


def _every(n: int) -> int:
    """Marker stride keeping a series at :data:`MAX_MARKERS` markers or fewer (1 = every point)."""
    return max(1, -(-n // MAX_MARKERS))


def _legend_rows(items: Sequence[tuple[str, ...] | Any], width: float) -> list[list[Any]]:
    rows: list[list[Any]] = [[]]
    used = 0.0
    for item in items:
        w = 34 + _text_width(item[0], 11) + 18
        if rows[-1] and used + w > width:
            rows.append([])
            used = 0.0
        rows[-1].append((item, w))
        used += w
    return [r for r in rows if r]


@dataclass(frozen=True)
class _Spec:
    """What a chart shows, before drawing: stacked panels sharing one date axis."""

    key: str
    title: str
    description: str
    panels: Sequence[_Panel]
    xlabel: str
    dates: Sequence[date | datetime]


def _draw(spec: _Spec, version: str) -> Chart:
    """The SVG of the spec's panels with the title, legends and labels."""
    key, title, description, panels = spec.key, spec.title, spec.description, spec.panels
    xlabel, dates = spec.xlabel, spec.dates
    m = MARGIN
    left, right = m["left"], WIDTH - m["right"]
    plot_w = right - left
    out: list[str] = []
    # x range: the data's days, a week around a single day
    if dates:
        xs = [_x(d) for d in dates]
        x_lo, x_hi = min(xs), max(xs)
        if x_hi - x_lo < 1:
            x_lo, x_hi = math.floor(x_lo) - 3, math.floor(x_lo) + 3
        pad = 0.03 * (x_hi - x_lo)
        x_lo, x_hi = x_lo - pad, x_hi + pad
    else:
        x_lo, x_hi = 0.0, 1.0

    def sx(v: float) -> float:
        return left + (v - x_lo) / (x_hi - x_lo) * plot_w

    ticks = _date_ticks(x_lo, x_hi) if dates else []
    y = m["top"]
    for panel in panels:
        # a panel's caption (bold) starts its first legend row
        indent = _text_width(panel.caption, 12.5) + 16 if panel.caption else 0.0
        legend = _legend_rows(panel.legend_items(), plot_w - indent) if panel.legend else []
        if panel.caption:
            out.append(
                f'<text x="{_num(left)}" y="{_num(y + 13)}" font-size="12" font-weight="bold">'
                f"{_esc(panel.caption)}</text>"
            )
            if not legend:
                y += _LEGEND_ROW
        for n, row in enumerate(legend):
            lx = left + (indent if n == 0 else 0.0)
            for (label, colour, dash, shape, alpha), w in row:
                cy = y + 9
                if alpha is not None:
                    out.append(
                        f'<rect x="{_num(lx)}" y="{_num(cy - 6)}" width="26" height="12" fill="{colour}" '
                        f'fill-opacity="{alpha}"/>'
                    )
                else:
                    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                    out.append(
                        f'<line x1="{_num(lx)}" y1="{_num(cy)}" x2="{_num(lx + 26)}" y2="{_num(cy)}" '
                        f'stroke="{colour}" stroke-width="2"{dash_attr}/>'
                    )
                    if shape is not None:
                        out.append(_marker(shape, lx + 13, cy, colour))
                out.append(
                    f'<text x="{_num(lx + 32)}" y="{_num(cy + 4)}" font-size="11">{_esc(label)}</text>'
                )
                lx += w
            y += _LEGEND_ROW
        top, bottom = y, y + panel.height
        lo, hi = panel.y_range()

        sy = _y_scale(lo, hi, top, bottom, invert=panel.invert)

        clip = f"clip-{key}-{len(out)}"
        out.append(
            f'<clipPath id="{clip}"><rect x="{_num(left)}" y="{_num(top)}" width="{_num(plot_w)}" '
            f'height="{_num(panel.height)}"/></clipPath>'
        )
        for b_lo, b_hi, colour, alpha, _label in panel.bands:
            y1, y2 = sorted((sy(b_lo), sy(b_hi)))
            out.append(
                f'<rect x="{_num(left)}" y="{_num(y1)}" width="{_num(plot_w)}" height="{_num(y2 - y1)}" '
                f'fill="{colour}" fill-opacity="{alpha}" clip-path="url(#{clip})"/>'
            )
        yticks = [t for t in (panel.yticks or _y_ticks(min(lo, hi), max(lo, hi))) if lo <= t <= hi]
        for t in yticks:
            ty = sy(t)
            out.append(
                f'<line x1="{_num(left)}" y1="{_num(ty)}" x2="{_num(right)}" y2="{_num(ty)}" '
                f'stroke="{GRID}" stroke-width="0.8"/>'
            )
            out.append(
                f'<text x="{_num(left - 6)}" y="{_num(ty + 4)}" font-size="11" text-anchor="end">{t:g}</text>'
            )
        for tx, _label in ticks:
            out.append(
                f'<line x1="{_num(sx(tx))}" y1="{_num(top)}" x2="{_num(sx(tx))}" y2="{_num(bottom)}" '
                f'stroke="{GRID}" stroke-width="0.8"/>'
            )
        for ref, colour, _label in panel.hlines:
            if min(lo, hi) <= ref <= max(lo, hi):
                out.append(
                    f'<line x1="{_num(left)}" y1="{_num(sy(ref))}" x2="{_num(right)}" y2="{_num(sy(ref))}" '
                    f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="{LINESTYLES[1]}"/>'
                )
        for s in panel.series:
            pts: list[tuple[float, float]] = []
            for i, (vx, vy) in enumerate(zip(s.xs, s.ys, strict=True)):
                if s.steps and i:
                    pts.append((sx(vx), pts[-1][1]))
                pts.append((sx(vx), sy(vy)))
            dash = f' stroke-dasharray="{LINESTYLES[s.style]}"' if LINESTYLES[s.style] else ""
            line = " ".join(f"{_num(px)},{_num(py)}" for px, py in pts)
            out.append(
                f'<polyline points="{line}" fill="none" stroke="{s.colour}" stroke-width="2" '
                f'stroke-linejoin="round"{dash} clip-path="url(#{clip})"/>'
            )
            for i in range(0, len(s.xs), _every(len(s.xs))):
                out.append(_marker(s.style, sx(s.xs[i]), sy(s.ys[i]), s.colour))
        if panel.empty:
            out.append(
                f'<text x="{_num(left + plot_w / 2)}" y="{_num(top + panel.height * 0.72 + 5)}" '
                f'font-size="13" text-anchor="middle" fill="{PALETTE["grey"]}">{_esc(panel.empty)}</text>'
            )
        out.append(
            f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(plot_w)}" height="{_num(panel.height)}" '
            f'fill="none" stroke="{AXIS}" stroke-width="1"/>'
        )
        mid = (top + bottom) / 2
        out.append(
            f'<text transform="translate({_num(18)} {_num(mid)}) rotate(-90)" font-size="12" '
            f'text-anchor="middle">{_esc(panel.ylabel)}</text>'
        )
        y = bottom + m["gap"]
    bottom = y - m["gap"]
    for tx, label in ticks:
        if sx(tx) + _text_width(label, 11) / 2 > WIDTH or sx(tx) - _text_width(label, 11) / 2 < 0:
            continue  # a tick label that would be cut at the edge
        out.append(
            f'<line x1="{_num(sx(tx))}" y1="{_num(bottom)}" x2="{_num(sx(tx))}" y2="{_num(bottom + 5)}" '
            f'stroke="{AXIS}"/>'
        )
        out.append(
            f'<text x="{_num(sx(tx))}" y="{_num(bottom + 19)}" font-size="11" text-anchor="middle">'
            f"{_esc(label)}</text>"
        )
    out.append(
        f'<text x="{_num(left + plot_w / 2)}" y="{_num(bottom + 42)}" font-size="12" text-anchor="middle">'
        f"{_esc(xlabel)}</text>"
    )
    height = bottom + m["bottom"]
    tid, did = f"chart-{key}-title", f"chart-{key}-desc"
    svg = (
        f'<svg role="img" aria-labelledby="{tid} {did}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{_num(WIDTH)}" height="{_num(height)}" viewBox="0 0 {_num(WIDTH)} {_num(height)}" '
        f'font-family="{FONT}" fill="{INK}">\n'
        f' <title id="{tid}">{_esc(title)}</title>\n'
        f' <desc id="{did}">{_esc(description)}</desc>\n'
        f' <rect width="100%" height="100%" fill="#ffffff"/>\n'
        f' <text x="{_num(WIDTH / 2)}" y="24" font-size="14" font-weight="bold" text-anchor="middle">'
        f"{_esc(title)}</text>\n " + "\n ".join(out) + "\n</svg>\n"
    )
    return Chart(key=key, title=title, description=description, version=version, svg=svg)


# --- the five charts ------------------------------------------------------------------------------


def _series(points: Sequence[BaseModel], attr: str) -> tuple[list[Any], list[float]]:
    xs: list[Any] = []
    ys: list[float] = []
    for p in points:
        value = getattr(p, attr)
        if value is not None:
            xs.append(p.when)  # type: ignore[attr-defined]
            ys.append(float(value))
    return xs, ys


def _line(xs: Sequence[Any], ys: Sequence[float], style: int, colour: str, **kw: Any) -> _Series:
    """One series in the charts' shared style: marker and line style by position."""
    return _Series([_x(x) for x in xs], list(ys), style, colour, **kw)


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


def _sorted(points: Sequence[Any]) -> list[Any]:
    return sorted(points, key=lambda p: _sort_key(p.when))


def _when(points: Sequence[Any]) -> list[date | datetime]:
    return [p.when for p in points]


def _pain_spec(points: Sequence[PainPoint], *, limit: float = PAIN_LIMIT) -> _Spec:
    pts = _sorted(points)
    title = "Pain over time (0-10 numeric rating scale)"
    panel = _Panel(
        height=230,
        ylabel="Pain (0-10 NRS)",
        ylim=(-0.3, 10.3),
        yticks=range(0, 11),
        bands=[(limit, 10.5, PALETTE["vermillion"], 0.08, None)],
        hlines=[(limit, PALETTE["vermillion"], f"Acceptable limit ({limit:g}/10)")],
        empty="" if pts else "No pain ratings recorded yet",
        legend=True,
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
            panel.series.append(_line(xs, ys, i, colour, label=label))
    desc = f"Dashed line marks {limit:g}/10, the upper limit of acceptable pain. " + " ".join(parts)
    return _Spec("pain", title, desc, [panel], xlabel="Session date", dates=_when(pts))


def _koos_spec(points: Sequence[KoosPoint], *, mcid: dict[str, float] | None = None) -> _Spec:
    mcid = {**{k: DEFAULT_KOOS_MCID for k, _ in KOOS_SUBSCALES}, **(mcid or {})}
    pts = _sorted(points)
    title = "KOOS subscales over time (0-100, higher is better)"
    parts = []
    panels = []
    for i, (attr, label) in enumerate(KOOS_SUBSCALES):
        xs, ys = _series(pts, attr)
        parts.append(_describe(label, xs, ys, ""))
        panel = _Panel(height=70, ylabel="Score", caption=label, ylim=(0, 100), yticks=(0, 50, 100))
        if ys:
            base, band = ys[0], mcid[attr]
            panel.bands.append(
                (
                    max(0.0, base - band),
                    min(100.0, base + band),
                    PALETTE["sky"],
                    0.25,
                    f"Baseline ± MCID ({band:g})",
                )
            )
            panel.series.append(_line(xs, ys, i, PALETTE["blue"], label="Score"))
            panel.legend = True
        else:
            panel.empty = "no scores"
        panels.append(panel)
    desc = (
        "Shaded band: baseline score plus or minus the minimal clinically important difference. "
        + " ".join(parts)
    )
    return _Spec("koos", title, desc, panels, xlabel="Questionnaire date", dates=_when(pts))


def _knee_rom_spec(points: Sequence[KneeRomPoint]) -> _Spec:
    pts = _sorted(points)
    title = "Knee range of motion (degrees)"
    ext = _Panel(
        height=150,
        ylabel="Extension deficit (°)",
        invert=True,  # up = better (less deficit)
        hlines=[(0.0, PALETTE["green"], "Full extension (0°)")],
        legend=True,
    )
    flex = _Panel(
        height=150,
        ylabel="Flexion (°)",
        bands=[(135.0, 150.0, PALETTE["green"], 0.15, "Typical flexion (135-150°)")],
        empty="" if pts else "No knee range recorded yet",
        legend=True,
    )
    parts = []
    for j, (side, colour) in enumerate((("left", PALETTE["blue"]), ("right", PALETTE["vermillion"]))):
        side_pts = [p for p in pts if p.side == side]
        for panel, attr, what in (
            (ext, "extension_deficit_deg", "extension deficit"),
            (flex, "flexion_deg", "flexion"),
        ):
            xs, ys = _series(side_pts, attr)
            parts.append(_describe(f"{side.title()} {what}", xs, ys, "°"))
            if ys:
                panel.series.append(_line(xs, ys, j, colour, label=f"{side.title()} knee"))
    desc = (
        "Upper panel: extension deficit, 0 degrees is full extension (axis inverted so up is better). "
        "Lower panel: flexion with the typical 135-150 degree range shaded. " + " ".join(parts)
    )
    return _Spec("knee-rom", title, desc, [ext, flex], xlabel="Assessment date", dates=_when(pts))


def _retro_walk_spec(points: Sequence[RetroWalkPoint]) -> _Spec:
    pts = _sorted(points)
    title = "Retro-walking dose per session"
    parts = []
    panels = []
    for i, (attr, label, unit, colour) in enumerate(
        (
            ("minutes", "Duration (min)", " min", PALETTE["blue"]),
            ("speed_kmh", "Speed (km/h)", " km/h", PALETTE["vermillion"]),
            ("incline_pct", "Incline (%)", " %", PALETTE["green"]),
        )
    ):
        xs, ys = _series(pts, attr)
        parts.append(_describe(label, xs, ys, unit))
        panel = _Panel(height=90, ylabel=label, ylim=(0.0, None))
        if ys:
            panel.series.append(_line(xs, ys, i, colour, steps=True))
        panels.append(panel)
    if not pts:
        panels[0].empty = "No retro-walking sessions recorded yet"
    return _Spec("retro-walk", title, " ".join(parts), panels, xlabel="Session date", dates=_when(pts))


def _gait_spec(points: Sequence[GaitPoint]) -> _Spec:
    pts = _sorted(points)
    title = "Gait: cadence and symmetry"
    parts = []
    cadence = _Panel(height=120, ylabel="Cadence (steps/min)", empty="" if pts else "No gait recordings yet")
    symmetry = _Panel(
        height=120,
        ylabel="Symmetry (%)",
        hlines=[(100.0, PALETTE["green"], "Perfect symmetry (100 %)")],
        legend=True,
    )
    xs, ys = _series(pts, "cadence_spm")
    parts.append(_describe("Cadence", xs, ys, " steps/min"))
    if ys:
        cadence.series.append(_line(xs, ys, 0, PALETTE["blue"]))
    xs, ys = _series(pts, "symmetry_pct")
    parts.append(_describe("Symmetry", xs, ys, " %"))
    if ys:
        symmetry.series.append(_line(xs, ys, 1, PALETTE["vermillion"], label="Step symmetry"))
    return _Spec(
        "gait", title, " ".join(parts), [cadence, symmetry], xlabel="Recording date", dates=_when(pts)
    )


# --- the charts by name, versioned by their inputs, cached -----------------------------------------

#: Each chart's key, its spec and the part of :class:`ChartInputs` it draws, in report order.
_CHARTS: dict[
    str, tuple[Callable[..., _Spec], Callable[[ChartInputs], tuple[tuple[Any, ...], dict[str, Any]]]]
] = {
    "pain": (_pain_spec, lambda inp: ((inp.pain,), {})),
    "koos": (_koos_spec, lambda inp: ((inp.koos,), {"mcid": inp.koos_mcid})),
    "knee-rom": (_knee_rom_spec, lambda inp: ((inp.knee_rom,), {})),
    "retro-walk": (_retro_walk_spec, lambda inp: ((inp.retro_walk,), {})),
    "gait": (_gait_spec, lambda inp: ((inp.gait,), {})),
}
CHART_KEYS: tuple[str, ...] = tuple(_CHARTS)
#: The :class:`ChartInputs` fields each chart draws (what a reader of one chart needs to load).
CHART_FIELDS: dict[str, tuple[str, ...]] = {
    "pain": ("pain",),
    "koos": ("koos", "koos_mcid"),
    "knee-rom": ("knee_rom",),
    "retro-walk": ("retro_walk",),
    "gait": ("gait",),
}


class _ChartCache:
    """Bounded, thread-safe LRU of rendered charts keyed by their version (:func:`_version`).

    Why: the client page's chart URLs, the PDF and repeat views draw the same series; a key made
    from the inputs' JSON can never serve a chart for other data, and any new or corrected row
    changes it.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._charts: OrderedDict[str, Chart] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, render: Callable[[], Chart]) -> Chart:
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


def _version(key: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    digest = hashlib.blake2b(to_json([RENDERER_VERSION, key, args, kwargs]), digest_size=12)
    return digest.hexdigest()


def _render(key: str, *args: Any, **kwargs: Any) -> Chart:
    spec = _CHARTS[key][0]
    version = _version(key, args, kwargs)
    return chart_cache.get(version, lambda: _draw(spec(*args, **kwargs), version))


def chart_version(inp: ChartInputs, key: str) -> str:
    """A short hash of exactly what chart ``key`` draws from ``inp`` (and of this renderer): the
    version in the chart's URL and its ETag, new whenever a row it draws is added or corrected.
    ``KeyError`` for an unknown key."""
    args, kwargs = _CHARTS[key][1](inp)
    return _version(key, args, kwargs)


def chart(inp: ChartInputs, key: str) -> Chart:
    """Chart ``key`` of one client's inputs (cached by its version). ``KeyError`` for an unknown key."""
    args, kwargs = _CHARTS[key][1](inp)
    return _render(key, *args, **kwargs)


def pain_chart(points: Sequence[PainPoint], *, limit: float = PAIN_LIMIT) -> Chart:
    """Pain during, after and next morning per session, with the acceptable-pain line at ``limit``/10."""
    return _render("pain", list(points), limit=limit)


def koos_chart(points: Sequence[KoosPoint], *, mcid: dict[str, float] | None = None) -> Chart:
    """One small panel per KOOS subscale; the shaded band is baseline ± MCID (change inside it is
    not clinically important), so a point above the band is a clinically important improvement."""
    return _render("koos", list(points), mcid=mcid or {})


def knee_rom_chart(points: Sequence[KneeRomPoint]) -> Chart:
    """Knee extension deficit (target 0°) and flexion (typical 135-150°) per side."""
    return _render("knee-rom", list(points))


def retro_walk_chart(points: Sequence[RetroWalkPoint]) -> Chart:
    """Retro-walking dose per session: duration, belt speed and incline."""
    return _render("retro-walk", list(points))


def gait_chart(points: Sequence[GaitPoint]) -> Chart:
    """Cadence and step symmetry from recordings; 100 % symmetry is the reference."""
    return _render("gait", list(points))


def all_charts(inp: ChartInputs) -> list[Chart]:
    """The five outcome charts in report order."""
    return [chart(inp, key) for key in CHART_KEYS]


def chart_texts(inp: ChartInputs) -> list[ChartText]:
    """The five charts' titles, descriptions and versions in report order, without drawing them
    (the client page links each chart by its version; the chart's URL draws it)."""
    out = []
    for key in CHART_KEYS:
        spec, select = _CHARTS[key]
        args, kwargs = select(inp)
        s = spec(*args, **kwargs)
        out.append(
            ChartText(key=key, title=s.title, description=s.description, version=_version(key, args, kwargs))
        )
    return out
