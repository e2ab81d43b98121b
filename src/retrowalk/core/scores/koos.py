"""KOOS scoring (42 items, five subscales) and the short forms the facts file supports.

Item metadata, missing-data rules and conversion tables live in ``data/koos.yaml`` with their
sources; this module only applies them. Answers are keyed by the English item ids (P1..Q4):
translations number items differently, so callers must map by meaning first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from retrowalk.core._data import load_yaml, require
from retrowalk.errors import DataFileError, InputError

Subscale = Literal["pain", "symptoms", "adl", "sport_rec", "qol"]
SUBSCALES: tuple[Subscale, ...] = ("pain", "symptoms", "adl", "sport_rec", "qol")
MissingRule = Literal["2012", "1998"]


class KoosItem(BaseModel):
    """One questionnaire item; ``labels[i]`` is the response label that scores ``i``."""

    model_config = ConfigDict(frozen=True)

    id: str
    subscale: Subscale
    text: str
    labels: tuple[str, str, str, str, str]

    def score_for_label(self, label: str) -> int:
        """Map a stored response label to its 0-4 score (S4/S5: Always = 0)."""
        wanted = label.strip().lower()
        for index, candidate in enumerate(self.labels):
            if candidate.lower() == wanted:
                return index
        raise InputError(self.id, f"unknown response label {label!r}", hint=f"use one of {list(self.labels)}")


class KoosScores(BaseModel):
    """The five KOOS subscales, 0 (extreme problems) to 100 (no problems); None = too many missing."""

    pain: float | None
    symptoms: float | None
    adl: float | None
    sport_rec: float | None
    qol: float | None


class KoosPsScore(BaseModel):
    """KOOS-PS: ``score`` is oriented 100 = no difficulty (awell); see ``direction_note``."""

    raw_sum: int | None
    score: float | None = Field(description="100 = no difficulty, 0 = extreme difficulty")
    score_reversed: float | None = Field(
        description="100 - score: 0 = no difficulty, the direction the original KOOS-PS may use [U]"
    )
    direction_note: str
    missing: list[str] = Field(default_factory=list)


class Koos12Scores(BaseModel):
    """KOOS-12 scales, 0 = worst, 100 = best; ``summary`` = mean of the three scales."""

    pain: float | None
    function: float | None
    qol: float | None
    summary: float | None


class KoosJrScore(BaseModel):
    raw_sum: int | None
    score: float | None = Field(description="interval score, 100 = perfect knee health")


def _data() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml("koos.yaml")
    return data


def _build_items() -> tuple[KoosItem, ...]:
    data = _data()
    label_sets = require(data, "label_sets", "koos.yaml")
    items: list[KoosItem] = []
    for raw in require(data, "items", "koos.yaml"):
        key = raw.get("labels")
        if key not in label_sets:
            raise DataFileError(f"koos.yaml: item {raw.get('id')!r} uses unknown label set {key!r}")
        items.append(
            KoosItem(id=raw["id"], subscale=raw["subscale"], text=raw["text"], labels=tuple(label_sets[key]))
        )
    if len(items) != 42 or len({i.id for i in items}) != 42:
        raise DataFileError("koos.yaml: expected 42 distinct items")
    return tuple(items)


#: Subscale titles as the questionnaire prints them (koos.yaml ``subscales.*.label``): the one set
#: every page, chart and report shows.
SUBSCALE_TITLES: dict[str, str] = {
    key: str(require(_data()["subscales"], key, "koos.yaml subscales")["label"]) for key in SUBSCALES
}

#: Ordered item metadata (questionnaire order: Symptoms, Pain, ADL, Sport/Rec, QOL).
KOOS_ITEMS: tuple[KoosItem, ...] = _build_items()
_BY_ID: dict[str, KoosItem] = {item.id: item for item in KOOS_ITEMS}


def items_for(subscale: Subscale) -> list[KoosItem]:
    return [item for item in KOOS_ITEMS if item.subscale == subscale]


def validate_answers(answers: Mapping[str, Any], *, allowed: set[str] | None = None) -> dict[str, int | None]:
    """Check ids and values; return a clean {id: 0..4 | None} map. Names the bad item on error."""
    if not isinstance(answers, Mapping):
        raise InputError(
            "answers", "expected a mapping of item id to 0-4 or null", hint='e.g. {"P1": 2, "P2": null}'
        )
    valid_ids = allowed if allowed is not None else set(_BY_ID)
    clean: dict[str, int | None] = {}
    for key, value in answers.items():
        if not isinstance(key, str) or key not in valid_ids:
            raise InputError(
                str(key),
                "unknown KOOS item id",
                hint="use the English item ids P1-P9, S1-S7, A1-A17, SP1-SP5, Q1-Q4",
            )
        if value is None:
            clean[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(
                key,
                f"expected an integer 0-4 or null, got {type(value).__name__} {value!r}",
                hint="answers are the box positions 0-4; store labels via KoosItem.score_for_label",
            )
        if not 0 <= value <= 4:
            raise InputError(
                key, f"value {value} is outside 0-4", hint="each answer is 0 (no problem) to 4 (extreme)"
            )
        clean[key] = value
    return clean


def answers_from_pairs(pairs: Iterable[tuple[Any, Any]]) -> dict[str, int | None]:
    """Answers given as (item id, value) pairs; an item answered twice keeps the more severe one.

    KOOS Scoring 2012: "if two boxes are marked, take the more severe one" (rule and source in
    koos.yaml ``duplicates``). A blank never overrides an answer.
    """
    merged: dict[str, int | None] = {}
    for key, value in pairs:
        clean = validate_answers({key: value})
        item, answer = next(iter(clean.items()))
        previous = merged.get(item)
        if previous is None or (answer is not None and answer > previous) or item not in merged:
            merged[item] = answer
    return merged


def _min_answered(subscale: Subscale, rule: str) -> int:
    info = require(_data()["subscales"], subscale, "koos.yaml subscales")
    key = f"min_answered_{rule}"
    return int(require(info, key, f"koos.yaml subscales.{subscale}"))


def _transform(values: list[int]) -> float:
    mean = sum(values) / len(values)
    return round(100.0 - mean * 100.0 / 4.0, 2)


def score_koos(answers: Mapping[str, int | None], *, missing_rule: str = "2012") -> KoosScores:
    """Score the five subscales: 100 - mean x 25 over answered items, None below the missing rule."""
    if missing_rule not in ("2012", "1998"):
        raise InputError(
            "missing_rule", f"unknown rule {missing_rule!r}", hint='use "2012" (default) or "1998"'
        )
    clean = validate_answers(answers)
    result: dict[str, float | None] = {}
    for subscale in SUBSCALES:
        values = [v for item in items_for(subscale) if (v := clean.get(item.id)) is not None]
        result[subscale] = (
            _transform(values) if len(values) >= _min_answered(subscale, missing_rule) else None
        )
    return KoosScores(**result)


def score_koos_ps(answers: Mapping[str, int | None]) -> KoosPsScore:
    """KOOS-PS via the Rasch table; all 7 items are required (as in awell), else score None."""
    info = _data()["koos_ps"]
    item_ids: list[str] = list(info["items"])
    clean = validate_answers(answers)
    missing = [i for i in item_ids if clean.get(i) is None]
    note = f"{info['direction']['shipped']}. [U] {info['direction']['caveat']}"
    if missing:
        return KoosPsScore(
            raw_sum=None, score=None, score_reversed=None, direction_note=note, missing=missing
        )
    raw = sum(int(clean[i] or 0) for i in item_ids)
    table = {int(k): float(v) for k, v in info["table"].items()}
    if set(table) != set(range(29)):
        raise DataFileError("koos.yaml koos_ps.table must cover raw sums 0-28")
    score = table[raw]
    return KoosPsScore(raw_sum=raw, score=score, score_reversed=round(100.0 - score, 2), direction_note=note)


def score_koos_12(answers: Mapping[str, int | None]) -> Koos12Scores:
    """KOOS-12: per scale >= 2 of 4 answered, mean imputation, 100 - mean x 25."""
    info = _data()["koos_12"]
    clean = validate_answers(answers)
    minimum = int(info["min_answered"])
    scales: dict[str, float | None] = {}
    for name, ids in info["scales"].items():
        values = [v for i in ids if (v := clean.get(i)) is not None]
        scales[name] = _transform(values) if len(values) >= minimum else None
    parts = [v for v in scales.values() if v is not None]
    summary = round(sum(parts) / 3, 2) if len(parts) == 3 else None
    return Koos12Scores(pain=scales["pain"], function=scales["function"], qol=scales["qol"], summary=summary)


def score_koos_jr(
    answers: Mapping[str, int | None], *, table: Mapping[int, float] | None = None
) -> KoosJrScore:
    """KOOS JR from its 7 items. The HSS table is not shipped: pass it as ``table`` (raw 0-28)."""
    info = _data()["koos_jr"]
    item_ids: list[str] = list(info["items"])
    clean = validate_answers(answers)
    conversion = table if table is not None else info.get("table")
    if conversion is None:
        raise InputError(
            "koos_jr",
            "the official HSS raw-to-interval conversion table is not shipped with retrowalk",
            hint="pass table={0: 100.0, ..., 28: 0.0} copied from the HSS KOOS JR scoring document",
        )
    converted = {int(k): float(v) for k, v in conversion.items()}
    if set(converted) != set(range(29)) or any(not 0 <= v <= 100 for v in converted.values()):
        raise InputError(
            "table",
            "KOOS JR table must map every raw sum 0-28 to a value in 0-100",
            hint="copy all 29 rows of the HSS table",
        )
    if any(clean.get(i) is None for i in item_ids):
        return KoosJrScore(raw_sum=None, score=None)
    raw = sum(int(clean[i] or 0) for i in item_ids)
    return KoosJrScore(raw_sum=raw, score=converted[raw])
