"""Trial data capture: validated observations, visit records, participants.

Rows arrive as text (from a CSV at the edge) with their line numbers, so every error can name the
exact line. Besides outcome values the model keeps what the 2013 trial did not record: adherence
(sessions done / prescribed), medication changes, activity notes, protocol deviations and
withdrawals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from retrowalk.errors import InputError
from retrowalk.trial.definition import TrialDefinition

MISSING = {"", "na", "n/a", "nan", "."}
_TRUE = {"1", "true", "yes", "y"}
_FALSE = {"0", "false", "no", "n", ""}

#: Per-visit fields a row may carry besides the outcome value (kept on :class:`VisitRecord`).
VISIT_FIELDS = (
    "day",
    "sessions_done",
    "sessions_prescribed",
    "medication_change",
    "activity_note",
    "deviation",
)
#: Every optional column of the long-format file (the visit fields plus withdrawal).
OPTIONAL_COLUMNS = (*VISIT_FIELDS, "withdrawn", "withdrawal_reason")


class RawRow(BaseModel):
    """One line of the long-format file, as text. ``line`` is the 1-based line in the file."""

    model_config = ConfigDict(extra="forbid")

    line: int
    participant: str
    arm: str
    visit: str
    outcome: str
    value: str
    strata: dict[str, str] = Field(default_factory=dict)
    day: str | None = None
    sessions_done: str | None = None
    sessions_prescribed: str | None = None
    medication_change: str | None = None
    activity_note: str | None = None
    deviation: str | None = None
    withdrawn: str | None = None
    withdrawal_reason: str | None = None


class Observation(BaseModel):
    participant: str
    arm: str
    visit: str
    outcome: str
    value: float
    line: int


class VisitRecord(BaseModel):
    participant: str
    visit: str
    day: int | None = None
    sessions_done: int | None = None
    sessions_prescribed: int | None = None
    medication_change: str | None = None
    activity_note: str | None = None
    deviation: str | None = None


class Participant(BaseModel):
    id: str
    arm: str
    strata: dict[str, str]
    withdrawn: bool = False
    withdrawn_after: str | None = Field(default=None, description="Last visit before withdrawal.")
    withdrawal_reason: str | None = None
    deviations: list[str] = Field(default_factory=list)
    medication_changes: list[str] = Field(default_factory=list)
    sessions_done: int | None = None
    sessions_prescribed: int | None = None

    @property
    def adherence(self) -> float | None:
        if not self.sessions_prescribed or self.sessions_done is None:
            return None
        return self.sessions_done / self.sessions_prescribed


class TrialData(BaseModel):
    participants: list[Participant]
    observations: list[Observation]
    visits: list[VisitRecord]


def _where(source: str, line: int, column: str) -> str:
    return f"{source} line {line}, column {column}"


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return None if text.lower() in MISSING else text


def _int(source: str, row: RawRow, column: str, text: str | None) -> int | None:
    text = _clean(text)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number != int(number) or number < 0:
        raise InputError(
            _where(source, row.line, column),
            f"{text!r} is not a whole number ≥ 0",
            hint="write a count such as 12, or leave the cell empty",
        )
    return int(number)


def _flag(source: str, row: RawRow, column: str, text: str | None) -> bool:
    low = (text or "").strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise InputError(
        _where(source, row.line, column), f"{text!r} is not yes/no", hint="use yes/no, true/false or 1/0"
    )


def build_dataset(definition: TrialDefinition, rows: Sequence[RawRow], *, source: str = "data") -> TrialData:
    """Validate rows against the definition; the first problem raises, naming file line and column."""
    arms = set(definition.arm_ids)
    outcomes = {o.id: o for o in definition.outcomes}
    visits = {v.id: v for v in definition.visits}
    factors = {f.name: f for f in definition.stratification}
    participants: dict[str, Participant] = {}
    first_line: dict[str, int] = {}
    seen: dict[tuple[str, str, str], int] = {}
    visit_records: dict[tuple[str, str], tuple[VisitRecord, int]] = {}
    observations: list[Observation] = []

    for row in rows:
        pid = row.participant.strip()
        if not pid:
            raise InputError(_where(source, row.line, "participant"), "empty participant id")
        arm = row.arm.strip()
        if arm not in arms:
            raise InputError(
                _where(source, row.line, "arm"),
                f"unknown arm {arm!r}",
                hint=f"use one of {', '.join(definition.arm_ids)}",
            )
        if row.visit.strip() not in visits:
            raise InputError(
                _where(source, row.line, "visit"),
                f"unknown visit {row.visit.strip()!r}",
                hint=f"use one of {', '.join(visits)}",
            )
        visit = visits[row.visit.strip()]
        if row.outcome.strip() not in outcomes:
            raise InputError(
                _where(source, row.line, "outcome"),
                f"unknown outcome {row.outcome.strip()!r}",
                hint=f"use one of {', '.join(outcomes)}",
            )
        outcome = outcomes[row.outcome.strip()]
        strata: dict[str, str] = {}
        for name, factor in factors.items():
            level = (row.strata.get(name) or "").strip()
            if level not in factor.levels:
                raise InputError(
                    _where(source, row.line, name),
                    f"{level!r} is not a level of {name}",
                    hint=f"use one of {', '.join(factor.levels)}",
                )
            strata[name] = level

        known = participants.get(pid)
        if known is None:
            participants[pid] = Participant(id=pid, arm=arm, strata=strata)
            first_line[pid] = row.line
        elif known.arm != arm or known.strata != strata:
            what = "arm" if known.arm != arm else "stratification"
            raise InputError(
                _where(source, row.line, what),
                f"participant {pid} has a different {what} than on line {first_line[pid]}",
                hint="a participant keeps one arm (ITT) and one stratum for the whole trial",
            )

        day = _int(source, row, "day", row.day)
        if day is not None and not visit.accepts(day):
            raise InputError(
                _where(source, row.line, "day"),
                f"day {day} is outside the window of visit {visit.id} "
                f"(day {visit.day - visit.window_before} to {visit.day + visit.window_after})",
                hint="check the visit label or date; out-of-window visits are protocol deviations "
                "and need the definition's window widened or the row removed",
            )

        key = (pid, visit.id, outcome.id)
        if key in seen:
            raise InputError(
                _where(source, row.line, "outcome"),
                f"duplicate row for participant {pid}, visit {visit.id}, outcome {outcome.id} "
                f"(first on line {seen[key]})",
                hint="keep one value per participant, visit and outcome",
            )
        seen[key] = row.line

        record = VisitRecord(
            participant=pid,
            visit=visit.id,
            day=day,
            sessions_done=_int(source, row, "sessions_done", row.sessions_done),
            sessions_prescribed=_int(source, row, "sessions_prescribed", row.sessions_prescribed),
            medication_change=_clean(row.medication_change),
            activity_note=_clean(row.activity_note),
            deviation=_clean(row.deviation),
        )
        if (
            record.sessions_done is not None
            and record.sessions_prescribed is not None
            and record.sessions_done > record.sessions_prescribed
        ):
            raise InputError(
                _where(source, row.line, "sessions_done"),
                f"{record.sessions_done} sessions done exceeds {record.sessions_prescribed} prescribed",
                hint="count only prescribed sessions, or correct the prescription",
            )
        previous = visit_records.get((pid, visit.id))
        if previous is None:
            visit_records[(pid, visit.id)] = (record, row.line)
        elif _merge_conflict(previous[0], record):
            raise InputError(
                _where(source, row.line, "visit"),
                f"visit details for {pid} at {visit.id} differ from line {previous[1]}",
                hint="day, sessions, medication, activity and deviation are per visit: "
                "repeat the same values on every outcome row or leave them empty",
            )
        else:
            visit_records[(pid, visit.id)] = (_merge(previous[0], record), previous[1])

        if _flag(source, row, "withdrawn", row.withdrawn):
            part = participants[pid]
            part.withdrawn = True
            part.withdrawn_after = part.withdrawn_after or visit.id
            part.withdrawal_reason = part.withdrawal_reason or _clean(row.withdrawal_reason)

        text = row.value.strip()
        if text.lower() in MISSING:
            continue
        try:
            value = float(text)
        except ValueError:
            raise InputError(
                _where(source, row.line, "value"),
                f"{text!r} is not a number",
                hint="write a decimal number with '.' (or leave empty / NA when missing)",
            ) from None
        if not math.isfinite(value):
            raise InputError(_where(source, row.line, "value"), f"{text!r} is not a finite number")
        if (outcome.min is not None and value < outcome.min) or (
            outcome.max is not None and value > outcome.max
        ):
            raise InputError(
                _where(source, row.line, "value"),
                f"{value:g} is outside the range of {outcome.id} ({outcome.min} to {outcome.max})",
                hint="check the unit and the scale",
            )
        observations.append(
            Observation(
                participant=pid, arm=arm, visit=visit.id, outcome=outcome.id, value=value, line=row.line
            )
        )

    order = {v.id: i for i, v in enumerate(definition.visits)}
    records = sorted((r for r, _ in visit_records.values()), key=lambda r: (r.participant, order[r.visit]))
    for rec in records:
        part = participants[rec.participant]
        if rec.deviation:
            part.deviations.append(f"{rec.visit}: {rec.deviation}")
        if rec.medication_change:
            part.medication_changes.append(f"{rec.visit}: {rec.medication_change}")
        if rec.sessions_prescribed is not None:
            part.sessions_prescribed = (part.sessions_prescribed or 0) + rec.sessions_prescribed
            part.sessions_done = (part.sessions_done or 0) + (rec.sessions_done or 0)
    if not observations:
        raise InputError(source, "no outcome values found", hint="the file needs at least one numeric value")
    return TrialData(participants=list(participants.values()), observations=observations, visits=records)


def _merge_conflict(a: VisitRecord, b: VisitRecord) -> bool:
    return any(
        getattr(a, f) is not None and getattr(b, f) is not None and getattr(a, f) != getattr(b, f)
        for f in VISIT_FIELDS
    )


def _merge(a: VisitRecord, b: VisitRecord) -> VisitRecord:
    return a.model_copy(
        update={f: getattr(a, f) if getattr(a, f) is not None else getattr(b, f) for f in VISIT_FIELDS}
    )
