"""Benchmark the video pose engine (not a test): prints a Markdown table.

1. keypoints -> metrics: frames/s of ``retrowalk.gait.pose.analyse`` on one core (target >= 20,000).
2. file -> metrics: MediaPipe JSON reading + analysis.
3. video -> keypoints at 720p with the optional extractor (MediaPipe Pose full, bundled model), on a
   rendered clip and, with ``--video PATH``, on a real clip (rescaled to 1280x720 first), e.g. the
   demo.mp4 shipped in the ``sports2d`` wheel (used by default when ``sports2d`` is installed,
   ``pip install --no-deps sports2d``). Extraction time includes the walker-tracking pass.
4. Peer: Sports2D (RTMPose via rtmlib) is reported only if it can run offline here.

Usage: PYTHONPATH=src python benchmarks/gait_pose.py [--video demo.mp4] [--frames 300]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core for the keypoints -> metrics numbers

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "pose"))

from retrowalk.gait.pose import analyse  # noqa: E402
from retrowalk.gait.pose.synthetic import WalkerSpec, walk  # noqa: E402
from retrowalk.io.pose import read_keypoints  # noqa: E402


def best_of(fn, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", type=Path, default=None, help="a real clip to time at 720p")
    ap.add_argument("--frames", type=int, default=300, help="video frames to time")
    args = ap.parse_args()
    if args.video is None:
        import importlib.util

        spec = importlib.util.find_spec("Sports2D")
        if spec is not None and spec.submodule_search_locations:
            demo = Path(next(iter(spec.submodule_search_locations))) / "Demo" / "demo.mp4"
            args.video = demo if demo.is_file() else None
    rows: list[tuple[str, str, str]] = []

    for minutes, fps in ((1, 60), (10, 30)):
        kp, _ = walk(
            WalkerSpec(direction="backward", fps=fps, duration_s=60 * minutes, noise_px=1.0, dropout=0.02)
        )
        t = best_of(lambda kp=kp: analyse(kp), 5 if minutes == 1 else 2)
        rows.append(
            (
                f"keypoints -> metrics, {minutes} min @ {fps} fps ({kp.n_frames} frames)",
                f"{kp.n_frames / t:,.0f} frames/s",
                f"{t * 1000:.0f} ms",
            )
        )

    with tempfile.TemporaryDirectory() as tmp:
        import pose_formats as pf

        kp, _ = walk(WalkerSpec(direction="backward", fps=30, duration_s=60, noise_px=1.0))
        path = pf.write_mediapipe_json(kp, Path(tmp) / "walk.json")
        t = best_of(lambda: analyse(read_keypoints(path)), 3)
        rows.append(
            (
                f"MediaPipe JSON read + metrics, 1 min @ 30 fps ({path.stat().st_size / 1e6:.1f} MB)",
                f"{kp.n_frames / t:,.0f} frames/s",
                f"{t * 1000:.0f} ms",
            )
        )

        from retrowalk.io import video

        if video.available():
            import cv2

            clip = Path(tmp) / "rendered720.mp4"
            video.render_walker_video(
                clip, WalkerSpec(direction="backward", fps=30, duration_s=args.frames / 30)
            )
            _, st = video.extract_landmarks(clip)
            rows.append(
                (
                    f"video -> keypoints, rendered 1280x720 clip ({st.frames} frames, person in "
                    f"{st.detected_frames})",
                    f"{st.frames_per_s:.1f} frames/s",
                    f"{st.seconds:.1f} s",
                )
            )
            if args.video is not None:
                scaled = Path(tmp) / "real720.mp4"
                cap = cv2.VideoCapture(str(args.video))
                out = cv2.VideoWriter(
                    str(scaled), cv2.VideoWriter_fourcc(*"mp4v"), cap.get(cv2.CAP_PROP_FPS), (1280, 720)
                )
                n = 0
                while n < args.frames:
                    ok, fr = cap.read()
                    if not ok:
                        break
                    out.write(cv2.resize(fr, (1280, 720)))
                    n += 1
                out.release()
                cap.release()
                _, st = video.extract_landmarks(scaled)
                rows.append(
                    (
                        f"video -> keypoints, {args.video.name} rescaled to 1280x720 ({st.frames} frames, "
                        f"walker tracked in {st.tracked_frames}, person in {st.detected_frames})",
                        f"{st.frames_per_s:.1f} frames/s",
                        f"{st.seconds:.1f} s",
                    )
                )
        else:
            rows.append(("video -> keypoints", "skipped", "retrowalk[video] not installed"))

    try:
        import sports2d  # noqa: F401

        peer = "installed, but its RTMPose ONNX models are downloaded at run time: not runnable offline"
    except ImportError:
        peer = "not runnable offline (rtmlib downloads its RTMPose ONNX models at run time); not timed"
    rows.append(("peer: Sports2D 0.8 (RTMPose via rtmlib)", "-", peer))

    print(
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs visible, "
        "BLAS/OpenMP threads = 1\n"
    )
    print("| step | throughput | time |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} |")


if __name__ == "__main__":
    main()
