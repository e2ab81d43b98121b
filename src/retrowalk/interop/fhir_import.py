"""FHIR R4 Bundle (or a bare KOOS QuestionnaireResponse) → ClientRecord.

All-or-nothing: every problem is collected as an :class:`ImportIssue` naming the resource
("Observation/nprs-1") and the element path ("valueInteger"), and one :class:`FhirImportError`
is raised if there is any, before anything is written anywhere. Resources the importer does not
understand (other questionnaires, unknown observation codes) are listed in
``ImportResult.ignored`` rather than silently dropped.

Each entry is validated once into its typed R4B model (``fhir.resources``); everything after
that reads the typed objects (``obs.valueQuantity.value``), never the raw JSON, so a field the
validation normalised (dates, decimals) is read as validated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.timing import Timing
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
R = TypeVar("R", bound=Resource)
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


def _when(value: datetime | date | str | None) -> datetime | None:
    """A validated FHIR dateTime as an aware datetime: a date means midnight UTC; a partial date
    ("2025-03") or a time without a zone is not precise enough (None)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _number(value: Decimal | float | None) -> float | int | None:
    """A FHIR decimal as the plain number it was written as: ``3`` an int, ``3.0`` or ``-0.0`` a
    float (so a round trip keeps the sign of a zero and the type of the value)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return float(value) if not isinstance(exponent, int) or exponent < 0 else int(value)
    return value


def _codings(concept: CodeableConcept | None) -> list[Coding]:
    return list(concept.coding or []) if concept is not None else []


def _code_in(concepts: Sequence[CodeableConcept] | None, system: str) -> str | None:
    return next((c.code for cc in concepts or [] for c in _codings(cc) if c.system == system), None)


def _extensions(holder: Any, url: str) -> list[Extension]:
    return [e for e in getattr(holder, "extension", None) or [] if e.url == url]


def _walk_references(node: BaseModel, path: str) -> Iterator[tuple[str, str]]:
    """(element path, reference) for every Reference inside a typed resource."""
    for name in type(node).model_fields:
        value = getattr(node, name)
        if value is None:
            continue
        sub = f"{path}.{name}" if path else name
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for i, item in items:
            here = sub if i is None else f"{sub}[{i}]"
            if isinstance(item, Reference):
                if isinstance(item.reference, str):
                    yield here, item.reference
            elif isinstance(item, BaseModel):
                yield from _walk_references(item, here)


class _Importer:
    def __init__(self, bundle: Json, item_map: Mapping[str, str] | None) -> None:
        self.bundle = bundle
        self.item_map = {k: v for k, v in (item_map or {}).items()}
        self.issues: list[ImportIssue] = []
        self.ignored: list[str] = []
        self.resources: list[tuple[str, Resource]] = []  # (label, validated resource)
        self.index: dict[str, Resource] = {}

    # -- helpers --------------------------------------------------------------------------------
    def issue(self, resource: str, path: str, message: str) -> None:
        self.issues.append(ImportIssue(resource=resource, path=path, message=message))

    @staticmethod
    def label(resource: Json, position: int) -> str:
        rtype = resource.get("resourceType", "?")
        rid = resource.get("id")
        return f"{rtype}/{rid}" if rid else f"{rtype}(entry[{position}])"

    def of_type(self, kind: type[R]) -> list[tuple[str, R]]:
        return [(label, res) for label, res in self.resources if isinstance(res, kind)]

    def resolve(self, ref: Reference | None) -> Resource | None:
        if ref is None or not isinstance(ref.reference, str):
            return None
        return self.index.get(ref.reference)

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
            raw = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(raw, dict) or "resourceType" not in raw:
                self.issue("Bundle", f"entry[{i}].resource", "missing resource")
                continue
            label = self.label(raw, i)
            try:
                model = get_fhir_model_class(str(raw["resourceType"]))
            except KeyError:
                self.issue(label, "resourceType", f"unknown FHIR R4 resource type {raw['resourceType']!r}")
                continue
            try:
                resource = model.model_validate(raw)
            except ValidationError as exc:
                self.issues.extend(_validation_issues(label, exc))
                continue
            if not isinstance(resource, Resource):
                self.issue(label, "resourceType", f"{raw['resourceType']!r} is not a resource")
                continue
            self.resources.append((label, resource))
            keys = []
            if isinstance(entry.get("fullUrl"), str):
                keys.append(entry["fullUrl"])
            if resource.id:
                keys.append(f"{resource.get_resource_type()}/{resource.id}")
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

    def subject_check(self, label: str, ref: Reference | None, patient: Patient | None) -> None:
        target = self.resolve(ref)
        if target is None or target is not patient:
            self.issue(label, "subject.reference", "must reference the bundle's Patient")

    # -- per resource type ----------------------------------------------------------------------
    def patient(self) -> tuple[str, Patient] | None:
        patients = self.of_type(Patient)
        if len(patients) != 1:
            self.issue("Bundle", "entry", f"expected exactly one Patient, found {len(patients)}")
            return None
        return patients[0]

    def patient_info(self, label: str, res: Patient) -> PatientInfo | None:
        pid = res.id
        for ident in res.identifier or []:
            if ident.system == C.PATIENT_ID_SYSTEM and ident.value:
                pid = ident.value
        birth = res.birthDate
        year = birth.year if isinstance(birth, date) else int(str(birth)[:4]) if birth else None
        data: Json = {
            "id": pid,
            "birth_year": year,
            "sex": res.gender,
            "name": res.name[0].text if res.name else None,
        }
        out: PatientInfo | None = self.build(
            label, PatientInfo, data, {"id": "id", "birth_year": "birthDate", "sex": "gender"}
        )
        return out

    def practitioner(self) -> PractitionerInfo | None:
        found = self.of_type(Practitioner)
        if not found:
            return None
        if len(found) > 1:
            self.issue("Bundle", "entry", f"expected at most one Practitioner, found {len(found)}")
            return None
        label, res = found[0]
        name = res.name[0].text if res.name else None
        out: PractitionerInfo | None = self.build(
            label, PractitionerInfo, {"id": res.id, "name": name}, {"id": "id"}
        )
        return out

    def is_koos(self, qr: QuestionnaireResponse) -> bool:
        canonical = str(qr.questionnaire or "").split("|")[0]
        if canonical == C.KOOS_QUESTIONNAIRE_URL:
            return True
        for _label, res in self.of_type(Questionnaire):
            if res.url == canonical:
                return any(c.system == C.LOINC and c.code == C.KOOS_PANEL_LOINC[0] for c in res.code or [])
        return "koos" in canonical.lower()

    def answer_value(
        self, label: str, path: str, item_id: str, answer: QuestionnaireResponseItemAnswer
    ) -> int | None:
        labels = [x.lower() for x in ITEM_BY_ID[item_id].labels]
        value: Any = None
        if answer.valueCoding is not None:
            coding = answer.valueCoding
            ordinal = [e.valueDecimal for e in _extensions(coding, C.ORDINAL_VALUE_EXT)]
            code = coding.code
            display = str(coding.display or "").lower()
            if ordinal:
                value = _number(ordinal[0])
            elif isinstance(code, str) and re.fullmatch(r"-?\d+", code):
                value = int(code)
            elif isinstance(code, str) and code.lower() in labels:
                value = labels.index(code.lower())
            elif display in labels:
                value = labels.index(display)
            else:
                shown = coding.model_dump(mode="json", exclude_none=True)
                self.issue(label, f"{path}.valueCoding", f"cannot read a KOOS score 0-4 from {shown!r}")
                return None
            path += ".valueCoding"
        elif answer.valueInteger is not None:
            value, path = answer.valueInteger, path + ".valueInteger"
        elif answer.valueDecimal is not None:
            value, path = _number(answer.valueDecimal), path + ".valueDecimal"
        elif answer.valueString is not None and answer.valueString.lower() in labels:
            return labels.index(answer.valueString.lower())
        else:
            self.issue(label, path, "answer must be valueCoding, valueInteger or a label string")
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or not 0 <= value <= 4:
            self.issue(label, path, f"KOOS answer {value!r} for {item_id} is outside 0..4")
            return None
        return value

    def koos_answers(self, label: str, qr: QuestionnaireResponse) -> dict[str, int]:
        answers: dict[str, int] = {}

        def visit(items: Sequence[QuestionnaireResponseItem], path: str) -> None:
            for i, item in enumerate(items):
                here = f"{path}[{i}]"
                link = str(item.linkId or "")
                if item.item:
                    visit(item.item, f"{here}.item")
                found = item.answer or []
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

        visit(qr.item or [], "item")
        return answers

    def run(self) -> ImportResult | None:
        self.structure()
        if self.issues:
            return None
        self.references()
        found = self.patient()
        patient_res = found[1] if found else None
        patient = self.patient_info(found[0], found[1]) if found else None
        practitioner = self.practitioner()

        koos: list[KoosResponse] = []
        koos_scores: dict[str, dict[str, float]] = {}
        qr_ids: dict[int, str] = {}
        qr_data: list[tuple[str, QuestionnaireResponse, Json]] = []
        for label, qr in self.of_type(QuestionnaireResponse):
            if not self.is_koos(qr):
                self.ignored.append(f"{label}: not a KOOS questionnaire response")
                continue
            self.subject_check(label, qr.subject, patient_res)
            if qr.status not in _QR_STATUSES:
                self.issue(label, "status", f"status {qr.status!r}; only completed responses import")
            authored = _when(qr.authored)
            if authored is None:
                self.issue(label, "authored", "authored date-time with timezone is required")
            answers = self.koos_answers(label, qr)
            qr_ids[id(qr)] = qr.id or ""
            koos_scores[qr.id or ""] = {}
            qr_data.append((label, qr, {"id": qr.id, "authored": authored, "answers": answers}))

        pain: list[PainObservation] = []
        measurements: list[Measurement] = []
        gait: list[GaitMetric] = []
        for label, obs in self.of_type(Observation):
            self.observation(label, obs, patient_res, qr_ids, koos_scores, pain, measurements, gait)

        for label, qr, data in qr_data:
            scores = koos_scores.get(qr.id or "")
            if scores:
                data["scores"] = KoosScores(**scores)
            built = self.build(label, KoosResponse, data, {"answers": "item", "authored": "authored"})
            if built is not None:
                koos.append(built)

        programmes = [
            p
            for label, res in self.of_type(CarePlan)
            if (p := self.careplan(label, res, patient_res)) is not None
        ]
        sessions = self.procedures(patient_res)
        imported = (
            Patient,
            Practitioner,
            Questionnaire,
            QuestionnaireResponse,
            Observation,
            CarePlan,
            Procedure,
        )
        for label, res in self.resources:
            if not isinstance(res, imported):
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
        res: Observation,
        patient_res: Patient | None,
        qr_ids: dict[int, str],
        koos_scores: dict[str, dict[str, float]],
        pain: list[PainObservation],
        measurements: list[Measurement],
        gait: list[GaitMetric],
    ) -> None:
        codings = _codings(res.code)
        loinc = next((c.code for c in codings if c.system == C.LOINC), None)
        local = next((c.code for c in codings if c.system == C.RETROWALK_CS), None)
        categories = {c.code for cat in res.category or [] for c in _codings(cat)}
        if loinc == C.KOOS_PANEL_LOINC[0]:
            return  # the panel only groups the subscale observations
        if loinc not in _SUBSCALE_BY_LOINC and loinc != C.NPRS_LOINC[0] and local is None:
            self.ignored.append(f"{label}: observation code not recognised")
            return
        self.subject_check(label, res.subject, patient_res)
        when = _when(res.effectiveDateTime)
        if when is None:
            self.issue(label, "effectiveDateTime", "effectiveDateTime with timezone is required")
        if res.status not in {"final", "amended", "corrected"}:
            self.issue(label, "status", f"status {res.status!r}; only final results import")
        quantity = res.valueQuantity
        if quantity is not None and quantity.system not in (None, C.UCUM):
            self.issue(label, "valueQuantity.system", "units must be UCUM (http://unitsofmeasure.org)")
        unit = (quantity.code or quantity.unit) if quantity is not None else None
        value = _number(quantity.value) if quantity is not None else None
        if loinc in _SUBSCALE_BY_LOINC:
            sources = [self.resolve(r) for r in res.derivedFrom or []]
            qr = next((s for s in sources if s is not None and id(s) in qr_ids), None)
            if qr is None:
                self.ignored.append(f"{label}: KOOS score without derivedFrom a KOOS QuestionnaireResponse")
                return
            if value is None or not 0 <= value <= 100:
                self.issue(label, "valueQuantity.value", f"KOOS score {value!r} outside 0..100")
                return
            koos_scores[qr_ids[id(qr)]][_SUBSCALE_BY_LOINC[loinc]] = float(value)
            return
        if loinc == C.NPRS_LOINC[0]:
            context = next((e.valueCode for e in _extensions(res, C.EXT_PAIN_CONTEXT)), None)
            session_id = None
            for ref in res.partOf or []:
                target = self.resolve(ref)
                if isinstance(target, Procedure):
                    session_id = _strip(str(target.id), PREFIX["session"])
            data = {
                "id": _strip(str(res.id), PREFIX["pain"]),
                "effective": when,
                "value": res.valueInteger if res.valueInteger is not None else value,
                "context": context,
                "session_id": session_id,
            }
            path = "valueInteger" if res.valueInteger is not None else "valueQuantity.value"
            built = self.build(
                label,
                PainObservation,
                data,
                {"value": path, "context": "extension", "id": "id", "effective": "effectiveDateTime"},
            )
            if built is not None:
                pain.append(built)
            return
        side = _code_in([res.bodySite] if res.bodySite else [], C.LATERALITY_CS)
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
            data = {
                "id": _strip(str(res.id), PREFIX["gait"]),
                "effective": when,
                "metric": local,
                "value": value,
                "unit": unit,
                "side": side,
                "direction": next((e.valueCode for e in _extensions(res, C.EXT_WALKING_DIRECTION)), None),
                "source": _code_in([res.method] if res.method else [], C.GAIT_SOURCE_CS),
            }
            built = self.build(
                label, GaitMetric, data, {**paths, "source": "method", "direction": "extension"}
            )
            if built is not None:
                gait.append(built)
            return
        data = {
            "id": _strip(str(res.id), PREFIX["measurement"]),
            "effective": when,
            "test_id": local,
            "side": side,
            "value": value,
            "unit": unit,
        }
        built = self.build(label, Measurement, data, paths)
        if built is not None:
            measurements.append(built)

    def dose(self, label: str, path: str, holder: Any, timing: Timing | None = None) -> Dose | None:
        data: Json = {}
        by_url = {url: field for field, (url, _unit) in C.DOSE_FIELDS.items()}
        for ext in _extensions(holder, C.EXT_DOSE):
            for sub in ext.extension or []:
                field = by_url.get(sub.url or "")
                if field is None:
                    self.issue(label, f"{path}.extension", f"unknown dose element {sub.url!r}")
                    continue
                expected_unit = C.DOSE_FIELDS[field][1]
                if sub.valueQuantity is not None:
                    if sub.valueQuantity.code != expected_unit:
                        self.issue(label, f"{path}.extension", f"dose {field} must be in {expected_unit!r}")
                    data[field] = _number(sub.valueQuantity.value)
                else:
                    data[field] = next(
                        (v for v in (sub.valueInteger, sub.valueBoolean, sub.valueString) if v is not None),
                        None,
                    )
        repeat = timing.repeat if timing is not None else None
        if (
            "frequency_per_week" not in data
            and repeat is not None
            and repeat.periodUnit == "wk"
            and repeat.period == 1
        ):
            data["frequency_per_week"] = repeat.frequency
        out: Dose | None = self.build(label, Dose, data, {k: f"{path}.extension" for k in C.DOSE_FIELDS})
        return out

    def careplan(self, label: str, res: CarePlan, patient_res: Patient | None) -> Programme | None:
        self.subject_check(label, res.subject, patient_res)
        activities = []
        for i, act in enumerate(res.activity or []):
            path = f"activity[{i}].detail"
            detail = act.detail
            if detail is None:
                self.issue(label, f"activity[{i}]", "only activity.detail is imported")
                continue
            codings = _codings(detail.code)
            coding = next((c for c in codings if c.system == C.EXERCISE_CS), codings[0] if codings else None)
            if coding is None:
                self.issue(label, f"{path}.code", "activity needs an exercise code")
                continue
            stage = next((e.valueString for e in _extensions(detail, C.EXT_STAGE)), None)
            reasons = [r.text for r in detail.reasonCode or [] if r.text]
            dose = self.dose(label, path, detail, detail.scheduledTiming)
            data: Json = {
                "exercise_id": coding.code,
                "name": coding.display,
                "stage": stage,
                "reason": reasons[0] if reasons else None,
            }
            if dose is not None:
                data["dose"] = dose
            built = self.build(label, ProgrammeActivity, data, {"exercise_id": f"{path}.code"})
            if built is not None:
                activities.append(built)
        data = {
            "id": _strip(str(res.id), PREFIX["programme"]),
            "created": _when(res.created),
            "status": res.status,
            "title": res.title,
            "activities": activities,
        }
        out: Programme | None = self.build(label, Programme, data, {"created": "created", "status": "status"})
        return out

    def procedures(self, patient_res: Patient | None) -> list[LoggedSession]:
        parts: dict[int, list[tuple[str, Procedure]]] = {}
        heads: list[tuple[str, Procedure]] = []
        for label, res in self.of_type(Procedure):
            self.subject_check(label, res.subject, patient_res)
            parents = [self.resolve(r) for r in res.partOf or []]
            parent = next((p for p in parents if isinstance(p, Procedure)), None)
            if parent is not None:
                parts.setdefault(id(parent), []).append((label, res))
            elif any(c.system == C.RETROWALK_CS and c.code == C.SESSION_CODE[0] for c in _codings(res.code)):
                heads.append((label, res))
            else:
                self.ignored.append(f"{label}: procedure is not a retrowalk session")
        sessions = []
        for label, res in heads:
            exercises = []
            for part_label, part in parts.get(id(res), []):
                coding = next((c for c in _codings(part.code) if c.system == C.EXERCISE_CS), None)
                if coding is None:
                    self.issue(
                        part_label, "code", "session exercise needs a code from the exercise code system"
                    )
                    continue
                dose = self.dose(part_label, "", part)
                data: Json = {"exercise_id": coding.code, "completed": part.status != "not-done"}
                if dose is not None:
                    data["dose"] = dose
                built = self.build(part_label, SessionExercise, data, {"exercise_id": "code"})
                if built is not None:
                    exercises.append(built)
            programme_id = None
            for ref in res.basedOn or []:
                target = self.resolve(ref)
                if isinstance(target, CarePlan):
                    programme_id = _strip(str(target.id), PREFIX["programme"])
            notes = [n.text for n in res.note or [] if n.text]
            data = {
                "id": _strip(str(res.id), PREFIX["session"]),
                "performed": _when(res.performedDateTime),
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
        response = QuestionnaireResponse.model_validate(qr)
    except ValidationError as exc:
        raise FhirImportError(_validation_issues(label, exc)) from exc
    authored = _when(response.authored)
    if authored is None:
        importer.issue(label, "authored", "authored date-time with timezone is required")
    answers = importer.koos_answers(label, response)
    built = importer.build(
        label,
        KoosResponse,
        {"id": response.id or "qr", "authored": authored, "answers": answers},
        {"answers": "item"},
    )
    if importer.issues or built is None:
        raise FhirImportError(importer.issues)
    out: KoosResponse = built
    return out
