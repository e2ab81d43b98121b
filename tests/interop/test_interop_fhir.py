"""FHIR export validates, import is all-or-nothing with named errors, and the round trip is lossless."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from interop_strategies import T0, client_records, sample_record

from retrowalk.interop import codes as C
from retrowalk.interop.fhir_export import export_bundle, koos_questionnaire
from retrowalk.interop.fhir_import import FhirImportError, import_bundle, read_koos_response
from retrowalk.interop.koos import ALWAYS_NEVER, NEVER_ALWAYS


def _resources(bundle: dict[str, Any], rtype: str | None = None) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if rtype is None or e["resource"]["resourceType"] == rtype]


def test_every_exported_resource_validates_with_r4b_models() -> None:
    bundle = export_bundle(sample_record())
    Bundle.model_validate(bundle)
    types = set()
    for resource in _resources(bundle):
        model = get_fhir_model_class(resource["resourceType"])
        assert model.__module__.startswith("fhir.resources.R4B.")
        parsed = model.model_validate(resource)
        assert parsed.model_dump(mode="json", exclude_none=True) == resource
        types.add(resource["resourceType"])
    assert types == {
        "Patient",
        "Practitioner",
        "Questionnaire",
        "QuestionnaireResponse",
        "Observation",
        "CarePlan",
        "Procedure",
    }


def test_export_is_pseudonymous_by_default_and_identifies_on_request() -> None:
    record = sample_record()
    text = json.dumps(export_bundle(record))
    assert "Ann Example" not in text
    patient = _resources(export_bundle(record, identify=True), "Patient")[0]
    assert patient["name"] == [{"text": "Ann Example"}]
    assert patient["birthDate"] == "1958"


def test_every_reference_resolves_inside_the_bundle() -> None:
    bundle = export_bundle(sample_record())
    urls = {e["fullUrl"] for e in bundle["entry"]}
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "reference":
                    refs.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(bundle)
    assert refs and set(refs) <= urls


def test_questionnaire_has_42_items_with_item_specific_label_order() -> None:
    q = koos_questionnaire()
    items = {i["linkId"]: i for g in q["item"] for i in g["item"]}
    assert len(items) == 42
    assert [g["linkId"] for g in q["item"]] == ["symptoms", "pain", "adl", "sport_rec", "qol"]

    def labels(link: str) -> list[str]:
        return [o["valueCoding"]["display"] for o in items[link]["answerOption"]]

    assert labels("S4") == labels("S5") == list(ALWAYS_NEVER)
    assert labels("S1") == list(NEVER_ALWAYS)
    assert labels("Q1")[-1] == "Constantly"
    for item in items.values():
        weights = [o["valueCoding"]["extension"][0]["valueDecimal"] for o in item["answerOption"]]
        assert weights == [0, 1, 2, 3, 4]
        assert item["answerOption"][0]["valueCoding"]["extension"][0]["url"] == C.ORDINAL_VALUE_EXT


def test_sample_round_trip_is_exact() -> None:
    record = sample_record()
    bundle = export_bundle(record, identify=True)
    result = import_bundle(copy.deepcopy(bundle))
    assert result.ignored == []
    assert result.record == record
    assert export_bundle(result.record, identify=True) == bundle


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(client_records())
def test_round_trip_property(record: Any) -> None:
    bundle = export_bundle(record, identify=True)
    again = import_bundle(json.loads(json.dumps(bundle))).record
    assert again == record
    assert export_bundle(again, identify=True) == bundle


def _with(bundle: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(r for r in _resources(bundle) if r.get("id") == rid)


def test_bad_reference_is_rejected_with_resource_and_path() -> None:
    bundle = export_bundle(sample_record())
    _with(bundle, "nprs-p0")["subject"] = {"reference": "Patient/nobody"}
    with pytest.raises(FhirImportError) as info:
        import_bundle(bundle)
    assert any(
        i.resource == "Observation/nprs-p0" and i.path == "subject.reference" and "nobody" in i.message
        for i in info.value.issues
    )


def test_out_of_range_koos_answer_is_rejected() -> None:
    bundle = export_bundle(sample_record())
    qr = _with(bundle, "koos-1")
    coding = qr["item"][1]["item"][0]["answer"][0]["valueCoding"]
    coding["code"], coding["extension"][0]["valueDecimal"] = "5", 5
    with pytest.raises(FhirImportError) as info:
        import_bundle(bundle)
    issue = info.value.issues[0]
    assert issue.resource == "QuestionnaireResponse/koos-1"
    assert issue.path.startswith("item[1].item[0].answer[0]")
    assert "outside 0..4" in issue.message


def test_out_of_range_nprs_and_wrong_unit_are_rejected() -> None:
    bundle = export_bundle(sample_record())
    _with(bundle, "nprs-p0")["valueQuantity"]["value"] = 11
    _with(bundle, "meas-m1")["valueQuantity"]["code"] = "cm"
    with pytest.raises(FhirImportError) as info:
        import_bundle(bundle)
    where = {(i.resource, i.path) for i in info.value.issues}
    assert ("Observation/nprs-p0", "valueQuantity.value") in where
    assert any(r == "Observation/meas-m1" for r, _ in where)


def test_structurally_invalid_resource_names_its_path() -> None:
    bundle = export_bundle(sample_record())
    _with(bundle, "meas-m1")["valueQuantity"]["value"] = "lots"
    del _with(bundle, "gait-g1")["code"]
    with pytest.raises(FhirImportError) as info:
        import_bundle(bundle)
    where = {(i.resource, i.path) for i in info.value.issues}
    assert ("Observation/meas-m1", "valueQuantity.value") in where
    assert ("Observation/gait-g1", "code") in where
    assert "nothing was imported" in (info.value.hint or "")


def test_unknown_resources_are_reported_not_dropped_silently() -> None:
    bundle = export_bundle(sample_record())
    bundle["entry"].append(
        {
            "fullUrl": "urn:uuid:00000000-0000-0000-0000-000000000001",
            "resource": {
                "resourceType": "Observation",
                "id": "bp",
                "status": "final",
                "code": {"coding": [{"system": C.LOINC, "code": "85354-9"}]},
            },
        }
    )
    result = import_bundle(bundle)
    assert result.ignored == ["Observation/bp: observation code not recognised"]


def _foreign_qr(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": "ext-1",
        "status": "completed",
        "questionnaire": "http://example.org/Questionnaire/KOOS-v2",
        "authored": "2025-02-01T10:00:00+01:00",
        "item": items,
    }


def test_foreign_koos_response_is_read_by_meaning() -> None:
    qr = _foreign_qr(
        [
            {"linkId": "koos-s4", "answer": [{"valueCoding": {"code": "LA-x", "display": "Always"}}]},
            {"linkId": "KOOS_S1", "answer": [{"valueCoding": {"display": "always"}}]},
            {"linkId": "pain.3", "answer": [{"valueInteger": 3}]},
            {"linkId": "Q2", "answer": [{"valueString": "Totally"}]},
        ]
    )
    response = read_koos_response(qr)
    assert response.answers == {"S4": 0, "S1": 4, "P3": 3, "Q2": 4}
    assert response.authored == T0.replace(year=2025, month=2, day=1, hour=9, minute=0)


def test_foreign_numbering_needs_an_item_map() -> None:
    qr = _foreign_qr([{"linkId": "Sy1", "answer": [{"valueInteger": 2}]}])
    with pytest.raises(FhirImportError) as info:
        read_koos_response(qr)
    assert info.value.issues[0].path == "item[0].linkId"
    assert read_koos_response(qr, item_map={"Sy1": "S6"}).answers == {"S6": 2}


def test_foreign_out_of_range_integer_is_rejected() -> None:
    with pytest.raises(FhirImportError, match=r"outside 0\.\.4"):
        read_koos_response(_foreign_qr([{"linkId": "P1", "answer": [{"valueInteger": 7}]}]))


def test_decimals_are_read_as_written() -> None:
    """The typed importer reads FHIR decimals: 2.0 is still the answer 2, -0.0 keeps its sign."""
    qr = _foreign_qr([{"linkId": "P1", "answer": [{"valueDecimal": 2.0}]}])
    assert read_koos_response(qr).answers == {"P1": 2}
    record = sample_record()
    bundle = export_bundle(record)
    _with(bundle, "meas-m1")["valueQuantity"]["value"] = -0.0
    _with(bundle, "meas-m1")["valueQuantity"]["code"] = "deg"
    (m1,) = [m for m in import_bundle(json.loads(json.dumps(bundle))).record.measurements if m.id == "m1"]
    assert str(m1.value) == "-0.0"
