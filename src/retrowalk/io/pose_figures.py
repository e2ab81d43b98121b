"""PNG summary of a pose gait analysis: stick figures at contact and knee-angle curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from retrowalk.gait.pose import Kinematics, PoseGaitResult
from retrowalk.gait.pose.keypoints import JOINT_INDEX

CHAIN = {
    "left": ("left_shoulder", "left_hip", "left_knee", "left_ankle", "left_heel", "left_toe", "left_ankle"),
    "right": (
        "right_shoulder",
        "right_hip",
        "right_knee",
        "right_ankle",
        "right_heel",
        "right_toe",
        "right_ankle",
    ),
}
COLOURS = {"left": "tab:blue", "right": "tab:orange"}


def write_summary_png(path: Path, kin: Kinematics, res: PoseGaitResult) -> Path:
    """Left: body-frame stick figures at a few contacts. Right: mean knee flexion per side."""
    fig = Figure(figsize=(12, 5))
    ax_fig, ax_knee = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    frames = sorted(round(s.start_s * kin.fps) for s in res.strides)[:6]
    if not frames:
        frames = [a for a, _ in kin.segments][:1]
    for n, f in enumerate(frames):
        pts = kin.body[f] / kin.leg_length
        shift = n * 1.2 - pts[JOINT_INDEX["left_hip"], 0]
        for side, chain in CHAIN.items():
            xy = np.array([pts[JOINT_INDEX[j]] for j in chain])
            ax_fig.plot(
                xy[:, 0] + shift,
                xy[:, 1] - kin.ground_y / kin.leg_length,
                "-o",
                ms=3,
                color=COLOURS[side],
                lw=2,
            )
    ax_fig.axhline(0.0, color="0.5", lw=1)
    ax_fig.set_aspect("equal")
    ax_fig.set_title(f"At each contact (facing right, walking {res.direction})")
    ax_fig.set_xlabel("leg lengths")
    for side in ("left", "right"):
        summ = getattr(res, side)
        if summ.knee_curve_deg:
            ax_knee.plot(
                np.linspace(0, 100, len(summ.knee_curve_deg)),
                summ.knee_curve_deg,
                color=COLOURS[side],
                lw=2,
                label=f"{side}: stance min {summ.knee_ext_stance_deg:.1f}°, "
                f"swing max {summ.knee_flex_swing_deg:.1f}°",
            )
            if summ.stance_pct:
                ax_knee.axvline(summ.stance_pct, color=COLOURS[side], ls=":", lw=1)
    ax_knee.axhline(0.0, color="0.5", lw=1)
    ax_knee.set_xlabel("gait cycle from contact (%)   dotted: toe-off")
    ax_knee.set_ylabel("knee flexion (deg, 0 = straight)")
    title = f"cadence {res.cadence_spm:.0f} steps/min" if res.cadence_spm else "knee flexion"
    if res.flags:
        title += " | flags: " + ", ".join(f.code for f in res.flags)
    ax_knee.set_title(title, fontsize=10)
    if any(getattr(res, side).knee_curve_deg for side in ("left", "right")):
        ax_knee.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path
