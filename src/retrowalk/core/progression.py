"""Session-to-session progression with the pain-monitoring model (thresholds in data/progression.yaml).

Per exercise: progress | hold | regress | stop-and-refer. Only ONE variable is raised at a time
(the order comes from each exercise's ``progress`` list, then its ``progression_id``); nothing is
progressed after pain above the limits or pain that has not settled by the next morning.

The engine knows the client: given the assessment (or the intake) it never moves to, adds or keeps
an exercise whose contraindications match the client's conditions. Red flags raised at any session,
and pain at or above the stop threshold anywhere in a session, stay in force until a trainer clears
them; while any is in force the programme is stopped. A programme carries ``judged_through``: fed
back with no later session it comes back unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrowalk.core._data import load_yaml
from retrowalk.core.assessment import AssessmentInput, AssessmentResult, evaluate, load_catalogue
from retrowalk.core.exercises import (
    RETRO_FAMILY,
    Dose,
    Exercise,
    ExerciseLibrary,
    harder_variables,
    load_library,
)
from retrowalk.core.prescription import (
    ExcludedExercise,
    Programme,
    ProgrammeItem,
    active_conditions,
    allowed_variant,
    contraindicated_by,
    supervise,
)
from retrowalk.core.scores.nprs import Nprs, pain_rules
from retrowalk.errors import DataFileError, InputError

#: The in-force flag raised by pain at or above the stop threshold anywhere in a session; a trainer
#: clears it like a red flag.
PAIN_STOP_FLAG = "pain_stop"


class DecisionKind(StrEnum):
    progress = "progress"
    hold = "hold"
    regress = "regress"
    stop = "stop-and-refer"


class ProgressionConfig(BaseModel):
    """Progression thresholds. The pain limit and the stop threshold come from nprs.yaml ``rules``
    (the one definition prescription and assessment share)."""

    model_config = ConfigDict(extra="forbid")

    pain_during_max: float
    pain_after_max: float
    next_morning_max_over_baseline: float
    weekly_trend_max: float
    stop_pain_at_least: float
    sessions_before_progress: int = Field(ge=1)
    broken_sessions_to_refer: int = Field(ge=1)
    refer_out: str
    sources: dict[str, str] = Field(default_factory=dict)


@lru_cache(maxsize=1)
def load_config() -> ProgressionConfig:
    rules = pain_rules()
    raw = dict(load_yaml("progression.yaml"))
    raw.update(
        pain_during_max=rules.limit_above,
        pain_after_max=rules.limit_above,
        stop_pain_at_least=rules.stop_at_least,
    )
    try:
        return ProgressionConfig(**raw)
    except ValidationError as exc:
        raise DataFileError(f"progression.yaml is malformed: {exc}") from exc


class ExerciseLog(BaseModel):
    """One exercise within a session: what was done and, optionally, its own pain during."""

    model_config = ConfigDict(extra="forbid")

    exercise_id: str
    completed: bool = True
    dose: Dose | None = None
    pain_during: Nprs | None = None


class SessionRecord(BaseModel):
    """A logged session: pain before (baseline), during, right after and next morning (0-10).

    ``pain_before`` is optional and never read as 0: without it the morning rule compares with
    the intake's rest pain, or holds. ``red_flags`` (catalogue ids) stay in force until cleared.
    """

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    pain_before: Nprs | None = None
    pain_during: Nprs
    pain_after: Nprs
    pain_next_morning: Nprs | None = None
    red_flags: list[str] = Field(default_factory=list)
    exercises: list[ExerciseLog] = Field(min_length=1)

    def worst_pain(self) -> tuple[float, str]:
        """The highest pain at any point of the session, and where it was reported."""
        points: list[tuple[str, float | None]] = [
            ("before the session", self.pain_before),
            ("during the session", self.pain_during),
            ("after the session", self.pain_after),
            ("next morning", self.pain_next_morning),
        ]
        points += [(f"during {log.exercise_id}", log.pain_during) for log in self.exercises]
        where, worst = max(((w, p) for w, p in points if p is not None), key=lambda wp: wp[1])
        return worst, where


class RedFlagClearance(BaseModel):
    """A trainer's clearance of a red flag (or of the pain stop): who, when and why."""

    model_config = ConfigDict(extra="forbid")

    flag_id: str = Field(min_length=1)
    cleared_by: str = Field(min_length=1)
    cleared_on: dt.date
    reason: str = Field(min_length=1)


class RedFlagInForce(BaseModel):
    """A red flag that stops the programme until cleared."""

    model_config = ConfigDict(extra="forbid")

    flag_id: str
    text: str
    advice: str
    raised_on: dt.date | None = None
    origin: Literal["session", "assessment", "record"]


class GaitCheck(BaseModel):
    """The two things a recording says about going hands-free: step asymmetry and trunk lean."""

    model_config = ConfigDict(extra="forbid")

    recorded_on: dt.date
    step_asymmetry_pct: float = Field(ge=0, le=100, allow_inf_nan=False)
    forward_trunk_lean: bool


class TrainerSignOff(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_by: str = Field(min_length=1)
    signed_on: dt.date
    note: str = ""


class HandsFreeEvidence(BaseModel):
    """What, besides settled pain, allows hands-free retro-walking (stage 3 on)."""

    model_config = ConfigDict(extra="forbid")

    recordings: list[GaitCheck] = Field(default_factory=list)
    sign_off: TrainerSignOff | None = None


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exercise_id: str
    decision: DecisionKind
    next_exercise_id: str | None
    next_dose: Dose | None
    changed: list[str] = Field(default_factory=list)
    reason: str


class NextSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisions: list[Decision]
    stop: bool = False
    refer_out: str | None = None
    added: list[ProgrammeItem] = Field(default_factory=list)
    programme: Programme
    weekly_trend: float | None = None
    #: The date of the last session judged (also on ``programme``).
    judged_through: dt.date | None = None
    red_flags_in_force: list[RedFlagInForce] = Field(default_factory=list)
    #: False while a red flag is in force: the client may not log exercise until it is cleared.
    can_log_exercise: bool = True
    excluded: list[ExcludedExercise] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def _weekly_means(sessions: Sequence[SessionRecord]) -> dict[tuple[int, int], list[float]]:
    weeks: dict[tuple[int, int], list[float]] = {}
    for s in sessions:
        if s.pain_before is None:
            continue
        iso = s.date.isocalendar()
        weeks.setdefault((iso.year, iso.week), []).append(s.pain_before)
    return weeks


def weekly_trend(sessions: Sequence[SessionRecord]) -> float | None:
    """Mean baseline pain of the latest ISO week minus the week before that had baselines."""
    weeks = _weekly_means(sessions)
    if len(weeks) < 2:
        return None
    keys = sorted(weeks)
    last, prev = weeks[keys[-1]], weeks[keys[-2]]
    return round(sum(last) / len(last) - sum(prev) / len(prev), 3)


def weekly_trends_as_of(ordered: Sequence[SessionRecord]) -> list[float | None]:
    """:func:`weekly_trend` of every prefix of date-ordered sessions, in one pass.

    Each session is judged by the trend as it stood on its day; recomputing it per prefix made a
    decision quadratic in the number of logged sessions. Sessions without a baseline add nothing.
    """
    weeks: dict[tuple[int, int], list[float]] = {}  # ISO week -> [sum, count], in date order
    keys: list[tuple[int, int]] = []
    trends: list[float | None] = []
    for s in ordered:
        if s.pain_before is not None:
            iso = s.date.isocalendar()
            key = (iso.year, iso.week)
            acc = weeks.get(key)
            if acc is None:
                acc = weeks[key] = [0.0, 0]
                keys.append(key)
            acc[0] += s.pain_before
            acc[1] += 1
        if len(keys) < 2:
            trends.append(None)
        else:
            last, prev = weeks[keys[-1]], weeks[keys[-2]]
            trends.append(round(last[0] / last[1] - prev[0] / prev[1], 3))
    return trends


def broken_rules(
    session: SessionRecord,
    log: ExerciseLog,
    trend: float | None,
    cfg: ProgressionConfig,
    *,
    fallback_baseline: float | None = None,
) -> list[str]:
    """Which pain-monitoring rules this session broke, in plain language.

    The next-morning rule compares with the session's baseline, else ``fallback_baseline`` (the
    intake's rest pain); with neither it is not judged (a missing value is never taken as 0).
    """
    during = log.pain_during if log.pain_during is not None else session.pain_during
    broken: list[str] = []
    if during > cfg.pain_during_max:
        broken.append(f"pain during {during:g}/10 > {cfg.pain_during_max:g}")
    if session.pain_after > cfg.pain_after_max:
        broken.append(f"pain after {session.pain_after:g}/10 > {cfg.pain_after_max:g}")
    morning = session.pain_next_morning
    baseline = session.pain_before if session.pain_before is not None else fallback_baseline
    if (
        morning is not None
        and baseline is not None
        and morning > baseline + cfg.next_morning_max_over_baseline
    ):
        which = "baseline" if session.pain_before is not None else "the intake's rest pain"
        broken.append(f"next-morning pain {morning:g}/10 not settled to {which} {baseline:g}")
    if trend is not None and trend > cfg.weekly_trend_max:
        broken.append(f"weekly pain trend +{trend:g} (rising week to week)")
    return broken


def in_force_flags(
    sessions: Sequence[SessionRecord],
    cleared: Sequence[RedFlagClearance] = (),
    *,
    also: Sequence[str] = (),
    assessment: AssessmentResult | None = None,
    config: ProgressionConfig | None = None,
) -> list[RedFlagInForce]:
    """Red flags (and pain stops) raised and not cleared since, plus ``also`` and the assessment's.

    A clearance dated on or after a flag's latest raise clears it; a flag raised again later is in
    force again. ``also`` are ids the caller already holds in force (e.g. stored on the record).
    """
    cfg = config or load_config()
    flags = load_catalogue().red_flags
    rules = pain_rules()
    raised: dict[str, RedFlagInForce] = {}
    for s in sorted(sessions, key=lambda x: x.date):
        for flag_id in s.red_flags:
            d = flags[flag_id]
            raised[flag_id] = RedFlagInForce(
                flag_id=flag_id, text=d.text, advice=d.advice, raised_on=s.date, origin="session"
            )
        worst, where = s.worst_pain()
        if rules.stops(worst):
            raised[PAIN_STOP_FLAG] = RedFlagInForce(
                flag_id=PAIN_STOP_FLAG,
                text=f"pain {worst:g}/10 {where} on {s.date} ≥ {rules.stop_at_least:g}/10",
                advice=cfg.refer_out,
                raised_on=s.date,
                origin="session",
            )
    for c in sorted(cleared, key=lambda x: x.cleared_on):
        hit = raised.get(c.flag_id)
        if hit is not None and hit.raised_on is not None and c.cleared_on >= hit.raised_on:
            del raised[c.flag_id]
    out = list(raised.values())
    for flag_id in also:
        if flag_id not in raised:
            d = flags[flag_id]
            out.append(RedFlagInForce(flag_id=flag_id, text=d.text, advice=d.advice, origin="record"))
    if assessment is not None:
        out += [
            RedFlagInForce(flag_id=h.id, text=h.text, advice=h.advice, origin="assessment")
            for h in assessment.red_flags
        ]
    return out


def hands_free_recording_max_age_days(library: ExerciseLibrary | None = None) -> int:
    """How many days before a judged session a recording can still count as hands-free evidence
    (the longest of the safe bands'): readers need not load older recordings."""
    lib = library or load_library()
    return max((b.hands_free_recording_max_age_days for b in lib.safe_bands.values()), default=0)


def hands_free_allowed(
    evidence: HandsFreeEvidence | None, as_of: dt.date, library: ExerciseLibrary
) -> tuple[bool, str]:
    """Whether the evidence allows hands-free retro-walking on ``as_of``, and why (or why not)."""
    band = library.safe_bands.get(RETRO_FAMILY)
    if band is None:
        return True, "no hands-free rule for this library"
    if evidence is not None and evidence.sign_off is not None and evidence.sign_off.signed_on <= as_of:
        so = evidence.sign_off
        return True, f"hands-free signed off by {so.signed_by} on {so.signed_on}"
    recent = [
        r
        for r in (evidence.recordings if evidence is not None else [])
        if 0 <= (as_of - r.recorded_on).days <= band.hands_free_recording_max_age_days
    ]
    for r in sorted(recent, key=lambda x: x.recorded_on, reverse=True):
        if r.step_asymmetry_pct <= band.hands_free_max_step_asymmetry_pct and not r.forward_trunk_lean:
            return True, (
                f"recording of {r.recorded_on}: step asymmetry {r.step_asymmetry_pct:g} % ≤ "
                f"{band.hands_free_max_step_asymmetry_pct:g} %, trunk upright"
            )
    need = (
        f"a recording within {band.hands_free_recording_max_age_days} days with step asymmetry ≤ "
        f"{band.hands_free_max_step_asymmetry_pct:g} % and no forward trunk lean, or a trainer's sign-off "
        f"({band.hands_free_evidence_source})"
    )
    if recent:
        return (
            False,
            f"recent recordings do not show even steps and an upright trunk; hands-free needs {need}",
        )
    return False, f"hands-free needs {need}"


def _fmt_change(var: str, old: Any, new: Any) -> str:
    return f"{var} {old:g} → {new:g}" if isinstance(old, int | float) else f"{var} {old} → {new}"


_Step = tuple[str | None, Dose | None, list[str], str, list[str]]


def _progress(item: ProgrammeItem, ex: Exercise, lib: ExerciseLibrary) -> _Step:
    """Raise one variable (exercise order), else move to the next stage, else graduate."""
    dose = item.dose
    for step in ex.progress:
        current = getattr(dose, step.variable)
        if current is not None and current < step.max - 1e-9:
            new_value = min(current + step.step, step.max)
            return (
                ex.id,
                dose.with_value(step.variable, new_value),
                [step.variable],
                _fmt_change(step.variable, current, new_value),
                [],
            )
    if ex.progression_id is not None:
        target = lib.get(ex.progression_id)
        raised = harder_variables(dose, target.dose)
        changed = raised if raised else ["exercise"]
        what = ", ".join(raised) if raised else "harder variant"
        return (
            target.id,
            target.dose.model_copy(),
            changed,
            f"top dose reached → next stage {target.id} ({target.name}; raises {what})",
            [],
        )
    if ex.graduates_to:
        return (
            ex.id,
            dose.model_copy(),
            [],
            (
                "last stage reached → keep as warm-up at the same dose and move on to the bigger exercises: "
                + ", ".join(ex.graduates_to)
            ),
            list(ex.graduates_to),
        )
    return None, None, [], "", []


def _regress(
    item: ProgrammeItem, ex: Exercise, lib: ExerciseLibrary, active: Mapping[str, str]
) -> tuple[str, Dose, list[str], str]:
    """Undo the most recent raise (reverse progress order); at the start dose go to the regression
    (the first allowed one down its chain)."""
    dose = item.dose
    for step in reversed(ex.progress):
        current = getattr(dose, step.variable)
        start = getattr(ex.dose, step.variable)
        if current is not None and start is not None and current > start + 1e-9:
            new_value = max(current - step.step, start)
            return (
                ex.id,
                dose.with_value(step.variable, new_value),
                [step.variable],
                _fmt_change(step.variable, current, new_value),
            )
    if ex.regression_id is not None:
        target, _why = allowed_variant(lib.get(ex.regression_id), lib, active)
        if target is not None:
            return (
                target.id,
                target.dose.model_copy(),
                ["exercise"],
                f"back to the previous stage {target.id}",
            )
    for step in ex.progress:
        current = getattr(dose, step.variable)
        if current is not None and current - step.step > 0:
            new_value = current - step.step
            return (
                ex.id,
                dose.with_value(step.variable, new_value),
                [step.variable],
                _fmt_change(step.variable, current, new_value) + " (below the usual starting dose)",
            )
    return ex.id, dose.model_copy(), [], "already at the easiest dose: keep it and monitor"


def _same_dose(a: Dose | None, b: Dose) -> bool:
    return a is None or a == b


def _validate_inputs(
    programme: Programme,
    ordered: Sequence[SessionRecord],
    lib: ExerciseLibrary,
    cleared: Sequence[RedFlagClearance],
    also: Sequence[str],
) -> None:
    flags = load_catalogue().red_flags
    for si, s in enumerate(ordered):
        for fi, flag in enumerate(s.red_flags):
            if flag not in flags:
                raise InputError(
                    f"sessions[{si}].red_flags[{fi}]",
                    f"unknown red flag {flag!r}",
                    hint=f"use one of {sorted(flags)}",
                )
        for li, log in enumerate(s.exercises):
            lib.get(log.exercise_id, f"sessions[{si}].exercises[{li}].exercise_id")
    for ci, c in enumerate(cleared):
        if c.flag_id not in flags and c.flag_id != PAIN_STOP_FLAG:
            raise InputError(
                f"red_flags_cleared[{ci}].flag_id",
                f"unknown red flag {c.flag_id!r}",
                hint=f"use one of {sorted([*flags, PAIN_STOP_FLAG])}",
            )
    for ai, flag in enumerate(also):
        if flag not in flags:
            raise InputError(
                f"red_flags_in_force[{ai}]", f"unknown red flag {flag!r}", hint=f"use one of {sorted(flags)}"
            )
    for i, item in enumerate(programme.items):
        ex = lib.get(item.exercise_id, f"programme[{i}].exercise_id")
        lib.check_dose(ex, item.dose, f"programme[{i}].dose")


def _item_for(item: ProgrammeItem, target: Exercise, dose: Dose, since: dt.date | None) -> ProgrammeItem:
    changed = target.id != item.exercise_id or dose != item.dose
    return item.model_copy(
        update={
            "exercise_id": target.id,
            "name": target.name,
            "stage": target.stage,
            "group": target.group,
            "dose": dose,
            "cues": list(target.cues),
            "dose_since": since if changed else item.dose_since,
        }
    )


def decide_next(
    programme: Programme,
    sessions: Sequence[SessionRecord],
    *,
    library: ExerciseLibrary | None = None,
    config: ProgressionConfig | None = None,
    assessment: AssessmentResult | None = None,
    intake: AssessmentInput | None = None,
    pain_nprs: float | None = None,
    red_flags_in_force: Sequence[str] = (),
    red_flags_cleared: Sequence[RedFlagClearance] = (),
    hands_free_evidence: HandsFreeEvidence | None = None,
) -> NextSession:
    """Decide the next dose of every programme item from the logged sessions.

    ``intake`` (evaluated here) or ``assessment``: the client's conditions; no exercise whose
    contraindications match is kept, moved to or added. Pain for the pain conditions: ``pain_nprs``,
    else the intake's activity (else rest) pain, else the programme's. ``red_flags_in_force``: ids
    already in force elsewhere; ``red_flags_cleared``: trainers' clearances of session flags and of
    the pain stop. ``hands_free_evidence``: recordings or a sign-off needed to go hands-free.
    """
    lib = library or load_library()
    cfg = config or load_config()
    ordered = sorted(sessions, key=lambda s: s.date)
    _validate_inputs(programme, ordered, lib, red_flags_cleared, red_flags_in_force)

    rest_pain: float | None = None
    if intake is not None:
        assessment = evaluate(intake)
        rest_pain = intake.pain_at_rest_nprs
        if pain_nprs is None:
            pain_nprs = (
                intake.pain_activity_nprs
                if intake.pain_activity_nprs is not None
                else intake.pain_at_rest_nprs
            )
    elif assessment is not None:
        rest_pain = assessment.pain_at_rest_nprs
    if pain_nprs is None:
        pain_nprs = programme.pain_nprs
    active = active_conditions(assessment, pain_nprs, lib) if assessment is not None else {}

    # Each session is judged by the week-to-week trend as it stood then, so one rising week does
    # not turn every earlier, settled session into a "broken" one.
    trends = weekly_trends_as_of(ordered)
    trend = trends[-1] if trends else None
    trend_then = {id(x): t for x, t in zip(ordered, trends, strict=True)}
    latest = ordered[-1] if ordered else None
    judged = max(
        (d for d in (programme.judged_through, latest.date if latest else None) if d is not None),
        default=None,
    )
    in_force = in_force_flags(
        ordered, red_flags_cleared, also=red_flags_in_force, assessment=assessment, config=cfg
    )

    if programme.stop and not programme.items:
        return NextSession(
            decisions=[],
            stop=True,
            refer_out=programme.refer_out or cfg.refer_out,
            programme=programme,
            weekly_trend=trend,
            judged_through=programme.judged_through,
            red_flags_in_force=in_force,
            can_log_exercise=False,
        )
    if in_force:
        in_force_text = "; ".join(f.text for f in in_force)
        refer = "; ".join(dict.fromkeys([cfg.refer_out, *(f.advice for f in in_force)]))
        stopped = [
            Decision(
                exercise_id=i.exercise_id,
                decision=DecisionKind.stop,
                next_exercise_id=None,
                next_dose=None,
                reason=f"in force until a trainer clears it: {in_force_text} → stop and refer",
            )
            for i in programme.items
        ]
        # The items are kept (not progressed) so the programme resumes where it was once cleared;
        # a contraindicated one is still swapped for its allowed variant (or left out).
        kept: dict[str, ProgrammeItem] = {}
        for item in programme.items:
            variant, _why = allowed_variant(lib.get(item.exercise_id), lib, active)
            if variant is not None and variant.id not in kept:
                dose = item.dose if variant.id == item.exercise_id else variant.dose.model_copy()
                kept[variant.id] = _item_for(item, variant, dose, judged)
        return NextSession(
            decisions=stopped,
            stop=True,
            refer_out=refer,
            programme=programme.model_copy(
                update={
                    "items": list(kept.values()),
                    "stop": True,
                    "refer_out": refer,
                    "judged_through": judged,
                }
            ),
            weekly_trend=trend,
            judged_through=judged,
            red_flags_in_force=in_force,
            can_log_exercise=False,
        )

    decisions: list[Decision] = []
    next_items: list[ProgrammeItem] = []
    added_ids: list[str] = []
    excluded: list[ExcludedExercise] = []
    notes: list[str] = []
    programme_ids = {i.exercise_id for i in programme.items}
    any_stop = False
    for item in programme.items:
        ex = lib.get(item.exercise_id)
        logs = [(s, log) for s in ordered for log in s.exercises if log.exercise_id == item.exercise_id]
        kind: DecisionKind
        next_id: str | None = item.exercise_id
        next_dose: Dose | None = item.dose
        changed: list[str] = []
        seen_through = max(
            (d for d in (programme.judged_through, item.dose_since) if d is not None), default=None
        )
        blocked = contraindicated_by(ex, active)
        if blocked:
            variant, why = allowed_variant(ex, lib, active)
            kind, changed = DecisionKind.regress, ["exercise"]
            if variant is None:
                next_id, next_dose = None, None
                reason = "; ".join(why) + " → left out (no allowed variant)"
                excluded.append(ExcludedExercise(exercise_id=ex.id, reason="; ".join(why)))
            else:
                next_id, next_dose = variant.id, variant.dose.model_copy()
                reason = f"{why[0]} → {variant.id}"
        elif not logs:
            kind, reason = DecisionKind.hold, "no session logged yet: repeat the prescribed dose"
        elif seen_through is not None and logs[-1][0].date <= seen_through:
            kind = DecisionKind.hold
            reason = f"no session logged after {seen_through}: unchanged (no change without new evidence)"
        else:
            s, log = logs[-1]
            broken = broken_rules(s, log, trend_then[id(s)], cfg, fallback_baseline=rest_pain)
            baseline = s.pain_before if s.pain_before is not None else rest_pain
            if broken:
                streak = 0
                for ps, plog in reversed(logs):
                    if not broken_rules(ps, plog, trend_then[id(ps)], cfg, fallback_baseline=rest_pain):
                        break
                    streak += 1
                if streak >= cfg.broken_sessions_to_refer:
                    kind, next_id, next_dose = DecisionKind.stop, None, None
                    reason = (
                        f"pain rules broken in {streak} consecutive sessions ({'; '.join(broken)}) "
                        "→ stop this exercise and refer"
                    )
                    any_stop = True
                else:
                    next_id, next_dose, changed, what = _regress(item, ex, lib, active)
                    kind = DecisionKind.regress
                    reason = f"{'; '.join(broken)} → reduce load: {what}"
            elif s.pain_next_morning is None:
                kind = DecisionKind.hold
                reason = "next-morning pain not recorded: progress only after a settled 24-hour response"
            elif baseline is None:
                kind = DecisionKind.hold
                reason = (
                    "pain before the session not recorded (and no intake rest pain): the next-morning "
                    "rule cannot be judged, so hold; record pain before each session"
                )
            elif not log.completed:
                kind, reason = DecisionKind.hold, "session not completed: repeat the same dose"
            else:
                good = 0
                for ps, plog in reversed(logs):
                    if (
                        broken_rules(ps, plog, trend_then[id(ps)], cfg, fallback_baseline=rest_pain)
                        or ps.pain_next_morning is None
                        or (ps.pain_before is None and rest_pain is None)
                        or not plog.completed
                        or not _same_dose(plog.dose, item.dose)
                        or (plog.dose is None and item.dose_since is not None and ps.date <= item.dose_since)
                    ):
                        break
                    good += 1
                if good < cfg.sessions_before_progress:
                    kind = DecisionKind.hold
                    reason = (
                        f"pain within limits ({good} of {cfg.sessions_before_progress} sessions at this "
                        "dose): repeat once more before progressing"
                    )
                else:
                    nid, ndose, changed, what, graduates = _progress(item, ex, lib)
                    target = lib.get(nid) if nid is not None else None
                    target_blocked = contraindicated_by(target, active) if target is not None else []
                    goes_hands_free = (
                        target is not None
                        and ndose is not None
                        and target.family in lib.safe_bands
                        and ndose.handrails == "none"
                        and item.dose.handrails != "none"
                    )
                    hands_free_ok, hands_free_why = (
                        hands_free_allowed(hands_free_evidence, s.date, lib)
                        if goes_hands_free
                        else (True, "")
                    )
                    if nid is None or ndose is None:
                        kind, changed = DecisionKind.hold, []
                        reason = "top of this progression reached: clinician to review"
                    elif target_blocked:
                        kind, changed = DecisionKind.hold, []
                        reason = (
                            f"pain within limits, but the next stage {nid} is contraindicated: "
                            + "; ".join(active[c] for c in target_blocked)
                            + " → stay at this dose"
                        )
                    elif not hands_free_ok:
                        kind, changed = DecisionKind.hold, []
                        reason = f"pain within limits, but {hands_free_why} → stay with the handrails"
                    else:
                        kind, next_id, next_dose = DecisionKind.progress, nid, ndose
                        reason = f"pain within limits for {good} sessions, settled next morning → {what}"
                        if hands_free_why:
                            reason += f" ({hands_free_why})"
                        for g in graduates:
                            variant, why = allowed_variant(lib.get(g), lib, active)
                            if variant is None:
                                excluded.append(ExcludedExercise(exercise_id=g, reason="; ".join(why)))
                            elif variant.id not in programme_ids and variant.id not in added_ids:
                                added_ids.append(variant.id)
        decisions.append(
            Decision(
                exercise_id=item.exercise_id,
                decision=kind,
                next_exercise_id=next_id,
                next_dose=next_dose,
                changed=changed,
                reason=reason,
            )
        )
        if next_id is not None and next_dose is not None:
            next_items.append(_item_for(item, lib.get(next_id), next_dose, judged))

    # Retro-walking is never the whole programme (method.md 4): alone, it is not progressed.
    if (
        next_items
        and all(lib.get(i.exercise_id).family == RETRO_FAMILY for i in next_items)
        and not added_ids
    ):
        for n, d in enumerate(decisions):
            if d.decision is DecisionKind.progress and lib.get(d.exercise_id).family == RETRO_FAMILY:
                old = next(i for i in programme.items if i.exercise_id == d.exercise_id)
                decisions[n] = d.model_copy(
                    update={
                        "decision": DecisionKind.hold,
                        "next_exercise_id": old.exercise_id,
                        "next_dose": old.dose,
                        "changed": [],
                        "reason": "retro-walking is never the whole programme (method.md 4) and no other "
                        "exercise continues → not progressed; clinician to review",
                    }
                )
                k = next(k for k, i in enumerate(next_items) if i.exercise_id == d.next_exercise_id)
                next_items[k] = old
        notes.append("Only retro-walking is left: a clinician should review the programme.")

    if assessment is not None:
        next_items = supervise(next_items, assessment, lib)
    unique: dict[str, ProgrammeItem] = {}
    for i in next_items:
        unique.setdefault(i.exercise_id, i)
    added = [
        ProgrammeItem.from_exercise(
            lib.get(gid), reason="retro-walking completed → bigger exercise"
        ).model_copy(update={"dose_since": judged})
        for gid in added_ids
        if gid not in unique
    ]
    new_programme = programme.model_copy(
        update={
            "items": [*unique.values(), *added],
            "stop": False,
            "refer_out": None,
            "judged_through": judged,
            "excluded": _merge_excluded(programme.excluded, excluded),
        }
    )
    return NextSession(
        decisions=decisions,
        stop=any_stop,
        refer_out=cfg.refer_out if any_stop else None,
        added=added,
        programme=new_programme,
        weekly_trend=trend,
        judged_through=judged,
        excluded=excluded,
        notes=notes,
    )


def _merge_excluded(
    old: Sequence[ExcludedExercise], new: Sequence[ExcludedExercise]
) -> list[ExcludedExercise]:
    out = {e.exercise_id: e for e in old}
    for e in new:
        out.setdefault(e.exercise_id, e)
    return list(out.values())
