"""Joint-by-joint assessment: catalogue of tests (data/assessment.yaml) and evaluation.

The joint-by-joint model is a clinical heuristic without validation studies: findings are flags
for a clinician, never a diagnosis. Every cut-off comes from the catalogue with its source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from retrowalk.core._data import load_yaml
from retrowalk.core.scores.nprs import pain_rules, validate_nprs
from retrowalk.core.vocab import VasCm
from retrowalk.errors import DataFileError, InputError

FindingStatus = Literal["ok", "mobility deficit", "stability deficit", "asymmetry"]
Side = Literal["left", "right", "both"]
Sex = Literal["female", "male"]
Quality = Literal["mobility", "stability", "strength", "balance"]
Certainty = Literal["S", "K", "U"]


class CutoffBand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age: tuple[int, int] | None = None
    sex: Sex | None = None
    value: float
    note: str | None = None


class SafetyNote(BaseModel):
    """A catalogue caution shown with the finding when the value crosses it."""

    model_config = ConfigDict(extra="forbid")

    below: float | None = None
    above: float | None = None
    text: str
    source: str

    def applies(self, value: float) -> bool:
        return (self.below is not None and value < self.below) or (
            self.above is not None and value > self.above
        )


class FallRiskRule(BaseModel):
    """Older-adult fall-risk screen: age at/above a limit and any listed test below its value."""

    model_config = ConfigDict(extra="forbid")

    age_at_least: int
    any_below: dict[str, float]
    client_note: str
    source: str
    certainty: Literal["S", "K", "U"]


class Cutoff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deficit_if: Literal["below", "above", "positive"]
    value: float | None = None
    bands: list[CutoffBand] = Field(default_factory=list)


class Asymmetry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_difference: float | None = None
    min_symmetry_pct: float | None = None
    unit: str
    source: str
    certainty: Certainty


class MeasurementError(BaseModel):
    """The smallest change of a test's value beyond its measurement error (MDC or minimum
    significant difference), in the test's unit, with where it comes from."""

    model_config = ConfigDict(extra="forbid")

    value: float = Field(gt=0)
    source: str
    certainty: Certainty


class TestDefinition(BaseModel):
    """One catalogue entry: what is measured, how, the cut-off and where it comes from."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    label: str | None = None
    joint: str
    quality: Quality
    unit: str
    kind: Literal["number", "integer", "boolean"]
    range: tuple[float, float] | None = None
    side: Literal["per_side", "single"]
    how: str
    finding: Literal["mobility deficit", "stability deficit"]
    cutoff: Cutoff | None
    source: str
    certainty: Certainty
    asymmetry: Asymmetry | None = None
    measurement_error: MeasurementError | None = None
    note: str | None = None
    safety_notes: list[SafetyNote] = Field(default_factory=list)


class RedFlagDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    advice: str
    source: str
    certainty: Certainty


class Catalogue(BaseModel):
    tests: dict[str, TestDefinition]
    red_flags: dict[str, RedFlagDefinition]
    pain_at_rest_stop_at: float
    pain_at_rest_source: str
    refer_out: str
    fall_risk: FallRiskRule | None = None

    def test(self, test_id: str, field: str = "test_id") -> TestDefinition:
        if test_id not in self.tests:
            raise InputError(field, f"unknown test id {test_id!r}", hint=f"use one of {sorted(self.tests)}")
        return self.tests[test_id]


def catalogue_from_data(raw: Mapping[str, Any]) -> Catalogue:
    """Validate raw catalogue data (packaged or supplied by tests) into a Catalogue."""
    try:
        tests = [TestDefinition(**t) for t in raw["tests"]]
        flags_raw = raw["red_flags"]
        flags = [RedFlagDefinition(**f) for f in flags_raw["flags"]]
        ids = [t.id for t in tests]
        if len(set(ids)) != len(ids):
            raise DataFileError("assessment.yaml: duplicate test ids")
        for t in tests:
            if (
                t.cutoff
                and t.cutoff.deficit_if != "positive"
                and t.cutoff.value is None
                and not t.cutoff.bands
            ):
                raise DataFileError(f"assessment.yaml: test {t.id!r} cut-off has neither value nor bands")
            if t.kind == "boolean" and t.cutoff and t.cutoff.deficit_if != "positive":
                raise DataFileError(f"assessment.yaml: boolean test {t.id!r} needs deficit_if: positive")
        return Catalogue(
            tests={t.id: t for t in tests},
            red_flags={f.id: f for f in flags},
            pain_at_rest_stop_at=pain_rules().stop_at_least,
            pain_at_rest_source=pain_rules().stop_source,
            refer_out=str(flags_raw["refer_out"]),
            fall_risk=FallRiskRule(**raw["fall_risk"]) if raw.get("fall_risk") else None,
        )
    except (KeyError, TypeError, ValidationError) as exc:
        raise DataFileError(f"assessment.yaml is malformed: {exc}") from exc


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    return catalogue_from_data(load_yaml("assessment.yaml"))


class Measurement(BaseModel):
    """One measured value. ``unit`` is optional but, when given, must match the catalogue."""

    model_config = ConfigDict(extra="forbid")

    test_id: str
    side: Side = "both"
    value: float | bool
    unit: str | None = None


class Surgery(BaseModel):
    """Knee surgery recorded at intake: what, which side, when."""

    model_config = ConfigDict(extra="forbid")

    type: Literal[
        "total_knee_replacement",
        "partial_knee_replacement",
        "acl_reconstruction",
        "meniscectomy",
        "meniscal_repair",
        "high_tibial_osteotomy",
        "arthroscopy",
        "other",
    ]
    side: Literal["left", "right", "both"]
    date: dt.date


class AssessmentInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    age: int | None = Field(default=None, ge=10, le=110)
    sex: Sex | None = None
    body_mass_kg: float | None = Field(default=None, gt=0, le=400)
    pain_at_rest_nprs: float = Field(default=0, description="0-10 NPRS at rest today")
    pain_activity_nprs: float | None = Field(default=None, description="0-10 NPRS on usual activity")
    pain_vas_cm: VasCm | None = Field(
        default=None, description="pain on a 10 cm VAS (outcome, as in the trial)"
    )
    red_flags: list[str] = Field(default_factory=list)
    measurements: list[Measurement] = Field(default_factory=list)
    surgery: list[Surgery] = Field(default_factory=list, description="knee surgery: type, side, date")

    @field_validator("surgery", mode="before")
    @classmethod
    def _one_surgery(cls, value: Any) -> Any:
        return [value] if isinstance(value, Mapping) else value

    @field_validator("pain_at_rest_nprs", "pain_activity_nprs", mode="before")
    @classmethod
    def _pain(cls, value: Any) -> Any:
        if value is None:
            return value
        return validate_nprs(value, "pain")


class Intake(AssessmentInput):
    """An assessment plus the client's goals: what ``retrowalk assess`` (and ``next``'s ``intake:``)
    reads. Rest pain is asked, never defaulted: it is the morning rule's fallback baseline."""

    pain_at_rest_nprs: float = Field(description="0-10 NPRS at rest today (required)")
    goals: list[str] = Field(default_factory=list)


class Finding(BaseModel):
    test_id: str
    test_name: str
    joint: str
    quality: str
    side: Side
    status: FindingStatus
    value: float | bool
    unit: str
    cutoff: float | bool | None
    cutoff_text: str
    source: str
    certainty: Certainty
    text: str
    #: The catalogue's cautions this value crosses (e.g. hip IR < 15 deg), each with its source.
    safety_notes: list[str] = Field(default_factory=list)


class RedFlagHit(BaseModel):
    id: str
    text: str
    advice: str
    source: str
    certainty: Certainty


class AssessmentResult(BaseModel):
    findings: list[Finding]
    red_flags: list[RedFlagHit]
    stop: bool
    refer_out: str | None = None
    notes: list[str] = Field(default_factory=list)
    pain_at_rest_nprs: float = 0
    pain_vas_cm: float | None = None
    age: int | None = None
    sex: Sex | None = None
    surgery: list[Surgery] = Field(default_factory=list)
    #: Older-adult fall-risk screen: treadmill retro-walking supervised-only with handrails.
    fall_risk: bool = False
    fall_risk_reasons: list[str] = Field(default_factory=list)
    fall_risk_note: str | None = None

    @property
    def deficits(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "ok"]


def hhd_torque_nm_per_kg(force_n: float, lever_arm_m: float, body_mass_kg: float) -> float:
    """Normalised hand-held dynamometer torque: force x lever arm / body mass."""
    for name, v in (("force_n", force_n), ("lever_arm_m", lever_arm_m), ("body_mass_kg", body_mass_kg)):
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
            raise InputError(name, f"must be a positive number, got {v!r}")
    return force_n * lever_arm_m / body_mass_kg


def _area(test: TestDefinition) -> str:
    region = test.joint.replace("_", " ")
    return test.quality if region == test.quality else f"{region} {test.quality}"


def _fmt(x: float) -> str:
    return f"{x:g}"


def _resolve_cutoff(test: TestDefinition, inp: AssessmentInput, notes: list[str]) -> float | None:
    cut = test.cutoff
    if cut is None or cut.deficit_if == "positive":
        return None
    if cut.value is not None:
        return cut.value
    needs_age = any(b.age is not None for b in cut.bands)
    needs_sex = any(b.sex is not None for b in cut.bands)
    if needs_age and inp.age is None:
        raise InputError(
            "age", f"{test.id} cut-off depends on age", hint="add the client's age to the intake"
        )
    if needs_sex and inp.sex is None:
        raise InputError(
            "sex", f"{test.id} cut-off depends on sex", hint="add sex: female|male to the intake"
        )
    for band in cut.bands:
        if band.age is not None and inp.age is not None and not band.age[0] <= inp.age <= band.age[1]:
            continue
        if band.sex is not None and band.sex != inp.sex:
            continue
        if band.note:
            notes.append(f"{test.name}: {band.note}")
        return band.value
    notes.append(
        f"{test.name}: no normative cut-off for age {inp.age} ({test.source}); value recorded, not rated."
    )
    return None


def _check_measurement(index: int, m: Measurement, test: TestDefinition) -> None:
    field = f"measurements[{index}]"
    if m.unit is not None and m.unit != test.unit:
        raise InputError(
            f"{field}.unit",
            f"{test.id} is measured in {test.unit!r}, got {m.unit!r}",
            hint=f"convert the value to {test.unit}",
        )
    if test.kind == "boolean":
        if not isinstance(m.value, bool):
            raise InputError(f"{field}.value", f"{test.id} expects true (positive) or false (negative)")
        return
    if isinstance(m.value, bool):
        raise InputError(f"{field}.value", f"{test.id} expects a number in {test.unit}, got {m.value!r}")
    if test.kind == "integer" and float(m.value) != int(m.value):
        raise InputError(f"{field}.value", f"{test.id} expects a whole number, got {m.value}")
    if test.range is not None and not test.range[0] <= m.value <= test.range[1]:
        raise InputError(
            f"{field}.value",
            f"{m.value} {test.unit} is outside the plausible range "
            f"{_fmt(test.range[0])}-{_fmt(test.range[1])} for {test.id}",
            hint="check the value and its unit",
        )
    if test.side == "per_side" and m.side == "both":
        raise InputError(f"{field}.side", f"{test.id} is measured per side", hint="give side: left or right")


def _finding(test: TestDefinition, **rest: Any) -> Finding:
    """A finding for ``test``: its id, name, joint and quality, plus the given fields."""
    return Finding(test_id=test.id, test_name=test.name, joint=test.joint, quality=test.quality, **rest)


def _rate(test: TestDefinition, m: Measurement, cutoff: float | None) -> Finding | None:
    cut = test.cutoff
    value = m.value
    if cut is None:
        return None
    if cut.deficit_if == "positive":
        deficit = bool(value)
        cutoff_text = "positive test"
        text = (
            f"{test.label or test.name} positive → {_area(test)} deficit"
            if deficit
            else f"{test.label or test.name} negative → no {_area(test)} deficit"
        )
        return _finding(
            test,
            side=m.side,
            status=test.finding if deficit else "ok",
            value=value,
            unit=test.unit,
            cutoff=True,
            cutoff_text=cutoff_text,
            source=test.source,
            certainty=test.certainty,
            text=text,
        )
    if cutoff is None:
        return None
    number = float(value)
    deficit = number < cutoff if cut.deficit_if == "below" else number > cutoff
    symbol = "<" if cut.deficit_if == "below" else ">"
    ok_symbol = "≥" if cut.deficit_if == "below" else "≤"
    side = "" if m.side == "both" else f" ({m.side})"
    measured = f"{test.label or test.name}{side} {_fmt(number)} {test.unit}"
    if deficit:
        text = f"{measured} {symbol} {_fmt(cutoff)} {test.unit} cut-off → {_area(test)} deficit"
    else:
        text = f"{measured} {ok_symbol} {_fmt(cutoff)} {test.unit} cut-off → ok"
    return _finding(
        test,
        side=m.side,
        status=test.finding if deficit else "ok",
        value=number,
        unit=test.unit,
        cutoff=cutoff,
        cutoff_text=f"deficit if {symbol} {_fmt(cutoff)} {test.unit}",
        source=test.source,
        certainty=test.certainty,
        text=text,
    )


def _asymmetry(test: TestDefinition, left: float, right: float) -> Finding | None:
    asym = test.asymmetry
    if asym is None:
        return None
    if asym.max_difference is not None:
        diff = abs(left - right)
        bad = diff > asym.max_difference
        text = (
            f"{test.label or test.name}: left {_fmt(left)} vs right {_fmt(right)} {test.unit}, "
            f"difference {_fmt(round(diff, 2))} "
            f"{'>' if bad else '≤'} {_fmt(asym.max_difference)} {asym.unit}"
            + (" → asymmetry" if bad else " → symmetric")
        )
        return _finding(
            test,
            side="both",
            status="asymmetry" if bad else "ok",
            value=round(diff, 3),
            unit=test.unit,
            cutoff=asym.max_difference,
            cutoff_text=f"asymmetry if difference > {_fmt(asym.max_difference)}",
            source=asym.source,
            certainty=asym.certainty,
            text=text,
        )
    if asym.min_symmetry_pct is not None:
        high = max(left, right)
        lsi = 100.0 if high == 0 else min(left, right) / high * 100.0
        bad = lsi < asym.min_symmetry_pct
        weaker = "left" if left < right else "right"
        text = (
            f"{test.label or test.name}: left {_fmt(left)} vs right {_fmt(right)} {test.unit}, limb symmetry "
            f"{lsi:.0f}% {'<' if bad else '≥'} {_fmt(asym.min_symmetry_pct)}%"
            + (f" → asymmetry ({weaker} weaker)" if bad else " → symmetric")
        )
        return _finding(
            test,
            side="both",
            status="asymmetry" if bad else "ok",
            value=round(lsi, 1),
            unit="%",
            cutoff=asym.min_symmetry_pct,
            cutoff_text=f"asymmetry if symmetry < {_fmt(asym.min_symmetry_pct)}%",
            source=asym.source,
            certainty=asym.certainty,
            text=text,
        )
    return None


def evaluate(inp: AssessmentInput, *, catalogue: Catalogue | None = None) -> AssessmentResult:
    """Rate each measurement against its cut-off, check asymmetry and red flags (stop + refer out)."""
    cat = catalogue or load_catalogue()
    hits: list[RedFlagHit] = []
    for i, flag_id in enumerate(inp.red_flags):
        if flag_id not in cat.red_flags:
            raise InputError(
                f"red_flags[{i}]", f"unknown red flag {flag_id!r}", hint=f"use one of {sorted(cat.red_flags)}"
            )
        d = cat.red_flags[flag_id]
        hits.append(RedFlagHit(id=d.id, text=d.text, advice=d.advice, source=d.source, certainty=d.certainty))
    # The one stop rule (nprs.yaml `rules`), the same one progression applies to every session.
    for flag_id, label, pain in (
        ("pain_at_rest", "Pain at rest", inp.pain_at_rest_nprs),
        ("pain_on_activity", "Pain on usual activity", inp.pain_activity_nprs),
    ):
        if pain is not None and pain_rules().stops(pain):
            hits.insert(
                0,
                RedFlagHit(
                    id=flag_id,
                    text=f"{label} {_fmt(pain)}/10 ≥ {_fmt(cat.pain_at_rest_stop_at)}/10",
                    advice="Severe pain: medical review before exercise.",
                    source=cat.pain_at_rest_source,
                    certainty="K",
                ),
            )
    findings: list[Finding] = []
    notes: list[str] = []
    per_side: dict[str, dict[str, float]] = {}
    seen: set[tuple[str, str]] = set()
    for i, m in enumerate(inp.measurements):
        test = cat.test(m.test_id, f"measurements[{i}].test_id")
        _check_measurement(i, m, test)
        if (m.test_id, m.side) in seen:
            raise InputError(
                f"measurements[{i}]", f"{m.test_id} ({m.side}) is given twice", hint="keep one value"
            )
        seen.add((m.test_id, m.side))
        cutoff = _resolve_cutoff(test, inp, notes)
        finding = _rate(test, m, cutoff)
        if finding is not None:
            if not isinstance(m.value, bool):
                crossed = [n for n in test.safety_notes if n.applies(float(m.value))]
                finding.safety_notes = [f"{n.text} ({n.source})" for n in crossed]
                notes += [
                    f"{test.label or test.name} {_fmt(float(m.value))} {test.unit}: {n}"
                    for n in finding.safety_notes
                ]
            findings.append(finding)
        elif test.cutoff is None:
            notes.append(
                f"{test.name} ({m.side}) {_fmt(float(m.value))} {test.unit}: no validated absolute norm; "
                "compare sides and follow change over time."
            )
        if m.side in ("left", "right") and not isinstance(m.value, bool):
            per_side.setdefault(m.test_id, {})[m.side] = float(m.value)
    for test_id, sides in per_side.items():
        if "left" in sides and "right" in sides:
            asym = _asymmetry(cat.tests[test_id], sides["left"], sides["right"])
            if asym is not None:
                findings.append(asym)
    fall_reasons = _fall_risk(cat, inp)
    if fall_reasons and cat.fall_risk is not None:
        notes.append(f"Fall-risk screen positive ({'; '.join(fall_reasons)}): {cat.fall_risk.client_note}")
    for op in inp.surgery:
        notes.append(
            f"Post-operative ({op.type.replace('_', ' ')}, {op.side}, {op.date}): follow the surgeon's "
            "protocol; restore full knee extension before deep-flexion loading."
        )
    stop = bool(hits)
    return AssessmentResult(
        findings=findings,
        red_flags=hits,
        stop=stop,
        refer_out=cat.refer_out if stop else None,
        notes=notes,
        pain_at_rest_nprs=inp.pain_at_rest_nprs,
        pain_vas_cm=inp.pain_vas_cm,
        age=inp.age,
        sex=inp.sex,
        surgery=list(inp.surgery),
        fall_risk=bool(fall_reasons),
        fall_risk_reasons=fall_reasons,
        fall_risk_note=cat.fall_risk.client_note if fall_reasons and cat.fall_risk is not None else None,
    )


def _fall_risk(cat: Catalogue, inp: AssessmentInput) -> list[str]:
    """Why the fall-risk screen is positive (empty when negative or not applicable)."""
    rule = cat.fall_risk
    if rule is None or inp.age is None or inp.age < rule.age_at_least:
        return []
    reasons: list[str] = []
    for m in inp.measurements:
        limit = rule.any_below.get(m.test_id)
        if limit is not None and not isinstance(m.value, bool) and float(m.value) < limit:
            side = "" if m.side == "both" else f" {m.side}"
            reasons.append(f"age {inp.age}, {m.test_id}{side} {_fmt(float(m.value))} < {_fmt(limit)}")
    return reasons


class TestChange(BaseModel):
    """One test and side at this visit beside the previous one: the change and whether it is
    beyond the test's measurement error (None: no value for it in the catalogue)."""

    test_id: str
    test_name: str
    unit: str
    side: Side
    previous: float | bool | None
    current: float | bool | None
    change: float | None
    beyond_error: bool | None
    error: float | None
    error_source: str | None


def compare_visits(
    previous: AssessmentInput | None, current: AssessmentInput, catalogue: Catalogue | None = None
) -> list[TestChange]:
    """Every test measured at either visit, in catalogue order, with the change since the previous.

    A change counts as real only when it is larger than the catalogue's ``measurement_error``;
    booleans and tests without a value get ``beyond_error`` None.
    """
    cat = catalogue or load_catalogue()

    def values(inp: AssessmentInput | None) -> dict[tuple[str, str], float | bool]:
        return {(m.test_id, m.side): m.value for m in (inp.measurements if inp else [])}

    before, now = values(previous), values(current)
    out: list[TestChange] = []
    for test in cat.tests.values():
        for side in ("left", "right", "both"):
            key = (test.id, side)
            if key not in before and key not in now:
                continue
            old, new = before.get(key), now.get(key)
            change: float | None = None
            beyond: bool | None = None
            err = test.measurement_error
            numeric = not isinstance(old, bool) and not isinstance(new, bool)
            if old is not None and new is not None and numeric:
                change = round(float(new) - float(old), 2)
                beyond = abs(change) > err.value if err is not None else None
            out.append(
                TestChange(
                    test_id=test.id,
                    test_name=test.label or test.name,
                    unit=test.unit,
                    side=side,
                    previous=old,
                    current=new,
                    change=change,
                    beyond_error=beyond,
                    error=err.value if err else None,
                    error_source=err.source if err else None,
                )
            )
    return out
