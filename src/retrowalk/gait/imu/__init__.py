"""IMU gait engine (pure NumPy; SciPy only for the synthetic walks): steps, cadence,
variability, bouts, walking direction.

One folder per stage, each with an algorithm class exposing one action method
(``detect``/``estimate``) and its evaluation beside it: preprocessing, icd (initial contacts),
gsd (walking bouts), params, direction. :func:`analyse` runs them all.
"""

from retrowalk.gait.imu._models import (
    PLACEMENTS,
    BoutResult,
    Direction,
    ImuGaitResult,
    ImuRecording,
    Placement,
    check_placement,
)
from retrowalk.gait.imu.pipeline import analyse, analyse_legs

__all__ = [
    "PLACEMENTS",
    "BoutResult",
    "Direction",
    "ImuGaitResult",
    "ImuRecording",
    "Placement",
    "analyse",
    "analyse_legs",
    "check_placement",
]
