"""Orientation-independent preprocessing: band-pass filtering, still periods."""

from retrowalk.gait.filters import bandpass, bandpasses, butter_sos
from retrowalk.gait.imu.preprocessing._filters import still_windows

__all__ = ["bandpass", "bandpasses", "butter_sos", "still_windows"]
