"""Writers for each keypoint format, so tests can round-trip synthetic walks through the readers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from retrowalk.gait.pose import JOINTS, KeypointSeries
from retrowalk.io.pose import BODY_25, COCO_17, HALPE_26, MEDIAPIPE_33, canonical


def _skeleton_array(kp: KeypointSeries, names: tuple[str, ...]) -> np.ndarray:
    """(frames, len(names), 3) x, y, conf; joints retrowalk does not know get score 0."""
    out = np.zeros((kp.n_frames, len(names), 3))
    for j, name in enumerate(names):
        c = canonical(name)
        if c is None:
            continue
        k = JOINTS.index(c)
        out[:, j, :2] = np.nan_to_num(kp.xy[:, k, :])
        out[:, j, 2] = kp.conf[:, k]
    return out


def write_mediapipe_json(kp: KeypointSeries, path: Path) -> Path:
    w, h = kp.image_size or (1280, 720)
    arr = _skeleton_array(kp, MEDIAPIPE_33)
    frames = []
    for fr in arr:
        frames.append({"landmarks": [{"x": x / w, "y": y / h, "z": 0.0, "visibility": c} for x, y, c in fr]})
    path.write_text(json.dumps({"fps": kp.fps, "image_width": w, "image_height": h, "frames": frames}))
    return path


def write_csv(
    kp: KeypointSeries, path: Path, names: tuple[str, ...] = JOINTS, conf_suffix: str = "conf"
) -> Path:
    arr = _skeleton_array(kp, names)
    with path.open("w", newline="") as fh:
        wr = csv.writer(fh)
        header = ["frame", "time_s"]
        for n in names:
            header += [f"{n}_x", f"{n}_y", f"{n}_{conf_suffix}"]
        wr.writerow(header)
        for i, fr in enumerate(arr):
            row: list[object] = [i, round(i / kp.fps, 6)]
            for x, y, c in fr:
                row += [round(float(x), 3), round(float(y), 3), round(float(c), 3)]
            wr.writerow(row)
    return path


def write_openpose_dir(kp: KeypointSeries, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    arr = _skeleton_array(kp, BODY_25)
    for i, fr in enumerate(arr):
        fr = fr.copy()
        fr[fr[:, 2] <= 0] = 0.0
        doc = {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": fr.ravel().tolist()}]}
        (folder / f"clip_{i:012d}_keypoints.json").write_text(json.dumps(doc))
    return folder


def write_npy(kp: KeypointSeries, path: Path, names: tuple[str, ...] = COCO_17) -> Path:
    np.save(path, _skeleton_array(kp, names))
    return path


def write_rtmlib_json(kp: KeypointSeries, path: Path, names: tuple[str, ...] = HALPE_26) -> Path:
    arr = _skeleton_array(kp, names)
    path.write_text(
        json.dumps({"fps": kp.fps, "keypoints": arr[..., :2].tolist(), "scores": arr[..., 2].tolist()})
    )
    return path


def write_mmpose_json(kp: KeypointSeries, path: Path) -> Path:
    arr = _skeleton_array(kp, COCO_17)
    info = [
        {
            "frame_id": i + 1,
            "instances": [{"keypoints": fr[:, :2].tolist(), "keypoint_scores": fr[:, 2].tolist()}],
        }
        for i, fr in enumerate(arr)
    ]
    path.write_text(json.dumps({"fps": kp.fps, "meta_info": {"dataset_name": "coco"}, "instance_info": info}))
    return path
