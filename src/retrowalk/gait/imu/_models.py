"""Data crossing the IMU engine's boundary: the recording in, the result out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from retrowalk.errors import InputError

Placement = Literal["thigh", "shank", "foot", "waist", "unknown"]
Direction = Literal["forward", "backward", "unknown"]
PLACEMENTS: tuple[str, ...] = get_args(Placement)
GRAVITY = 9.80665


def check_placement(placement: str) -> None:
    """Raise InputError unless ``placement`` is one of :data:`PLACEMENTS`."""
    if placement not in PLACEMENTS:
        raise InputError(
            "placement", f"unknown placement {placement!r}", hint=f"use one of {', '.join(PLACEMENTS)}"
        )


@dataclass(frozen=True)
class ImuRecording:
    """A uniformly sampled recording: acc in m/s² (gravity included), gyr in rad/s or None.

    Readers resample irregular timestamps, so the core only ever sees a regular grid that
    starts at ``start_s``. ``warnings`` carries what the reader noticed (gaps, NaNs, ...).
    """

    acc: NDArray[np.float64]
    sampling_rate_hz: float
    gyr: NDArray[np.float64] | None = None
    start_s: float = 0.0
    warnings: tuple[str, ...] = field(default_factory=tuple)
    source: str = ""

    def __post_init__(self) -> None:
        if self.acc.ndim != 2 or self.acc.shape[1] != 3:
            raise InputError("acc", f"expected an (n, 3) array, got shape {self.acc.shape}")
        if self.gyr is not None and self.gyr.shape != self.acc.shape:
            raise InputError("gyr", f"shape {self.gyr.shape} differs from acc {self.acc.shape}")
        if not np.isfinite(self.sampling_rate_hz) or self.sampling_rate_hz < 10:
            raise InputError(
                "sampling_rate_hz",
                f"{self.sampling_rate_hz} Hz is too low for step detection",
                hint="record at 20 Hz or more (50-100 Hz recommended)",
            )

    @property
    def n_samples(self) -> int:
        return int(self.acc.shape[0])

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sampling_rate_hz


class BoutResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_s: float
    end_s: float
    steps: int
    cadence_spm: float
    direction: Direction = "unknown"
    direction_confidence: float = Field(0.0, ge=0.0, le=1.0)


class ImuGaitResult(BaseModel):
    """What the CLI prints with ``--format json`` (``model_dump(mode="json")``).

    Variability fields are ``None`` when there are too few steps to estimate them honestly.
    """

    model_config = ConfigDict(extra="forbid")

    placement: Placement = "unknown"
    sampling_rate_hz: float
    duration_s: float
    initial_contacts_s: list[float]
    steps: int
    cadence_spm: float | None
    step_time_mean_s: float | None
    step_time_cv_pct: float | None
    step_time_asymmetry_pct: float | None
    active_minutes: float
    bout_durations_s: list[float]
    bouts: list[BoutResult]
    warnings: list[str]
