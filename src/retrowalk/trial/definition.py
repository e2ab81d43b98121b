"""Trial definition: arms, outcomes, visits with windows, strata and analysis options.

A clinic writes this once (YAML at the edge); every other trial function takes the validated
model, so a misspelt arm or an impossible window fails before any participant is enrolled.
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from retrowalk.core.scores.mcid import instrument_for, instrument_range

_ID = r"^[A-Za-z0-9_.-]+$"
#: Ceiling on strata (the product of factor levels) for any caller; edges set a lower limit
#: (``max_trial_strata``). Randomisation builds a list per stratum, so 10^7 strata ran out of memory.
MAX_STRATA = 100_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arm(_Strict):
    id: str = Field(pattern=_ID, description="Short code used in data files, e.g. 'conventional'.")
    label: str = ""
    ratio: int = Field(default=1, ge=1, le=10, description="Allocation weight (1:1 by default).")


class Outcome(_Strict):
    id: str = Field(pattern=_ID)
    label: str = ""
    unit: str = ""
    better: Literal["lower", "higher"] = Field(
        description="Direction of improvement: VAS pain and WOMAC are 'lower', ROM and strength 'higher'."
    )
    primary: bool = False
    min: float | None = Field(
        default=None, allow_inf_nan=False, description="Smallest plausible value (data outside fail)."
    )
    max: float | None = Field(default=None, allow_inf_nan=False)
    instrument: str | None = Field(
        default=None, description="Scale or assessment test id (e.g. 'vas_10cm', 'koos_pain')."
    )

    @model_validator(mode="after")
    def _range(self) -> Outcome:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"outcome {self.id}: min ({self.min}) must be below max ({self.max})")
        # A named instrument (VAS 0-10 cm, WOMAC 0-96) fixes the scale: data outside it are wrong.
        scale = instrument_range(name) if (name := instrument_for(self.instrument)) else None
        if scale is not None:
            for bound in (self.min, self.max):
                if bound is not None and not scale[0] <= bound <= scale[1]:
                    raise ValueError(
                        f"outcome {self.id}: {self.instrument} is scored {scale[0]:g}-{scale[1]:g}, "
                        f"so min/max {bound:g} is outside its scale"
                    )
        return self


class Visit(_Strict):
    id: str = Field(pattern=_ID)
    day: int = Field(ge=0, description="Scheduled study day (baseline = 0).")
    window_before: int = Field(default=0, ge=0, description="Days early still accepted.")
    window_after: int = Field(default=0, ge=0, description="Days late still accepted.")

    def accepts(self, day: int) -> bool:
        return self.day - self.window_before <= day <= self.day + self.window_after


class StratificationFactor(_Strict):
    name: str = Field(pattern=_ID, description="Column name in the data, e.g. 'sex'.")
    levels: list[str] = Field(min_length=2)

    @field_validator("levels")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("stratification levels must be unique")
        return v


class PerProtocolRule(_Strict):
    min_adherence: float = Field(
        default=0.8, ge=0, le=1, description="Sessions done / prescribed below this leaves the PP set."
    )
    exclude_deviations: bool = True
    exclude_withdrawn: bool = True


class TrialDefinition(_Strict):
    id: str = Field(pattern=_ID)
    title: str = ""
    arms: list[Arm] = Field(min_length=2)
    control_arm: str = Field(description="Arm id that differences are measured against (B minus control).")
    outcomes: list[Outcome] = Field(min_length=1)
    visits: list[Visit] = Field(min_length=2, description="First visit is the baseline.")
    stratification: list[StratificationFactor] = Field(default_factory=list)
    target_size: int = Field(ge=2, description="Planned number of participants in total.")
    block_sizes: list[int] = Field(
        default_factory=lambda: [2, 4, 6],
        description="Permuted block sizes drawn at random; each a multiple of the summed arm ratios.",
    )
    adjust_for_strata: bool = Field(default=True, description="Add stratification factors to ANCOVA.")
    per_protocol: PerProtocolRule = Field(default_factory=PerProtocolRule)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    source: str | None = Field(default=None, description="Citation of the design this mirrors.")

    @model_validator(mode="after")
    def _consistent(self) -> TrialDefinition:
        for kind, ids in (
            ("arm", [a.id for a in self.arms]),
            ("outcome", [o.id for o in self.outcomes]),
            ("visit", [v.id for v in self.visits]),
            ("stratification factor", [s.name for s in self.stratification]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} id(s): {', '.join(dupes)}")
        if self.control_arm not in {a.id for a in self.arms}:
            raise ValueError(
                f"control_arm {self.control_arm!r} is not one of the arms ({', '.join(self.arm_ids)})"
            )
        days = [v.day for v in self.visits]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError("visits must be listed in increasing day order with distinct days")
        for a, b in itertools.pairwise(self.visits):
            if a.day + a.window_after >= b.day - b.window_before:
                raise ValueError(f"visit windows of {a.id!r} and {b.id!r} overlap")
        if self.stratum_count > MAX_STRATA:
            raise ValueError(
                f"stratification gives {self.stratum_count} strata, over the limit of {MAX_STRATA}"
            )
        unit = sum(a.ratio for a in self.arms)
        if not self.block_sizes:
            raise ValueError("block_sizes must not be empty")
        bad = [b for b in self.block_sizes if b <= 0 or b % unit]
        if bad:
            raise ValueError(
                f"block sizes {bad} are not positive multiples of the summed arm ratios ({unit})"
            )
        return self

    @property
    def arm_ids(self) -> list[str]:
        return [a.id for a in self.arms]

    @property
    def treatment_arms(self) -> list[str]:
        return [a for a in self.arm_ids if a != self.control_arm]

    def outcome(self, outcome_id: str) -> Outcome:
        for o in self.outcomes:
            if o.id == outcome_id:
                return o
        raise KeyError(outcome_id)

    @property
    def stratum_count(self) -> int:
        """Number of strata, counted without building them."""
        return math.prod(len(f.levels) for f in self.stratification)

    def strata(self) -> list[dict[str, str]]:
        """Every combination of factor levels (one stratum when unstratified)."""
        if not self.stratification:
            return [{}]
        combos = itertools.product(*(f.levels for f in self.stratification))
        return [dict(zip([f.name for f in self.stratification], c, strict=True)) for c in combos]


def stratum_key(levels: dict[str, str]) -> str:
    """Canonical text for a stratum, e.g. ``sex=F|site=A`` (``all`` when unstratified)."""
    if not levels:
        return "all"
    return "|".join(f"{k}={levels[k]}" for k in sorted(levels))
