"""Render an exercise illustration: an accessible animated SVG and a static key-pose strip.

Both are plain strings. The animation is a flipbook of pre-computed frames whose visibility CSS
keyframes switch; it stops under ``prefers-reduced-motion`` and in print (the first key pose
stays), and a ``rw-paused`` class on the SVG or an ancestor pauses it. Line work is black on white
(the far-side limbs grey) so it prints in black and white.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from retrowalk.core.illustration import (
    Illustration,
    IllustrationBook,
    cues_per_pose,
    load_illustrations,
)
from retrowalk.errors import DataFileError
from retrowalk.illustrations.kinematics import (
    TOWEL_R,
    TREADMILL_DECK,
    Frame,
    Points,
    Surface,
    keyframe_sequence,
    surfaces,
)
from retrowalk.illustrations.walker import walker_sequence

S = 200.0  # SVG units per body height
INK = "#111"
FAR = "#8a8a8a"
PROP = "#444"
PROP_FILL = "#e4e4e4"
LIMB_W = 0.024
MIN_INCLINE_DRAWN_DEG = 4.0


def _c(v: float) -> str:
    return f"{v * S:.1f}".rstrip("0").rstrip(".")


def _xy(p: tuple[float, float]) -> str:
    return f"{_c(p[0])} {_c(-p[1])}"


def _path(points: Sequence[tuple[float, float]]) -> str:
    return "M" + " L".join(_xy(p) for p in points)


@dataclass(frozen=True)
class Scene:
    """Everything needed to draw an illustration: frames, key frames, prop geometry, bounds."""

    exercise_id: str
    ill: Illustration
    book: IllustrationBook
    frames: list[Frame]
    keys: list[Points]
    pieces: list[Surface]

    @property
    def first(self) -> Points:
        return self.keys[0]


def scene(exercise_id: str, book: IllustrationBook | None = None) -> Scene:
    """Frames of ``exercise_id``'s illustration; DataFileError when it is missing or impossible."""
    book = load_illustrations() if book is None else book
    ill = book.illustrations.get(exercise_id)
    if ill is None:
        raise DataFileError(f"illustrations.yaml: no illustration for exercise {exercise_id!r}")
    frames = (walker_sequence if ill.walker is not None else keyframe_sequence)(exercise_id, book, ill)
    by_key = {f.key: f.points for f in frames if f.key is not None}
    keys = [by_key[i] for i in range(len(ill.poses))]
    return Scene(exercise_id, ill, book, frames, keys, surfaces(ill.props, keys[0]))


# ---- drawing ---------------------------------------------------------------------------------


def _figure(sc: Scene, pts: Points) -> str:
    """The stick figure of one frame (far side first, so the near side overlaps it)."""
    seg = sc.book.segments
    w = _c(LIMB_W)
    parts: list[str] = []

    def limbs(side: str) -> str:
        leg = _path([pts[f"{side}_{j}"] for j in ("hip", "knee", "ankle", "heel")])
        sole = f" Q{_xy(pts[f'{side}_arch'])} {_xy(pts[f'{side}_toe'])}"
        arm = [pts[f"{side}_{j}"] for j in ("shoulder", "elbow", "hand")]
        return leg + sole + " " + _path(arm)

    sagittal = sc.ill.view == "sagittal"
    trunk = _path([pts["pelvis"], pts["neck"]])
    if not sagittal:
        trunk += " " + _path([pts["left_hip"], pts["right_hip"]])
        trunk += " " + _path([pts["left_shoulder"], pts["right_shoulder"]])
    if sagittal:
        parts.append(f'<path d="{limbs("right")}" stroke="{FAR}"/>')
        parts.append(f'<path d="{trunk}" stroke="{INK}"/>')
        parts.append(f'<path d="{limbs("left")}" stroke="{INK}"/>')
    else:
        parts.append(f'<path d="{trunk} {limbs("left")} {limbs("right")}" stroke="{INK}"/>')
    hx, hy = pts["head"]
    parts.append(f'<circle cx="{_c(hx)}" cy="{_c(-hy)}" r="{_c(seg["head_r"])}" fill="#fff" stroke="{INK}"/>')
    dynamic = _dynamic_props(sc, pts)
    return (
        f'<g fill="none" stroke-width="{w}" stroke-linecap="round" stroke-linejoin="round">'
        + dynamic
        + "".join(parts)
        + "</g>"
    )


def _dynamic_props(sc: Scene, pts: Points) -> str:
    """Props that move with the figure: bands, weights, the treadmill safety-key cord."""
    out: list[str] = []
    first = sc.first
    for prop in sc.ill.props:
        if prop.kind == "band" and prop.at is not None:
            start = pts[prop.at]
            end = pts[prop.to] if prop.to is not None else _band_anchor(first, prop.at, prop.offset)
            out.append(
                f'<path d="{_path([start, end])}" stroke="{PROP}" stroke-width="{_c(0.014)}" '
                f'stroke-dasharray="{_c(0.02)} {_c(0.012)}"/>'
            )
        elif prop.kind == "weight" and prop.at is not None:
            x, y = pts[prop.at]
            out.append(
                f'<rect x="{_c(x - 0.035)}" y="{_c(-y - 0.02)}" width="{_c(0.07)}" height="{_c(0.04)}" '
                f'rx="{_c(0.008)}" fill="{PROP}" stroke="none"/>'
            )
        elif prop.kind == "treadmill":
            top = _console_top(sc)
            out.append(
                f'<path d="{_path([top, pts["pelvis"]])}" stroke="{PROP}" stroke-width="{_c(0.006)}" '
                f'stroke-dasharray="{_c(0.012)} {_c(0.008)}"/>'
            )
    return "".join(out)


def _band_anchor(first: Points, at: str, offset: float) -> tuple[float, float]:
    x, y = first[at]
    return (x + (offset or 0.35), y)


def _console_x(sc: Scene) -> float:
    """The console is at the treadmill's front: behind a backward walker, ahead of a forward one."""
    piece = next(p for p in sc.pieces if p.kind == "treadmill")
    backward = sc.ill.walker is not None and sc.ill.walker.direction == "backward"
    return piece.x0 + 0.03 if backward else piece.x1 - 0.03


def _console_top(sc: Scene) -> tuple[float, float]:
    return (_console_x(sc), 0.78)


def _static_props(sc: Scene) -> str:
    """Props that stay put, drawn behind the figure from the first key pose's geometry."""
    out: list[str] = []
    first = sc.first
    xs = [p[0] for f in sc.keys for p in f.values()]
    lo, hi = min(xs), max(xs)
    stroke = f'stroke="{PROP}" stroke-width="{_c(0.01)}"'
    for prop in sc.ill.props:
        kind = prop.kind
        if kind == "treadmill":
            piece = next(p for p in sc.pieces if p.kind == "treadmill")
            out.append(
                f'<rect x="{_c(piece.x0)}" y="{_c(-TREADMILL_DECK)}" width="{_c(piece.x1 - piece.x0)}" '
                f'height="{_c(TREADMILL_DECK)}" rx="{_c(0.02)}" fill="{PROP_FILL}" {stroke}/>'
            )
            cx = _console_x(sc)
            out.append(f'<path d="{_path([(cx, TREADMILL_DECK), (cx, 0.78)])}" fill="none" {stroke}/>')
            out.append(
                f'<rect x="{_c(cx - 0.06)}" y="{_c(-0.84)}" width="{_c(0.12)}" height="{_c(0.07)}" '
                f'rx="{_c(0.01)}" fill="{PROP_FILL}" {stroke}/>'
            )
        elif kind == "handrail":
            if prop.at is not None:
                y = first[prop.at][1]
                x0, x1 = first[prop.at][0] - 0.3 + prop.offset, first[prop.at][0] + 0.3 + prop.offset
            else:
                y = prop.height
                x0, x1 = lo - 0.1, hi + 0.1
            if any(p.kind == "treadmill" for p in sc.pieces):
                cx = _console_x(sc)
                x0, x1 = min(x0, cx), max(x1, cx)
            out.append(
                f'<path d="{_path([(x0, y), (x1, y)])}" fill="none" stroke="{PROP}" '
                f'stroke-width="{_c(0.016)}"/>'
            )
        elif kind == "rail" and prop.at is not None:
            x, y = first[prop.at]
            x += prop.offset
            out.append(f'<path d="{_path([(x, 0), (x, y), (x - 0.06, y)])}" fill="none" {stroke}/>')
        elif kind == "wall" and prop.at is not None:
            x = first[prop.at][0] + prop.offset
            out.append(
                f'<rect x="{_c(x)}" y="{_c(-0.75)}" width="{_c(0.04)}" height="{_c(0.75)}" '
                f'fill="{PROP_FILL}" {stroke}/>'
            )
        elif kind == "chair":
            px, py = first["pelvis"]
            seat = py - 0.065
            if sc.ill.view == "frontal":  # seen from the front: a seat on two legs, no backrest
                back, front = px - 0.17, px + 0.17
                legs = f"{_path([(back, 0), (back, seat)])} {_path([(front, 0), (front, seat)])}"
            else:
                back, front = px - 0.12, px + 0.1
                legs = f"{_path([(back, 0), (back, seat + 0.25)])} {_path([(front, 0), (front, seat)])}"
            out.append(f'<path d="{_path([(back, seat), (front, seat)])} {legs}" fill="none" {stroke}/>')
        elif kind == "mat":
            out.append(
                f'<rect x="{_c(lo - 0.05)}" y="{_c(-0.012)}" width="{_c(hi - lo + 0.1)}" '
                f'height="{_c(0.012)}" '
                f'fill="{PROP_FILL}" {stroke}/>'
            )
        elif kind == "step":
            for p in sc.pieces:
                if p.kind == "step":
                    out.append(
                        f'<rect x="{_c(p.x0)}" y="{_c(-p.y0)}" width="{_c(p.x1 - p.x0)}" height="{_c(p.y0)}" '
                        f'fill="{PROP_FILL}" {stroke}/>'
                    )
        elif kind == "decline_board":
            for p in sc.pieces:
                if p.kind == "decline_board":
                    poly = [(p.x0, 0), (p.x1, 0), (p.x1, p.y1), (p.x0, p.y0)]
                    out.append(f'<path d="{_path(poly)} Z" fill="{PROP_FILL}" {stroke}/>')
        elif kind == "towel" and prop.at is not None:
            x = first[prop.at][0]
            out.append(
                f'<circle cx="{_c(x)}" cy="{_c(-TOWEL_R)}" r="{_c(TOWEL_R)}" fill="{PROP_FILL}" {stroke}/>'
            )
        elif kind == "band" and prop.at is not None and prop.to is None:
            ax, ay = _band_anchor(first, prop.at, prop.offset)
            out.append(f'<path d="{_path([(ax, 0), (ax, ay + 0.03)])}" fill="none" {stroke}/>')
    return "".join(out)


def _bounds(sc: Scene, frames: Sequence[Points]) -> tuple[float, float, float, float]:
    r = sc.book.segments["head_r"]
    xs = [p[0] for f in frames for p in f.values()]
    ys = [p[1] for f in frames for p in f.values()]
    x0, x1 = min(xs) - r, max(xs) + r
    y0, y1 = min(0.0, *ys) - 0.02, max(ys) + r
    for p in sc.pieces:
        x0, x1 = min(x0, p.x0), max(x1, p.x1)
    for prop in sc.ill.props:
        if prop.kind == "treadmill":
            y1 = max(y1, 0.86)
        if prop.kind == "wall" and prop.at is not None:
            x1 = max(x1, sc.first[prop.at][0] + prop.offset + 0.06)
            y1 = max(y1, 0.76)
        if prop.kind == "band" and prop.at is not None and prop.to is None:
            ax, _ = _band_anchor(sc.first, prop.at, prop.offset)
            x0, x1 = min(x0, ax - 0.03), max(x1, ax + 0.03)
        if prop.kind == "chair":
            x0 = min(x0, sc.first["pelvis"][0] - 0.15)
    m = 0.04
    return x0 - m, y0 - m, x1 + m, y1 + m


def _incline_deg(sc: Scene) -> float:
    walker = sc.ill.walker
    if walker is None or walker.incline_pct <= 0:
        return 0.0
    return max(math.degrees(math.atan(walker.incline_pct / 100)), MIN_INCLINE_DRAWN_DEG)


def _ground(sc: Scene, x0: float, x1: float) -> str:
    if not sc.ill.floor:
        return ""
    return f'<path d="{_path([(x0, 0), (x1, 0)])}" stroke="{PROP}" stroke-width="{_c(0.008)}"/>'


def _wrap_incline(sc: Scene, body: str, box: tuple[float, float, float, float]) -> tuple[str, str]:
    """Tilt a walker scene by its (exaggerated) incline; returns (body, caption)."""
    deg = _incline_deg(sc)
    if not deg:
        return body, ""
    cx, cy = (box[0] + box[2]) / 2, 0.0
    assert sc.ill.walker is not None
    pct = sc.ill.walker.incline_pct
    caption = (
        f'<text x="{_c(box[0] + 0.03)}" y="{_c(-box[3] + 0.07)}" font-size="{_c(0.05)}" '
        f'font-family="DejaVu Sans, sans-serif" fill="{INK}">{pct:g} % incline (drawn steeper)</text>'
    )
    return f'<g transform="rotate({deg:.1f} {_c(cx)} {_c(-cy)})">{body}</g>', caption


def _viewbox(box: tuple[float, float, float, float], extra_top: float = 0.0) -> tuple[str, float, float]:
    x0, y0, x1, y1 = box
    y1 += extra_top
    return f"{_c(x0)} {_c(-y1)} {_c(x1 - x0)} {_c(y1 - y0)}", (x1 - x0) * S, (y1 - y0) * S


def describe(sc: Scene, cues: Sequence[str]) -> str:
    """Text equivalent of the figure: what it shows, then each key pose with its cues."""
    parts = [sc.ill.alt]
    for i, (pose, pose_cues) in enumerate(zip(sc.ill.poses, cues_per_pose(sc.ill, cues), strict=True), 1):
        text = f"{i}. {pose.label}"
        if pose_cues:
            text += ": " + "; ".join(pose_cues)
        parts.append(text + ".")
    props = sorted({p.kind.replace("_", " ") for p in sc.ill.props})
    if props:
        parts.append("Equipment: " + ", ".join(props) + ".")
    return " ".join(parts)


def _uid(exercise_id: str, suffix: str) -> str:
    return (
        "rwfig-"
        + "".join(ch if ch.isalnum() else "-" for ch in exercise_id)
        + (f"-{suffix}" if suffix else "")
    )


def animated_svg(
    exercise_id: str,
    name: str,
    cues: Sequence[str],
    *,
    suffix: str = "",
    book: IllustrationBook | None = None,
) -> str:
    """The looping animation as a standalone, accessible SVG (``suffix`` keeps ids unique on a page)."""
    sc = scene(exercise_id, book)
    uid = _uid(exercise_id, suffix)
    total = sum(f.duration_s for f in sc.frames)
    box = _bounds(sc, [f.points for f in sc.frames])
    still = next(i for i, f in enumerate(sc.frames) if f.key == 0)
    rules = [
        f"#{uid} .fr{{visibility:hidden}}",
        f"#{uid} .fr.still{{visibility:visible}}",
        "@media screen and (prefers-reduced-motion:no-preference){"
        f"#{uid} .fr{{animation-duration:{total:.3f}s;"
        "animation-timing-function:step-end;animation-iteration-count:infinite}",
    ]
    t = 0.0
    groups: list[str] = []
    for i, f in enumerate(sc.frames):
        a, b = 100 * t / total, 100 * (t + f.duration_s) / total
        t += f.duration_s
        frames_css = "0%{visibility:hidden}" if a > 0 else ""
        frames_css += f"{a:.3f}%{{visibility:visible}}{b:.3f}%{{visibility:hidden}}100%{{visibility:hidden}}"
        rules.append(f"@keyframes {uid}-f{i}{{{frames_css}}}#{uid} .f{i}{{animation-name:{uid}-f{i}}}")
        cls = f"fr f{i}" + (" still" if i == still else "")
        groups.append(f'<g class="{cls}">{_figure(sc, f.points)}</g>')
    rules.append("}")
    rules.append(f"#{uid}.rw-paused .fr,.rw-paused #{uid} .fr{{animation-play-state:paused}}")
    body, caption = _wrap_incline(sc, _static_props(sc) + _ground(sc, box[0], box[2]) + "".join(groups), box)
    view, w, h = _viewbox(box, 0.08 if caption else 0.0)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{uid}" class="rw-figure" viewBox="{view}" '
        f'width="{w:.0f}" height="{h:.0f}" role="img" aria-labelledby="{uid}-t {uid}-d">'
        f'<title id="{uid}-t">{escape(name)}</title><desc id="{uid}-d">{escape(describe(sc, cues))}</desc>'
        f"<style>{''.join(rules)}</style>{body}{caption}</svg>"
    )


def pose_svgs(
    exercise_id: str, name: str, cues: Sequence[str], *, book: IllustrationBook | None = None
) -> list[str]:
    """One small static SVG per key pose, all at the same scale (for print layouts)."""
    sc = scene(exercise_id, book)
    box = _bounds(sc, sc.keys)
    per_pose = cues_per_pose(sc.ill, cues)
    out: list[str] = []
    for i, (pts, pose) in enumerate(zip(sc.keys, sc.ill.poses, strict=True), 1):
        body, caption = _wrap_incline(
            sc, _static_props(sc) + _ground(sc, box[0], box[2]) + _figure(sc, pts), box
        )
        view, w, h = _viewbox(box, 0.08 if caption else 0.0)
        desc = (
            f"Pose {i} of {len(sc.keys)}: {pose.label}"
            + (": " + "; ".join(per_pose[i - 1]) if per_pose[i - 1] else "")
            + f". {sc.ill.alt}"
        )
        out.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view}" width="{w:.0f}" height="{h:.0f}" '
            f'role="img"><title>{escape(name)}: pose {i} of {len(sc.keys)}</title>'
            f"<desc>{escape(desc)}</desc>{body}{caption}</svg>"
        )
    return out


def strip_svg(
    exercise_id: str,
    name: str,
    cues: Sequence[str],
    *,
    with_cues: bool = True,
    wrap_chars: int = 26,
    book: IllustrationBook | None = None,
) -> str:
    """The key poses side by side, numbered, each with its label and (optionally) its cues below."""
    sc = scene(exercise_id, book)
    box = _bounds(sc, sc.keys)
    per_pose = cues_per_pose(sc.ill, cues)
    pw = box[2] - box[0]
    ph = box[3] - box[1]
    gap = 0.06
    font = 0.055
    line = font * 1.3
    texts: list[list[str]] = []
    for pose, pc in zip(sc.ill.poses, per_pose, strict=True):
        lines = textwrap.wrap(pose.label, wrap_chars)
        if with_cues:
            for cue in pc:
                wrapped = textwrap.wrap(cue, wrap_chars - 2) or [""]
                lines += ["• " + wrapped[0]] + ["  " + w for w in wrapped[1:]]
        texts.append(lines)
    text_h = (max(len(t) for t in texts) + 0.6) * line
    chars_w = wrap_chars * font * 0.58
    cell = max(pw, chars_w)
    n = len(sc.keys)
    total_w = n * cell + (n - 1) * gap
    total_h = ph + text_h
    parts: list[str] = []
    for i, pts in enumerate(sc.keys):
        dx = i * (cell + gap) + (cell - pw) / 2 - box[0]
        body, _ = _wrap_incline(sc, _static_props(sc) + _ground(sc, box[0], box[2]) + _figure(sc, pts), box)
        parts.append(f'<g transform="translate({_c(dx)} {_c(box[3])})">{body}</g>')
        tx = i * (cell + gap)
        parts.append(
            f'<circle cx="{_c(tx + 0.05)}" cy="{_c(0.05)}" r="{_c(0.045)}" fill="{INK}"/>'
            f'<text x="{_c(tx + 0.05)}" y="{_c(0.072)}" font-size="{_c(0.062)}" text-anchor="middle" '
            f'font-family="DejaVu Sans, sans-serif" font-weight="bold" fill="#fff">{i + 1}</text>'
        )
        for k, text in enumerate(texts[i]):
            weight = (
                ' font-weight="bold"' if k < len(textwrap.wrap(sc.ill.poses[i].label, wrap_chars)) else ""
            )
            y = ph + (k + 1) * line
            parts.append(
                f'<text x="{_c(tx)}" y="{_c(y)}" font-size="{_c(font)}" '
                f'font-family="DejaVu Sans, sans-serif" '
                f'fill="{INK}" xml:space="preserve"{weight}>{escape(text)}</text>'
            )
    desc = describe(sc, cues)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="rw-strip" viewBox="0 0 {_c(total_w)} {_c(total_h)}" '
        f'width="{total_w * S:.0f}" height="{total_h * S:.0f}" role="img">'
        f"<title>{escape(name)}: key poses</title><desc>{escape(desc)}</desc>{''.join(parts)}</svg>"
    )
