"""Walking direction (forward/backward) from segment angular motion around contact."""

from retrowalk.gait.imu.direction._algo import DirectionEstimate, DirectionSegmentAngle

__all__ = ["DirectionEstimate", "DirectionSegmentAngle"]
