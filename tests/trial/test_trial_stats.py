"""Statistics vs independent computations on small hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from retrowalk.errors import InputError
from retrowalk.trial.samplesize import detectable_difference, power_two_sample, sample_size
from retrowalk.trial.stats import ancova, effect_size, mixed_model, paired_change, summarise

BEFORE = [7.0, 6.5, 8.0, 5.5, 6.0, 7.5]
AFTER = [5.0, 5.5, 6.0, 5.0, 4.0, 6.5]


def test_paired_change_matches_scipy_and_the_hand_formula() -> None:
    res = paired_change(BEFORE, AFTER)
    diffs = [a - b for a, b in zip(AFTER, BEFORE, strict=True)]  # -2, -1, -2, -0.5, -2, -1
    mean = sum(diffs) / 6
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / 5)
    se = sd / math.sqrt(6)
    ref = stats.ttest_rel(AFTER, BEFORE)
    assert res.estimate == pytest.approx(-8.5 / 6)
    assert res.sd == pytest.approx(sd)
    assert res.t == pytest.approx(ref.statistic)
    assert res.p == pytest.approx(ref.pvalue)
    q = stats.t.ppf(0.975, 5)
    assert (res.ci_low, res.ci_high) == pytest.approx((mean - q * se, mean + q * se))


def test_summary_ci_and_degenerate_sizes() -> None:
    s = summarise([1.0, 2.0, 3.0])
    assert (s.mean, s.sd) == pytest.approx((2.0, 1.0))
    half = stats.t.ppf(0.975, 2) / math.sqrt(3)
    assert (s.ci_low, s.ci_high) == pytest.approx((2 - half, 2 + half))
    assert summarise([4.0]).sd is None and summarise([]).mean is None
    assert paired_change([1.0], [2.0]).p is None


def test_ancova_matches_numpy_least_squares() -> None:
    rng = np.random.default_rng(0)
    n = 24
    base = rng.normal(50, 8, n)
    group = np.repeat([0.0, 1.0], n // 2)
    sex = np.tile([0.0, 1.0], n // 2)
    y = 10 + 0.7 * base - 5 * group + 2 * sex + rng.normal(0, 3, n)
    (eff,), slope, n_used = ancova(y, base, group.reshape(-1, 1), sex.reshape(-1, 1))
    x = np.column_stack([np.ones(n), base, group, sex])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    sigma2 = resid @ resid / (n - 4)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(x.T @ x)))
    q = stats.t.ppf(0.975, n - 4)
    assert n_used == n
    assert eff.estimate == pytest.approx(beta[2])
    assert slope.estimate == pytest.approx(beta[1])
    assert eff.se == pytest.approx(se[2])
    assert (eff.ci_low, eff.ci_high) == pytest.approx((beta[2] - q * se[2], beta[2] + q * se[2]))
    assert eff.p == pytest.approx(2 * stats.t.sf(abs(beta[2] / se[2]), n - 4))


def test_ancova_with_too_little_data_reports_nothing_instead_of_crashing() -> None:
    (eff,), _, n = ancova([1.0, 2.0], [1.0, 2.0], [[0.0], [1.0]])
    assert n == 2 and eff.estimate is None


def test_effect_sizes_by_hand() -> None:
    treat = [4.0, 6.0, 8.0]  # mean 6, var 4
    ctrl = [1.0, 2.0, 3.0, 6.0]  # mean 3, var 14/3
    pooled = math.sqrt((2 * 4 + 3 * 14 / 3) / 5)
    d = 3 / pooled
    g = d * (1 - 3 / (4 * 7 - 9))
    se = math.sqrt(7 / 12 + g * g / 14)
    z = stats.norm.ppf(0.975)
    res = effect_size(treat, ctrl)
    assert res.cohens_d == pytest.approx(d)
    assert res.hedges_g == pytest.approx(g)
    assert (res.ci_low, res.ci_high) == pytest.approx((g - z * se, g + z * se))
    assert effect_size([1.0], ctrl).hedges_g is None


def _panel(
    rng: np.random.Generator, n_per_arm: int, effect: float
) -> tuple[list[float], list[str], list[int], list[int]]:
    y: list[float] = []
    pid: list[str] = []
    vis: list[int] = []
    arm: list[int] = []
    for a in (0, 1):
        for i in range(n_per_arm):
            b = rng.normal(0, 2)
            for v in range(3):
                y.append(10 + b - 1.0 * v - effect * v * a + rng.normal(0, 1))
                pid.append(f"{a}-{i}")
                vis.append(v)
                arm.append(a)
    return y, pid, vis, arm


def test_mixed_model_on_balanced_data_equals_raw_difference_in_mean_change() -> None:
    # With complete balanced data the GLS fixed effects equal OLS cell means, so the arm x visit
    # coefficient is exactly the difference between the arms' mean changes.
    y, pid, vis, arm = _panel(np.random.default_rng(1), 10, 1.5)
    res = mixed_model(y, pid, vis, arm, visits=["v0", "v1", "v2"], arms=["A", "B"])
    ya, va, aa = np.array(y), np.array(vis), np.array(arm)

    def cell(a: int, v: int) -> float:
        return float(ya[(aa == a) & (va == v)].mean())

    for c in res.contrasts:
        v = int(c.visit[1])
        raw = (cell(1, v) - cell(1, 0)) - (cell(0, v) - cell(0, 0))
        assert c.difference_in_change.estimate == pytest.approx(raw, abs=1e-6)
        assert c.difference_in_mean.estimate == pytest.approx(cell(1, v) - cell(0, v), abs=1e-6)
    assert res.n_observations == 60 and res.n_participants == 20
    assert res.interaction_df == 2 and res.interaction_p is not None and res.interaction_p < 0.05
    assert res.random_intercept_variance is not None and res.random_intercept_variance > 1


def test_mixed_model_uses_every_observation_of_unbalanced_data() -> None:
    rng = np.random.default_rng(2)
    y, pid, vis, arm = _panel(rng, 12, 1.5)
    # drop the last visit for 5 participants and a middle visit for 3 others
    drop = (
        {(f"0-{i}", 2) for i in range(3)}
        | {(f"1-{i}", 2) for i in range(2)}
        | {(f"1-{i}", 1) for i in range(5, 8)}
    )
    keep = [k for k in range(len(y)) if (pid[k], vis[k]) not in drop]
    res = mixed_model(
        [y[k] for k in keep],
        [pid[k] for k in keep],
        [vis[k] for k in keep],
        [arm[k] for k in keep],
        visits=["v0", "v1", "v2"],
        arms=["A", "B"],
    )
    assert res.n_observations == 72 - 8
    assert res.n_participants == 24  # nobody is dropped for having a missing visit
    final = next(c for c in res.contrasts if c.visit == "v2").difference_in_change
    assert final.ci_low is not None and final.ci_high is not None
    assert final.ci_low < -3.0 < final.ci_high  # true simulated difference in change at v2
    assert res.converged


def test_sample_size_agrees_with_statsmodels_power_solver() -> None:
    from statsmodels.stats.power import TTestIndPower

    solver = TTestIndPower()
    for diff, sd, alpha, power in [(8, 12, 0.05, 0.8), (1.0, 1.5, 0.05, 0.9), (10, 20, 0.01, 0.8)]:
        res = sample_size(difference=diff, sd=sd, alpha=alpha, power=power)
        exact = solver.solve_power(effect_size=diff / sd, alpha=alpha, power=power)
        assert res.n_per_arm[0] == math.ceil(exact)
        assert res.power >= power
        assert power_two_sample(diff / sd, res.n_per_arm[0] - 1, res.n_per_arm[0] - 1, alpha) < power
        z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
        assert res.normal_approximation_n1 == pytest.approx(2 * (z * sd / diff) ** 2)
    assert power_two_sample(0.5, 20, 20) == pytest.approx(solver.power(0.5, 20, 0.05))


def test_what_fifteen_per_arm_can_detect() -> None:
    from statsmodels.stats.power import TTestIndPower

    res = detectable_difference(n_per_arm=15, sd=10, power=0.8, difference=5)
    assert res.detectable_standardized == pytest.approx(
        TTestIndPower().solve_power(nobs1=15, alpha=0.05, power=0.8), rel=1e-5
    )
    assert res.detectable_difference == pytest.approx(10 * res.detectable_standardized)
    assert res.power_for_difference == pytest.approx(TTestIndPower().power(0.5, 15, 0.05))
    dropped = sample_size(difference=5, sd=10, dropout=0.2)
    assert dropped.n_total_with_dropout == math.ceil(dropped.n_total / 0.8)


@pytest.mark.parametrize("ratio", [0, -1.0])
def test_an_allocation_ratio_must_be_positive(ratio: float) -> None:
    with pytest.raises(InputError) as exc:
        detectable_difference(n_per_arm=15, sd=10, ratio=ratio)
    assert exc.value.field == "ratio"
    with pytest.raises(InputError) as exc:
        sample_size(difference=5, sd=10, ratio=ratio)
    assert exc.value.field == "ratio"
