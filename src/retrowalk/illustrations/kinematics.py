"""Forward kinematics of the 2-D stick figure, prop surfaces, and frames of an illustration.

Coordinates are in body heights, y up, pelvis at (pose.x, 0) before placement. A frame is placed
vertically so that the figure rests on the floor or on a prop surface (step, decline board,
treadmill deck, towel roll): raised until no point is below the surface, or until its ``on``
point touches it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from retrowalk.core.illustration import (
    Illustration,
    IllustrationBook,
    KeyPose,
    LimbAngles,
    Prop,
    Side,
    View,
    check_pose,
)
from retrowalk.errors import DataFileError

Point = tuple[float, float]
Points = dict[str, Point]
FPS = 12.0
SIDES: tuple[Side, Side] = ("left", "right")
TREADMILL_DECK = 0.06
TOWEL_R = 0.03
#: How far the body surface lies below a joint centre when resting on it (body heights).
THICKNESS = {
    "pelvis": 0.065,
    "neck": 0.065,
    "left_knee": 0.025,
    "right_knee": 0.025,
    "left_hand": 0.01,
    "right_hand": 0.01,
}
CONTACT_TOLERANCE = 0.025


def _d(angle_deg: float) -> Point:
    """Unit vector of a 'down-angle': 0 points down, +90 points forward (+x)."""
    a = math.radians(angle_deg)
    return (math.sin(a), -math.cos(a))


def _add(p: Point, length: float, u: Point) -> Point:
    return (p[0] + length * u[0], p[1] + length * u[1])


def forward(seg: Mapping[str, float], view: View, pose: KeyPose) -> Points:
    """Joint positions of ``pose`` with the pelvis at (pose.x, 0)."""
    pelvis: Point = (pose.x, 0.0)
    t = pose.trunk
    up = (math.sin(math.radians(t)), math.cos(math.radians(t)))
    neck_base = _add(pelvis, seg["trunk"], up)
    pts: Points = {"pelvis": pelvis, "neck": neck_base}
    pts["head"] = _add(neck_base, seg["neck"] + seg["head_r"], _d(180 - t - pose.neck))
    if view == "sagittal":
        for side in SIDES:
            _sagittal_limbs(seg, pts, side, pelvis, neck_base, t, pose.left if side == "left" else pose.right)
    else:
        perp = (math.cos(math.radians(t)), -math.sin(math.radians(t)))
        for side in SIDES:
            sign = 1.0 if side == "left" else -1.0  # the figure's left is the viewer's right
            limb = pose.left if side == "left" else pose.right
            hip = _add(pelvis, sign * seg["hip_w"], perp)
            shoulder = _add(neck_base, sign * seg["shoulder_w"], perp)
            _frontal_limbs(seg, pts, side, sign, hip, shoulder, t, limb)
    for side in SIDES:
        limb = pose.left if side == "left" else pose.right
        pts[f"{side}_arch"] = _arch(pts[f"{side}_heel"], pts[f"{side}_toe"], pts[f"{side}_ankle"], limb.arch)
    return pts


ARCH_LIFT = 0.035


def _arch(heel: Point, toe: Point, ankle: Point, arch: float) -> Point:
    """Control point of the sole curve: the middle of the sole, lifted toward the ankle by ``arch``."""
    mx, my = (heel[0] + toe[0]) / 2, (heel[1] + toe[1]) / 2
    ux, uy = toe[0] - heel[0], toe[1] - heel[1]
    norm = math.hypot(ux, uy) or 1.0
    nx, ny = -uy / norm, ux / norm
    if nx * (ankle[0] - mx) + ny * (ankle[1] - my) < 0:
        nx, ny = -nx, -ny
    return (mx + ARCH_LIFT * arch * nx, my + ARCH_LIFT * arch * ny)


#: One side's joints, in the order :func:`_named` takes them.
LIMB_POINTS = ("hip", "knee", "ankle", "heel", "toe", "shoulder", "elbow", "hand")


def _named(side: Side, *points: Point) -> Points:
    """One side's joints under the names the figure is drawn from (``left_knee``, ...)."""
    return {f"{side}_{name}": p for name, p in zip(LIMB_POINTS, points, strict=True)}


def _foot(seg: Mapping[str, float], sole: Point, a_foot: float, length: float) -> tuple[Point, Point]:
    """Heel and toe off the sole at ``a_foot``; the toe at ``length`` times the foot length."""
    return _add(sole, seg["heel"], _d(a_foot + 180)), _add(sole, seg["foot"] * length, _d(a_foot))


def _sagittal_limbs(
    seg: Mapping[str, float], pts: Points, side: Side, pelvis: Point, neck: Point, t: float, a: LimbAngles
) -> None:
    a_thigh = -t + a.hip
    a_shank = a_thigh - a.knee
    a_foot = a_shank + 90 + a.ankle
    knee = _add(pelvis, seg["thigh"], _d(a_thigh))
    ankle = _add(knee, seg["shank"], _d(a_shank))
    sole = _add(ankle, seg["ankle_h"], _d(a_shank))
    a_upper = -t + a.shoulder
    elbow = _add(neck, seg["upper_arm"], _d(a_upper))
    heel, toe = _foot(seg, sole, a_foot, 1.0)
    hand = _add(elbow, seg["forearm"], _d(a_upper + a.elbow))
    pts.update(_named(side, pelvis, knee, ankle, heel, toe, neck, elbow, hand))


def _frontal_limbs(
    seg: Mapping[str, float],
    pts: Points,
    side: Side,
    sign: float,
    hip: Point,
    shoulder: Point,
    t: float,
    a: LimbAngles,
) -> None:
    # Down-angles grow toward +x, i.e. toward the figure's left: abduction of the left limb is +.
    a_leg = -t + sign * a.hip
    short = math.cos(math.radians(a.knee / 2))  # a flexed knee seen from the front: a shorter leg
    knee = _add(hip, seg["thigh"] * short, _d(a_leg))
    ankle = _add(knee, seg["shank"] * short, _d(a_leg))
    sole = _add(ankle, seg["ankle_h"], _d(a_leg))
    a_foot = a_leg + sign * (90 - a.ankle)
    a_upper = -t + sign * a.shoulder
    elbow = _add(shoulder, seg["upper_arm"], _d(a_upper))
    heel, toe = _foot(seg, sole, a_foot, 0.45)  # the foot seen from the front: foreshortened
    hand = _add(elbow, seg["forearm"], _d(a_upper - sign * a.elbow))
    pts.update(_named(side, hip, knee, ankle, heel, toe, shoulder, elbow, hand))


@dataclass(frozen=True)
class Surface:
    """A straight piece of support from (x0, y0) to (x1, y1), x0 < x1, of the prop ``kind``."""

    x0: float
    x1: float
    y0: float
    y1: float
    kind: str

    def height(self, x: float) -> float | None:
        if not self.x0 <= x <= self.x1:
            return None
        return self.y0 + (self.y1 - self.y0) * (x - self.x0) / (self.x1 - self.x0)


def surfaces(props: list[Prop], first: Points) -> list[Surface]:
    """Support pieces of the props, placed from the first key pose's joint positions (x only)."""
    out: list[Surface] = []
    xs = [p[0] for p in first.values()]
    for prop in props:
        if prop.kind == "treadmill":
            out.append(Surface(min(xs) - 0.45, max(xs) + 0.45, TREADMILL_DECK, TREADMILL_DECK, prop.kind))
        elif prop.kind == "step" and prop.at is not None:
            x = first[prop.at][0]
            away = 1.0 if x >= first["pelvis"][0] else -1.0
            a, b = x - away * 0.07, x + away * 0.32
            out.append(Surface(min(a, b), max(a, b), prop.height, prop.height, prop.kind))
        elif prop.kind == "decline_board" and prop.at is not None:
            front = max(first[f"{s}_toe"][0] for s in SIDES) + 0.04
            back = min(first[f"{s}_heel"][0] for s in SIDES) - 0.12
            rise = (front - back) * math.tan(math.radians(prop.angle))
            out.append(Surface(back, front, rise + 0.01, 0.01, prop.kind))
        elif prop.kind == "towel" and prop.at is not None:
            x = first[prop.at][0]
            out.append(Surface(x - TOWEL_R, x + TOWEL_R, 2 * TOWEL_R, 2 * TOWEL_R, prop.kind))
    return out


def _support(x: float, pieces: list[Surface]) -> float:
    heights = [h for s in pieces if (h := s.height(x)) is not None]
    return max(heights, default=0.0)


def _bottom(name: str, y: float, head_r: float) -> float:
    return y - (head_r if name == "head" else THICKNESS.get(name, 0.0))


def gap(points: Points, pieces: list[Surface], name: str, head_r: float) -> float:
    """Height of point ``name``'s body surface above the floor/prop below it."""
    x, y = points[name]
    return _bottom(name, y, head_r) - _support(x, pieces)


def place(points: Points, pieces: list[Surface], on: str | None, head_r: float) -> Points:
    """Shift ``points`` vertically so the figure rests on the floor/prop surface."""
    names = [on] if on is not None else list(points)
    dy = -min(gap(points, pieces, n, head_r) for n in names)
    return {k: (x, y + dy) for k, (x, y) in points.items()}


def check_contacts(
    exercise_id: str, pose: KeyPose, points: Points, pieces: list[Surface], head_r: float
) -> None:
    """The points a key pose says rest on the floor/prop really do (within a few centimetres)."""
    for name in pose.contacts:
        g = gap(points, pieces, name, head_r)
        if abs(g) > CONTACT_TOLERANCE:
            raise DataFileError(
                f"illustrations.yaml: {exercise_id} pose {pose.label!r}: {name} should rest on the "
                f"floor/prop but is {g:+.3f} body heights from it"
            )


def _ease(a: float, b: float, w: float) -> float:
    return a + (b - a) * (0.5 - 0.5 * math.cos(math.pi * w))


def blend(p: KeyPose, q: KeyPose, w: float) -> KeyPose:
    """The pose a fraction ``w`` of the way from ``p`` to ``q`` (eased, every angle)."""

    def limb(a: LimbAngles, b: LimbAngles) -> LimbAngles:
        return LimbAngles(**{j: _ease(getattr(a, j), getattr(b, j), w) for j in LimbAngles.model_fields})

    return p.model_copy(
        update={
            "trunk": _ease(p.trunk, q.trunk, w),
            "neck": _ease(p.neck, q.neck, w),
            "x": _ease(p.x, q.x, w),
            "left": limb(p.left, q.left),
            "right": limb(p.right, q.right),
            "rest_on": p.rest_on if w < 0.5 else q.rest_on,
        }
    )


@dataclass(frozen=True)
class Frame:
    points: Points
    duration_s: float
    key: int | None  # index of the key pose this frame shows, if it is one


def keyframe_sequence(exercise_id: str, book: IllustrationBook, ill: Illustration) -> list[Frame]:
    """Hold each key pose, then ease to the next one (cyclic), at ``FPS`` frames a second."""
    seg = book.segments
    poses = ill.poses
    first = forward(seg, ill.view, poses[0])
    pieces = surfaces(ill.props, first)
    frames: list[Frame] = []
    for i, pose in enumerate(poses):
        nxt = poses[(i + 1) % len(poses)]
        check_pose(book, exercise_id, ill.view, pose)
        placed = place(forward(seg, ill.view, pose), pieces, pose.rest_on, seg["head_r"])
        check_contacts(exercise_id, pose, placed, pieces, seg["head_r"])
        frames.append(Frame(placed, max(pose.pause_s, 1 / FPS), i))
        steps = max(2, round(pose.move_s * FPS))
        for k in range(1, steps):
            mid = blend(pose, nxt, k / steps)
            check_pose(book, exercise_id, ill.view, mid)
            pts = place(forward(seg, ill.view, mid), pieces, mid.rest_on, seg["head_r"])
            frames.append(Frame(pts, 1 / FPS, None))
    return frames
