"""Assessment catalogue and evaluation: cut-offs, bands, asymmetry, red flags, bad input."""

from __future__ import annotations

import pytest

from retrowalk.core.assessment import (
    AssessmentInput,
    Measurement,
    evaluate,
    hhd_torque_nm_per_kg,
    load_catalogue,
)
from retrowalk.core.scores.koos import KoosScores
from retrowalk.core.scores.mcid import change_flags, koos_change_flags
from retrowalk.core.scores.nprs import nprs_severity, validate_nprs
from retrowalk.errors import InputError

REQUIRED_TESTS = {
    "knee_to_wall",
    "navicular_drop",
    "lateral_step_down",
    "knee_extension_deficit",
    "knee_flexion_rom",
    "hip_internal_rotation",
    "thomas_hip_angle",
    "thomas_knee_angle",
    "active_knee_extension",
    "single_leg_stance",
    "chair_stand_30s",
    "hip_abduction_hhd",
    "hip_extension_hhd",
    "prone_instability",
    "seated_thoracic_rotation",
}


def _one(test_id: str, value: float | bool, side: str = "left", **client: object) -> AssessmentInput:
    return AssessmentInput(measurements=[Measurement(test_id=test_id, side=side, value=value)], **client)  # type: ignore[arg-type]


def test_catalogue_covers_the_issue_and_cites_everything() -> None:
    cat = load_catalogue()
    assert set(cat.tests) >= REQUIRED_TESTS
    for test in cat.tests.values():
        assert test.source.strip() and test.certainty in {"S", "K", "U"}
        assert test.how.strip() and test.unit.strip()
        if test.asymmetry:
            assert test.asymmetry.source.strip()
    for flag in cat.red_flags.values():
        assert flag.source.strip() and flag.advice.strip()


def test_knee_to_wall_reason_text() -> None:
    res = evaluate(_one("knee_to_wall", 6))
    (f,) = res.findings
    assert f.status == "mobility deficit" and f.joint == "ankle"
    assert f.value == 6 and f.cutoff == 10
    assert "6 cm < 10 cm cut-off" in f.text
    assert evaluate(_one("knee_to_wall", 10)).findings[0].status == "ok"


def test_age_band_and_sex_cutoffs() -> None:
    # Single-leg stance: a fall-risk value (5 s), not the Springer age-group mean (issue #13)
    assert evaluate(_one("single_leg_stance", 43, age=25)).findings[0].status == "ok"
    assert evaluate(_one("single_leg_stance", 25, age=65)).findings[0].status == "ok"
    assert evaluate(_one("single_leg_stance", 4, age=65)).findings[0].status == "stability deficit"
    # Rikli & Jones: 65-69 women 11, men 12
    women = evaluate(_one("chair_stand_30s", 11, side="both", age=67, sex="female"))
    men = evaluate(_one("chair_stand_30s", 11, side="both", age=67, sex="male"))
    assert women.findings[0].status == "ok" and men.findings[0].status == "stability deficit"
    # AKE: men > 33.0, women > 23.4
    assert evaluate(_one("active_knee_extension", 30, sex="female")).findings[0].status == "mobility deficit"
    assert evaluate(_one("active_knee_extension", 30, sex="male")).findings[0].status == "ok"


def test_band_needs_age_and_no_norm_gives_a_note() -> None:
    with pytest.raises(InputError) as exc:
        evaluate(_one("chair_stand_30s", 9, side="both", sex="male"))
    assert exc.value.field == "age"
    res = evaluate(_one("chair_stand_30s", 9, side="both", age=45, sex="male"))
    assert res.findings == [] and "no normative cut-off" in res.notes[0]


def test_asymmetry_difference_and_symmetry_index() -> None:
    inp = AssessmentInput(
        measurements=[
            Measurement(test_id="knee_to_wall", side="left", value=11),
            Measurement(test_id="knee_to_wall", side="right", value=13),
            Measurement(test_id="hip_extension_hhd", side="left", value=1.0),
            Measurement(test_id="hip_extension_hhd", side="right", value=1.2),
        ]
    )
    asym = {f.test_id: f for f in evaluate(inp).findings if f.side == "both"}
    assert asym["knee_to_wall"].status == "asymmetry" and asym["knee_to_wall"].value == 2
    assert asym["hip_extension_hhd"].status == "asymmetry"  # 83% < 90%
    assert asym["hip_extension_hhd"].value == pytest.approx(83.3)


def test_boolean_test() -> None:
    assert evaluate(_one("prone_instability", True, side="both")).findings[0].status == "stability deficit"
    assert evaluate(_one("prone_instability", False, side="both")).findings[0].status == "ok"


def test_red_flags_stop_the_programme() -> None:
    res = evaluate(AssessmentInput(pain_at_rest_nprs=8))
    assert res.stop and res.refer_out and res.red_flags[0].id == "pain_at_rest"
    assert not evaluate(AssessmentInput(pain_at_rest_nprs=7)).stop
    res = evaluate(AssessmentInput(red_flags=["locked_knee"]))
    assert res.stop and res.red_flags[0].id == "locked_knee"


@pytest.mark.parametrize(
    ("inp", "field"),
    [
        (lambda: _one("knee_to_toe", 5), "measurements[0].test_id"),
        (
            lambda: AssessmentInput(
                measurements=[Measurement(test_id="knee_to_wall", side="left", value=6, unit="mm")]
            ),
            "measurements[0].unit",
        ),
        (lambda: _one("knee_to_wall", 80), "measurements[0].value"),
        (lambda: _one("knee_to_wall", 6, side="both"), "measurements[0].side"),
        (lambda: _one("lateral_step_down", 2.5), "measurements[0].value"),
        (lambda: _one("prone_instability", 3, side="both"), "measurements[0].value"),
        (lambda: AssessmentInput(red_flags=["bad_vibes"]), "red_flags[0]"),
    ],
)
def test_bad_input_names_the_field(inp: object, field: str) -> None:
    with pytest.raises(InputError) as exc:
        evaluate(inp())  # type: ignore[operator]
    assert exc.value.field == field


def test_hhd_normalisation() -> None:
    assert hhd_torque_nm_per_kg(200, 0.4, 80) == pytest.approx(1.0)
    with pytest.raises(InputError):
        hhd_torque_nm_per_kg(200, 0, 80)


def test_nprs_bands_boonstra() -> None:
    assert nprs_severity(3).label == "mild" and nprs_severity(3.4).label == "mild"
    assert nprs_severity(3.5).label == "moderate" and nprs_severity(7.4).label == "moderate"
    assert nprs_severity(7.5).label == "severe" and nprs_severity(0).label == "none"
    for bad in (-1, 11, "5", True, float("nan")):
        with pytest.raises(InputError):
            validate_nprs(bad)


def test_nprs_mcid_absolute_or_percent() -> None:
    flags = {f.label: f for f in change_flags("nprs", 6, 5)}  # -1 point, -16.7%
    assert flags["minimally important"].improved and not flags["much better"].improved
    flags = {f.label: f for f in change_flags("nprs", 2, 1.5)}  # -0.5 point but -25% -> percent rule
    assert flags["minimally important"].improved
    worse = {f.label: f for f in change_flags("nprs", 3, 5)}
    assert worse["much better"].worsened and not worse["much better"].improved
    farrar = change_flags("nprs", 6, 4, value_set="farrar2001")
    assert farrar[0].improved and "Farrar" in farrar[0].source


def test_koos_and_koos_ps_mcid() -> None:
    before = KoosScores(pain=50, symptoms=60, adl=70, sport_rec=None, qol=30)
    after = KoosScores(pain=58, symptoms=62, adl=70, sport_rec=40, qol=45)
    flags = koos_change_flags(before, after)
    assert flags["pain"][0].improved and not flags["symptoms"][0].improved
    assert "sport_rec" not in flags
    strict = koos_change_flags(before, after, value_set="mostafaee2021")
    assert not strict["pain"][0].improved and strict["qol"][0].improved
    assert change_flags("koos_ps", 60, 62.5)[0].improved
    with pytest.raises(InputError) as exc:
        change_flags("hoos", 1, 2)
    assert exc.value.field == "instrument"
