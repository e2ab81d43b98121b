"""FHIR R4 Bundle (or a bare KOOS QuestionnaireResponse) → ClientRecord.

All-or-nothing: every problem is collected as an :class:`ImportIssue` naming the resource
("Observation/nprs-1") and the element path ("valueInteger"), and one :class:`FhirImportError`
is raised if there is any, before anything is written anywhere. Resources the importer does not
understand (other questionnaires, unknown observation codes) are listed in
``ImportResult.ignored`` rather than silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import BaseModel, ValidationError

from retrowalk.errors import InputError
from retrowalk.interop import codes as C
from retrowalk.interop.fhir_export import PREFIX
from retrowalk.interop.koos import ITEM_BY_ID, canonical_item_id
from retrowalk.interop.record import (
    ClientRecord,
    Dose,
    GaitMetric,
    KoosResponse,
    KoosScores,
    LoggedSession,
    Measurement,
    PainObservation,
    PatientInfo,
    PractitionerInfo,
    Programme,
    ProgrammeActivity,
    SessionExercise,
)
from retrowalk.io import limits

Json = dict[str, Any]
_SUBSCALE_BY_LOINC: Final = {code: name for name, (code, _d) in C.KOOS_SUBSCALE_LOINC.items()}
_QR_STATUSES: Final = {"completed", "amended"}


class ImportIssue(BaseModel):
    resource: str
    path: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.resource}.{self.path}: {self.message}"
            if self.path
            else f"{self.resource}: {self.message}"
        )


class FhirImportError(InputError):
    """The bundle cannot be imported; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ImportIssue]) -> None:
        self.issues = issues
        first = issues[0]
        more = f" (and {len(issues) - 1} more problem(s))" if len(issues) > 1 else ""
        field = f"{first.resource}.{first.path}" if first.path else first.resource
        super().__init__(field, first.message + more, hint="fix the bundle; nothing was imported")


class ImportResult(BaseModel):
    record: ClientRecord
    ignored: list[str]


def _loc_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validation_issues(resource: str, exc: ValidationError) -> list[ImportIssue]:
    """One :class:`ImportIssue` per pydantic error, at its FHIR element path."""
    return [ImportIssue(resource=resource, path=_loc_path(e["loc"]), message=e["msg"]) for e in exc.errors()]


def _strip(resource_id: str, prefix: str) -> str:
    return (
        resource_id.removeprefix(prefix)
        if resource_id.startswith(prefix) and resource_id != prefix
        else resource_id
    )


def _parse_dt(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.replace("Z", "+00:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _codings(concept: Any) -> list[Json]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding", []) if isinstance(c, dict)]


def _walk_references(node: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}" if path else key
            if key == "reference" and isinstance(value, str):
                yield path, value
            else:
                yield from _walk_references(value, sub)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk_references(value, f"{path}[{i}]")


class _Importer:
    def __init__(self, bundle: Json, item_map: Mapping[str, str] | None) -> None:
        self.bundle = bundle
        self.item_map = {k: v for k, v in (item_map or {}).items()}
        self.issues: list[ImportIssue] = []
        self.ignored: list[str] = []
        self.resources: list[tuple[str, Json]] = []  # (label, resource)
        self.index: dict[str, Json] = {}

    # -- helpers --------------------------------------------------------------------------------
    def issue(self, resource: str, path: str, message: str) -> None:
        self.issues.append(ImportIssue(resource=resource, path=path, message=message))

    @staticmethod
    def label(resource: Json, position: int) -> str:
        rtype = resource.get("resourceType", "?")
        rid = resource.get("id")
        return f"{rtype}/{rid}" if rid else f"{rtype}(entry[{position}])"

    def resolve(self, ref: Any) -> Json | None:
        if isinstance(ref, dict):
            ref = ref.get("reference")
        if not isinstance(ref, str):
            return None
        return self.index.get(ref)

    def build(self, label: str, model: type[BaseModel], data: Json, paths: Mapping[str, str]) -> Any:
        """Construct a record model; map its validation errors back to FHIR element paths."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc", ())
                head = str(loc[0]) if loc else ""
                self.issue(label, paths.get(head, head), err.get("msg", "invalid value"))
            return None

    # -- phases ---------------------------------------------------------------------------------
    def structure(self) -> None:
        if self.bundle.get("resourceType") != "Bundle":
            self.issue("Bundle", "resourceType", "expected a FHIR Bundle")
            return
        shell = {k: v for k, v in self.bundle.items() if k != "entry"}
        try:
            Bundle.model_validate(shell)
        except ValidationError as exc:
            self.issues.extend(_validation_issues("Bundle", exc))
        if self.bundle.get("type") not in {"collection", "transaction", "batch", "document", "searchset"}:
            self.issue("Bundle", "type", f"unsupported bundle type {self.bundle.get('type')!r}")
        entries = self.bundle.get("entry", [])
        if not isinstance(entries, list):
            self.issue("Bundle", "entry", "must be a list")
            return
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict) or "resourceType" not in resource:
                self.issue("Bundle", f"entry[{i}].resource", "missing resource")
                continue
            label = self.label(resource, i)
            try:
                model = get_fhir_model_class(str(resource["resourceType"]))
            except KeyError:
                self.issue(
                    label, "resourceType", f"unknown FHIR R4 resource type {resource['resourceType']!r}"
                )
                continue
            try:
                model.model_validate(resource)
            except ValidationError as exc:
                self.issues.extend(_validation_issues(label, exc))
                continue
            self.resources.append((label, resource))
            keys = []
            if isinstance(entry.get("fullUrl"), str):
                keys.append(entry["fullUrl"])
            if resource.get("id"):
                keys.append(f"{resource['resourceType']}/{resource['id']}")
            for key in keys:
                if key in self.index:
                    self.issue(
                        label,
                        "id" if "/" in key and not key.startswith("urn:") else "fullUrl",
                        f"{key} appears twice in the bundle",
                    )
                self.index[key] = resource

    def references(self) -> None:
        for label, resource in self.resources:
            for path, ref in _walk_references(resource, ""):
                if ref.startswith("#"):
                    continue
                if ref not in self.index:
                    self.issue(
                        label,
                        f"{path}.reference",
                        f"reference {ref!r} does not resolve to an entry in this bundle",
                    )

    def subject_check(self, label: str, resource: Json, patient: Json | None, field: str = "subject") -> None:
        target = self.resolve(resource.get(field))
        if target is None or target is not patient:
            self.issue(label, f"{field}.reference", "must reference the bundle's Patient")

    # -- per resource type ----------------------------------------------------------------------
    def patient(self) -> Json | None:
        patients = [(lb, r) for lb, r in self.resources if r["resourceType"] == "Patient"]
        if len(patients) != 1:
            self.issue("Bundle", "entry", f"expected exactly one Patient, found {len(patients)}")
            return None
        return patients[0][1]

    def patient_info(self, label: str, res: Json) -> PatientInfo | None:
        pid = res.get("id")
        for ident in res.get("identifier", []):
            if ident.get("system") == C.PATIENT_ID_SYSTEM and ident.get("value"):
                pid = ident["value"]
        birth = res.get("birthDate")
        names = res.get("name") or []
        name = names[0].get("text") if names else None
        data: Json = {
            "id": pid,
            "birth_year": int(birth[:4]) if isinstance(birth, str) else None,
            "sex": res.get("gender"),
            "name": name,
        }
        out: PatientInfo | None = self.build(
            label, PatientInfo, data, {"id": "id", "birth_year": "birthDate", "sex": "gender"}
        )
        return out

    def practitioner(self) -> PractitionerInfo | None:
        found = [(lb, r) for lb, r in self.resources if r["resourceType"] == "Practitioner"]
        if not found:
            return None
        if len(found) > 1:
            self.issue("Bundle", "entry", f"expected at most one Practitioner, found {len(found)}")
            return None
        label, res = found[0]
        names = res.get("name") or []
        name = names[0].get("text") if names else None
        out: PractitionerInfo | None = self.build(
            label, PractitionerInfo, {"id": res.get("id"), "name": name}, {"id": "id"}
        )
        return out

    def is_koos(self, qr: Json) -> bool:
        canonical = str(qr.get("questionnaire", "")).split("|")[0]
        if canonical == C.KOOS_QUESTIONNAIRE_URL:
            return True
        for _label, res in self.resources:
            if res["resourceType"] == "Questionnaire" and res.get("url") == canonical:
                return any(
                    c.get("system") == C.LOINC and c.get("code") == C.KOOS_PANEL_LOINC[0]
                    for c in res.get("code", [])
                )
        return "koos" in canonical.lower()

    def answer_value(self, label: str, path: str, item_id: str, answer: Json) -> int | None:
        labels = [x.lower() for x in ITEM_BY_ID[item_id].labels]
        value: Any = None
        if "valueCoding" in answer:
            coding = answer["valueCoding"]
            ordinal = [
                e.get("valueDecimal")
                for e in coding.get("extension", [])
                if e.get("url") == C.ORDINAL_VALUE_EXT
            ]
            code = coding.get("code")
            display = str(coding.get("display", "")).lower()
            if ordinal:
                value = ordinal[0]
            elif isinstance(code, str) and re.fullmatch(r"-?\d+", code):
                value = int(code)
            elif isinstance(code, str) and code.lower() in labels:
                value = labels.index(code.lower())
            elif display in labels:
                value = labels.index(display)
            else:
                self.issue(label, f"{path}.valueCoding", f"cannot read a KOOS score 0-4 from {coding!r}")
                return None
            path += ".valueCoding"
        elif "valueInteger" in answer:
            value, path = answer["valueInteger"], path + ".valueInteger"
        elif "valueDecimal" in answer:
            value, path = answer["valueDecimal"], path + ".valueDecimal"
        elif "valueString" in answer and str(answer["valueString"]).lower() in labels:
            return labels.index(str(answer["valueString"]).lower())
        else:
            self.issue(label, path, "answer must be valueCoding, valueInteger or a label string")
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or not 0 <= value <= 4:
            self.issue(label, path, f"KOOS answer {value!r} for {item_id} is outside 0..4")
            return None
        return value

    def koos_answers(self, label: str, qr: Json) -> dict[str, int]:
        answers: dict[str, int] = {}

        def visit(items: list[Json], path: str) -> None:
            for i, item in enumerate(items):
                here = f"{path}[{i}]"
                link = str(item.get("linkId", ""))
                if item.get("item"):
                    visit(item["item"], f"{here}.item")
                found = item.get("answer") or []
                if not found:
                    continue
                item_id = self.item_map.get(link) or canonical_item_id(link)
                if item_id is None:
                    self.issue(
                        label,
                        f"{here}.linkId",
                        f"linkId {link!r} is not a KOOS item (English numbering S1..Q4); "
                        "pass an item map for other numberings",
                    )
                    continue
                if len(found) != 1:
                    self.issue(label, f"{here}.answer", f"{item_id} has {len(found)} answers, expected 1")
                    continue
                if item_id in answers:
                    self.issue(label, f"{here}.linkId", f"{item_id} answered twice")
                    continue
                value = self.answer_value(label, f"{here}.answer[0]", item_id, found[0])
                if value is not None:
                    answers[item_id] = value

        visit(qr.get("item", []), "item")
        return answers

    def run(self) -> ImportResult | None:
        self.structure()
        if self.issues:
            return None
        self.references()
        patient_res = self.patient()
        patient = self.patient_info(self.label(patient_res, 0), patient_res) if patient_res else None
        practitioner = self.practitioner()

        koos: list[KoosResponse] = []
        koos_scores: dict[str, dict[str, float]] = {}
        qr_ids: dict[int, str] = {}
        qr_data: list[tuple[str, Json, Json]] = []
        for label, res in self.resources:
            if res["resourceType"] != "QuestionnaireResponse":
                continue
            if not self.is_koos(res):
                self.ignored.append(f"{label}: not a KOOS questionnaire response")
                continue
            self.subject_check(label, res, patient_res)
            if res.get("status") not in _QR_STATUSES:
                self.issue(label, "status", f"status {res.get('status')!r}; only completed responses import")
            authored = _parse_dt(res.get("authored"))
            if authored is None:
                self.issue(label, "authored", "authored date-time with timezone is required")
            answers = self.koos_answers(label, res)
            qr_ids[id(res)] = res.get("id", "")
            koos_scores[res.get("id", "")] = {}
            qr_data.append((label, res, {"id": res.get("id"), "authored": authored, "answers": answers}))

        pain: list[PainObservation] = []
        measurements: list[Measurement] = []
        gait: list[GaitMetric] = []
        for label, res in self.resources:
            if res["resourceType"] == "Observation":
                self.observation(label, res, patient_res, qr_ids, koos_scores, pain, measurements, gait)

        for label, res, data in qr_data:
            scores = koos_scores.get(res.get("id", ""))
            if scores:
                data["scores"] = KoosScores(**scores)
            built = self.build(label, KoosResponse, data, {"answers": "item", "authored": "authored"})
            if built is not None:
                koos.append(built)

        programmes = [
            p
            for label, res in self.resources
            if res["resourceType"] == "CarePlan"
            if (p := self.careplan(label, res, patient_res)) is not None
        ]
        sessions = self.procedures(patient_res)
        for label, res in self.resources:
            if res["resourceType"] not in {
                "Patient",
                "Practitioner",
                "Questionnaire",
                "QuestionnaireResponse",
                "Observation",
                "CarePlan",
                "Procedure",
            }:
                self.ignored.append(f"{label}: resource type not imported")
        if self.issues or patient is None:
            return None
        try:
            record = ClientRecord(
                patient=patient,
                practitioner=practitioner,
                koos=koos,
                pain=pain,
                measurements=measurements,
                gait=gait,
                programmes=programmes,
                sessions=sessions,
            )
        except ValidationError as exc:
            self.issues.extend(_validation_issues("Bundle", exc))
            return None
        return ImportResult(record=record, ignored=self.ignored)

    def observation(
        self,
        label: str,
        res: Json,
        patient_res: Json | None,
        qr_ids: dict[int, str],
        koos_scores: dict[str, dict[str, float]],
        pain: list[PainObservation],
        measurements: list[Measurement],
        gait: list[GaitMetric],
    ) -> None:
        codings = _codings(res.get("code"))
        loinc = next((c["code"] for c in codings if c.get("system") == C.LOINC), None)
        local = next((c["code"] for c in codings if c.get("system") == C.RETROWALK_CS), None)
        categories = {c.get("code") for cat in res.get("category", []) for c in _codings(cat)}
        if loinc == C.KOOS_PANEL_LOINC[0]:
            return  # the panel only groups the subscale observations
        if loinc not in _SUBSCALE_BY_LOINC and loinc != C.NPRS_LOINC[0] and local is None:
            self.ignored.append(f"{label}: observation code not recognised")
            return
        self.subject_check(label, res, patient_res)
        when = _parse_dt(res.get("effectiveDateTime"))
        if when is None:
            self.issue(label, "effectiveDateTime", "effectiveDateTime with timezone is required")
        if res.get("status") not in {"final", "amended", "corrected"}:
            self.issue(label, "status", f"status {res.get('status')!r}; only final results import")
        quantity = res.get("valueQuantity") or {}
        if quantity and quantity.get("system") not in (None, C.UCUM):
            self.issue(label, "valueQuantity.system", "units must be UCUM (http://unitsofmeasure.org)")
        unit = quantity.get("code") or quantity.get("unit")
        if loinc in _SUBSCALE_BY_LOINC:
            sources = [self.resolve(r) for r in res.get("derivedFrom", [])]
            qr = next((s for s in sources if s is not None and id(s) in qr_ids), None)
            if qr is None:
                self.ignored.append(f"{label}: KOOS score without derivedFrom a KOOS QuestionnaireResponse")
                return
            value = quantity.get("value")
            if not isinstance(value, int | float) or not 0 <= value <= 100:
                self.issue(label, "valueQuantity.value", f"KOOS score {value!r} outside 0..100")
                return
            koos_scores[qr_ids[id(qr)]][_SUBSCALE_BY_LOINC[loinc]] = float(value)
            return
        if loinc == C.NPRS_LOINC[0]:
            value = res.get("valueInteger", quantity.get("value"))
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            context = next(
                (e.get("valueCode") for e in res.get("extension", []) if e.get("url") == C.EXT_PAIN_CONTEXT),
                None,
            )
            session_id = None
            for ref in res.get("partOf", []):
                target = self.resolve(ref)
                if target is not None and target.get("resourceType") == "Procedure":
                    session_id = _strip(str(target.get("id")), PREFIX["session"])
            data = {
                "id": _strip(str(res.get("id")), PREFIX["pain"]),
                "effective": when,
                "value": value,
                "context": context,
                "session_id": session_id,
            }
            path = "valueInteger" if "valueInteger" in res else "valueQuantity.value"
            built = self.build(
                label,
                PainObservation,
                data,
                {"value": path, "context": "extension", "id": "id", "effective": "effectiveDateTime"},
            )
            if built is not None:
                pain.append(built)
            return
        side = next(
            (c.get("code") for c in _codings(res.get("bodySite")) if c.get("system") == C.LATERALITY_CS), None
        )
        paths = {
            "value": "valueQuantity.value",
            "unit": "valueQuantity.code",
            "side": "bodySite",
            "id": "id",
            "effective": "effectiveDateTime",
            "test_id": "code",
            "metric": "code",
        }
        if local in C.GAIT_CONCEPTS or (local not in C.MEASUREMENT_CONCEPTS and "activity" in categories):
            source = next(
                (c.get("code") for c in _codings(res.get("method")) if c.get("system") == C.GAIT_SOURCE_CS),
                None,
            )
            direction = next(
                (
                    e.get("valueCode")
                    for e in res.get("extension", [])
                    if e.get("url") == C.EXT_WALKING_DIRECTION
                ),
                None,
            )
            data = {
                "id": _strip(str(res.get("id")), PREFIX["gait"]),
                "effective": when,
                "metric": local,
                "value": quantity.get("value"),
                "unit": unit,
                "side": side,
                "direction": direction,
                "source": source,
            }
            built = self.build(
                label, GaitMetric, data, {**paths, "source": "method", "direction": "extension"}
            )
            if built is not None:
                gait.append(built)
            return
        data = {
            "id": _strip(str(res.get("id")), PREFIX["measurement"]),
            "effective": when,
            "test_id": local,
            "side": side,
            "value": quantity.get("value"),
            "unit": unit,
        }
        built = self.build(label, Measurement, data, paths)
        if built is not None:
            measurements.append(built)

    def dose(self, label: str, path: str, holder: Json, timing: Json | None = None) -> Dose | None:
        data: Json = {}
        by_url = {url: field for field, (url, _unit) in C.DOSE_FIELDS.items()}
        for ext in holder.get("extension", []):
            if ext.get("url") != C.EXT_DOSE:
                continue
            for sub in ext.get("extension", []):
                field = by_url.get(sub.get("url"))
                if field is None:
                    self.issue(label, f"{path}.extension", f"unknown dose element {sub.get('url')!r}")
                    continue
                expected_unit = C.DOSE_FIELDS[field][1]
                if "valueQuantity" in sub:
                    q = sub["valueQuantity"]
                    if q.get("code") != expected_unit:
                        self.issue(label, f"{path}.extension", f"dose {field} must be in {expected_unit!r}")
                    data[field] = q.get("value")
                else:
                    data[field] = next(
                        (sub[k] for k in ("valueInteger", "valueBoolean", "valueString") if k in sub), None
                    )
        repeat = (timing or {}).get("repeat") or {}
        if (
            "frequency_per_week" not in data
            and repeat.get("periodUnit") == "wk"
            and repeat.get("period") == 1
        ):
            data["frequency_per_week"] = repeat.get("frequency")
        out: Dose | None = self.build(label, Dose, data, {k: f"{path}.extension" for k in C.DOSE_FIELDS})
        return out

    def careplan(self, label: str, res: Json, patient_res: Json | None) -> Programme | None:
        self.subject_check(label, res, patient_res)
        activities = []
        for i, act in enumerate(res.get("activity", [])):
            path = f"activity[{i}].detail"
            detail = act.get("detail")
            if not isinstance(detail, dict):
                self.issue(label, f"activity[{i}]", "only activity.detail is imported")
                continue
            codings = _codings(detail.get("code"))
            coding = next(
                (c for c in codings if c.get("system") == C.EXERCISE_CS), codings[0] if codings else None
            )
            if coding is None:
                self.issue(label, f"{path}.code", "activity needs an exercise code")
                continue
            stage = next(
                (e.get("valueString") for e in detail.get("extension", []) if e.get("url") == C.EXT_STAGE),
                None,
            )
            reasons = [r.get("text") for r in detail.get("reasonCode", []) if r.get("text")]
            dose = self.dose(label, path, detail, detail.get("scheduledTiming"))
            data = {
                "exercise_id": coding.get("code"),
                "name": coding.get("display"),
                "stage": stage,
                "reason": reasons[0] if reasons else None,
            }
            if dose is not None:
                data["dose"] = dose
            built = self.build(label, ProgrammeActivity, data, {"exercise_id": f"{path}.code"})
            if built is not None:
                activities.append(built)
        data = {
            "id": _strip(str(res.get("id")), PREFIX["programme"]),
            "created": _parse_dt(res.get("created")),
            "status": res.get("status"),
            "title": res.get("title"),
            "activities": activities,
        }
        out: Programme | None = self.build(label, Programme, data, {"created": "created", "status": "status"})
        return out

    def procedures(self, patient_res: Json | None) -> list[LoggedSession]:
        procs = [(lb, r) for lb, r in self.resources if r["resourceType"] == "Procedure"]
        parts: dict[int, list[tuple[str, Json]]] = {}
        heads: list[tuple[str, Json]] = []
        for label, res in procs:
            self.subject_check(label, res, patient_res)
            parents = [self.resolve(r) for r in res.get("partOf", [])]
            parent = next(
                (p for p in parents if p is not None and p.get("resourceType") == "Procedure"), None
            )
            if parent is not None:
                parts.setdefault(id(parent), []).append((label, res))
            elif any(
                c.get("system") == C.RETROWALK_CS and c.get("code") == C.SESSION_CODE[0]
                for c in _codings(res.get("code"))
            ):
                heads.append((label, res))
            else:
                self.ignored.append(f"{label}: procedure is not a retrowalk session")
        sessions = []
        for label, res in heads:
            exercises = []
            for part_label, part in parts.get(id(res), []):
                codings = _codings(part.get("code"))
                coding = next((c for c in codings if c.get("system") == C.EXERCISE_CS), None)
                if coding is None:
                    self.issue(
                        part_label, "code", "session exercise needs a code from the exercise code system"
                    )
                    continue
                dose = self.dose(part_label, "", part)
                data = {"exercise_id": coding.get("code"), "completed": part.get("status") != "not-done"}
                if dose is not None:
                    data["dose"] = dose
                built = self.build(part_label, SessionExercise, data, {"exercise_id": "code"})
                if built is not None:
                    exercises.append(built)
            programme_id = None
            for ref in res.get("basedOn", []):
                target = self.resolve(ref)
                if target is not None and target.get("resourceType") == "CarePlan":
                    programme_id = _strip(str(target.get("id")), PREFIX["programme"])
            notes = [n.get("text") for n in res.get("note", []) if n.get("text")]
            data = {
                "id": _strip(str(res.get("id")), PREFIX["session"]),
                "performed": _parse_dt(res.get("performedDateTime")),
                "programme_id": programme_id,
                "exercises": exercises,
                "notes": "\n".join(notes) if notes else None,
            }
            built = self.build(label, LoggedSession, data, {"performed": "performedDateTime", "id": "id"})
            if built is not None:
                sessions.append(built)
        return sessions


def import_bundle(bundle: Any, *, item_map: Mapping[str, str] | None = None) -> ImportResult:
    """Parse and check a whole Bundle; raises :class:`FhirImportError` listing every problem.

    A bare QuestionnaireResponse is not accepted here (it has no Patient); use
    :func:`read_koos_response` for those.
    """
    if not isinstance(bundle, dict):
        raise FhirImportError([ImportIssue(resource="Bundle", path="", message="expected a JSON object")])
    limits.check_json_depth(bundle, "bundle")  # before any recursive walk
    entries = bundle.get("entry")
    limits.check(
        "bundle.entry", "Bundle entries", len(entries) if isinstance(entries, list) else 0, "max_fhir_entries"
    )
    importer = _Importer(bundle, item_map)
    result = importer.run()
    if importer.issues or result is None:
        issues = importer.issues or [ImportIssue(resource="Bundle", path="", message="nothing to import")]
        raise FhirImportError(issues)
    return result


def read_koos_response(qr: Any, *, item_map: Mapping[str, str] | None = None) -> KoosResponse:
    """A KOOS QuestionnaireResponse from another system → KoosResponse (answers keyed by meaning).

    Items are matched by linkId in English numbering ("P1", "koos-p1", ...) or via ``item_map``;
    answers by ordinalValue, numeric code, valueInteger or the item's own label (so S4/S5
    "Always" reads as 0). Scores are left to the caller (the core scores answers).
    """
    if not isinstance(qr, dict) or qr.get("resourceType") != "QuestionnaireResponse":
        raise FhirImportError(
            [
                ImportIssue(
                    resource="QuestionnaireResponse",
                    path="resourceType",
                    message="expected a QuestionnaireResponse",
                )
            ]
        )
    importer = _Importer({"resourceType": "Bundle", "type": "collection", "entry": []}, item_map)
    label = importer.label(qr, 0)
    try:
        get_fhir_model_class("QuestionnaireResponse").model_validate(qr)
    except ValidationError as exc:
        raise FhirImportError(_validation_issues(label, exc)) from exc
    authored = _parse_dt(qr.get("authored"))
    if authored is None:
        importer.issue(label, "authored", "authored date-time with timezone is required")
    answers = importer.koos_answers(label, qr)
    built = importer.build(
        label,
        KoosResponse,
        {"id": qr.get("id") or "qr", "authored": authored, "answers": answers},
        {"answers": "item"},
    )
    if importer.issues or built is None:
        raise FhirImportError(importer.issues)
    out: KoosResponse = built
    return out
