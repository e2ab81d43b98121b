"""NPRS 0-10 validation and Boonstra severity bands (cut-offs in data/nprs.yaml)."""

from __future__ import annotations

import itertools
import math
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from retrowalk.core._data import load_yaml
from retrowalk.core.vocab import Pain, bounds
from retrowalk.errors import DataFileError, InputError

#: A pain rating as a model field (declared once, in the vocabulary).
Nprs = Pain
_PAIN_BOUNDS = bounds(Pain)


class PainRules(BaseModel):
    """The pain limit ("above 5") and the stop threshold, with their sources (data/nprs.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    limit_above: Nprs
    limit_source: str
    limit_certainty: str
    stop_at_least: Nprs
    stop_source: str
    stop_certainty: str

    def above_limit(self, pain: float) -> bool:
        """The one definition of "above 5": strictly above the limit."""
        return pain > self.limit_above

    def stops(self, pain: float) -> bool:
        """The one stop rule: pain at or above the stop threshold."""
        return pain >= self.stop_at_least


@cache
def pain_rules() -> PainRules:
    try:
        rules = PainRules(**load_yaml("nprs.yaml")["rules"])
    except (KeyError, TypeError, ValidationError) as exc:
        raise DataFileError(f"nprs.yaml rules are malformed: {exc}") from exc
    if rules.stop_at_least <= rules.limit_above:
        raise DataFileError("nprs.yaml: stop_at_least must be above limit_above")
    return rules


class NprsBand(BaseModel):
    label: str
    max: float
    source: str
    certainty: str


def _bands() -> list[NprsBand]:
    bands = [NprsBand(**b) for b in load_yaml("nprs.yaml").get("bands", [])]
    if not bands or any(a.max >= b.max for a, b in itertools.pairwise(bands)):
        raise DataFileError("nprs.yaml: bands must be non-empty with strictly increasing max")
    return bands


def validate_nprs(value: Any, field: str = "pain_nprs") -> float:
    """Accept an int/float pain rating in 0..10; anything else names ``field`` in the error."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            field,
            f"expected a number 0-10, got {type(value).__name__} {value!r}",
            hint="pain is rated 0 (no pain) to 10 (worst imaginable)",
        )
    number = float(value)
    lo, hi = _PAIN_BOUNDS.min, _PAIN_BOUNDS.max
    if math.isnan(number) or lo is None or hi is None or not lo <= number <= hi:
        raise InputError(field, f"value {value} is outside 0-10", hint="pain is rated 0 to 10")
    return number


def nprs_severity(value: Any, field: str = "pain_nprs") -> NprsBand:
    """The severity band (none/mild/moderate/severe) a rating falls into, with its source."""
    number = validate_nprs(value, field)
    for band in _bands():
        if number <= band.max:
            return band
    return _bands()[-1]
