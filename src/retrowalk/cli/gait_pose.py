"""`retrowalk gait pose FILE` and `retrowalk gait video FILE.mp4`: side-view video gait analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from retrowalk.cli._output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    err_console,
    rich_console,
    user_errors,
)
from retrowalk.errors import InputError
from retrowalk.gait.pose import KeypointSeries, Kinematics, Options, PoseGaitResult, analyse_with_kinematics
from retrowalk.io.pose import read_keypoints


def _image_size(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise InputError(
            "--image-size", f"expected WIDTHxHEIGHT, got {text!r}", hint="e.g. 1280x720"
        ) from exc
    if w <= 0 or h <= 0:
        raise InputError("--image-size", "width and height must be positive")
    return w, h


def _fmt(v: float | None, unit: str = "") -> str:
    return "-" if v is None else f"{v:.1f}{unit}"


def _render(data: dict[str, Any]) -> None:
    res = PoseGaitResult.model_validate(data["result"])
    console.print(
        f"[bold]{res.source}[/]: {res.duration_s:.1f} s, {res.frames_analysed}/{res.n_frames} frames "
        f"analysed, walking [bold]{res.direction}[/] ({res.setting}), cadence "
        f"{_fmt(res.cadence_spm)} steps/min, trunk lean {_fmt(res.trunk_lean_deg, '°')}, "
        f"step-length asymmetry {_fmt(res.step_length_asymmetry_pct, '%')}"
    )
    table = Table(
        "side", "strides", "knee ext. stance", "knee flex. swing", "hip flex/ext", "step (leg)", "contacts"
    )
    for s in (res.left, res.right):
        table.add_row(
            s.side,
            str(s.n_strides),
            _fmt(s.knee_ext_stance_deg, "°"),
            _fmt(s.knee_flex_swing_deg, "°"),
            f"{_fmt(s.hip_flex_max_deg, '°')} / {_fmt(s.hip_ext_max_deg, '°')}",
            f"{s.step_length_leg:.2f}" if s.step_length_leg is not None else "-",
            ", ".join(f"{k} {v}" for k, v in sorted(s.contact_type_counts.items())) or "-",
        )
    console.print(table)
    for f in res.flags:
        where = f" ({f.side})" if f.side else ""
        console.print(
            f"[yellow]flag[/] {f.code}{where}: {f.value:g} {f.unit} > {f.threshold:g} {f.unit}. {f.message}"
        )
    if not res.flags:
        console.print("[green]no coaching flags[/]")
    for w in res.warnings:
        console.print(f"[dim]note: {w}[/]")
    ex = data.get("extraction")
    if ex:
        console.print(
            f"extraction: {ex['frames']} frames in {ex['seconds']:.1f} s = "
            f"[bold]{ex['frames_per_s']:.1f} frames/s[/] (person found in {ex['detected_frames']})"
        )
    for key in ("png", "annotated_video", "keypoints_file"):
        if data.get(key):
            console.print(f"wrote {data[key]}")


def _options(min_conf: float, cutoff: float) -> Options:
    if not 0 <= min_conf <= 1:
        raise InputError("--min-conf", "must be between 0 and 1")
    if cutoff <= 0:
        raise InputError("--cutoff", "must be positive (Hz)")
    return Options(min_conf=min_conf, cutoff_hz=cutoff)


MinConf = typer.Option(0.3, "--min-conf", help="Keypoints below this confidence become gaps.")
VideoMinConf = typer.Option(
    0.1,
    "--min-conf",
    help="MediaPipe visibility below this becomes a gap (the far leg in a side view scores 0.2-0.5 "
    "yet is placed well).",
)
Cutoff = typer.Option(6.0, "--cutoff", help="Low-pass cut-off (Hz) of the zero-lag Butterworth filter.")
Png = typer.Option(None, "--png", help="Write a PNG summary (stick figures + knee curves).")


def pose_cmd(
    file: Path = typer.Argument(
        ..., help="Keypoints: MediaPipe JSON/CSV, OpenPose folder, COCO/Halpe .npy/.json, CSV."
    ),
    fps: float | None = typer.Option(None, "--fps", help="Frame rate, if the file does not state it."),
    image_size: str | None = typer.Option(
        None, "--image-size", help="WIDTHxHEIGHT for normalised coordinates."
    ),
    min_conf: float = MinConf,
    cutoff: float = Cutoff,
    png: Path | None = Png,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Knee extension, trunk lean, toe-first contact and step symmetry from side-view keypoints."""
    with user_errors():
        opts = _options(min_conf, cutoff)
        kp = read_keypoints(file, fps=fps, image_size=_image_size(image_size))
        out: dict[str, Any] = {}
        _analyse_into(out, kp, opts, png)
    _show(out, fmt)


def _analyse_into(out: dict[str, Any], kp: KeypointSeries, opts: Options, png: Path | None) -> Kinematics:
    """Analyse once: the result, and the PNG summary if asked, go into ``out``; returns the kinematics."""
    res, kin = analyse_with_kinematics(kp, opts=opts)
    out["result"] = res.model_dump(mode="json")
    if png is not None:
        from retrowalk.io.pose_figures import write_summary_png

        out["png"] = str(write_summary_png(png, kin, res))
    return kin


def _show(out: dict[str, Any], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        emit(_flat(out), fmt)
    else:
        _render(out)


def _flat(out: dict[str, Any]) -> dict[str, Any]:
    """JSON for programs: the result's fields at top level, file outputs alongside."""
    data = dict(out["result"])
    for key in ("png", "annotated_video", "keypoints_file", "extraction"):
        if key in out:
            data[key] = out[key]
    return data


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=rich_console(err_console),
        transient=False,
    )


def video_cmd(
    file: Path = typer.Argument(..., help="Side-view video (.mp4/.avi/.mov)."),
    fps: float | None = typer.Option(None, "--fps", help="Override the video's frame rate."),
    max_frames: int | None = typer.Option(None, "--max-frames", help="Only process the first N frames."),
    keypoints_out: Path | None = typer.Option(
        None, "--keypoints-out", help="Save landmarks (MediaPipe JSON)."
    ),
    annotated: Path | None = typer.Option(
        None, "--annotated", help="Write an annotated .mp4 (skeleton, knee angle)."
    ),
    min_conf: float = VideoMinConf,
    cutoff: float = Cutoff,
    png: Path | None = Png,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Extract keypoints with MediaPipe Pose (offline, bundled model), then run `gait pose`."""
    with user_errors():
        from retrowalk.io import video as vid
        from retrowalk.io.pose import write_mediapipe_json

        opts = _options(min_conf, cutoff)
        total, _, _, _ = vid.video_info(file)
        if max_frames is not None:
            total = min(total, max_frames) if total > 0 else max_frames
        with _progress() as bar:
            task = bar.add_task("pose extraction", total=total or None, rate="")

            def step(n: int) -> None:
                bar.advance(task, n)
                t = bar.tasks[task]
                if t.elapsed:
                    bar.update(task, rate=f"{t.completed / t.elapsed:.1f} frames/s")

            landmarks, stats = vid.extract_landmarks(file, max_frames=max_frames, progress=step)
        kp = vid.landmarks_to_series(landmarks, stats, fps=fps)
        out: dict[str, Any] = {
            "extraction": {
                "engine": stats.engine,
                "frames": stats.frames,
                "detected_frames": stats.detected_frames,
                "seconds": round(stats.seconds, 3),
                "frames_per_s": round(stats.frames_per_s, 2),
                "width": stats.width,
                "height": stats.height,
                "video_fps": stats.video_fps,
            }
        }
        if keypoints_out is not None:
            write_mediapipe_json(keypoints_out, landmarks, fps=kp.fps, image_size=(stats.width, stats.height))
            out["keypoints_file"] = str(keypoints_out)
        kin = _analyse_into(out, kp, opts, png)
        if annotated is not None:
            with _progress() as bar:
                task = bar.add_task("annotated video", total=kp.n_frames, rate="")
                vid.write_annotated_video(
                    file, annotated, kp, kin.knee_flex, progress=lambda n: bar.advance(task, n)
                )
            out["annotated_video"] = str(annotated)
    _show(out, fmt)


def register(app: typer.Typer) -> None:
    app.command("pose")(pose_cmd)
    app.command("video")(video_cmd)
