"""KOOS and short forms against hand-computed examples and the published rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrowalk.core.scores.koos import (
    KOOS_ITEMS,
    SUBSCALES,
    items_for,
    score_koos,
    score_koos_12,
    score_koos_jr,
    score_koos_ps,
)
from retrowalk.errors import InputError

ALL_IDS = [item.id for item in KOOS_ITEMS]
# Minimum answered per subscale: 2012 rule (>= 50%) and 1998 rule (max 2 missing), from KOOS Scoring 2012.
MIN_2012 = {"pain": 5, "symptoms": 4, "adl": 9, "sport_rec": 3, "qol": 2}
MIN_1998 = {"pain": 7, "symptoms": 5, "adl": 15, "sport_rec": 3, "qol": 2}


def test_item_set_matches_the_instrument() -> None:
    assert len(ALL_IDS) == 42
    expected = (
        [f"P{i}" for i in range(1, 10)]
        + [f"S{i}" for i in range(1, 8)]
        + [f"A{i}" for i in range(1, 18)]
        + [f"SP{i}" for i in range(1, 6)]
        + [f"Q{i}" for i in range(1, 5)]
    )
    assert sorted(ALL_IDS) == sorted(expected)
    assert {s: len(items_for(s)) for s in SUBSCALES} == {
        "pain": 9,
        "symptoms": 7,
        "adl": 17,
        "sport_rec": 5,
        "qol": 4,
    }


def test_all_zero_is_100_and_all_four_is_0() -> None:
    assert score_koos(dict.fromkeys(ALL_IDS, 0)).model_dump() == dict.fromkeys(SUBSCALES, 100.0)
    assert score_koos(dict.fromkeys(ALL_IDS, 4)).model_dump() == dict.fromkeys(SUBSCALES, 0.0)


def test_hand_computed_example() -> None:
    answers: dict[str, int | None] = dict.fromkeys(ALL_IDS, 0)
    # Pain: P1=2, P2=1, rest 0 -> mean 3/9 -> 100 - (1/3)*25 = 91.67
    answers.update(P1=2, P2=1)
    # Symptoms: all 2 -> 50
    answers.update({f"S{i}": 2 for i in range(1, 8)})
    # QOL: 1, 2, 3, 4 -> mean 2.5 -> 37.5
    answers.update(Q1=1, Q2=2, Q3=3, Q4=4)
    # Sport/Rec: SP1=4, SP2 missing, others 0 -> mean 1 over 4 answered -> 75
    answers.update(SP1=4, SP2=None)
    scores = score_koos(answers)
    assert scores.pain == 91.67
    assert scores.symptoms == 50.0
    assert scores.adl == 100.0
    assert scores.sport_rec == 75.0
    assert scores.qol == 37.5


@pytest.mark.parametrize("subscale", SUBSCALES)
@pytest.mark.parametrize(("rule", "minimum"), [("2012", MIN_2012), ("1998", MIN_1998)])
def test_missing_items_at_and_beyond_the_threshold(subscale: str, rule: str, minimum: dict[str, int]) -> None:
    ids = [i.id for i in items_for(subscale)]  # type: ignore[arg-type]
    at = dict.fromkeys(ids, None) | dict.fromkeys(ids[: minimum[subscale]], 1)
    beyond = dict.fromkeys(ids, None) | dict.fromkeys(ids[: minimum[subscale] - 1], 1)
    assert getattr(score_koos(at, missing_rule=rule), subscale) == 75.0
    assert getattr(score_koos(beyond, missing_rule=rule), subscale) is None


def test_absent_items_count_as_missing() -> None:
    scores = score_koos({"Q1": 4, "Q2": 4})
    assert scores.qol == 0.0
    assert scores.pain is None and scores.adl is None


def test_s4_s5_labels_are_reversed() -> None:
    by_id = {i.id: i for i in KOOS_ITEMS}
    assert by_id["S4"].score_for_label("Always") == 0
    assert by_id["S4"].score_for_label("Never") == 4
    assert by_id["S5"].score_for_label("always") == 0
    assert by_id["S1"].score_for_label("Never") == 0
    assert by_id["S1"].score_for_label("Always") == 4
    assert by_id["P1"].labels[0] == "Never"
    with pytest.raises(InputError) as exc:
        by_id["S4"].score_for_label("Sometimes maybe")
    assert exc.value.field == "S4"


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"P10": 1}, "P10"),
        ({"P1": 5}, "P1"),
        ({"P1": -1}, "P1"),
        ({"S2": "2"}, "S2"),
        ({"A3": 1.5}, "A3"),
        ({"Q1": True}, "Q1"),
    ],
)
def test_bad_answers_name_the_item(answers: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as exc:
        score_koos(answers)  # type: ignore[arg-type]
    assert exc.value.field == field


def test_unknown_missing_rule() -> None:
    with pytest.raises(InputError) as exc:
        score_koos({}, missing_rule="2020")
    assert exc.value.field == "missing_rule"


@given(st.dictionaries(st.sampled_from(ALL_IDS), st.one_of(st.none(), st.integers(0, 4))))
def test_scores_always_in_range(answers: dict[str, int | None]) -> None:
    for value in score_koos(answers).model_dump().values():
        assert value is None or 0.0 <= value <= 100.0
    ps = score_koos_ps(answers)
    assert ps.score is None or 0.0 <= ps.score <= 100.0
    for value in score_koos_12(answers).model_dump().values():
        assert value is None or 0.0 <= value <= 100.0


PS_ITEMS = ["A10", "A9", "A3", "A5", "SP4", "SP5", "SP1"]


def test_koos_ps_table_ends_and_middle() -> None:
    assert score_koos_ps(dict.fromkeys(PS_ITEMS, 0)).score == 100.0
    worst = score_koos_ps(dict.fromkeys(PS_ITEMS, 4))
    assert worst.raw_sum == 28 and worst.score == 0.0 and worst.score_reversed == 100.0
    mid = score_koos_ps(dict.fromkeys(PS_ITEMS, 1))
    assert mid.raw_sum == 7 and mid.score == 72.5
    assert "[U]" in mid.direction_note


def test_koos_ps_needs_all_items() -> None:
    res = score_koos_ps(dict.fromkeys(PS_ITEMS[:-1], 0))
    assert res.score is None and res.missing == ["SP1"]


def test_koos_12_hand_computed() -> None:
    answers = {"P1": 2, "P8": 2, "P5": None, "P6": None, "A4": 1, "Q1": 0, "Q2": 0, "Q3": 4, "Q4": 4}
    res = score_koos_12(answers)
    assert res.pain == 50.0  # 2 of 4 answered, mean 2
    assert res.function is None  # only 1 of 4
    assert res.qol == 50.0
    assert res.summary is None
    full = score_koos_12(dict.fromkeys(ALL_IDS, 0))
    assert full.summary == 100.0


def test_koos_jr_table_is_not_shipped() -> None:
    with pytest.raises(InputError) as exc:
        score_koos_jr(dict.fromkeys(ALL_IDS, 0))
    assert exc.value.field == "koos_jr"
    assert "not shipped" in exc.value.message


def test_koos_jr_with_a_caller_supplied_table() -> None:
    table = {raw: round(100 - raw * 100 / 28, 3) for raw in range(29)}  # a linear stand-in, not HSS's table
    jr_items = ["S6", "P2", "P3", "P6", "P9", "A3", "A5"]
    res = score_koos_jr(dict.fromkeys(jr_items, 1), table=table)
    assert res.raw_sum == 7 and res.score == table[7]
    with pytest.raises(InputError):
        score_koos_jr({}, table={0: 100.0})
