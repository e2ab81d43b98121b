"""Whole-trial analysis: recovers simulated effects, ITT vs per-protocol, flow, hand-made checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy import stats
from trial_helpers import EXAMPLES, small_definition

from retrowalk.io.trial import load_data, load_definition, load_simulation_spec, read_rows
from retrowalk.trial.analysis import analyse
from retrowalk.trial.data import RawRow, build_dataset
from retrowalk.trial.simulate import simulate, true_difference_in_change


@pytest.fixture(scope="module")
def article() -> tuple:  # type: ignore[type-arg]
    definition = load_definition(EXAMPLES / "article-trial.yaml")
    spec = load_simulation_spec(EXAMPLES / "simulation.yaml")
    return definition, spec


def test_committed_example_is_reproducible_from_its_seed(article: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    definition, spec = article
    text = (EXAMPLES / "simulated-data.csv").read_text(encoding="utf-8")
    assert text.startswith("# SIMULATED DATA")
    assert f"seed {spec.seed}" in text.splitlines()[1]
    committed = read_rows(EXAMPLES / "simulated-data.csv", definition)
    fresh = simulate(definition, spec)
    assert len(committed) == len(fresh)
    for c, f in zip(committed, fresh, strict=True):
        assert (c.participant, c.arm, c.visit, c.outcome, c.value, c.strata["sex"]) == (
            f["participant"],
            f["arm"],
            f["visit"],
            f["outcome"],
            f["value"],
            f["sex"],
        )


def test_simulated_article_data_recovers_the_simulated_effects(article: tuple) -> None:  # type: ignore[type-arg]
    definition, spec = article
    result = analyse(definition, load_data(EXAMPLES / "simulated-data.csv", definition))
    assert result.flow.enrolled == 30
    assert [a.allocated for a in result.flow.arms] == [15, 15]  # 7 M/8 F and 8 M/7 F as published
    checked = 0
    for o in result.outcomes:
        mixed = {c.visit: c.difference_in_change for c in o.mixed_model.contrasts}
        for a in o.ancova:
            truth = true_difference_in_change(spec, o.outcome, "retro_walking", "conventional", a.visit)
            assert a.difference.ci_low is not None and a.difference.ci_high is not None
            assert a.difference.ci_low <= truth <= a.difference.ci_high, (o.outcome, a.visit)
            m = mixed[a.visit]
            assert m.ci_low is not None and m.ci_high is not None
            assert m.ci_low <= truth <= m.ci_high, (o.outcome, a.visit)
            checked += 1
        # ITT mixed model keeps the two participants who withdrew after week 1
        assert o.mixed_model.n_participants == 30
        assert o.mixed_model.n_observations == 88
    assert checked == 10
    womac = next(o for o in result.outcomes if o.outcome == "womac_total")
    assert womac.ancova[-1].favours == "retro_walking"


def test_ancova_ci_covers_the_truth_in_repeated_simulations(article: tuple) -> None:  # type: ignore[type-arg]
    definition, spec = article
    one = definition.model_copy(update={"outcomes": [definition.outcome("womac_total")]})
    spec1 = spec.model_copy(
        update={"outcomes": {"womac_total": spec.outcomes["womac_total"]}, "withdrawals": []}
    )
    truth = true_difference_in_change(spec1, "womac_total", "retro_walking", "conventional", "week3")
    hits = 0
    runs = 30
    for seed in range(runs):
        rows = simulate(one, spec1.model_copy(update={"seed": seed}))
        raw = [
            RawRow(line=i + 2, strata={"sex": r["sex"]}, **{k: v for k, v in r.items() if k != "sex"})
            for i, r in enumerate(rows)
        ]
        res = analyse(one, build_dataset(one, raw))
        final = res.outcomes[0].ancova[-1].difference
        assert final.ci_low is not None and final.ci_high is not None
        hits += final.ci_low <= truth <= final.ci_high
    # nominal 95 %: 30 runs below 24 hits would happen with probability < 0.2 %
    assert stats.binom.cdf(hits, runs, 0.95) > 0.002


def _rows(spec: list[tuple[str, str, str, str, float | str]], **extra: dict[str, str]) -> list[RawRow]:
    out = []
    for i, (pid, arm, sex, visit, value) in enumerate(spec):
        more = extra.get(f"{pid}:{visit}", {})
        out.append(
            RawRow(
                line=i + 2,
                participant=pid,
                arm=arm,
                visit=visit,
                outcome="pain",
                value=str(value),
                strata={"sex": sex},
                **more,
            )
        )
    return out


HAND = [
    ("a1", "A", "M", "v0", 7),
    ("a1", "A", "M", "v2", 5),
    ("a2", "A", "F", "v0", 6),
    ("a2", "A", "F", "v2", 5),
    ("a3", "A", "M", "v0", 8),
    ("a3", "A", "M", "v2", 6),
    ("a4", "A", "F", "v0", 5),
    ("a4", "A", "F", "v1", 5),
    ("b1", "B", "M", "v0", 7),
    ("b1", "B", "M", "v2", 3),
    ("b2", "B", "F", "v0", 6),
    ("b2", "B", "F", "v2", 3),
    ("b3", "B", "M", "v0", 8),
    ("b3", "B", "M", "v2", 5),
    ("b4", "B", "F", "v0", 6),
    ("b4", "B", "F", "v2", 2),
]


def test_hand_made_trial_within_change_effect_size_and_direction() -> None:
    d = small_definition(adjust_for_strata=False)
    result = analyse(d, build_dataset(d, _rows(HAND)))
    o = result.outcomes[0]
    within = {(w.arm, w.visit): w.change for w in o.within}
    assert within[("A", "v2")].n == 3 and within[("A", "v2")].estimate == pytest.approx(-5 / 3)
    assert within[("B", "v2")].n == 4 and within[("B", "v2")].estimate == pytest.approx(-14 / 4)
    ref = stats.ttest_rel([3, 3, 5, 2], [7, 6, 8, 6])
    assert within[("B", "v2")].p == pytest.approx(ref.pvalue)
    assert within[("A", "v1")].n == 1 and within[("A", "v1")].p is None
    final = next(a for a in o.ancova if a.visit == "v2")
    assert final.n == 7 and final.adjusted_for == ["baseline"]
    assert final.difference.estimate is not None and final.difference.estimate < 0
    assert final.favours == "B"  # lower pain is better
    g = next(e for e in o.effect_sizes if e.visit == "v2").effect
    assert (g.n_treatment, g.n_control) == (4, 3)
    assert g.cohens_d is not None and g.cohens_d < 0
    # v1 has one participant in one arm only: no comparison, no crash, no NaN
    v1 = next(a for a in o.ancova if a.visit == "v1")
    assert v1.difference.estimate is None
    assert result.flow.arms[0].assessed_per_visit == {"v0": 4, "v1": 1, "v2": 3}
    assert result.flow.arms[0].analysed_final_visit == 3


def test_per_protocol_excludes_deviations_low_adherence_and_withdrawals() -> None:
    d = small_definition()
    rows = _rows(
        HAND,
        **{
            "a1:v2": {"deviation": "received intra-articular injection"},
            "b1:v2": {"sessions_done": "3", "sessions_prescribed": "12"},
            "b2:v2": {"sessions_done": "12", "sessions_prescribed": "12"},
            "a4:v1": {"withdrawn": "yes", "withdrawal_reason": "moved away"},
        },
    )
    data = build_dataset(d, rows)
    itt = analyse(d, data)
    pp = analyse(d, data, population="per-protocol")
    assert [a.excluded_from_analysis for a in itt.flow.arms] == [0, 0]
    assert [a.analysed for a in itt.flow.arms] == [4, 4]
    assert [a.excluded_from_analysis for a in pp.flow.arms] == [2, 1]
    reasons = " | ".join(r for a in pp.flow.arms for r in a.exclusion_reasons)
    assert "a1: protocol deviation: v2: received intra-articular injection" in reasons
    assert "b1: adherence 25% < 80%" in reasons
    assert "a4: withdrawn after v1 (moved away)" in reasons
    assert [a.analysed for a in pp.flow.arms] == [2, 3]
    assert pp.outcomes[0].mixed_model.n_participants == 5
    assert itt.flow.arms[0].withdrawal_reasons == ["a4: moved away"]
    assert pp.population == "per-protocol" and itt.population == "itt"
