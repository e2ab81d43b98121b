"""Keypoint file readers (edge): MediaPipe, OpenPose BODY_25, COCO-17 / Halpe-26 arrays, CSV.

Every reader returns a :class:`retrowalk.gait.pose.KeypointSeries` in image pixels (x right,
y down). Formats are detected from the path and contents; see docs/pose.md for examples.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from retrowalk.errors import InputError
from retrowalk.gait.pose.keypoints import JOINTS, KeypointSeries, from_named
from retrowalk.gait.pose.tracking import walker_choice
from retrowalk.io import limits

#: MediaPipe Pose landmark order (33 points) -> canonical joints.
MEDIAPIPE_33 = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
BODY_25 = (
    "nose",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "mid_hip",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
    "right_eye",
    "left_eye",
    "right_ear",
    "left_ear",
    "left_big_toe",
    "left_small_toe",
    "left_heel",
    "right_big_toe",
    "right_small_toe",
    "right_heel",
)
COCO_17 = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
#: Halpe-26 (RTMPose body+feet, Sports2D's default): COCO-17 then head, neck, hip and feet.
HALPE_26 = (
    *COCO_17,
    "head",
    "neck",
    "mid_hip",
    "left_big_toe",
    "right_big_toe",
    "left_small_toe",
    "right_small_toe",
    "left_heel",
    "right_heel",
)
SKELETONS: dict[int, tuple[str, tuple[str, ...]]] = {
    33: ("mediapipe", MEDIAPIPE_33),
    25: ("openpose_body25", BODY_25),
    17: ("coco17", COCO_17),
    26: ("halpe26", HALPE_26),
}
ALIASES = {"foot_index": "toe", "big_toe": "toe", "bigtoe": "toe"}
CONF_SUFFIXES = ("conf", "confidence", "visibility", "score", "likelihood", "c", "v")


def canonical(name: str) -> str | None:
    """Map a skeleton's joint name onto retrowalk's canonical name (None if not used)."""
    n = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name.strip())
    n = re.sub(r"[^a-z0-9]+", "_", n.lower()).strip("_")
    n = re.sub(r"^l_", "left_", n)
    n = re.sub(r"^r_", "right_", n)
    for side in ("left", "right"):
        if n.startswith(side) and not n.startswith(side + "_"):
            n = side + "_" + n[len(side) :]
    for k, v in ALIASES.items():
        if n.endswith("_" + k):
            n = n[: -len(k)] + v
    return n if n in JOINTS else None


def _fps(file_fps: Any, fps: float | None, notes: list[str]) -> float:
    if fps is not None:
        if file_fps not in (None, "") and abs(float(file_fps) - fps) > 1e-6:
            notes.append(f"--fps {fps:g} overrides the file's {float(file_fps):g}")
        return float(fps)
    if file_fps in (None, ""):
        raise InputError("fps", "the file does not state a frame rate", hint="pass --fps N")
    try:
        value = float(file_fps)
    except (TypeError, ValueError) as exc:
        raise InputError("fps", f"not a number: {file_fps!r}", hint="pass --fps N") from exc
    return value


def _denormalise(points: list[np.ndarray], image_size: tuple[int, int] | None, notes: list[str]) -> None:
    """Scale normalised (0-1) coordinates to pixels in place, or note that angles assume a square video."""
    if image_size is not None:
        for p in points:
            p[..., 0] *= image_size[0]
            p[..., 1] *= image_size[1]
    else:
        notes.append(
            "normalised coordinates and no image size: angles are only true for a square "
            "video (pass --image-size WxH)"
        )


def _attach_scores(kps: np.ndarray, sc: np.ndarray) -> np.ndarray:
    """(frames, K, 2+) keypoints with (frames, K) scores -> (frames, K, 3) x, y, score."""
    if kps.ndim != 3 or sc.shape != kps.shape[:2]:
        raise InputError("scores", f"shape {sc.shape} does not match keypoints {kps.shape}")
    return np.concatenate([kps[..., :2], sc[..., None]], axis=2)


def _from_array(
    arr: np.ndarray,
    *,
    fps: float,
    source: str,
    field: str,
    names: tuple[str, ...] | None = None,
    normalised: bool = False,
    image_size: tuple[int, int] | None = None,
    notes: list[str] | None = None,
) -> KeypointSeries:
    """(frames, K, 2|3|4) array -> series; K picks the skeleton unless names are given."""
    notes = list(notes or [])
    if arr.ndim != 3 or arr.shape[2] not in (2, 3, 4):
        raise InputError(field, f"expected (frames, keypoints, 2|3|4), got shape {arr.shape}")
    if names is None:
        if arr.shape[1] not in SKELETONS:
            raise InputError(
                field,
                f"{arr.shape[1]} keypoints per frame matches no known skeleton",
                hint="use 33 (MediaPipe), 25 (OpenPose BODY_25), 26 (Halpe) or 17 (COCO)",
            )
        kind, names = SKELETONS[arr.shape[1]]
        source = f"{source}:{kind}"
    arr = arr.astype(np.float64)
    xy = arr[..., :2].copy()
    conf = arr[..., -1] if arr.shape[2] in (3, 4) else np.ones(arr.shape[:2])
    if arr.shape[2] == 3 and names is MEDIAPIPE_33:
        conf = np.ones(arr.shape[:2])  # x, y, z without visibility
    if normalised:
        _denormalise([xy], image_size, notes)
    points = {}
    confs = {}
    for j, name in enumerate(names):
        c = canonical(name)
        if c is not None and c not in points:
            points[c] = xy[:, j, :]
            confs[c] = conf[:, j]
    return from_named(points, confs, fps=fps, source=source, image_size=image_size, warnings=tuple(notes))


def _mp_frames(frames: list[Any]) -> np.ndarray:
    out = np.full((len(frames), 33, 4), np.nan)
    for i, fr in enumerate(frames):
        lms = fr.get("landmarks", fr.get("pose_landmarks")) if isinstance(fr, dict) else fr
        if not lms:
            continue
        if not isinstance(lms, list) or len(lms) != 33:
            raise InputError(
                f"frames[{i}].landmarks",
                "expected a list of 33 landmarks",
                hint="export MediaPipe Pose landmarks (33 points per frame)",
            )
        for j, lm in enumerate(lms):
            try:
                if isinstance(lm, dict):
                    out[i, j] = (
                        float(lm["x"]),
                        float(lm["y"]),
                        float(lm.get("z", 0.0)),
                        float(lm.get("visibility", 1.0)),
                    )
                else:
                    vals = [float(v) for v in lm]
                    out[i, j] = (*vals[:3], vals[3] if len(vals) > 3 else 1.0)
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise InputError(
                    f"frames[{i}].landmarks[{j}]",
                    f"bad landmark {lm!r}",
                    hint="each landmark needs x, y (and optionally z, visibility)",
                ) from exc
    return out


def _image_size(meta: dict[str, Any], image_size: tuple[int, int] | None) -> tuple[int, int] | None:
    if image_size is not None:
        return image_size
    w = meta.get("image_width", meta.get("width"))
    h = meta.get("image_height", meta.get("height"))
    if w and h:
        return int(w), int(h)
    return None


def _read_json(path: Path, fps: float | None, image_size: tuple[int, int] | None) -> KeypointSeries:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise InputError("file", f"{path.name} is not valid JSON: {exc}", hint="fix the syntax") from exc
    limits.check_json_depth(data)  # before any walk over it
    notes: list[str] = []
    meta: dict[str, Any] = data if isinstance(data, dict) else {}
    if "people" in meta:
        return _read_openpose_files([path], fps, image_size, parsed={path: meta})
    frames = meta.get("frames") if meta else data
    if "instance_info" in meta:  # MMPose demo output
        frames = meta["instance_info"]
    if isinstance(frames, list) and frames and isinstance(frames[0], dict) and "instances" in frames[0]:
        arr = _mmpose_frames(frames)
        return _from_array(
            arr,
            fps=_fps(meta.get("fps"), fps, notes),
            source="mmpose",
            field="instances",
            image_size=_image_size(meta, image_size),
            notes=notes,
        )
    if (
        isinstance(frames, list)
        and frames
        and (
            (isinstance(frames[0], dict) and ("landmarks" in frames[0] or "pose_landmarks" in frames[0]))
            or (isinstance(frames[0], list) and len(frames[0]) == 33 and isinstance(frames[0][0], dict))
        )
    ):
        arr = _mp_frames(frames)
        size = _image_size(meta, image_size)
        finite = arr[..., :2][np.isfinite(arr[..., :2])]
        normalised = bool(finite.size) and float(np.max(np.abs(finite))) <= 2.0
        return _from_array(
            arr,
            fps=_fps(meta.get("fps"), fps, notes),
            source="mediapipe",
            field="landmarks",
            names=MEDIAPIPE_33,
            normalised=normalised,
            image_size=size,
            notes=notes,
        )
    if "keypoints" in meta:
        try:
            kps = np.asarray(meta["keypoints"], dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError("keypoints", "must be a rectangular numeric array", hint=str(exc)) from exc
        if "scores" in meta:
            try:
                sc = np.asarray(meta["scores"], dtype=float)
            except (TypeError, ValueError) as exc:
                raise InputError("scores", "must be a numeric array", hint=str(exc)) from exc
            kps = _attach_scores(kps, sc)
        return _from_array(
            kps,
            fps=_fps(meta.get("fps"), fps, notes),
            source="array",
            field="keypoints",
            image_size=_image_size(meta, image_size),
            notes=notes,
        )
    raise InputError(
        "file",
        f"{path.name}: unrecognised keypoint JSON",
        hint="see docs/pose.md for the MediaPipe, OpenPose, MMPose and array layouts",
    )


def _mmpose_frames(frames: list[dict[str, Any]]) -> np.ndarray:
    people: list[list[np.ndarray]] = []
    k = None
    for i, fr in enumerate(frames):
        persons: list[np.ndarray] = []
        for person in fr.get("instances") or []:
            try:
                kp = np.asarray(person["keypoints"], dtype=float)
                sc = np.asarray(person.get("keypoint_scores", np.ones(len(kp))), dtype=float)
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"instances[{i}].keypoints", "missing or not numeric") from exc
            if kp.ndim != 2 or kp.shape[1] < 2 or sc.shape != (kp.shape[0],):
                raise InputError(f"instances[{i}].keypoints", f"bad shape {kp.shape}")
            persons.append(np.concatenate([kp[:, :2], sc[:, None]], axis=1))
            k = kp.shape[0] if k is None else k
        people.append(persons)
    if k is None:
        raise InputError("instances", "no person detected in any frame")
    rows = _walker_rows(people)
    return np.stack([r if r is not None and r.shape[0] == k else np.full((k, 3), np.nan) for r in rows])


def _walker_rows(people: list[list[np.ndarray]]) -> list[np.ndarray | None]:
    """One (k, 3) row per frame: the walker (``tracking.walker_choice``) among the frame's people,
    so a file with several people per frame follows one person instead of the most confident."""
    seen = [[np.where(p[:, 2:3] > 0, p[:, :2], np.nan) for p in persons] for persons in people]
    choice = walker_choice(seen)
    return [persons[c] if c is not None else None for persons, c in zip(people, choice, strict=True)]


def _describe(raw: Any) -> str:
    return f"{len(raw)} numbers" if isinstance(raw, list) else repr(raw)


def _read_openpose_files(
    files: list[Path],
    fps: float | None,
    image_size: tuple[int, int] | None,
    *,
    parsed: dict[Path, Any] | None = None,
) -> KeypointSeries:
    """One BODY_25 frame per file; ``parsed`` holds documents already read (not read again)."""
    frames = np.full((len(files), 25, 3), np.nan)
    candidates: list[list[np.ndarray]] = []
    for f in files:
        if parsed is not None and f in parsed:
            data = parsed[f]
        else:
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f.name, f"not valid JSON: {exc}") from exc
        people = data.get("people") if isinstance(data, dict) else None
        if people is None:
            raise InputError(f"{f.name}: people", "missing", hint="expected OpenPose --write_json output")
        persons: list[np.ndarray] = []
        for p in people:
            raw = p.get("pose_keypoints_2d")
            if not isinstance(raw, list) or len(raw) != 75:
                raise InputError(
                    f"{f.name}: pose_keypoints_2d",
                    f"expected 75 numbers (BODY_25 x, y, c), got {_describe(raw)}",
                    hint="run OpenPose with --model_pose BODY_25",
                )
            arr = np.asarray(raw, dtype=float).reshape(25, 3)
            arr[arr[:, 2] <= 0, :2] = np.nan  # OpenPose writes 0, 0, 0 for undetected points
            persons.append(arr)
        candidates.append(persons)
    for i, row in enumerate(_walker_rows(candidates)):
        if row is not None:
            frames[i] = row
    notes: list[str] = []
    return _from_array(
        frames,
        fps=_fps(None, fps, notes),
        source="openpose_body25",
        field="pose_keypoints_2d",
        names=BODY_25,
        image_size=image_size,
        notes=notes,
    )


def _csv_columns(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every column as float (blank or "nan" cells are gaps); any other text is an InputError
    naming the column and the file row."""
    out: dict[str, np.ndarray] = {}
    for name in df.columns:
        text = df[name].str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() & (text != "") & (text.str.lower() != "nan")
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{name} (row {i + 2})", f"not a number: {text.iloc[i]!r}")
        out[name] = values.to_numpy(dtype=np.float64)
    return out


def _read_csv(path: Path, fps: float | None, image_size: tuple[int, int] | None) -> KeypointSeries:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", skipinitialspace=True)
    except pd.errors.EmptyDataError as exc:
        hint = "see docs/pose.md (generic CSV)"
        raise InputError("file", f"{path.name} has no header row", hint=hint) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"{path.name} is not a readable CSV: {exc}"
        raise InputError("file", msg, hint="see docs/pose.md") from exc
    df.columns = [str(c).strip() for c in df.columns]
    cols = list(df.columns)
    if df.empty:
        raise InputError("file", f"{path.name} has no data rows")
    joints: dict[str, dict[str, str]] = {}
    for colname in cols:
        m = re.match(r"^(.*?)[_.\s-]?(x|y|z|" + "|".join(CONF_SUFFIXES) + r")$", colname, flags=re.IGNORECASE)
        if not m or not m.group(1):
            continue
        c = canonical(m.group(1))
        if c is None:
            continue
        key = m.group(2).lower()
        joints.setdefault(c, {})["conf" if key in CONF_SUFFIXES else key] = colname
    need = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
    for j in need:
        for axis in ("x", "y"):
            if axis not in joints.get(j, {}):
                raise InputError(
                    f"{j}_{axis}",
                    "column missing",
                    hint="generic CSV needs <joint>_x and <joint>_y columns (docs/pose.md)",
                )
    tcol = next((c for c in cols if c.lower() in ("time", "time_s", "t", "timestamp_s")), None)
    used = {name for axes in joints.values() for name in axes.values()} | ({tcol} if tcol else set())
    num = _csv_columns(df[[c for c in cols if c in used]])
    points: dict[str, np.ndarray] = {}
    confs: dict[str, np.ndarray] = {}
    for j, axes in joints.items():
        if "x" not in axes or "y" not in axes:
            continue
        points[j] = np.column_stack([num[axes["x"]], num[axes["y"]]])
        if "conf" in axes:
            confs[j] = num[axes["conf"]]
    notes: list[str] = []
    file_fps: float | None = None
    if tcol is not None:
        t = num[tcol]
        t = t[np.isfinite(t)]
        if t.size > 1 and np.all(np.diff(t) > 0):
            file_fps = (t.size - 1) / float(t[-1] - t[0])
    all_xy = np.concatenate([p.ravel() for p in points.values()])
    finite = all_xy[np.isfinite(all_xy)]
    if finite.size and np.max(np.abs(finite)) <= 2.0:
        _denormalise(list(points.values()), image_size, notes)
    return from_named(
        points,
        confs,
        fps=_fps(file_fps, fps, notes),
        source="csv",
        image_size=image_size,
        warnings=tuple(notes),
    )


def _read_numpy(path: Path, fps: float | None, image_size: tuple[int, int] | None) -> KeypointSeries:
    notes: list[str] = []
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InputError("file", f"{path.name} is not a readable NumPy file: {exc}") from exc
    file_fps = None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        if "keypoints" not in loaded.files:
            raise InputError(
                "keypoints", f"{path.name} has no 'keypoints' array", hint="np.savez(f, keypoints=...)"
            )
        arr = loaded["keypoints"]
        if "scores" in loaded.files:
            arr = _attach_scores(arr, loaded["scores"])
        if "fps" in loaded.files:
            file_fps = float(loaded["fps"])
    else:
        arr = loaded
    return _from_array(
        np.asarray(arr),
        fps=_fps(file_fps, fps, notes),
        source="array",
        field="keypoints",
        image_size=image_size,
        notes=notes,
    )


def read_keypoints(
    path: str | Path, *, fps: float | None = None, image_size: tuple[int, int] | None = None
) -> KeypointSeries:
    """Read a keypoint file or an OpenPose JSON directory; format is detected from it. Its frames
    count against ``max_samples`` before any analysis (:mod:`retrowalk.io.limits`)."""
    series = _read_keypoints(Path(path), fps, image_size)
    limits.check_samples(len(series.xy))
    return series


def _read_keypoints(p: Path, fps: float | None, image_size: tuple[int, int] | None) -> KeypointSeries:
    if not p.exists():
        raise InputError("file", f"{p} does not exist", hint="check the path")
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise InputError("fps", f"must be a positive number, got {fps}")
    if p.is_dir():
        files = sorted(p.glob("*_keypoints.json")) or sorted(p.glob("*.json"))
        if not files:
            raise InputError("file", f"{p} holds no OpenPose *_keypoints.json files")
        return _read_openpose_files(files, fps, image_size)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".npy", ".npz"):  # bounded before parsing or decompressing
        {".csv": limits.check_csv, ".npy": limits.check_npy_header, ".npz": limits.check_archive}[suffix](p)
    if suffix == ".json":
        return _read_json(p, fps, image_size)
    if suffix == ".csv":
        return _read_csv(p, fps, image_size)
    if suffix in (".npy", ".npz"):
        return _read_numpy(p, fps, image_size)
    raise InputError(
        "file",
        f"unsupported keypoint file type {suffix or '(none)'}",
        hint="use .json (MediaPipe/OpenPose/MMPose/array), .csv, .npy/.npz or an OpenPose folder",
    )


def write_mediapipe_json(
    path: str | Path, landmarks: np.ndarray, *, fps: float, image_size: tuple[int, int]
) -> None:
    """Write (frames, 33, 4) normalised x, y, z, visibility as MediaPipe JSON (NaN frame = no person)."""
    frames: list[dict[str, Any]] = []
    for fr in landmarks:
        if not np.isfinite(fr[:, :2]).all():
            frames.append({"landmarks": None})
            continue
        frames.append(
            {
                "landmarks": [
                    {
                        "x": round(float(x), 6),
                        "y": round(float(y), 6),
                        "z": round(float(z), 6),
                        "visibility": round(float(v), 4),
                    }
                    for x, y, z, v in fr
                ]
            }
        )
    doc = {
        "format": "mediapipe-pose",
        "fps": fps,
        "image_width": image_size[0],
        "image_height": image_size[1],
        "landmark_names": list(MEDIAPIPE_33),
        "frames": frames,
    }
    Path(path).write_text(json.dumps(doc), encoding="utf-8")
