"""Orientation-independent preprocessing: gravity, acceleration norm, still periods."""

from retrowalk.gait.imu.preprocessing._filters import (
    acc_norm_dynamic,
    bandpass,
    butter_sos,
    estimate_gravity,
    lowpass,
    still_windows,
    vertical_dynamic,
)

__all__ = [
    "acc_norm_dynamic",
    "bandpass",
    "butter_sos",
    "estimate_gravity",
    "lowpass",
    "still_windows",
    "vertical_dynamic",
]
