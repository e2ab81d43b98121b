"""WOMAC Likert 3.1 raw subscales derived from KOOS item answers (mapping and rules in data/womac.yaml).

Why: the article's trial (Gondhalekar 2013) measured WOMAC; every WOMAC item is a KOOS item, so a
clinic that collects KOOS can report the trial's outcome without a second questionnaire.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrowalk.core._data import load_yaml
from retrowalk.core.scores.koos import validate_answers
from retrowalk.errors import DataFileError

WOMAC_MAX: dict[str, int] = {"pain": 20, "stiffness": 8, "function": 68, "total": 96}


class _Subscale(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[str]
    max_missing: int = Field(ge=0)
    missing_source: str
    certainty: str


class _WomacData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument: str
    derived_from: str
    licence_note: str
    source: str
    direction: str
    subscales: dict[str, _Subscale]
    imputation: str
    total: str


@cache
def _data() -> _WomacData:
    try:
        data = _WomacData(**load_yaml("womac.yaml"))
    except (TypeError, ValidationError) as exc:
        raise DataFileError(f"womac.yaml is malformed: {exc}") from exc
    sizes = {k: len(v.items) * 4 for k, v in data.subscales.items()}
    if sizes != {k: WOMAC_MAX[k] for k in ("pain", "stiffness", "function")}:
        raise DataFileError(f"womac.yaml: subscale item counts {sizes} do not give WOMAC's 20/8/68")
    return data


class WomacScores(BaseModel):
    """Raw WOMAC Likert subscales, higher = worse; None where too many items are missing."""

    pain: float | None = Field(description="0-20")
    stiffness: float | None = Field(description="0-8")
    function: float | None = Field(description="0-68")
    total: float | None = Field(description="0-96")
    derived_from: str
    missing: dict[str, list[str]] = Field(default_factory=dict)
    missing_rules: dict[str, str]
    note: str


def score_womac(answers: Mapping[str, Any]) -> WomacScores:
    """WOMAC raw subscales from KOOS answers (ids P1..Q4, 0-4 or null); non-WOMAC items are ignored."""
    info = _data()
    clean = validate_answers(answers)
    scores: dict[str, float | None] = {}
    missing: dict[str, list[str]] = {}
    for name, sub in info.subscales.items():
        values = [v for i in sub.items if (v := clean.get(i)) is not None]
        gaps = [i for i in sub.items if clean.get(i) is None]
        if gaps:
            missing[name] = gaps
        if not values or len(gaps) > sub.max_missing:
            scores[name] = None
            continue
        mean = sum(values) / len(values)
        scores[name] = round(sum(values) + mean * len(gaps), 2)
    parts = [scores[k] for k in ("pain", "stiffness", "function")]
    total = None if any(p is None for p in parts) else round(sum(p for p in parts if p is not None), 2)
    return WomacScores(
        pain=scores["pain"],
        stiffness=scores["stiffness"],
        function=scores["function"],
        total=total,
        derived_from=info.derived_from,
        missing=missing,
        missing_rules={
            k: f"at most {v.max_missing} missing: {v.missing_source}" for k, v in info.subscales.items()
        },
        note=f"{info.instrument}: {info.direction}. {info.imputation}. {info.licence_note}.",
    )
