"""Exercise illustrations as data (data/illustrations.yaml): key poses of a 2-D stick figure.

Each library exercise has one illustration: a view (sagittal = side, frontal = front), props, and
2-6 key poses given as joint angles (or, for walking, as stride phases of the synthetic walker).
Joint angles are checked against per-joint limits whose sources live in the YAML, so an
anatomically impossible drawing fails at load time with the exercise and joint named.

Angle conventions (degrees). Sagittal, figure facing right: ``trunk`` is the trunk's tilt from
vertical (forward +; a global orientation, not a joint, so unlimited); ``hip``/``shoulder`` flexion
(+) from the trunk line; ``knee``/``elbow`` flexion (+); ``ankle`` dorsiflexion (+) from the foot
at right angles to the shank; ``neck`` flexion (+). Frontal, figure facing the viewer: ``trunk``
lateral tilt, ``hip``/``shoulder`` abduction (+), ``knee`` flexion (drawn as foreshortening),
``elbow`` flexion, ``ankle`` inversion (+), ``neck`` lateral flexion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from retrowalk.core._data import load_yaml
from retrowalk.core.vocab import InclinePct
from retrowalk.errors import DataFileError

View = Literal["sagittal", "frontal"]
Side = Literal["left", "right"]
LimbJoint = Literal["hip", "knee", "ankle", "shoulder", "elbow"]
LIMB_JOINTS: tuple[LimbJoint, ...] = ("hip", "knee", "ankle", "shoulder", "elbow")
#: Joints whose angles are limited; ``trunk`` is the figure's orientation in the picture, not a joint.
LIMITED_JOINTS: tuple[str, ...] = ("neck", *LIMB_JOINTS)
PropKind = Literal[
    "treadmill",
    "handrail",
    "band",
    "decline_board",
    "step",
    "chair",
    "wall",
    "mat",
    "towel",
    "weight",
    "rail",
]
#: Points of the figure a pose can stand on or a band can attach to.
POINTS: tuple[str, ...] = (
    "pelvis",
    "neck",
    "head",
    *(
        f"{s}_{p}"
        for s in ("left", "right")
        for p in ("hip", "knee", "ankle", "heel", "toe", "shoulder", "elbow", "hand")
    ),
)
MIN_POSES, MAX_POSES = 2, 6


class JointLimit(BaseModel):
    """Physiological range of one joint in one view, with where the numbers come from."""

    model_config = ConfigDict(extra="forbid")

    min: float
    max: float
    source: str
    certainty: Literal["S", "K"]

    @model_validator(mode="after")
    def _ordered(self) -> JointLimit:
        if self.min >= self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        if f"[{self.certainty}]" not in self.source:
            raise ValueError(f"source must carry its certainty tag [{self.certainty}]")
        return self


class LimbAngles(BaseModel):
    """Angles of one side's limbs; unset joints stay in the neutral standing position (0)."""

    model_config = ConfigDict(extra="forbid")

    hip: float = 0.0
    knee: float = 0.0
    ankle: float = 0.0
    shoulder: float = 0.0
    elbow: float = 0.0
    arch: float = Field(default=0.0, ge=0, le=1, description="short-foot arch lift, drawn (0 flat, 1 full)")


class KeyPose(BaseModel):
    """One key pose: angles (or a walker stride phase), its label and the cues that belong to it."""

    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    cues: list[int] = Field(default_factory=list, description="indices into the exercise's cues")
    pause_s: float = Field(default=0.6, ge=0, le=10, description="animation pause at this pose, s")
    move_s: float = Field(default=1.0, gt=0, le=10, description="time to move from here to the next pose")
    at: float | None = Field(default=None, ge=0, lt=1, description="walker stride phase (walking only)")
    trunk: float = Field(default=0.0, ge=-180, le=180)
    neck: float = 0.0
    x: float = Field(default=0.0, ge=-1, le=1, description="pelvis shift in body heights")
    rest_on: str | None = Field(
        default=None, description="point resting on the floor/prop; default the lowest"
    )
    contacts: list[str] = Field(default_factory=list, description="points that must touch the floor/prop")
    left: LimbAngles = Field(default_factory=LimbAngles)
    right: LimbAngles = Field(default_factory=LimbAngles)

    @model_validator(mode="before")
    @classmethod
    def _both(cls, data: Any) -> Any:
        """``both:`` sets the two sides at once; ``left``/``right`` then override single joints."""
        if isinstance(data, dict) and "both" in data:
            data = dict(data)
            both = data.pop("both") or {}
            for side in ("left", "right"):
                data[side] = {**both, **(data.get(side) or {})}
        return data

    @field_validator("rest_on")
    @classmethod
    def _point(cls, value: str | None) -> str | None:
        if value is not None and value not in POINTS:
            raise ValueError(f"unknown point {value!r}; use one of {list(POINTS)}")
        return value

    @field_validator("contacts")
    @classmethod
    def _points(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if v not in POINTS]
        if bad:
            raise ValueError(f"unknown point(s) {bad}; use one of {list(POINTS)}")
        return value

    def angle(self, side: Side, joint: LimbJoint) -> float:
        return float(getattr(self.left if side == "left" else self.right, joint))


class Prop(BaseModel):
    """A prop; placed relative to the first key pose (``at`` names the point it goes under/at)."""

    model_config = ConfigDict(extra="forbid")

    kind: PropKind
    at: str | None = None
    to: str | None = None
    height: float = Field(default=0.0, ge=0, le=1.2, description="body heights (step, handrail)")
    offset: float = Field(default=0.0, ge=-1, le=1, description="x shift from ``at`` in body heights")
    angle: float = Field(default=0.0, ge=-45, le=45, description="deg (decline board, incline)")
    label: str | None = None

    @field_validator("at", "to")
    @classmethod
    def _point(cls, value: str | None) -> str | None:
        if value is not None and value not in POINTS:
            raise ValueError(f"unknown point {value!r}; use one of {list(POINTS)}")
        return value


class Walker(BaseModel):
    """Walking illustrations animate the synthetic walker instead of interpolating key poses."""

    model_config = ConfigDict(extra="forbid")

    direction: Literal["forward", "backward"]
    handrails: bool = False
    incline_pct: InclinePct = 0.0


class Illustration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: View
    floor: bool = Field(default=True, description="false: seen from above (no floor line)")
    props: list[Prop] = Field(default_factory=list)
    walker: Walker | None = None
    poses: list[KeyPose] = Field(min_length=MIN_POSES, max_length=MAX_POSES)
    alt: str = Field(min_length=1, description="one sentence for screen readers: what the figure shows")

    @model_validator(mode="after")
    def _walker_phases(self) -> Illustration:
        phased = [p.at is not None for p in self.poses]
        if self.walker is not None and not all(phased):
            raise ValueError("a walker illustration gives every key pose a stride phase 'at'")
        if self.walker is None and any(phased):
            raise ValueError("'at' (stride phase) is only for walker illustrations")
        if self.walker is not None and self.view != "sagittal":
            raise ValueError("the walker is drawn from the side (view: sagittal)")
        return self


class IllustrationBook(BaseModel):
    """Segment proportions, joint limits per view and one illustration per exercise id."""

    model_config = ConfigDict(extra="forbid")

    segments: dict[str, float]
    segments_source: str
    limits: dict[View, dict[str, JointLimit]]
    illustrations: dict[str, Illustration]

    def limit(self, view: View, joint: str) -> JointLimit:
        return self.limits[view][joint]


SEGMENTS = (
    "trunk",
    "neck",
    "head_r",
    "thigh",
    "shank",
    "foot",
    "heel",
    "ankle_h",
    "upper_arm",
    "forearm",
    "hip_w",
    "shoulder_w",
)


def pose_problems(book: IllustrationBook, view: View, pose: KeyPose) -> list[tuple[str, float, JointLimit]]:
    """(joint, angle, limit) for every joint of ``pose`` outside its limit in ``view``."""
    out: list[tuple[str, float, JointLimit]] = []
    neck = book.limit(view, "neck")
    if not neck.min <= pose.neck <= neck.max:
        out.append(("neck", pose.neck, neck))
    for side in ("left", "right"):
        for joint in LIMB_JOINTS:
            lim = book.limit(view, joint)
            value = pose.angle(side, joint)
            if not lim.min <= value <= lim.max:
                out.append((f"{side} {joint}", value, lim))
    return out


def check_pose(book: IllustrationBook, exercise_id: str, view: View, pose: KeyPose) -> None:
    """Refuse an anatomically impossible pose, naming the exercise, pose and joint."""
    problems = pose_problems(book, view, pose)
    if problems:
        joint, value, lim = problems[0]
        raise DataFileError(
            f"illustrations.yaml: {exercise_id} pose {pose.label!r}: {joint} {value:g} deg is outside "
            f"the {view} limit {lim.min:g}..{lim.max:g} deg ({lim.source})"
        )


def book_from_data(raw: Mapping[str, Any]) -> IllustrationBook:
    """Validate raw illustration data; any broken entry raises DataFileError naming it."""
    try:
        illustrations = raw["illustrations"]
        if not isinstance(illustrations, dict):
            raise DataFileError("illustrations.yaml: 'illustrations' must map exercise ids to entries")
        parsed: dict[str, Illustration] = {}
        for ex_id, entry in illustrations.items():
            try:
                parsed[str(ex_id)] = Illustration.model_validate(entry)
            except ValidationError as exc:
                raise DataFileError(f"illustrations.yaml: {ex_id}: {exc}") from exc
        book = IllustrationBook(
            segments=raw["segments"],
            segments_source=raw["segments_source"],
            limits=raw["limits"],
            illustrations=parsed,
        )
    except (KeyError, TypeError) as exc:
        raise DataFileError(f"illustrations.yaml is malformed: missing or wrong {exc}") from exc
    except ValidationError as exc:
        raise DataFileError(f"illustrations.yaml is malformed: {exc}") from exc
    missing_segments = [s for s in SEGMENTS if s not in book.segments]
    if missing_segments:
        raise DataFileError(f"illustrations.yaml: segments lacks {missing_segments}")
    for view in ("sagittal", "frontal"):
        absent = [j for j in LIMITED_JOINTS if j not in book.limits.get(view, {})]
        if absent:
            raise DataFileError(f"illustrations.yaml: limits.{view} lacks joints {absent}")
    for ex_id, ill in book.illustrations.items():
        for pose in ill.poses:
            check_pose(book, ex_id, ill.view, pose)
    return book


@lru_cache(maxsize=1)
def load_illustrations() -> IllustrationBook:
    return book_from_data(load_yaml("illustrations.yaml"))


def check_library_illustrated(
    cues_by_exercise: Mapping[str, Sequence[str]], book: IllustrationBook | None = None
) -> None:
    """Every library exercise has an illustration, and each pose's cue indices exist."""
    book = load_illustrations() if book is None else book
    missing = sorted(set(cues_by_exercise) - set(book.illustrations))
    if missing:
        raise DataFileError(f"illustrations.yaml: no illustration for exercise(s) {missing}")
    for ex_id, cues in cues_by_exercise.items():
        for pose in book.illustrations[ex_id].poses:
            bad = [i for i in pose.cues if not 0 <= i < len(cues)]
            if bad:
                raise DataFileError(
                    f"illustrations.yaml: {ex_id} pose {pose.label!r} refers to cue(s) {bad}, "
                    f"but the exercise has {len(cues)} cue(s)"
                )


def cues_per_pose(illustration: Illustration, cues: Sequence[str]) -> list[list[str]]:
    """The cue texts beside each key pose; cues no pose claims go with the first pose."""
    claimed = {i for p in illustration.poses for i in p.cues}
    out = [[cues[i] for i in p.cues if 0 <= i < len(cues)] for p in illustration.poses]
    out[0] = [cues[i] for i in range(len(cues)) if i not in claimed] + out[0]
    return out
