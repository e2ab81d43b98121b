"""Sample size and power for a two-arm comparison of means (two-sided, independent groups).

Power uses the exact noncentral t distribution (statsmodels ``TTestIndPower``), so small trials
(like 15 per arm) are not flattered the way the plain normal approximation would flatter them.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field
from scipy import stats

from retrowalk.errors import InputError


class SampleSizeResult(BaseModel):
    alpha: float
    power: float = Field(description="Achieved power at the returned size (t distribution).")
    target_power: float | None = None
    difference: float
    sd: float
    standardized_difference: float = Field(description="difference / sd (Cohen's d).")
    ratio: float = Field(description="n2 / n1.")
    n_per_arm: list[int] = Field(description="[n1, n2], rounded up.")
    n_total: int
    normal_approximation_n1: float = Field(description="Unrounded n1 from the z formula, for comparison.")
    dropout: float = 0.0
    n_total_with_dropout: int


class DetectableResult(BaseModel):
    alpha: float
    power: float
    sd: float
    n_per_arm: list[int]
    detectable_difference: float = Field(description="Smallest true difference detected with this power.")
    detectable_standardized: float
    power_for_difference: float | None = None
    difference: float | None = None


def _check(alpha: float, sd: float, power: float | None = None, ratio: float = 1.0) -> None:
    if not 0 < alpha < 1:
        raise InputError("alpha", f"{alpha} must be between 0 and 1", hint="usually 0.05")
    if power is not None and not 0 < power < 1:
        raise InputError("power", f"{power} must be between 0 and 1", hint="usually 0.8 or 0.9")
    if not sd > 0:
        raise InputError("sd", f"{sd} must be positive", hint="use the outcome's between-patient SD")
    if not ratio > 0:
        raise InputError("ratio", "must be positive")


def power_two_sample(d: float, n1: float, n2: float, alpha: float = 0.05) -> float:
    """Two-sided power for standardised difference ``d`` with ``n1``/``n2`` per arm.

    statsmodels' ``TTestIndPower`` (noncentral t, both tails) does the work; the guard keeps the
    far tail at 1 where the noncentral t loses precision.
    """
    from statsmodels.stats.power import TTestIndPower

    if n1 + n2 - 2 <= 0:
        return float("nan")
    power = float(TTestIndPower().power(abs(d), n1, alpha, ratio=n2 / n1, alternative="two-sided"))
    crit = stats.t.ppf(1 - alpha / 2, n1 + n2 - 2)
    if math.isnan(power) and abs(d) * math.sqrt(n1 * n2 / (n1 + n2)) > crit:
        return 1.0
    return power


def sample_size(
    *,
    difference: float,
    sd: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> SampleSizeResult:
    """Smallest n1 (n2 = ratio·n1) reaching ``power``; dropout inflates the total to recruit."""
    _check(alpha, sd, power, ratio)
    if difference == 0:
        raise InputError("difference", "must not be zero", hint="the smallest difference worth detecting")
    if not 0 <= dropout < 1:
        raise InputError("dropout", f"{dropout} must be in [0, 1)", hint="e.g. 0.1 for 10 % loss")
    d = abs(difference) / sd
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    n_normal = (1 + 1 / ratio) * (z / d) ** 2
    n1 = max(2, math.floor(n_normal))
    while power_two_sample(d, n1, math.ceil(ratio * n1), alpha) < power:
        n1 += 1
    n2 = math.ceil(ratio * n1)
    achieved = power_two_sample(d, n1, n2, alpha)
    total = n1 + n2
    return SampleSizeResult(
        alpha=alpha,
        power=achieved,
        target_power=power,
        difference=abs(difference),
        sd=sd,
        standardized_difference=d,
        ratio=ratio,
        n_per_arm=[n1, n2],
        n_total=total,
        normal_approximation_n1=n_normal,
        dropout=dropout,
        n_total_with_dropout=math.ceil(total / (1 - dropout)),
    )


def detectable_difference(
    *,
    n_per_arm: int,
    sd: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    difference: float | None = None,
) -> DetectableResult:
    """What ``n_per_arm`` can detect, and (optionally) the power for a given ``difference``."""
    from statsmodels.stats.power import TTestIndPower

    _check(alpha, sd, power, ratio)
    if n_per_arm < 2:
        raise InputError("n_per_arm", "must be at least 2")
    n1 = n_per_arm
    n2 = max(2, math.ceil(ratio * n1))
    d = float(
        TTestIndPower().solve_power(
            effect_size=None, nobs1=n1, alpha=alpha, power=power, ratio=n2 / n1, alternative="two-sided"
        )
    )
    return DetectableResult(
        alpha=alpha,
        power=power,
        sd=sd,
        n_per_arm=[n1, n2],
        detectable_difference=d * sd,
        detectable_standardized=d,
        difference=difference,
        power_for_difference=None if difference is None else power_two_sample(difference / sd, n1, n2, alpha),
    )
