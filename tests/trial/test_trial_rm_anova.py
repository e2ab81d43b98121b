"""The article's own analysis, two-factor repeated-measures ANOVA, against pingouin and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from trial_helpers import EXAMPLES

from retrowalk.io.trial import load_data, load_definition, result_rows
from retrowalk.trial.analysis import analyse
from retrowalk.trial.stats import rm_anova

pingouin = pytest.importorskip("pingouin", reason="pingouin (dev dependency) is the independent check")


def _panel(seed: int, n_a: int, n_b: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for arm, n in ((0, n_a), (1, n_b)):
        for i in range(n):
            person = rng.normal(50, 8)
            for visit in range(3):
                effect = -3 * visit - 2.5 * arm * visit
                rows.append((f"{arm}-{i}", visit, arm, person + effect + rng.normal(0, 3)))
    return pd.DataFrame(rows, columns=["pid", "visit", "arm", "y"])


@pytest.mark.parametrize(("seed", "n_a", "n_b"), [(1, 15, 15), (2, 9, 12), (3, 5, 4)])
def test_rm_anova_matches_pingouin_mixed_anova(seed: int, n_a: int, n_b: int) -> None:
    df = _panel(seed, n_a, n_b)
    res = rm_anova(df.y, df.pid, df.visit, df.arm, visits=["v0", "v1", "v2"], arms=["A", "B"])
    ref = pingouin.mixed_anova(df, dv="y", within="visit", subject="pid", between="arm", correction=False)
    ref = ref.set_index("Source")
    for ours, theirs in zip(res.effects, ["arm", "visit", "Interaction"], strict=True):
        row = ref.loc[theirs]
        assert ours.ss == pytest.approx(row["SS"], rel=1e-9)
        assert (ours.df, ours.df_error) == (row["DF1"], row["DF2"])
        assert ours.f == pytest.approx(row["F"], rel=1e-9)
        assert ours.p == pytest.approx(row["p_unc"], rel=1e-6)
        assert ours.partial_eta_squared == pytest.approx(row["np2"], rel=1e-6)
    assert res.n_participants == n_a + n_b


def test_rm_anova_by_hand_on_a_tiny_design() -> None:
    """Two groups of two, two visits: every sum of squares written out."""
    y = {("a1", 0): 4.0, ("a1", 1): 2.0, ("a2", 0): 6.0, ("a2", 1): 4.0,
         ("b1", 0): 5.0, ("b1", 1): 5.0, ("b2", 0): 7.0, ("b2", 1): 5.0}  # fmt: skip
    arm = {"a1": 0, "a2": 0, "b1": 1, "b2": 1}
    keys = list(y)
    res = rm_anova(
        [y[k] for k in keys], [k[0] for k in keys], [k[1] for k in keys], [arm[k[0]] for k in keys],
        visits=["pre", "post"], arms=["A", "B"],
    )  # fmt: skip
    grand = 38 / 8  # 4.75
    # group means 4 and 5.5; visit means 5.5 and 4; cell means A: 5, 3; B: 6, 5
    ss_group = 4 * ((4 - grand) ** 2 + (5.5 - grand) ** 2)
    ss_time = 4 * ((5.5 - grand) ** 2 + (4 - grand) ** 2)
    ss_cells = 2 * sum((m - grand) ** 2 for m in (5, 3, 6, 5))
    ss_inter = ss_cells - ss_group - ss_time
    subject_means = {"a1": 3, "a2": 5, "b1": 5, "b2": 6}
    ss_subjects = 2 * sum((m - grand) ** 2 for m in subject_means.values())
    ss_total = sum((v - grand) ** 2 for v in y.values())
    ss_error = ss_total - ss_subjects - ss_time - ss_inter
    group, time, inter = res.effects
    assert group.ss == pytest.approx(ss_group) and time.ss == pytest.approx(ss_time)
    assert inter.ss == pytest.approx(ss_inter)
    assert group.f == pytest.approx(ss_group / ((ss_subjects - ss_group) / 2))
    assert time.f == pytest.approx(ss_time / (ss_error / 2))
    assert time.p == pytest.approx(stats.f.sf(time.f, 1, 2))


def test_incomplete_participants_are_left_out_and_counted() -> None:
    df = _panel(4, 8, 8)
    df = df[~((df.pid == "0-0") & (df.visit == 2))]
    res = rm_anova(df.y, df.pid, df.visit, df.arm, visits=["v0", "v1", "v2"], arms=["A", "B"])
    assert res.n_participants == 15 and res.n_incomplete_left_out == 1 and res.notes
    tiny = rm_anova(
        [1.0, 2.0, 3.0, 4.0],
        ["a", "a", "b", "b"],
        [0, 1, 0, 1],
        [0, 0, 1, 1],
        visits=["x", "y"],
        arms=["A", "B"],
    )
    assert tiny.effects == [] and tiny.notes


def test_article_analysis_reports_the_articles_view_and_mcids() -> None:
    definition = load_definition(EXAMPLES / "article-trial.yaml")
    result = analyse(definition, load_data(EXAMPLES / "simulated-data.csv", definition))
    by_id = {o.outcome: o for o in result.outcomes}
    for o in result.outcomes:
        assert [e.source for e in o.rm_anova.effects] == ["group", "time", "time × group"]
    vas = by_id["vas_pain"].within[0].mcid[0]
    assert vas.instrument == "vas" and vas.threshold_absolute == 1.75
    womac = by_id["womac_total"].within[-1].mcid[0]
    assert womac.instrument == "womac" and womac.threshold_percent == 12
    assert by_id["knee_flexion_rom"].within[0].mcid == []
    rows = [r for r in result_rows(result) if r["analysis"].startswith("RM ANOVA")]
    assert len(rows) == 3 * len(result.outcomes)


def test_a_vas_outcome_is_held_to_its_10_cm_scale() -> None:
    from pydantic import ValidationError

    from retrowalk.trial.definition import Outcome

    assert Outcome(id="vas", better="lower", min=0, max=10, instrument="vas_10cm").max == 10
    with pytest.raises(ValidationError, match="vas_10cm is scored 0-10"):
        Outcome(id="vas", better="lower", min=0, max=100, instrument="vas_10cm")
    with pytest.raises(ValidationError, match="scored 0-96"):
        Outcome(id="womac", better="lower", min=0, max=100, instrument="womac_likert_3.1")
