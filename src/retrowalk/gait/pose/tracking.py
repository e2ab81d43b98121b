"""Pick the walker among the people a detector sees, and the frames where it is them.

A clip often shows more than the patient (a therapist, a passer-by, someone in the background).
The pose model follows one person, not necessarily the right one, so the video edge first runs
a person detector every few frames and links its boxes into tracks; the walker is the track
with the largest score = frames seen x box height x (1 + horizontal travel in body heights,
capped at 3): the largest, most persistent, moving person. A person on a treadmill hardly
travels but is then usually the only persistent one. Pure NumPy: boxes in, boxes out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Detection:
    frame: int
    box: tuple[float, float, float, float]  # x, y, width, height in pixels (image, y down)

    @property
    def centre(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, y + h / 2


@dataclass
class Track:
    detections: list[Detection] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.detections[0].frame

    @property
    def last(self) -> int:
        return self.detections[-1].frame

    @property
    def height(self) -> float:
        return float(np.median([d.box[3] for d in self.detections]))

    @property
    def travel(self) -> float:
        xs = [d.centre[0] for d in self.detections]
        return float(max(xs) - min(xs))

    def score(self) -> float:
        h = self.height
        return (self.last - self.first + 1) * h * (1.0 + min(self.travel / h, 3.0)) if h > 0 else 0.0


@dataclass(frozen=True)
class Linker:
    """Greedy frame-by-frame linking of person boxes."""

    max_gap_frames: int = 30
    max_step_heights: float = 0.6  # centre may move this many box heights per linked frame gap ...
    per_frame_heights: float = 0.05  # ... plus this much per frame (fast walking: ~0.02)
    max_size_ratio: float = 1.6
    min_detections: int = 3

    def link(self, detections: list[Detection]) -> list[Track]:
        tracks: list[Track] = []
        for det in sorted(detections, key=lambda d: d.frame):
            best, best_d = None, np.inf
            for tr in tracks:
                last = tr.detections[-1]
                gap = det.frame - last.frame
                if gap <= 0 or gap > self.max_gap_frames:
                    continue
                h = last.box[3]
                ratio = max(det.box[3], h) / max(min(det.box[3], h), 1e-9)
                dist = float(np.hypot(det.centre[0] - last.centre[0], det.centre[1] - last.centre[1]))
                reach = h * (self.max_step_heights + self.per_frame_heights * gap)
                if ratio <= self.max_size_ratio and dist <= reach and dist < best_d:
                    best, best_d = tr, dist
            if best is None:
                tracks.append(Track([det]))
            else:
                best.detections.append(det)
        return [t for t in tracks if len(t.detections) >= self.min_detections]


def walker_track(detections: list[Detection], linker: Linker | None = None) -> Track | None:
    """The walker's track (see module docstring), or None when nobody is tracked."""
    tracks = (linker or Linker()).link(detections)
    return max(tracks, key=Track.score) if tracks else None


def track_boxes(track: Track, n_frames: int, *, extend_frames: int = 0) -> FloatArray:
    """(n_frames, 4) boxes interpolated between the track's detections; NaN outside its span
    (widened by ``extend_frames`` with the edge box, so the first and last steps are kept)."""
    frames = np.array([d.frame for d in track.detections], dtype=float)
    boxes = np.array([d.box for d in track.detections], dtype=float)
    out = np.full((n_frames, 4), np.nan)
    lo = max(track.first - extend_frames, 0)
    hi = min(track.last + extend_frames, n_frames - 1)
    idx = np.arange(lo, hi + 1, dtype=float)
    for k in range(4):
        out[lo : hi + 1, k] = np.interp(idx, frames, boxes[:, k])
    return out
