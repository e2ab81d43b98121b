"""One gait summary whatever measured the walk: the IMU engine, the pose engine or an import.

Why: each reader (charts, PDF, API outcomes, FHIR and research exports) used to guess keys in
the engines' own result JSON, and the guesses drifted apart (one never matched, commit 2e8b2fc;
imported gait reached the API but not the charts). Readers now read this model only, and the
converters below are the one place that knows each engine's field names.

Every value is optional: an engine fills what it measures and leaves the rest ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from retrowalk.gait.imu._models import ImuGaitResult
    from retrowalk.gait.pose.models import PoseGaitResult

Source = Literal["imu", "pose", "manual"]
Direction = Literal["forward", "backward", "unknown"]
Leg = Literal["left", "right"]
LEGS: tuple[Leg, Leg] = ("left", "right")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GaitFlag(_Frozen):
    """A coaching cue: what was measured, the line it crossed, and where that line comes from."""

    code: str
    message: str
    side: Leg | None = None
    value: float
    threshold: float
    unit: str
    source: str


class LegSummary(_Frozen):
    """Per-leg values (pose engine, or imported per-side observations)."""

    strides: int | None = None
    knee_ext_stance_deg: float | None = Field(
        default=None, description="least knee flexion in stance; 0 = straight (knee extension in stance)"
    )
    knee_flex_swing_deg: float | None = None
    stride_time_s: float | None = None
    stance_pct: float | None = None
    step_length_leg: float | None = Field(default=None, description="step length / leg length")

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


class OtherMetric(_Frozen):
    """An imported observation no summary field holds (unusual side or metric); kept so that an
    import exports again exactly as it came in."""

    metric: str
    value: float
    unit: str
    side: Literal["left", "right", "bilateral"] | None = None


class GaitSummary(_Frozen):
    """What one walk showed, independent of how it was measured."""

    source: Source | None = Field(default=None, description="how it was measured (None: not stated)")
    direction: Direction = "unknown"
    duration_s: float | None = None
    steps: float | None = Field(default=None, description="step count (an import may carry fractions)")
    cadence_spm: float | None = Field(default=None, description="steps per minute")
    step_time_s: float | None = Field(default=None, description="mean step time")
    step_time_cv_pct: float | None = None
    step_time_asymmetry_pct: float | None = Field(default=None, description="0 = even step times")
    step_length_asymmetry_pct: float | None = Field(default=None, description="0 = even step lengths")
    gait_speed_m_s: float | None = None
    trunk_lean_deg: float | None = Field(default=None, description="forward trunk lean from vertical")
    active_minutes: float | None = None
    bouts: int | None = Field(default=None, description="walking bouts (IMU) or walking segments (pose)")
    analysed_pct: float | None = Field(
        default=None, ge=0, le=100, description="share of the recording the engine could analyse"
    )
    left: LegSummary = LegSummary()
    right: LegSummary = LegSummary()
    contact_type_counts: dict[str, int] = Field(default_factory=dict)
    flags: list[GaitFlag] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    other: list[OtherMetric] = Field(default_factory=list)

    @property
    def step_symmetry_pct(self) -> float | None:
        """100 % = even steps: from step-time asymmetry (IMU), else step-length asymmetry (pose)."""
        asymmetry = (
            self.step_time_asymmetry_pct
            if self.step_time_asymmetry_pct is not None
            else self.step_length_asymmetry_pct
        )
        return None if asymmetry is None else 100.0 - asymmetry

    def leg(self, side: Leg) -> LegSummary:
        return self.left if side == "left" else self.right

    def values(self) -> Iterator[tuple[str, Leg | None, float]]:
        """Every numeric value as (summary field, leg or None, value), in field order."""
        for name in SCALAR_FIELDS:
            value = getattr(self, name)
            if value is not None:
                yield name, None, float(value)
        for side in LEGS:
            leg = self.leg(side)
            for name in LEG_FIELDS:
                value = getattr(leg, name)
                if value is not None:
                    yield name, side, float(value)


#: Numeric whole-walk fields, in display order (what :meth:`GaitSummary.values` yields).
SCALAR_FIELDS: tuple[str, ...] = (
    "steps",
    "cadence_spm",
    "step_time_s",
    "step_time_cv_pct",
    "step_time_asymmetry_pct",
    "step_length_asymmetry_pct",
    "gait_speed_m_s",
    "trunk_lean_deg",
    "active_minutes",
    "bouts",
    "duration_s",
    "analysed_pct",
)
LEG_FIELDS: tuple[str, ...] = tuple(LegSummary.model_fields)
#: Units of the numeric fields (for charts and tables; FHIR uses its own UCUM table).
UNITS: dict[str, str] = {
    "steps": "steps",
    "cadence_spm": "steps/min",
    "step_time_s": "s",
    "step_time_cv_pct": "%",
    "step_time_asymmetry_pct": "%",
    "step_length_asymmetry_pct": "%",
    "gait_speed_m_s": "m/s",
    "trunk_lean_deg": "°",
    "active_minutes": "min",
    "bouts": "bouts",
    "duration_s": "s",
    "analysed_pct": "%",
    "strides": "strides",
    "knee_ext_stance_deg": "°",
    "knee_flex_swing_deg": "°",
    "stride_time_s": "s",
    "stance_pct": "%",
    "step_length_leg": "leg lengths",
}


def _bouts_direction(directions: Iterable[str]) -> Direction:
    """The walk's direction when every bout with a known direction agrees, else unknown."""
    known = {d for d in directions if d in ("forward", "backward")}
    if len(known) == 1:
        (only,) = known
        return "forward" if only == "forward" else "backward"
    return "unknown"


def from_imu(result: ImuGaitResult) -> GaitSummary:
    """The IMU engine's result as a summary (no per-leg values: one sensor sees no sides)."""
    duration = result.duration_s
    walking_s = sum(result.bout_durations_s)
    return GaitSummary(
        source="imu",
        direction=_bouts_direction(b.direction for b in result.bouts),
        duration_s=duration,
        steps=result.steps,
        cadence_spm=result.cadence_spm,
        step_time_s=result.step_time_mean_s,
        step_time_cv_pct=result.step_time_cv_pct,
        step_time_asymmetry_pct=result.step_time_asymmetry_pct,
        active_minutes=result.active_minutes,
        bouts=len(result.bouts),
        analysed_pct=min(100.0, 100.0 * walking_s / duration) if duration > 0 else None,
        warnings=list(result.warnings),
    )


def from_pose(result: PoseGaitResult) -> GaitSummary:
    """The pose engine's result as a summary (per-leg knee values, trunk lean, contacts, cues)."""
    legs = {
        side.side: LegSummary(
            strides=side.n_strides,
            knee_ext_stance_deg=side.knee_ext_stance_deg,
            knee_flex_swing_deg=side.knee_flex_swing_deg,
            stride_time_s=side.stride_time_s,
            stance_pct=side.stance_pct,
            step_length_leg=side.step_length_leg,
        )
        for side in (result.left, result.right)
    }
    return GaitSummary(
        source="pose",
        direction=result.direction,
        duration_s=result.duration_s,
        cadence_spm=result.cadence_spm,
        step_length_asymmetry_pct=result.step_length_asymmetry_pct,
        trunk_lean_deg=result.trunk_lean_deg,
        bouts=len(result.segments_s),
        analysed_pct=min(100.0, 100.0 * result.frames_analysed / result.n_frames)
        if result.n_frames
        else None,
        left=legs["left"],
        right=legs["right"],
        contact_type_counts=dict(result.contact_type_counts),
        flags=[GaitFlag.model_validate(f.model_dump()) for f in result.flags],
        warnings=list(result.warnings),
    )


def from_engine_json(kind: str, data: object) -> GaitSummary:
    """A summary from an engine result as JSON (``model_dump(mode="json")``), validated first."""
    if kind == "imu":
        from retrowalk.gait.imu._models import ImuGaitResult

        return from_imu(ImuGaitResult.model_validate(data))
    if kind == "pose":
        from retrowalk.gait.pose.models import PoseGaitResult

        return from_pose(PoseGaitResult.model_validate(data))
    raise ValueError(f"no gait engine {kind!r}; expected imu or pose")


#: Observation metric ids (the interop code system) -> whole-walk summary field.
OBSERVATION_FIELDS: dict[str, str] = {
    "cadence": "cadence_spm",
    "step_time_asymmetry": "step_time_asymmetry_pct",
    "step_time_cv": "step_time_cv_pct",
    "step_time": "step_time_s",
    "step_count": "steps",
    "step_length_asymmetry": "step_length_asymmetry_pct",
    "trunk_lean": "trunk_lean_deg",
    "gait_speed": "gait_speed_m_s",
}
#: Observation metric ids -> per-leg summary field.
OBSERVATION_LEG_FIELDS: dict[str, str] = {
    "knee_extension_stance": "knee_ext_stance_deg",
    "stride_time": "stride_time_s",
}


class Observation(_Frozen):
    """One measured gait value as an exchange format carries it (see ``interop.record.GaitMetric``)."""

    metric: str
    value: float
    unit: str
    side: Literal["left", "right", "bilateral"] | None = None


def _slot(obs: Observation) -> tuple[str, Leg | None] | None:
    """Where an observation goes in a summary; None when only ``other`` can hold it."""
    if obs.side is None and obs.metric in OBSERVATION_FIELDS:
        return OBSERVATION_FIELDS[obs.metric], None
    if obs.side in LEGS and obs.metric in OBSERVATION_LEG_FIELDS:
        return OBSERVATION_LEG_FIELDS[obs.metric], "left" if obs.side == "left" else "right"
    return None


class _Group:
    def __init__(self) -> None:
        self.seen: set[tuple[str, str | None]] = set()
        self.scalars: dict[str, float] = {}
        self.legs: dict[str, dict[str, float]] = {"left": {}, "right": {}}
        self.other: list[OtherMetric] = []


def from_observations(
    observations: Iterable[Observation], *, source: str | None = None, direction: str | None = None
) -> list[GaitSummary]:
    """Observations taken together (same time, source and direction) as summaries.

    ``source`` must be a :data:`Source` and ``direction`` a :data:`Direction` (None: unknown);
    the summary's validation refuses anything else.

    Usually one summary; a value whose metric and side are already filled starts another, so
    nothing is lost.
    """
    groups: list[_Group] = []
    for obs in observations:
        key = (obs.metric, obs.side)
        group = next((g for g in groups if key not in g.seen), None)
        if group is None:
            group = _Group()
            groups.append(group)
        group.seen.add(key)
        slot = _slot(obs)
        if slot is None:
            group.other.append(OtherMetric(metric=obs.metric, value=obs.value, unit=obs.unit, side=obs.side))
        elif slot[1] is None:
            group.scalars[slot[0]] = obs.value
        else:
            group.legs[slot[1]][slot[0]] = obs.value
    return [
        GaitSummary.model_validate(
            {"source": source, "direction": direction or "unknown", **g.scalars, **g.legs, "other": g.other}
        )
        for g in groups
    ]


def observations(summary: GaitSummary) -> list[Observation]:
    """The summary's exchangeable values as observations (inverse of :func:`from_observations`).

    Units are filled in by the caller's code system; here ``unit`` is the observation's own for
    ``other`` entries and empty for summary fields.
    """
    by_field = {v: k for k, v in OBSERVATION_FIELDS.items()}
    by_leg_field = {v: k for k, v in OBSERVATION_LEG_FIELDS.items()}
    out: list[Observation] = []
    for name, side, value in summary.values():
        metric = by_field.get(name) if side is None else by_leg_field.get(name)
        if metric is not None:
            out.append(Observation(metric=metric, value=value, unit="", side=side))
    out.extend(Observation(metric=o.metric, value=o.value, unit=o.unit, side=o.side) for o in summary.other)
    return out
