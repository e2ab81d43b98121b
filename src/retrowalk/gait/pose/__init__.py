"""Video-keypoint gait engine (pure core): knee extension, trunk lean, toe-first contact.

``analyse(kp)`` takes a :class:`KeypointSeries` (see ``retrowalk.io.pose.read_keypoints``) and
returns a :class:`PoseGaitResult`.
"""

from retrowalk.gait.pose.analysis import (
    Kinematics,
    Options,
    analyse,
    analyse_with_kinematics,
    kinematics,
    load_thresholds,
)
from retrowalk.gait.pose.keypoints import JOINTS, KeypointSeries, from_named
from retrowalk.gait.pose.models import Flag, PoseGaitResult, SideSummary, StrideMetrics

__all__ = [
    "JOINTS",
    "Flag",
    "KeypointSeries",
    "Kinematics",
    "Options",
    "PoseGaitResult",
    "SideSummary",
    "StrideMetrics",
    "analyse",
    "analyse_with_kinematics",
    "from_named",
    "kinematics",
    "load_thresholds",
]
