"""The domain vocabulary: every dose and pain field declared once, with its one set of bounds.

Why: the same field (a belt speed, a pain rating) used to be bounded in six places that
disagreed, so a value one edge accepted made another edge fail on every later read. Every
model, API schema, web form and template bound takes its type from here (the FastAPI
template's "declare the field once" idea); ``tests/test_vocabulary.py`` fails when a numeric
bound for a dose or pain field is written anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, NamedTuple, get_args

from annotated_types import Ge, Gt, Le, Lt
from pydantic import AfterValidator, Field, ValidationError
from pydantic.fields import FieldInfo

#: Belt or walking speed. 20 km/h covers any treadmill exercise the library doses.
SpeedKmh = Annotated[
    float, Field(gt=0, le=20, allow_inf_nan=False, description="speed, km/h", json_schema_extra={"step": 0.1})
]
#: Treadmill incline as a percentage grade (declines are not dosed).
InclinePct = Annotated[
    float,
    Field(ge=0, le=30, allow_inf_nan=False, description="incline, % grade", json_schema_extra={"step": 0.5}),
]
Minutes = Annotated[
    float,
    Field(
        gt=0, le=180, allow_inf_nan=False, description="duration, minutes", json_schema_extra={"step": 0.5}
    ),
]
Sets = Annotated[int, Field(ge=1, le=20, description="sets", json_schema_extra={"step": 1})]
Reps = Annotated[int, Field(ge=1, le=100, description="repetitions per set", json_schema_extra={"step": 1})]
HoldSeconds = Annotated[
    float,
    Field(gt=0, le=600, allow_inf_nan=False, description="hold, seconds", json_schema_extra={"step": 1}),
]
SessionsPerWeek = Annotated[
    int, Field(ge=1, le=14, description="sessions per week", json_schema_extra={"step": 1})
]
Handrails = Literal["both", "one", "none"]
#: A pain rating 0-10 (NPRS): a number (not a string, boolean or NaN), checked inside
#: pydantic-core; a Python validator per rating made validating a client's session history the
#: slowest step of a progression decision.
Pain = Annotated[
    float,
    Field(strict=True, ge=0, le=10, allow_inf_nan=False, description="pain, 0 (none) to 10 (worst)"),
]
#: A KOOS subscale score, 0 (extreme problems) to 100 (no problems).
KoosScore = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False, description="KOOS score, 0-100")]
#: Pain on a 10 cm visual analogue scale, in cm (the article's primary pain outcome).
VasCm = Annotated[
    float,
    Field(
        strict=True,
        ge=0,
        le=10,
        allow_inf_nan=False,
        description="pain, 10 cm visual analogue scale (cm from 'no pain')",
        json_schema_extra={"step": 0.1},
    ),
]

#: A client's recorded sex (FHIR administrative gender). The assessment's sex-specific norms use
#: only female and male (``core.assessment.Sex``).
Sex = Literal["female", "male", "other", "unknown"]
SEX_VALUES: tuple[str, ...] = get_args(Sex)

_PHONE = re.compile(r"\+?[0-9 ()./-]+")
_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}")


def _phone(value: str) -> str:
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.fullmatch(value) or not 6 <= digits <= 20:
        raise ValueError("not a phone number: use digits, spaces and + ( ) - (6 to 20 digits)")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("not an e-mail address like name@clinic.example")
    return value


#: How a client reaches their trainer (printed on the handout): a phone number as people write it
#: and an e-mail address, each checked once here with a message that says what is expected.
ContactPhone = Annotated[
    str,
    Field(min_length=1, max_length=40, description="phone, e.g. +44 20 7946 0958"),
    AfterValidator(_phone),
]
ContactEmail = Annotated[
    str,
    Field(min_length=1, max_length=254, description="e-mail, e.g. name@clinic.example"),
    AfterValidator(_email),
]

HANDRAIL_LABELS: dict[str, str] = {"both": "both handrails", "one": "one handrail", "none": "hands-free"}

#: The vocabulary by field name, as the dose and session models use it.
FIELD_TYPES: dict[str, Any] = {
    "speed_kmh": SpeedKmh,
    "incline_pct": InclinePct,
    "minutes": Minutes,
    "sets": Sets,
    "reps": Reps,
    "hold_s": HoldSeconds,
    "sessions_per_week": SessionsPerWeek,
    "pain_before": Pain,
    "pain_during": Pain,
    "pain_after": Pain,
    "pain_next_morning": Pain,
    "pain_vas_cm": VasCm,
}


class Bounds(NamedTuple):
    """A numeric field's limits as a form needs them (``min``/``max``/``step`` attributes)."""

    min: float | None
    max: float | None
    step: float | None
    exclusive_min: bool
    exclusive_max: bool


def filled(message: str) -> AfterValidator:
    """Free text that must say something: stripped, and refused with ``message`` when only
    white space is left (``min_length`` alone lets a lone space through)."""

    def check(v: str) -> str:
        if not v.strip():
            raise ValueError(message)
        return v.strip()

    return AfterValidator(check)


def bounds(annotated: Any) -> Bounds:
    """The limits declared on a vocabulary type, read back from its pydantic metadata."""
    lo: float | None = None
    hi: float | None = None
    ex_lo = ex_hi = False
    step: float | None = None
    for meta in get_args(annotated)[1:]:
        items = meta.metadata if isinstance(meta, FieldInfo) else [meta]
        for m in items:
            if isinstance(m, Ge):
                lo = float(m.ge)  # type: ignore[arg-type]
            elif isinstance(m, Gt):
                lo, ex_lo = float(m.gt), True  # type: ignore[arg-type]
            elif isinstance(m, Le):
                hi = float(m.le)  # type: ignore[arg-type]
            elif isinstance(m, Lt):
                hi, ex_hi = float(m.lt), True  # type: ignore[arg-type]
        if isinstance(meta, FieldInfo) and isinstance(meta.json_schema_extra, Mapping):
            raw = meta.json_schema_extra.get("step")
            step = float(raw) if isinstance(raw, int | float) else step
    return Bounds(lo, hi, step, ex_lo, ex_hi)


def field_bounds(name: str) -> Bounds:
    """Bounds of a vocabulary field by its name (``speed_kmh``, ``pain_after``, ...)."""
    return bounds(FIELD_TYPES[name])


def field_messages(exc: ValidationError, *, prefix: str = "") -> dict[str, str]:
    """One readable message per field of a validation error, keyed by its dotted location.

    Why here: web forms, the CLI and the API all turn the same model errors into per-field
    messages, so the wording (and which field it names) is written once.
    """
    out: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        key = f"{prefix}{loc}" if loc else prefix.rstrip(".") or "form"
        out.setdefault(key, str(err.get("msg", "invalid value")))
    return out
