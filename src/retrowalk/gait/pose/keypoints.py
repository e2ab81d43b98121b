"""In-memory keypoint time series: the one shape every reader produces and the analysis reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from retrowalk.errors import InputError

#: Canonical joints (image coordinates, x right, y down). Readers map their skeleton onto these.
JOINTS: tuple[str, ...] = (
    "nose",
    "left_shoulder",
    "right_shoulder",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_toe",
    "right_toe",
)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINTS)}

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class KeypointSeries:
    """Keypoints of one person over time.

    ``xy`` is (frames, len(JOINTS), 2) in image coordinates (y down); NaN marks a missing point.
    ``conf`` is (frames, len(JOINTS)) in [0, 1]; a joint a skeleton lacks has conf 0 and NaN xy.
    ``aspect`` multiplies x when coordinates are normalised (width / height), so angles stay true.
    """

    xy: FloatArray
    conf: FloatArray
    fps: float
    source: str = "unknown"
    image_size: tuple[int, int] | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        xy = np.asarray(self.xy, dtype=np.float64)
        conf = np.asarray(self.conf, dtype=np.float64)
        if xy.ndim != 3 or xy.shape[1:] != (len(JOINTS), 2):
            raise InputError("keypoints", f"expected shape (frames, {len(JOINTS)}, 2), got {xy.shape}")
        if conf.shape != xy.shape[:2]:
            raise InputError("confidence", f"expected shape {xy.shape[:2]}, got {conf.shape}")
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise InputError(
                "fps",
                f"frame rate must be a positive number, got {self.fps}",
                hint="pass --fps N (frames per second of the video)",
            )
        object.__setattr__(self, "xy", xy)
        object.__setattr__(self, "conf", conf)

    @property
    def n_frames(self) -> int:
        return int(self.xy.shape[0])

    def has(self, name: str) -> bool:
        """True if the skeleton provides the joint at all (some frame has it)."""
        return bool(np.any(self.conf[:, JOINT_INDEX[name]] > 0))


def from_named(
    points: dict[str, FloatArray],
    conf: dict[str, FloatArray] | None,
    *,
    fps: float,
    source: str,
    image_size: tuple[int, int] | None = None,
    warnings: tuple[str, ...] = (),
) -> KeypointSeries:
    """Build a series from per-joint (frames, 2) arrays; absent joints become gaps."""
    if not points:
        raise InputError("keypoints", "no joints found")
    n = next(iter(points.values())).shape[0]
    xy = np.full((n, len(JOINTS), 2), np.nan)
    cf = np.zeros((n, len(JOINTS)))
    for name, arr in points.items():
        if name not in JOINT_INDEX:
            continue
        j = JOINT_INDEX[name]
        xy[:, j, :] = arr
        cf[:, j] = 1.0 if conf is None or name not in conf else conf[name]
    cf = np.nan_to_num(cf, nan=0.0)  # an unscored point counts as unseen
    cf[~np.all(np.isfinite(xy), axis=2)] = 0.0
    return KeypointSeries(xy=xy, conf=cf, fps=fps, source=source, image_size=image_size, warnings=warnings)
