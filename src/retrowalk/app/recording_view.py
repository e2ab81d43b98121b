"""A recording's results in plain words: the one wording table for metric names, units, contact
types, directions and settings, so no page shows an engine's raw key ("leg length px").

Why here: the recordings page, the client page and the REST API's readers show the same words;
the engines keep their own field names (the same names as :class:`retrowalk.gait.summary`'s
``GaitSummary``), and only this table turns them into text. Values an engine uses internally
(pixels, curves, per-stride rows) are not listed and so not shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Whole-walk values: engine key → (label, unit, decimals). The order is the display order.
METRIC_WORDS: dict[str, tuple[str, str, int]] = {
    "duration_s": ("Length of the recording", "s", 1),
    "steps": ("Steps counted", "", 0),
    "cadence_spm": ("Cadence", "steps/min", 0),
    "step_time_mean_s": ("Average step time", "s", 2),
    "step_time_s": ("Average step time", "s", 2),
    "step_time_cv_pct": ("Step-to-step variation in timing", "%", 1),
    "step_time_asymmetry_pct": ("Difference between left and right step times", "%", 1),
    "step_length_asymmetry_pct": ("Difference between left and right step lengths", "%", 1),
    "gait_speed_m_s": ("Walking speed", "m/s", 2),
    "trunk_lean_deg": ("Forward lean of the trunk", "°", 0),
    "camera_tilt_deg": ("Camera tilt", "°", 0),
    "active_minutes": ("Time spent walking", "min", 1),
}
#: Per-leg values (pose engine): key → (label, unit, decimals).
LEG_WORDS: dict[str, tuple[str, str, int]] = {
    "knee_ext_stance_deg": ("Knee extension in stance (0° = fully straight)", "°", 0),
    "knee_flex_swing_deg": ("Knee bend in swing", "°", 0),
    "stance_pct": ("Share of each stride with the foot on the ground", "%", 0),
    "stride_time_s": ("Stride time", "s", 2),
    "step_length_leg": ("Step length, in leg lengths", "", 2),
    "n_strides": ("Strides measured", "", 0),
    "strides": ("Strides measured", "", 0),
}
CONTACT_WORDS: dict[str, str] = {
    "toe_first": "toe first",
    "heel_first": "heel first",
    "flat": "whole foot at once",
    "unknown": "not clear",
}
DIRECTION_WORDS: dict[str, str] = {
    "backward": "walking backward",
    "forward": "walking forward",
    "unknown": "direction not determined",
}
SETTING_WORDS: dict[str, str] = {
    "treadmill": "on a treadmill",
    "overground": "over ground",
    "unknown": "",
}
STATUS_WORDS: dict[str, str] = {
    "stored": "stored, not analysed",
    "queued": "waiting to be analysed",
    "analysing": "being analysed",
    "analysed": "analysed",
    "withheld": "not analysed: the data were too weak to measure",
    "failed": "the analysis failed",
}
SIDES = ("left", "right")


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class RecordingResults:
    """What the recordings page shows of one recording."""

    headline: str
    status: str
    rows: list[Row] = field(default_factory=list)
    #: label → {"left": text, "right": text}
    legs: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _fmt(value: Any, unit: str, decimals: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    text = f"{value:.{decimals}f}"
    return f"{text} {unit}".strip() if unit not in ("°", "%") else f"{text}{unit}"


def _contacts(counts: Any) -> list[Row]:
    if not isinstance(counts, Mapping):
        return []
    total = sum(v for v in counts.values() if isinstance(v, int))
    return [
        Row(CONTACT_WORDS.get(str(kind), str(kind).replace("_", " ")), f"{n} of {total} steps")
        for kind, n in counts.items()
        if isinstance(n, int) and n > 0
    ]


def describe(metrics: Mapping[str, Any] | None, status: str) -> RecordingResults:
    """The plain-word results of one recording's stored metrics (any engine)."""
    m: Mapping[str, Any] = metrics or {}
    words = [DIRECTION_WORDS.get(str(m.get("direction", "unknown")), "")]
    words.append(SETTING_WORDS.get(str(m.get("setting", "unknown")), ""))
    headline = ", ".join(w for w in words if w)
    rows: list[Row] = []
    seen: set[str] = set()
    for key, (label, unit, decimals) in METRIC_WORDS.items():
        text = _fmt(m.get(key), unit, decimals)
        if text is not None and label not in seen:
            seen.add(label)
            rows.append(Row(label, text))
    legs: list[tuple[str, dict[str, str]]] = []
    seen = set()
    for key, (label, unit, decimals) in LEG_WORDS.items():
        per_side = {}
        for side in SIDES:
            leg = m.get(side)
            text = _fmt(leg.get(key), unit, decimals) if isinstance(leg, Mapping) else None
            if text is not None:
                per_side[side] = text
        if per_side and label not in seen:
            seen.add(label)
            legs.append((label, per_side))
    contacts = _contacts(m.get("contact_type_counts"))
    for side in SIDES:
        leg = m.get(side)
        if isinstance(leg, Mapping) and leg.get("contact_type_counts"):
            legs.append(
                (
                    "Foot contact",
                    {s: _side_contacts(m.get(s)) for s in SIDES if isinstance(m.get(s), Mapping)},
                )
            )
            break
    flags = []
    for flag in m.get("flags") or []:
        if isinstance(flag, Mapping) and flag.get("message"):
            side = f" ({flag['side']} leg)" if flag.get("side") in SIDES else ""
            flags.append(f"{flag['message']}{side}")
    warnings = [str(w) for w in m.get("warnings") or [] if str(w).strip()]
    quality = m.get("quality")
    if isinstance(quality, Mapping) and quality.get("reason") and not quality.get("ok", True):
        warnings.insert(0, str(quality["reason"]))
    return RecordingResults(
        headline=headline,
        status=STATUS_WORDS.get(status, status),
        rows=rows,
        legs=legs,
        contacts=contacts,
        flags=flags,
        warnings=warnings,
    )


def _side_contacts(leg: Any) -> str:
    rows = _contacts(leg.get("contact_type_counts") if isinstance(leg, Mapping) else None)
    return "; ".join(f"{r.label}: {r.value}" for r in rows) or "–"
