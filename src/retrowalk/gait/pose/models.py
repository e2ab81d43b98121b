"""Pydantic results of the pose gait analysis (their model_dump(mode="json") is the CLI JSON)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Side = Literal["left", "right"]
ContactType = Literal["toe_first", "heel_first", "flat", "unknown"]
Direction = Literal["forward", "backward", "unknown"]
Setting = Literal["treadmill", "overground", "unknown"]


class Flag(BaseModel):
    """A coaching cue from the protocol, with what was measured and the line it crossed."""

    code: str
    message: str
    side: Side | None = None
    value: float
    threshold: float
    unit: str
    source: str


class StrideMetrics(BaseModel):
    side: Side
    start_s: float
    end_s: float
    toe_off_s: float
    stance_pct: float
    contact_type: ContactType
    foot_angle_at_contact_deg: float | None
    knee_ext_stance_deg: float
    knee_flex_swing_deg: float
    hip_flex_max_deg: float
    hip_ext_max_deg: float
    step_length_leg: float | None = Field(description="step length at this contact / leg length")


class SideSummary(BaseModel):
    side: Side
    n_strides: int
    knee_ext_stance_deg: float | None = Field(
        None, description="least knee flexion in stance (median over strides); 0 = straight"
    )
    knee_flex_swing_deg: float | None = Field(None, description="greatest knee flexion in swing")
    hip_flex_max_deg: float | None = None
    hip_ext_max_deg: float | None = Field(None, description="greatest hip extension (positive)")
    stride_time_s: float | None = None
    stance_pct: float | None = None
    step_length_leg: float | None = None
    contact_type_counts: dict[str, int] = Field(default_factory=dict)
    knee_curve_deg: list[float] = Field(
        default_factory=list, description="mean knee flexion over the stride, 0..100 % (101 points)"
    )


class PoseGaitResult(BaseModel):
    source: str
    fps: float
    n_frames: int
    duration_s: float
    frames_analysed: int
    segments_s: list[tuple[float, float]]
    facing: Literal["image_left", "image_right", "unknown"]
    direction: Direction
    setting: Setting
    camera_tilt_deg: float
    leg_length_px: float | None
    trunk_lean_deg: float | None = Field(None, description="median forward trunk lean from vertical")
    step_length_asymmetry_pct: float | None = None
    cadence_spm: float | None = None
    contact_type_counts: dict[str, int] = Field(default_factory=dict)
    left: SideSummary
    right: SideSummary
    strides: list[StrideMetrics] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
