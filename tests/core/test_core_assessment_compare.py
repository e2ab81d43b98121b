"""core.assessment.compare_visits: a change is "beyond measurement error" exactly when it is
larger than the catalogue's measurement_error; every test measured at either visit is listed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from retrowalk.core.assessment import AssessmentInput, compare_visits, load_catalogue


def _visit(knee_to_wall_left: float, stance_left: float | None) -> AssessmentInput:
    ms = [{"test_id": "knee_to_wall", "side": "left", "value": knee_to_wall_left}]
    if stance_left is not None:
        ms.append({"test_id": "single_leg_stance", "side": "left", "value": stance_left})
    return AssessmentInput.model_validate({"measurements": ms})


def test_every_measurement_error_has_a_source_and_certainty() -> None:
    errors = {t.id: t.measurement_error for t in load_catalogue().tests.values() if t.measurement_error}
    assert {"knee_to_wall", "knee_flexion_rom", "knee_extension_deficit"} <= set(errors)
    for e in errors.values():
        assert e is not None and e.value > 0 and e.source and e.certainty in ("S", "K", "U")


@given(
    before=st.floats(min_value=0, max_value=25, allow_nan=False),
    after=st.floats(min_value=0, max_value=25, allow_nan=False),
    stance=st.none() | st.floats(min_value=0, max_value=45, allow_nan=False),
)
def test_beyond_error_iff_larger_than_the_error(before: float, after: float, stance: float | None) -> None:
    changes = compare_visits(_visit(before, None), _visit(after, stance))
    ktw = next(c for c in changes if c.test_id == "knee_to_wall")
    error = load_catalogue().tests["knee_to_wall"].measurement_error
    assert error is not None and ktw.error == error.value
    assert ktw.change == round(after - before, 2)
    assert ktw.beyond_error is (abs(ktw.change) > error.value)
    stance_rows = [c for c in changes if c.test_id == "single_leg_stance"]
    if stance is None:
        assert stance_rows == []
    else:  # only measured now: listed, no change to judge
        assert [(c.previous, c.change, c.beyond_error) for c in stance_rows] == [(None, None, None)]


def test_first_visit_has_no_changes() -> None:
    [row] = compare_visits(None, _visit(7, None))
    assert (row.previous, row.current, row.change, row.beyond_error) == (None, 7, None, None)
