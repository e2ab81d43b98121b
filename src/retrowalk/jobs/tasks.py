"""Built-in job handlers: analysing an uploaded or captured recording.

Each reads its inputs by id, computes outside any transaction and writes its result in one
short transaction; a rerun (after a killed worker or a retry) overwrites with the same values.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from retrowalk.errors import InputError
from retrowalk.gait.summary import GaitSummary
from retrowalk.jobs.queue import JobContext, PermanentError, handler
from retrowalk.storage import crud
from retrowalk.storage.documents import RecordingMetrics
from retrowalk.storage.models import Recording

VIDEO_SUFFIXES = frozenset({".webm", ".mp4", ".mov", ".mkv", ".avi"})


def _set(ctx: JobContext, recording_id: int, **fields: Any) -> bool:
    with ctx.database.transaction() as db:
        rec = db.get(Recording, recording_id)
        if rec is None:
            return False
        for k, v in fields.items():
            setattr(rec, k, v)
    return True


def _recording_failed(ctx: JobContext, error: str, args: dict[str, Any]) -> None:
    _set(ctx, int(args["recording_id"]), status="failed", error=error)


def _extract_keypoints(ctx: JobContext, recording_id: int, video: Path, fps: float | None) -> Path:
    """MediaPipe keypoints of the video, written beside it as MediaPipe JSON (reused on a rerun)."""
    from retrowalk.io import video as video_io
    from retrowalk.io.pose import write_mediapipe_json

    out = video.with_suffix(".keypoints.json")
    if out.exists():
        return out
    if not video_io.available():
        raise PermanentError(f"video analysis is not installed here: {video_io.INSTALL_HINT}")
    landmarks, stats = video_io.extract_landmarks(video)
    rate = fps or (stats.video_fps if 0 < stats.video_fps <= 240 else None)
    if rate is None:
        raise InputError("fps", "the video does not state its frame rate", hint="send fps with the capture")
    part = out.with_name(out.name + ".part")
    write_mediapipe_json(part, landmarks, fps=rate, image_size=(stats.width, stats.height))
    with part.open("rb") as fh:
        os.fsync(fh.fileno())
    part.replace(out)
    return out


@handler("analyse_recording", on_failure=_recording_failed)
def analyse_recording(
    ctx: JobContext,
    recording_id: int,
    placement: str = "unknown",
    fps: float | None = None,
    keep_video: bool = False,
) -> dict[str, Any] | None:
    """Quality flags and gait metrics of one recording (video: keypoints extracted first)."""
    from retrowalk.io import recordings as rec_io

    with ctx.database.transaction() as db:
        rec = db.get(Recording, recording_id)
        if rec is None:
            return {"skipped": "the recording was deleted"}
        rec.status, rec.error = "analysing", None
        kind, relative = rec.kind, rec.path
    path = Path(ctx.settings.data_dir) / relative
    if path.suffix.lower() in VIDEO_SUFFIXES:
        keypoints = _extract_keypoints(ctx, recording_id, path, fps)
        _set(ctx, recording_id, path=str(Path(relative).with_suffix(".keypoints.json")))
        if not keep_video:
            path.unlink(missing_ok=True)
        path = keypoints
    opts: dict[str, Any] = {"placement": placement} if kind == "imu" else {}
    if kind == "pose" and fps is not None and path.suffix.lower() != ".json":
        opts["fps"] = fps
    try:
        status, result, quality = rec_io.analyse_with_quality(path, kind, **opts)
    except InputError as exc:
        raise PermanentError(f"{exc.field}: {exc.message}") from exc
    if result is not None:
        metrics = RecordingMetrics.from_engine(kind, result).model_copy(update={"quality": quality})
    else:  # withheld: no numbers, the reason instead
        metrics = RecordingMetrics(
            summary=GaitSummary(warnings=[str(quality.get("reason") or "")]),
            engine="imu" if kind == "imu" else "pose",
            quality=quality,
        )
    with ctx.database.transaction() as db:
        rec = db.get(Recording, recording_id)
        if rec is not None:
            crud.set_recording_result(db, rec, status=status, metrics=metrics, error=None)
    return {"recording_id": recording_id, "status": status}
