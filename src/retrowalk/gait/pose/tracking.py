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
    index: int = 0  # which of the frame's people (for keypoint files with several per frame)

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
        active: list[Track] = []  # tracks that can still be continued (seen within the gap)
        for det in sorted(detections, key=lambda d: d.frame):
            active = [t for t in active if det.frame - t.last <= self.max_gap_frames]
            best, best_d = None, np.inf
            for tr in active:
                last = tr.detections[-1]
                gap = det.frame - last.frame
                if gap <= 0:
                    continue
                h = last.box[3]
                ratio = max(det.box[3], h) / max(min(det.box[3], h), 1e-9)
                dist = float(np.hypot(det.centre[0] - last.centre[0], det.centre[1] - last.centre[1]))
                reach = h * (self.max_step_heights + self.per_frame_heights * gap)
                if ratio <= self.max_size_ratio and dist <= reach and dist < best_d:
                    best, best_d = tr, dist
            if best is None:
                best = Track([det])
                tracks.append(best)
                active.append(best)
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


def box_of(points: FloatArray) -> tuple[float, float, float, float] | None:
    """Bounding box (x, y, w, h) of a person's finite (k, 2) keypoints; None with < 3 points."""
    ok = np.all(np.isfinite(points), axis=1)
    if ok.sum() < 3:
        return None
    lo, hi = points[ok].min(axis=0), points[ok].max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])


def walker_choice(people: list[list[FloatArray]]) -> list[int | None]:
    """Per frame, the index of the walker among that frame's people ((k, 2) keypoints each), or
    None where the walker is not seen; with at most one person per frame, that person."""
    if all(len(p) <= 1 for p in people):
        return [0 if p else None for p in people]
    dets = [
        Detection(f, box, i)
        for f, persons in enumerate(people)
        for i, pts in enumerate(persons)
        if (box := box_of(pts)) is not None and box[3] > 0
    ]
    walker = walker_track(dets, Linker(min_detections=1))
    out: list[int | None] = [None] * len(people)
    if walker is not None:
        for d in walker.detections:
            out[d.frame] = d.index
    return out
