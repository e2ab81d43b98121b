"""Walking illustrations from the synthetic walker (gait.pose.synthetic): one stride as key poses.

The walker gives backward gait its real sequence (reach back with a bent knee, toes land first,
knee straightens while the foot rolls to the heel, heel lifts with the knee straight). Its
side-view keypoints are turned into the stick figure's joint angles so one renderer draws
everything, and every frame is checked against the same joint limits as hand-made key poses.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from retrowalk.core.illustration import (
    Illustration,
    IllustrationBook,
    KeyPose,
    LimbAngles,
    Walker,
    check_pose,
)
from retrowalk.gait.pose.keypoints import JOINT_INDEX
from retrowalk.gait.pose.synthetic import WalkerSpec, walk
from retrowalk.illustrations.kinematics import FPS, Frame, forward, place, surfaces

WALK_FPS = 2 * FPS
#: Slower than the walker's default stride: 2-3 km/h backward on a treadmill, drawn to be followed.
STRIDE_S = {"forward": 1.1, "backward": 1.4}
HANDRAIL_ARM = LimbAngles(shoulder=12.0, elbow=70.0)


def _down_angle(a: np.ndarray, b: np.ndarray) -> float:
    """Down-angle (deg) of the segment a->b in image coordinates (y down, figure facing right)."""
    dx, dy = b[0] - a[0], -(b[1] - a[1])
    return math.degrees(math.atan2(dx, -dy))


@lru_cache(maxsize=4)
def _stride(direction: str) -> tuple[tuple[float, ...], ...]:
    """Per frame of one stride: trunk, left hip/knee/ankle, right hip/knee/ankle (deg)."""
    spec = WalkerSpec(
        direction=direction,  # type: ignore[arg-type]
        fps=WALK_FPS,
        duration_s=STRIDE_S[direction],
        stride_time_s=STRIDE_S[direction],
        trunk_lean_deg=0.0 if direction == "backward" else 3.0,
    )
    kp, _ = walk(spec)
    rows: list[tuple[float, ...]] = []
    for xy in kp.xy:
        j = {name: xy[i] for name, i in JOINT_INDEX.items()}
        hip_mid = 0.5 * (j["left_hip"] + j["right_hip"])
        sh_mid = 0.5 * (j["left_shoulder"] + j["right_shoulder"])
        trunk = math.degrees(math.atan2(sh_mid[0] - hip_mid[0], hip_mid[1] - sh_mid[1]))
        row = [trunk]
        for side in ("left", "right"):
            a_thigh = _down_angle(j[f"{side}_hip"], j[f"{side}_knee"])
            a_shank = _down_angle(j[f"{side}_knee"], j[f"{side}_ankle"])
            a_foot = _down_angle(j[f"{side}_heel"], j[f"{side}_toe"])
            row += [a_thigh + trunk, a_thigh - a_shank, a_foot - a_shank - 90.0]
        rows.append(tuple(row))
    return tuple(rows)


def walker_pose(walker: Walker, index: int, label: str = "walking") -> KeyPose:
    """The stick-figure pose of frame ``index`` of the walker's stride (left leg: phase 0 = contact)."""
    rows = _stride(walker.direction)
    trunk, lh, lk, la, rh, rk, ra = rows[index % len(rows)]
    if walker.handrails:
        arms = {"left": HANDRAIL_ARM, "right": HANDRAIL_ARM}
    else:  # arms swing against the opposite leg
        arms = {
            "left": LimbAngles(shoulder=0.6 * rh, elbow=25.0),
            "right": LimbAngles(shoulder=0.6 * lh, elbow=25.0),
        }
    return KeyPose(
        label=label,
        trunk=trunk,
        left=LimbAngles(hip=lh, knee=lk, ankle=la, shoulder=arms["left"].shoulder, elbow=arms["left"].elbow),
        right=LimbAngles(
            hip=rh, knee=rk, ankle=ra, shoulder=arms["right"].shoulder, elbow=arms["right"].elbow
        ),
    )


def stride_frames(walker: Walker) -> int:
    return len(_stride(walker.direction))


def key_pose(ill: Illustration, i: int) -> KeyPose:
    """Key pose ``i`` of a walker illustration: the walker's frame at that stride phase."""
    assert ill.walker is not None
    pose = ill.poses[i]
    assert pose.at is not None
    index = round(pose.at * stride_frames(ill.walker))
    return walker_pose(ill.walker, index, pose.label).model_copy(update={"cues": pose.cues})


def walker_sequence(exercise_id: str, book: IllustrationBook, ill: Illustration) -> list[Frame]:
    """Every frame of one stride, each checked against the joint limits."""
    assert ill.walker is not None
    n = stride_frames(ill.walker)
    keys = {round(p.at * n) % n: k for k, p in enumerate(ill.poses) if p.at is not None}
    seg = book.segments
    first = forward(seg, ill.view, walker_pose(ill.walker, 0))
    pieces = surfaces(ill.props, first)
    frames: list[Frame] = []
    for i in range(n):
        pose = walker_pose(ill.walker, i, ill.poses[keys[i]].label if i in keys else "walking")
        check_pose(book, exercise_id, ill.view, pose)
        frames.append(
            Frame(place(forward(seg, ill.view, pose), pieces, None, seg["head_r"]), 1 / WALK_FPS, keys.get(i))
        )
    return frames
