"""Synthetic IMU walking with known truth, for validation and benchmarks.

Segment kinematics (degrees, positive = distal end ahead of the body) follow the textbook
shape: forward, the thigh is flexed (~+25°) and the shank foot-ahead (~+15°) at contact; backward
gait is forward gait in reverse time, so both are behind the body at toe-first contact. Each
contact sends a vertical impact; the sensor is mounted in a random orientation.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import CubicSpline
from scipy.spatial.transform import Rotation

from retrowalk.gait.imu._models import GRAVITY, ImuRecording

# Key points (gait-cycle phase from ipsilateral contact, angle in degrees).
_KEYS: dict[tuple[str, str], tuple[list[float], list[float]]] = {
    ("thigh", "forward"): ([0, 0.3, 0.55, 0.75, 0.88], [25, 8, -10, 10, 28]),
    ("thigh", "backward"): ([0, 0.25, 0.55, 0.62, 0.8], [-10, 0, 25, 28, 8]),
    ("shank", "forward"): ([0, 0.2, 0.45, 0.62, 0.75, 0.9], [15, 5, -15, -48, -20, 20]),
    ("shank", "backward"): ([0, 0.3, 0.6, 0.7, 0.82, 0.95], [-15, 0, 18, 5, -45, -20]),
}


@dataclass(frozen=True)
class SyntheticWalk:
    recording: ImuRecording
    initial_contacts_s: NDArray[np.float64]
    cadence_spm: float
    direction: str
    walk_start_s: float
    walk_end_s: float


def _segment_curve(placement: str, direction: str) -> CubicSpline:
    ph, ang = _KEYS[(placement, direction)]
    x = np.array([*ph, 1.0])
    y = np.array([*ang, ang[0]], dtype=float)
    return CubicSpline(x, y, bc_type="periodic")


def make_walk(
    *,
    cadence_spm: float = 100.0,
    asymmetry_pct: float = 0.0,
    step_cv_pct: float = 1.0,
    walk_s: float = 60.0,
    stand_s: float = 5.0,
    fs: float = 100.0,
    noise: float = 0.05,
    placement: str = "waist",
    direction: str = "forward",
    seed: int = 0,
    impact_ms2: float = 2.5,
    random_orientation: bool = True,
    with_gyro: bool = True,
) -> SyntheticWalk:
    """Standing, walking, standing. ``asymmetry_pct`` lengthens odd steps vs even ones."""
    rng = np.random.default_rng(seed)
    mean_step = 60.0 / cadence_spm
    a = asymmetry_pct / 100.0
    n_steps = int(walk_s / mean_step)
    base = np.where(np.arange(n_steps) % 2 == 0, mean_step * (1 + a / 2), mean_step * (1 - a / 2))
    steps = base * (1 + rng.normal(0, step_cv_pct / 100.0, n_steps))
    ics = stand_s + np.concatenate([[0.0], np.cumsum(steps)])
    total = ics[-1] + stand_s
    n = int(total * fs)
    t = np.arange(n) / fs
    acc_w = np.zeros((n, 3))
    acc_w[:, 2] = GRAVITY
    for k, ic in enumerate(ics):
        amp = impact_ms2 * (1.0 if (placement == "waist" or k % 2 == 0) else 0.7)
        m = (t > ic - 0.3) & (t < ic + 0.4)
        tau = t[m] - ic
        acc_w[m, 2] += amp * (
            np.exp(-(((tau - 0.05) / 0.04) ** 2)) - 0.35 * np.exp(-(((tau - 0.2) / 0.08) ** 2))
        )
        acc_w[m, 0] += 0.4 * amp * np.exp(-(((tau - 0.03) / 0.03) ** 2))
    theta = np.zeros(n)
    if placement in ("thigh", "shank"):
        curve = _segment_curve(placement, direction)
        ipsi = ics[0::2]
        for s0, s1 in pairwise(ipsi):
            m = (t >= s0) & (t < s1)
            theta[m] = curve((t[m] - s0) / (s1 - s0))
        ramp = np.clip(np.minimum(t - ipsi[0], ipsi[-1] - t) / 0.5, 0, 1)
        theta = np.radians(theta * ramp)
    rot_mount = (
        Rotation.random(random_state=int(rng.integers(2**31))) if random_orientation else Rotation.identity()
    )
    seg = Rotation.from_rotvec(np.outer(-theta, [0.0, 1.0, 0.0]))
    r_ws = seg * rot_mount  # sensor -> world
    acc_s = r_ws.inv().apply(acc_w) + rng.normal(0, noise, (n, 3))
    gyr_s = None
    if with_gyro:
        omega_w = np.zeros((n, 3))
        omega_w[:, 1] = -np.gradient(theta, 1 / fs)
        gyr_s = r_ws.inv().apply(omega_w) + rng.normal(0, 0.01, (n, 3))
    rec = ImuRecording(acc=acc_s, gyr=gyr_s, sampling_rate_hz=fs, source=f"synthetic:{placement}:{direction}")
    return SyntheticWalk(
        rec, ics, 60.0 / float(np.mean(np.diff(ics))), direction, float(ics[0]), float(ics[-1])
    )
