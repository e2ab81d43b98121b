"""Codes and units in the FHIR export agree with shared/clinical-facts.md §2 (table encoded here)."""

from __future__ import annotations

from typing import Any

from interop_strategies import sample_record

from retrowalk.interop import codes as C
from retrowalk.interop.fhir_export import export_bundle

#: clinical-facts.md §2.1, copied by hand: concept -> LOINC.
FACTS_LOINC = {
    "koos_panel": "72091-2",
    "koos_pain": "72102-7",
    "koos_symptoms": "72101-9",
    "koos_adl": "72100-1",
    "koos_sport_rec": "72099-5",
    "koos_qol": "72098-7",
    "nprs": "72514-3",
}
#: HOOS neighbours the facts warn about; never to appear on a KOOS export.
HOOS_CODES = {"72097-9", "72094-6"}
#: Valid UCUM codes for what we export (facts §2.1 "deg", §2.2 "{score}", plus standard UCUM).
FACTS_UNITS = {"knee ROM": "deg", "scores": "{score}"}


def _observations(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]


def test_code_constants_match_the_facts_table() -> None:
    assert C.KOOS_PANEL_LOINC[0] == FACTS_LOINC["koos_panel"]
    for subscale, (code, _display) in C.KOOS_SUBSCALE_LOINC.items():
        assert code == FACTS_LOINC[f"koos_{subscale}"]
    assert C.NPRS_LOINC[0] == FACTS_LOINC["nprs"]
    assert C.MEASUREMENT_CONCEPTS["knee_flexion_rom"].unit == FACTS_UNITS["knee ROM"]
    assert FACTS_UNITS["scores"] == C.SCORE_UNIT


def test_exported_observations_use_only_facts_loinc_or_retrowalk_codes() -> None:
    bundle = export_bundle(sample_record())
    seen_loinc = set()
    for obs in _observations(bundle):
        coding = obs["code"]["coding"]
        assert len(coding) == 1
        system, code = coding[0]["system"], coding[0]["code"]
        if system == C.LOINC:
            assert code in FACTS_LOINC.values()
            assert code not in HOOS_CODES
            seen_loinc.add(code)
        else:
            assert system == C.RETROWALK_CS
            assert code in C.MEASUREMENT_CONCEPTS or code in C.GAIT_CONCEPTS
        quantity = obs.get("valueQuantity")
        if quantity is not None:
            assert quantity["system"] == C.UCUM
            assert quantity["code"] == quantity["unit"]
            assert quantity["code"] in C.UCUM_UNITS
            if system == C.LOINC:
                assert quantity["code"] == "{score}"
            else:
                table = {**C.MEASUREMENT_CONCEPTS, **C.GAIT_CONCEPTS}
                assert quantity["code"] == table[code].unit
    assert {"72102-7", "72101-9", "72098-7", "72091-2", "72514-3"} <= seen_loinc


def test_koos_score_observations_follow_the_facts_shape() -> None:
    bundle = export_bundle(sample_record())
    scores = [
        o
        for o in _observations(bundle)
        if o["code"]["coding"][0]["code"] in set(FACTS_LOINC.values()) - {"72514-3", "72091-2"}
    ]
    assert scores
    for obs in scores:
        assert obs["status"] == "final"
        assert obs["category"][0]["coding"][0] == {
            "system": C.OBSERVATION_CATEGORY,
            "code": "survey",
            "display": "Survey",
        }
        assert obs["derivedFrom"][0]["reference"].startswith("urn:uuid:")
        assert 0 <= obs["valueQuantity"]["value"] <= 100
    panel = next(o for o in _observations(bundle) if o["code"]["coding"][0]["code"] == "72091-2")
    assert len(panel["hasMember"]) == len(scores)


def test_knee_rom_uses_degrees_and_a_documented_local_code() -> None:
    bundle = export_bundle(sample_record())
    rom = next(o for o in _observations(bundle) if o["code"]["coding"][0]["code"] == "knee_flexion_rom")
    assert rom["code"]["coding"][0]["system"] == "https://retrowalk.example/fhir/CodeSystem/retrowalk"
    assert rom["valueQuantity"]["code"] == "deg"
    assert rom["bodySite"]["coding"][0] == {"system": C.LATERALITY_CS, "code": "left"}


def test_questionnaire_is_coded_as_koos() -> None:
    bundle = export_bundle(sample_record())
    q = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Questionnaire")
    assert q["code"][0]["system"] == C.LOINC and q["code"][0]["code"] == "72091-2"


def test_fhir_koos_items_agree_with_the_core_instrument() -> None:
    from retrowalk.core.scores.koos import KOOS_ITEMS
    from retrowalk.interop.koos import KOOS_FHIR_ITEMS

    core = {i.id: (i.subscale, tuple(i.labels)) for i in KOOS_ITEMS}
    ours = {i.id: (i.subscale, i.labels) for i in KOOS_FHIR_ITEMS}
    assert ours == core
