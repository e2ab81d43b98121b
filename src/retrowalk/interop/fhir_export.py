"""ClientRecord → FHIR R4 Bundle (JSON dict).

Resources are built as plain dicts and validated one by one with the R4B models of
``fhir.resources`` (8.x's top-level models are R5; R4B 4.3.0 is wire-compatible with R4 4.0.1 for
every element used here). Value-set bindings are not checked by the package, so codes come only
from :mod:`retrowalk.interop.codes`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from retrowalk.interop import codes as C
from retrowalk.interop.koos import KOOS_FHIR_ITEMS, SUBSCALE_TITLES, SUBSCALES
from retrowalk.interop.record import (
    ClientRecord,
    Dose,
    GaitMetric,
    KoosResponse,
    LoggedSession,
    Measurement,
    PainObservation,
    Programme,
)

_NS: Final = uuid.uuid5(uuid.NAMESPACE_URL, C.RETROWALK_BASE)

#: Resource-id prefixes per record list, so ids never collide across kinds.
PREFIX: Final = {
    "koos_score": "koos-",
    "koos_panel": "koospanel-",
    "pain": "nprs-",
    "measurement": "meas-",
    "gait": "gait-",
    "programme": "programme-",
    "session": "session-",
}

Json = dict[str, Any]


def full_url(resource_type: str, resource_id: str) -> str:
    """Deterministic ``urn:uuid`` so repeated exports of the same record are identical."""
    return f"urn:uuid:{uuid.uuid5(_NS, f'{resource_type}/{resource_id}')}"


def fhir_datetime(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _ref(resource_type: str, resource_id: str, display: str | None = None) -> Json:
    ref: Json = {"reference": full_url(resource_type, resource_id)}
    if display:
        ref["display"] = display
    return ref


def _category(code: str, display: str) -> list[Json]:
    return [{"coding": [{"system": C.OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _quantity(value: float, unit: str) -> Json:
    return {"value": value, "unit": unit, "system": C.UCUM, "code": unit}


def dose_extension(dose: Dose) -> list[Json]:
    """The dose as one complex extension; empty when the dose has no fields set."""
    subs: list[Json] = []
    for field, (url, unit) in C.DOSE_FIELDS.items():
        value = getattr(dose, field)
        if value is None:
            continue
        if unit is not None:
            subs.append({"url": url, "valueQuantity": _quantity(value, unit)})
        elif isinstance(value, bool):
            subs.append({"url": url, "valueBoolean": value})
        elif isinstance(value, int):
            subs.append({"url": url, "valueInteger": value})
        else:
            subs.append({"url": url, "valueString": value})
    return [{"url": C.EXT_DOSE, "extension": subs}] if subs else []


def koos_questionnaire() -> Json:
    """The KOOS definition: 5 groups, 42 choice items, answers 0–4 with ordinalValue weights."""
    groups: list[Json] = []
    for subscale in SUBSCALES:
        items = []
        for item in (i for i in KOOS_FHIR_ITEMS if i.subscale == subscale):
            options = [
                {
                    "valueCoding": {
                        "code": str(score),
                        "display": label,
                        "extension": [{"url": C.ORDINAL_VALUE_EXT, "valueDecimal": score}],
                    }
                }
                for score, label in enumerate(item.labels)
            ]
            items.append({"linkId": item.id, "text": item.text, "type": "choice", "answerOption": options})
        groups.append({"linkId": subscale, "text": SUBSCALE_TITLES[subscale], "type": "group", "item": items})
    return {
        "resourceType": "Questionnaire",
        "id": "koos",
        "url": C.KOOS_QUESTIONNAIRE_URL,
        "version": C.KOOS_QUESTIONNAIRE_VERSION,
        "name": "KOOS",
        "title": "Knee injury and Osteoarthritis Outcome Score (KOOS), English, last week",
        "status": "active",
        "subjectType": ["Patient"],
        "code": [{"system": C.LOINC, "code": C.KOOS_PANEL_LOINC[0], "display": C.KOOS_PANEL_LOINC[1]}],
        "item": groups,
    }


class _Builder:
    def __init__(self, record: ClientRecord, *, identify: bool) -> None:
        self.record = record
        self.identify = identify
        self.entries: list[Json] = []
        self.patient_ref = _ref("Patient", record.patient.id)
        self.practitioner_ref = (
            _ref("Practitioner", record.practitioner.id) if record.practitioner is not None else None
        )

    def add(self, resource: Json) -> None:
        self.entries.append(
            {"fullUrl": full_url(resource["resourceType"], resource["id"]), "resource": resource}
        )

    def patient(self) -> None:
        info = self.record.patient
        res: Json = {
            "resourceType": "Patient",
            "id": info.id,
            "identifier": [{"system": C.PATIENT_ID_SYSTEM, "value": info.id}],
        }
        if self.identify and info.name:
            res["name"] = [{"text": info.name}]
        if info.sex is not None:
            res["gender"] = info.sex
        if info.birth_year is not None:
            res["birthDate"] = f"{info.birth_year:04d}"
        self.add(res)

    def practitioner(self) -> None:
        info = self.record.practitioner
        if info is None:
            return
        res: Json = {
            "resourceType": "Practitioner",
            "id": info.id,
            "identifier": [{"system": C.PRACTITIONER_ID_SYSTEM, "value": info.id}],
        }
        if info.name:
            res["name"] = [{"text": info.name}]
        self.add(res)

    def _observation(self, obs_id: str, category: tuple[str, str], coding: Json, when: datetime) -> Json:
        res: Json = {
            "resourceType": "Observation",
            "id": obs_id,
            "status": "final",
            "category": _category(*category),
            "code": {"coding": [coding], "text": coding.get("display", coding["code"])},
            "subject": self.patient_ref,
            "effectiveDateTime": fhir_datetime(when),
        }
        if self.practitioner_ref is not None:
            res["performer"] = [self.practitioner_ref]
        return res

    def koos(self, response: KoosResponse) -> None:
        groups = []
        for subscale in SUBSCALES:
            answered = [i for i in KOOS_FHIR_ITEMS if i.subscale == subscale and i.id in response.answers]
            if not answered:
                continue
            items = []
            for item in answered:
                score = response.answers[item.id]
                coding = {
                    "code": str(score),
                    "display": item.labels[score],
                    "extension": [{"url": C.ORDINAL_VALUE_EXT, "valueDecimal": score}],
                }
                items.append({"linkId": item.id, "text": item.text, "answer": [{"valueCoding": coding}]})
            groups.append({"linkId": subscale, "text": SUBSCALE_TITLES[subscale], "item": items})
        qr: Json = {
            "resourceType": "QuestionnaireResponse",
            "id": response.id,
            "questionnaire": f"{C.KOOS_QUESTIONNAIRE_URL}|{C.KOOS_QUESTIONNAIRE_VERSION}",
            "status": "completed",
            "subject": self.patient_ref,
            "authored": fhir_datetime(response.authored),
            "item": groups,
        }
        if self.practitioner_ref is not None:
            qr["author"] = self.practitioner_ref
        self.add(qr)
        if response.scores is None:
            return
        qr_ref = _ref("QuestionnaireResponse", response.id)
        members: list[Json] = []
        for subscale in SUBSCALES:
            value = getattr(response.scores, subscale)
            if value is None:
                continue
            code, display = C.KOOS_SUBSCALE_LOINC[subscale]
            obs_id = f"{PREFIX['koos_score']}{response.id}-{subscale.replace('_', '')}"
            obs = self._observation(
                obs_id,
                ("survey", "Survey"),
                {"system": C.LOINC, "code": code, "display": display},
                response.authored,
            )
            obs["valueQuantity"] = _quantity(value, C.SCORE_UNIT)
            obs["derivedFrom"] = [qr_ref]
            self.add(obs)
            members.append(_ref("Observation", obs_id))
        panel_code, panel_display = C.KOOS_PANEL_LOINC
        panel = self._observation(
            f"{PREFIX['koos_panel']}{response.id}",
            ("survey", "Survey"),
            {"system": C.LOINC, "code": panel_code, "display": panel_display},
            response.authored,
        )
        panel["hasMember"] = members
        panel["derivedFrom"] = [qr_ref]
        self.add(panel)

    def pain(self, obs: PainObservation) -> None:
        code, display = C.NPRS_LOINC
        res = self._observation(
            f"{PREFIX['pain']}{obs.id}",
            ("survey", "Survey"),
            {"system": C.LOINC, "code": code, "display": display},
            obs.effective,
        )
        res["valueQuantity"] = _quantity(obs.value, C.SCORE_UNIT)
        if obs.context is not None:
            res["extension"] = [{"url": C.EXT_PAIN_CONTEXT, "valueCode": obs.context}]
        if obs.session_id is not None:
            res["partOf"] = [_ref("Procedure", f"{PREFIX['session']}{obs.session_id}")]
        self.add(res)

    def _coded_quantity(
        self,
        obs_id: str,
        category: tuple[str, str],
        code: str,
        display: str,
        when: datetime,
        quantity: tuple[float, str],
        side: str | None,
    ) -> Json:
        """An Observation with a retrowalk code, a UCUM quantity and an optional laterality."""
        coding = {"system": C.RETROWALK_CS, "code": code, "display": display}
        res = self._observation(obs_id, category, coding, when)
        res["valueQuantity"] = _quantity(*quantity)
        if side is not None:
            res["bodySite"] = {"coding": [{"system": C.LATERALITY_CS, "code": side}], "text": side}
        return res

    def measurement(self, m: Measurement) -> None:
        concept = C.MEASUREMENT_CONCEPTS.get(m.test_id)
        display = concept.display if concept else m.test_id
        res = self._coded_quantity(
            f"{PREFIX['measurement']}{m.id}",
            ("exam", "Exam"),
            m.test_id,
            display,
            m.effective,
            (m.value, m.unit),
            m.side,
        )
        self.add(res)

    def gait(self, g: GaitMetric) -> None:
        concept = C.GAIT_CONCEPTS.get(g.metric)
        display = concept.display if concept else g.metric
        res = self._coded_quantity(
            f"{PREFIX['gait']}{g.id}",
            ("activity", "Activity"),
            g.metric,
            display,
            g.effective,
            (g.value, g.unit),
            g.side,
        )
        if g.source is not None:
            res["method"] = {"coding": [{"system": C.GAIT_SOURCE_CS, "code": g.source}], "text": g.source}
        if g.direction is not None:
            res["extension"] = [{"url": C.EXT_WALKING_DIRECTION, "valueCode": g.direction}]
        self.add(res)

    def programme(self, p: Programme) -> None:
        activities = []
        for act in p.activities:
            coding: Json = {"system": C.EXERCISE_CS, "code": act.exercise_id}
            if act.name:
                coding["display"] = act.name
            detail: Json = {
                "kind": "ServiceRequest",
                "code": {"coding": [coding], "text": act.name or act.exercise_id},
                "status": "not-started" if p.status == "draft" else "in-progress",
                "description": act.dose.describe(),
            }
            extensions = dose_extension(act.dose)
            if act.stage:
                extensions.append({"url": C.EXT_STAGE, "valueString": act.stage})
            if extensions:
                detail["extension"] = extensions
            if act.reason:
                detail["reasonCode"] = [{"text": act.reason}]
            if act.dose.frequency_per_week is not None:
                detail["scheduledTiming"] = {
                    "repeat": {"frequency": act.dose.frequency_per_week, "period": 1, "periodUnit": "wk"}
                }
            activities.append({"detail": detail})
        res: Json = {
            "resourceType": "CarePlan",
            "id": f"{PREFIX['programme']}{p.id}",
            "status": p.status,
            "intent": "plan",
            "subject": self.patient_ref,
            "created": fhir_datetime(p.created),
            "activity": activities,
        }
        if p.title:
            res["title"] = p.title
        if self.practitioner_ref is not None:
            res["author"] = self.practitioner_ref
        self.add(res)

    def session(self, s: LoggedSession) -> None:
        session_id = f"{PREFIX['session']}{s.id}"
        res: Json = {
            "resourceType": "Procedure",
            "id": session_id,
            "status": "completed",
            "code": {
                "coding": [
                    {"system": C.RETROWALK_CS, "code": C.SESSION_CODE[0], "display": C.SESSION_CODE[1]}
                ]
            },
            "subject": self.patient_ref,
            "performedDateTime": fhir_datetime(s.performed),
        }
        if s.programme_id is not None:
            res["basedOn"] = [_ref("CarePlan", f"{PREFIX['programme']}{s.programme_id}")]
        if self.practitioner_ref is not None:
            res["performer"] = [{"actor": self.practitioner_ref}]
        if s.notes:
            res["note"] = [{"text": s.notes}]
        self.add(res)
        for index, ex in enumerate(s.exercises):
            part: Json = {
                "resourceType": "Procedure",
                "id": f"{session_id}-{index}",
                "status": "completed" if ex.completed else "not-done",
                "code": {
                    "coding": [{"system": C.EXERCISE_CS, "code": ex.exercise_id}],
                    "text": ex.dose.describe(),
                },
                "subject": self.patient_ref,
                "performedDateTime": fhir_datetime(s.performed),
                "partOf": [_ref("Procedure", session_id)],
            }
            extensions = dose_extension(ex.dose)
            if extensions:
                part["extension"] = extensions
            self.add(part)


def validate_resource(resource: Json) -> Json:
    """Validate one resource with its R4B model; returns the canonical JSON form."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    dumped: Json = model.model_dump(mode="json", exclude_none=True)
    return dumped


def export_bundle(record: ClientRecord, *, identify: bool = False, timestamp: datetime | None = None) -> Json:
    """A ``collection`` Bundle holding the client's whole record, every resource validated.

    ``identify`` adds the client's name to Patient; the default export is pseudonymous.
    ``timestamp`` defaults to none so repeated exports are byte-identical.
    """
    b = _Builder(record, identify=identify)
    b.patient()
    b.practitioner()
    b.add(koos_questionnaire())
    for response in record.koos:
        b.koos(response)
    for programme in record.programmes:
        b.programme(programme)
    for session in record.sessions:
        b.session(session)
    for obs in record.pain:
        b.pain(obs)
    for m in record.measurements:
        b.measurement(m)
    for g in record.gait:
        b.gait(g)
    entries = [{"fullUrl": e["fullUrl"], "resource": validate_resource(e["resource"])} for e in b.entries]
    bundle: Json = {
        "resourceType": "Bundle",
        "id": f"retrowalk-{record.patient.id}",
        "type": "collection",
        "entry": entries,
    }
    if timestamp is not None:
        bundle["timestamp"] = fhir_datetime(timestamp)
    # Entries were validated one by one above; check only the Bundle's own elements here.
    Bundle.model_validate({k: v for k, v in bundle.items() if k != "entry"})
    return bundle
