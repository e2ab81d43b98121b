"""Statistical building blocks on plain arrays (no data frames), each checkable by hand.

Kept separate from the trial bookkeeping so tests can compare every number against an
independent computation (scipy, numpy least squares, textbook formulas).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, Field
from scipy import stats

FloatArray = NDArray[np.float64]


@contextmanager
def _dict_formula_data() -> Iterator[None]:
    """Formula data as a dict of arrays: the pure trial package may not import pandas (no I/O
    library in the core), and statsmodels < 0.16 still accepts dicts, with a deprecation warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Using dict data structures with formula", category=DeprecationWarning
        )
        yield


def finite_or_none(x: float | np.floating[Any] | None) -> float | None:
    """JSON has no NaN: undefined statistics (n too small) are reported as null."""
    if x is None:
        return None
    xf = float(x)
    return xf if math.isfinite(xf) else None


class Summary(BaseModel):
    n: int
    mean: float | None
    sd: float | None
    ci_low: float | None
    ci_high: float | None


class TTest(BaseModel):
    """A mean (of differences) with its t-based CI and two-sided test against zero."""

    n: int
    estimate: float | None
    sd: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: float | None
    p: float | None


class RegressionEffect(BaseModel):
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p: float | None
    df: float | None = Field(default=None, description="Residual df (t test); null for z/Wald tests.")


class EffectSize(BaseModel):
    n_treatment: int
    n_control: int
    cohens_d: float | None
    hedges_g: float | None
    ci_low: float | None = Field(description="CI for g (Hedges & Olkin large-sample SE).")
    ci_high: float | None


def summarise(values: ArrayLike, alpha: float = 0.05) -> Summary:
    x = np.asarray(values, dtype=float)
    n = int(x.size)
    if n == 0:
        return Summary(n=0, mean=None, sd=None, ci_low=None, ci_high=None)
    mean = float(x.mean())
    if n < 2:
        return Summary(n=n, mean=mean, sd=None, ci_low=None, ci_high=None)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * sd / math.sqrt(n)
    return Summary(n=n, mean=mean, sd=sd, ci_low=mean - half, ci_high=mean + half)


def paired_change(before: ArrayLike, after: ArrayLike, alpha: float = 0.05) -> TTest:
    """Within-group change (after − before): paired t (``scipy.stats.ttest_rel``)."""
    a = np.asarray(after, dtype=float)
    b = np.asarray(before, dtype=float)
    diff = a - b
    n = int(diff.size)
    if n < 2:
        return TTest(
            n=n,
            estimate=finite_or_none(diff.mean()) if n else None,
            sd=None,
            se=None,
            ci_low=None,
            ci_high=None,
            t=None,
            df=None,
            p=None,
        )
    mean = float(diff.mean())
    sd = float(diff.std(ddof=1))
    se = sd / math.sqrt(n)
    if se == 0:  # no spread: the test is undefined, the interval collapses to the mean
        return TTest(n=n, estimate=mean, sd=sd, se=se, ci_low=mean, ci_high=mean, t=None, df=n - 1, p=None)
    res = stats.ttest_rel(a, b)
    ci = res.confidence_interval(confidence_level=1 - alpha)
    return TTest(
        n=n,
        estimate=mean,
        sd=sd,
        se=se,
        ci_low=finite_or_none(ci.low),
        ci_high=finite_or_none(ci.high),
        t=finite_or_none(res.statistic),
        df=float(res.df),
        p=finite_or_none(res.pvalue),
    )


def ancova(
    y: ArrayLike,
    baseline: ArrayLike,
    groups: ArrayLike,
    covariates: ArrayLike | None = None,
    alpha: float = 0.05,
) -> tuple[list[RegressionEffect], RegressionEffect, int]:
    """OLS of follow-up on baseline + group dummies (+ covariates), as a statsmodels formula.

    ``groups`` is an (n, k) 0/1 matrix of treatment-arm indicators (control = all zero). Returns
    one effect per treatment column (adjusted difference vs control), the baseline slope, and n.
    """
    import statsmodels.formula.api as smf

    yv = np.asarray(y, dtype=float)
    g = np.asarray(groups, dtype=float)
    if g.ndim == 1:
        g = g.reshape(-1, 1)
    frame: dict[str, FloatArray] = {"y": yv, "baseline": np.asarray(baseline, dtype=float)}
    arms = [f"arm{j}" for j in range(g.shape[1])]
    for j, name in enumerate(arms):
        frame[name] = g[:, j]
    covs: list[str] = []
    if covariates is not None:
        cov = np.asarray(covariates, dtype=float)
        if cov.ndim == 1:
            cov = cov.reshape(-1, 1)
        for j in range(cov.shape[1] if cov.size else 0):
            covs.append(f"cov{j}")
            frame[covs[-1]] = cov[:, j]
    terms = ["baseline", *arms, *covs]
    n = int(yv.size)
    x = np.column_stack([np.ones(n), *(frame[t] for t in terms)])
    if n <= x.shape[1] or np.linalg.matrix_rank(x) < x.shape[1]:
        empty = RegressionEffect(estimate=None, se=None, ci_low=None, ci_high=None, p=None)
        return [empty] * g.shape[1], empty, n
    with _dict_formula_data():
        fit = smf.ols("y ~ " + " + ".join(terms), data=frame).fit()
    ci = fit.conf_int(alpha=alpha)

    def eff(term: str) -> RegressionEffect:
        return RegressionEffect(
            estimate=finite_or_none(fit.params[term]),
            se=finite_or_none(fit.bse[term]),
            ci_low=finite_or_none(ci.loc[term, 0]),
            ci_high=finite_or_none(ci.loc[term, 1]),
            p=finite_or_none(fit.pvalues[term]),
            df=float(fit.df_resid),
        )

    return [eff(a) for a in arms], eff("baseline"), n


def effect_size(treatment: ArrayLike, control: ArrayLike, alpha: float = 0.05) -> EffectSize:
    """Cohen's d (pooled SD) and Hedges' g (small-sample corrected) for treatment − control."""
    a = np.asarray(treatment, dtype=float)
    b = np.asarray(control, dtype=float)
    n1, n2 = int(a.size), int(b.size)
    if n1 < 2 or n2 < 2:
        return EffectSize(
            n_treatment=n1, n_control=n2, cohens_d=None, hedges_g=None, ci_low=None, ci_high=None
        )
    pooled = math.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2))
    if pooled == 0:
        return EffectSize(
            n_treatment=n1, n_control=n2, cohens_d=None, hedges_g=None, ci_low=None, ci_high=None
        )
    d = float((a.mean() - b.mean()) / pooled)
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    g = j * d
    se = math.sqrt((n1 + n2) / (n1 * n2) + g * g / (2 * (n1 + n2)))
    z = float(stats.norm.ppf(1 - alpha / 2))
    return EffectSize(
        n_treatment=n1, n_control=n2, cohens_d=d, hedges_g=g, ci_low=g - z * se, ci_high=g + z * se
    )


class MixedContrast(BaseModel):
    arm: str
    visit: str
    difference_in_mean: RegressionEffect = Field(description="Treatment − control mean at this visit.")
    difference_in_change: RegressionEffect = Field(
        description="Treatment − control change from baseline (the arm × visit coefficient)."
    )


class MixedModelResult(BaseModel):
    method: str = "linear mixed model, REML: value ~ visit * arm + (1 | participant)"
    n_observations: int
    n_participants: int
    converged: bool
    random_intercept_variance: float | None
    residual_variance: float | None
    interaction_chi2: float | None = Field(description="Wald test that every arm × visit term is zero.")
    interaction_df: int
    interaction_p: float | None
    contrasts: list[MixedContrast]
    notes: list[str] = Field(default_factory=list)


def mixed_model(
    y: ArrayLike,
    participant: Sequence[str],
    visit_index: ArrayLike,
    arm_index: ArrayLike,
    *,
    visits: Sequence[str],
    arms: Sequence[str],
    alpha: float = 0.05,
) -> MixedModelResult:
    """Random-intercept model ``value ~ C(visit) * C(arm) + (1 | participant)`` (statsmodels formula)
    on every available observation.

    ``arms[0]`` is the control and ``visits[0]`` the baseline (reference levels). Participants
    with missing visits still contribute what they have (valid if missingness is at random).
    """
    import statsmodels.formula.api as smf

    yv = np.asarray(y, dtype=float)
    vi = np.asarray(visit_index, dtype=int)
    ai = np.asarray(arm_index, dtype=int)
    kv, ka = len(visits), len(arms)
    groups = np.asarray(participant)
    n_part = len(set(groups.tolist()))
    notes: list[str] = []
    n_inter = (kv - 1) * (ka - 1)
    empty = MixedModelResult(
        n_observations=int(yv.size),
        n_participants=n_part,
        converged=False,
        random_intercept_variance=None,
        residual_variance=None,
        interaction_chi2=None,
        interaction_df=n_inter,
        interaction_p=None,
        contrasts=[],
        notes=notes,
    )
    # Every level is kept (an empty visit × arm cell then shows as a rank-deficient design).
    visit_factor = f"C(visit, levels={list(range(kv))})"
    arm_factor = f"C(arm, levels={list(range(ka))})"
    frame = {"value": yv, "visit": vi, "arm": ai}
    with _dict_formula_data():
        model = smf.mixedlm(f"value ~ {visit_factor} * {arm_factor}", frame, groups=groups)
    x = np.asarray(model.exog, dtype=float)
    if np.linalg.matrix_rank(x) < x.shape[1] or yv.size <= x.shape[1] + 1 or n_part < 3:
        notes.append("not enough data for the mixed model (some visit × arm cell is empty or n too small)")
        return empty
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = model.fit(reml=True, method=["lbfgs", "powell"])
        except (np.linalg.LinAlgError, ValueError) as exc:
            notes.append(f"mixed model failed: {exc}")
            return empty
    for w in caught:
        msg = str(w.message).splitlines()[0]
        if msg not in notes:
            notes.append(msg)
    names = list(model.exog_names)
    params = np.asarray(fit.fe_params, dtype=float)
    cov = np.asarray(fit.cov_params(), dtype=float)[: len(names), : len(names)]
    z = float(stats.norm.ppf(1 - alpha / 2))

    def col(term: str) -> int:
        return names.index(term)

    def arm_term(a: int) -> str:
        return f"{arm_factor}[T.{a}]"

    def inter_term(a: int, v: int) -> str:
        return f"{visit_factor}[T.{v}]:{arm_factor}[T.{a}]"

    def lin(weights: FloatArray) -> RegressionEffect:
        est = float(weights @ params)
        var = float(weights @ cov @ weights)
        if not var > 0:
            return RegressionEffect(estimate=finite_or_none(est), se=None, ci_low=None, ci_high=None, p=None)
        se = math.sqrt(var)
        return RegressionEffect(
            estimate=est,
            se=se,
            ci_low=est - z * se,
            ci_high=est + z * se,
            p=2 * float(stats.norm.sf(abs(est / se))),
        )

    contrasts: list[MixedContrast] = []
    for a in range(1, ka):
        for v in range(1, kv):
            w_mean = np.zeros(len(names))
            w_mean[col(arm_term(a))] = 1.0
            w_mean[col(inter_term(a, v))] = 1.0
            w_change = np.zeros(len(names))
            w_change[col(inter_term(a, v))] = 1.0
            contrasts.append(
                MixedContrast(
                    arm=arms[a],
                    visit=visits[v],
                    difference_in_mean=lin(w_mean),
                    difference_in_change=lin(w_change),
                )
            )
    idx = [col(inter_term(a, v)) for a in range(1, ka) for v in range(1, kv)]
    chi2: float | None = None
    p_int: float | None = None
    if idx:
        b = params[idx]
        sub = cov[np.ix_(idx, idx)]
        try:
            chi2 = float(b @ np.linalg.solve(sub, b))
            p_int = float(stats.chi2.sf(chi2, len(idx)))
        except np.linalg.LinAlgError:
            notes.append("interaction covariance is singular; no joint test")
    return MixedModelResult(
        n_observations=int(yv.size),
        n_participants=n_part,
        converged=bool(getattr(fit, "converged", True)),
        random_intercept_variance=finite_or_none(float(np.asarray(fit.cov_re)[0, 0])),
        residual_variance=finite_or_none(fit.scale),
        interaction_chi2=finite_or_none(chi2),
        interaction_df=len(idx),
        interaction_p=finite_or_none(p_int),
        contrasts=contrasts,
        notes=notes,
    )


class AnovaEffect(BaseModel):
    source: Literal["group", "time", "time × group"]
    ss: float
    df: int
    ms: float
    f: float | None
    p: float | None
    df_error: int
    partial_eta_squared: float | None


class RepeatedMeasuresAnova(BaseModel):
    method: str = (
        "two-factor repeated-measures ANOVA (group between, time within, time × group), sphericity "
        "assumed, on participants with every visit: the article's own analysis (Gondhalekar 2013)"
    )
    n_participants: int
    n_incomplete_left_out: int
    effects: list[AnovaEffect]
    notes: list[str] = Field(default_factory=list)


def rm_anova(
    y: ArrayLike,
    participant: Sequence[str],
    visit_index: ArrayLike,
    arm_index: ArrayLike,
    *,
    visits: Sequence[str],
    arms: Sequence[str],
) -> RepeatedMeasuresAnova:
    """Split-plot (mixed) ANOVA by sums of squares: group tested against subjects-within-groups,
    time and time × group against the within-subject residual. Participants missing any visit are
    left out (the classical design needs complete cases; the mixed model uses everything)."""
    yv = np.asarray(y, dtype=float)
    vi = np.asarray(visit_index, dtype=int)
    ai = np.asarray(arm_index, dtype=int)
    kv, ka = len(visits), len(arms)
    cells: dict[str, dict[int, float]] = {}
    arm_of: dict[str, int] = {}
    for value, pid, v, a in zip(yv, participant, vi, ai, strict=True):
        cells.setdefault(str(pid), {})[int(v)] = float(value)
        arm_of[str(pid)] = int(a)
    complete = [p for p, by in cells.items() if len(by) == kv]
    notes: list[str] = []
    n = len(complete)
    per_arm = [sum(1 for p in complete if arm_of[p] == a) for a in range(ka)]
    if kv < 2 or ka < 2 or min(per_arm) < 2:
        notes.append("not enough complete participants per arm for the repeated-measures ANOVA")
        return RepeatedMeasuresAnova(
            n_participants=n, n_incomplete_left_out=len(cells) - n, effects=[], notes=notes
        )
    data = np.array([[cells[p][v] for v in range(kv)] for p in complete])  # subjects × visits
    group = np.array([arm_of[p] for p in complete])
    grand = data.mean()
    ss_total = float(((data - grand) ** 2).sum())
    ss_subjects = kv * float(((data.mean(axis=1) - grand) ** 2).sum())
    ss_group = kv * sum(
        int((group == a).sum()) * float((data[group == a].mean() - grand) ** 2) for a in range(ka)
    )
    ss_time = n * float(((data.mean(axis=0) - grand) ** 2).sum())
    ss_cells = sum(
        int((group == a).sum()) * float(((data[group == a].mean(axis=0) - grand) ** 2).sum())
        for a in range(ka)
    )
    ss_inter = ss_cells - ss_group - ss_time
    ss_subj_within = ss_subjects - ss_group
    ss_error = ss_total - ss_subjects - ss_time - ss_inter
    df_group, df_time, df_inter = ka - 1, kv - 1, (ka - 1) * (kv - 1)
    df_subj, df_error = n - ka, (n - ka) * (kv - 1)

    def effect(source: Any, ss: float, df: int, ss_err: float, df_err: int) -> AnovaEffect:
        ms, ms_err = ss / df, ss_err / df_err
        f = ms / ms_err if ms_err > 0 else math.nan
        return AnovaEffect(
            source=source,
            ss=ss,
            df=df,
            ms=ms,
            f=finite_or_none(f),
            p=finite_or_none(float(stats.f.sf(f, df, df_err))) if math.isfinite(f) else None,
            df_error=df_err,
            partial_eta_squared=finite_or_none(ss / (ss + ss_err)) if ss + ss_err > 0 else None,
        )

    if len(cells) > n:
        notes.append(f"{len(cells) - n} participant(s) with a missing visit left out of this analysis")
    return RepeatedMeasuresAnova(
        n_participants=n,
        n_incomplete_left_out=len(cells) - n,
        effects=[
            effect("group", ss_group, df_group, ss_subj_within, df_subj),
            effect("time", ss_time, df_time, ss_error, df_error),
            effect("time × group", ss_inter, df_inter, ss_error, df_error),
        ],
        notes=notes,
    )
