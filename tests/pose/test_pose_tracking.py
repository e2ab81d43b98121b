"""One person only: the walker's track among several people, phantom and re-entry cuts."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.gait.pose import KeypointSeries, analyse
from retrowalk.gait.pose.synthetic import WalkerSpec, walk
from retrowalk.gait.pose.tracking import Detection, track_boxes, walker_track


def _crossing(first: int, last: int, every: int = 3, h: float = 450.0) -> list[Detection]:
    """A person crossing from x=1400 to x=0 over the frames, detected every ``every`` frames."""
    frames = range(first, last + 1, every)
    n = max(len(frames) - 1, 1)
    return [Detection(f, (1400 - 1400 * k / n, 480.0, h / 2, h)) for k, f in enumerate(frames)]


def _standing(first: int, last: int, x: float, h: float, every: int = 3) -> list[Detection]:
    return [Detection(f, (x, 30.0, h / 2, h)) for f in range(first, last + 1, every)]


def test_walker_is_the_moving_persistent_person_not_the_bystander() -> None:
    # A bystander seen longer and larger, but standing still, against the walker crossing.
    dets = _standing(0, 120, x=520, h=500) + _crossing(48, 192)
    walker = walker_track(dets)
    assert walker is not None
    assert (walker.first, walker.last) == (48, 192)
    boxes = track_boxes(walker, 230, extend_frames=9)
    assert np.isnan(boxes[:39]).all() and np.isnan(boxes[202:]).all()
    assert np.isfinite(boxes[39:202]).all()
    assert boxes[50, 0] > boxes[190, 0]  # interpolated along the crossing


def test_treadmill_walker_alone_is_kept_and_missed_detections_are_bridged() -> None:
    dets = [d for d in _standing(0, 300, x=600, h=400) if d.frame % 9]  # detector misses some frames
    walker = walker_track(dets)
    assert walker is not None and walker.first == 3 and walker.last == 300


def test_no_person_means_no_track() -> None:
    assert walker_track([]) is None
    assert walker_track([Detection(0, (0, 0, 10, 20))]) is None  # one stray box is not a track


@settings(max_examples=20, deadline=None)
@given(jump_at=st.floats(0.55, 0.8), shift=st.floats(0.8, 1.5))
def test_phantom_after_the_walker_leaves_is_cut(jump_at: float, shift: float) -> None:
    """After ``jump_at`` of the clip a different person appears ``shift`` image widths away (the
    pose model jumping to someone else): the analysis keeps only the walker's part."""
    spec = WalkerSpec(direction="forward", overground=True, fps=30.0, duration_s=10.0)
    kp, truth = walk(spec)
    xy = kp.xy.copy()
    cut = int(jump_at * kp.n_frames)
    w = kp.image_size[0] if kp.image_size else 1280
    # The phantom: smaller (further away), standing still at another place.
    xy[cut:] = 0.7 * xy[cut] + np.array([shift * w, 50.0])
    res = analyse(replace(kp, xy=xy))
    assert res.segments_s[-1][1] <= cut / spec.fps + 1e-9
    assert res.direction == "forward" and res.setting == "overground"
    assert res.cadence_spm == pytest.approx(truth.cadence_spm, rel=0.05)


def test_re_entry_of_the_same_walker_is_kept_and_a_different_size_person_is_not() -> None:
    spec = WalkerSpec(direction="backward", overground=False, fps=30.0, duration_s=12.0)
    kp, truth = walk(spec)
    xy, conf = kp.xy.copy(), kp.conf.copy()
    xy[220:240], conf[220:240] = np.nan, 0.0  # walker out of view for 0.7 s, then back
    same = analyse(KeypointSeries(xy=xy, conf=conf, fps=kp.fps, image_size=kp.image_size))
    assert len(same.segments_s) == 2
    other = xy.copy()
    centre = np.nanmean(xy[260], axis=0)
    other[240:] = centre + 0.5 * (xy[240:] - centre)  # after the gap: someone half the size
    res = analyse(KeypointSeries(xy=other, conf=conf, fps=kp.fps, image_size=kp.image_size))
    assert len(res.segments_s) == 1 and res.segments_s[0][1] <= 220 / 30 + 1e-9
    assert any("differently sized person" in w for w in res.warnings)
    assert res.cadence_spm == pytest.approx(truth.cadence_spm, rel=0.05)


def test_keypoint_file_with_two_people_follows_the_walker(tmp_path: Path) -> None:
    """An MMPose file with a bystander in every frame, scored more confidently than the walker:
    the reader follows the walker's track, not the most confident person of each frame."""
    import json

    import pose_formats as pf

    from retrowalk.io.pose import COCO_17, read_keypoints

    spec = WalkerSpec(direction="backward", overground=True, fps=30.0, duration_s=8.0)
    kp, truth = walk(spec)
    arr = pf._skeleton_array(kp, COCO_17)
    still = arr[0].copy()
    still[:, 0] += 300.0  # a bystander standing beside the start of the walk
    still[:, 2] = np.where(still[:, 2] > 0, 1.0, 0.0)
    info = [
        {
            "frame_id": i + 1,
            "instances": [
                {"keypoints": still[:, :2].tolist(), "keypoint_scores": still[:, 2].tolist()},
                {"keypoints": fr[:, :2].tolist(), "keypoint_scores": (0.8 * fr[:, 2]).tolist()},
            ][:: 1 if i % 2 else -1],  # order of the people changes from frame to frame
        }
        for i, fr in enumerate(arr)
    ]
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"fps": 30.0, "meta_info": {"dataset_name": "coco"}, "instance_info": info}))
    res = analyse(read_keypoints(path))
    assert res.direction == "backward" and res.setting == "overground"
    assert res.cadence_spm == pytest.approx(truth.cadence_spm, rel=0.05)
