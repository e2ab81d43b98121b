"""Session-to-session progression with the pain-monitoring model (thresholds in data/progression.yaml).

Per exercise: progress | hold | regress | stop-and-refer. Only ONE variable is raised at a time
(the order comes from each exercise's ``progress`` list, then its ``progression_id``); nothing is
progressed after pain above the limits or pain that has not settled by the next morning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrowalk.core._data import load_yaml
from retrowalk.core.assessment import load_catalogue
from retrowalk.core.exercises import Dose, Exercise, ExerciseLibrary, harder_variables, load_library
from retrowalk.core.prescription import Programme, ProgrammeItem
from retrowalk.core.scores.nprs import Nprs
from retrowalk.errors import DataFileError, InputError


class DecisionKind(StrEnum):
    progress = "progress"
    hold = "hold"
    regress = "regress"
    stop = "stop-and-refer"


class ProgressionConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pain_during_max: float
    pain_after_max: float
    next_morning_max_over_baseline: float
    weekly_trend_max: float
    stop_pain_at_least: float
    sessions_before_progress: int = Field(ge=1)
    broken_sessions_to_refer: int = Field(ge=1)
    refer_out: str


@lru_cache(maxsize=1)
def load_config() -> ProgressionConfig:
    try:
        return ProgressionConfig(**load_yaml("progression.yaml"))
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
    """A logged session: pain before (baseline), during, right after and next morning (0-10)."""

    model_config = ConfigDict(extra="forbid")

    date: dt.date
    pain_before: Nprs = 0
    pain_during: Nprs
    pain_after: Nprs
    pain_next_morning: Nprs | None = None
    red_flags: list[str] = Field(default_factory=list)
    exercises: list[ExerciseLog] = Field(min_length=1)


class Decision(BaseModel):
    exercise_id: str
    decision: DecisionKind
    next_exercise_id: str | None
    next_dose: Dose | None
    changed: list[str] = Field(default_factory=list)
    reason: str


class NextSession(BaseModel):
    decisions: list[Decision]
    stop: bool = False
    refer_out: str | None = None
    added: list[ProgrammeItem] = Field(default_factory=list)
    programme: Programme
    weekly_trend: float | None = None


def weekly_trend(sessions: Sequence[SessionRecord]) -> float | None:
    """Mean baseline pain of the latest ISO week minus the week before that had sessions."""
    weeks: dict[tuple[int, int], list[float]] = {}
    for s in sessions:
        iso = s.date.isocalendar()
        weeks.setdefault((iso.year, iso.week), []).append(s.pain_before)
    if len(weeks) < 2:
        return None
    keys = sorted(weeks)
    last, prev = weeks[keys[-1]], weeks[keys[-2]]
    return round(sum(last) / len(last) - sum(prev) / len(prev), 3)


def weekly_trends_as_of(ordered: Sequence[SessionRecord]) -> list[float | None]:
    """:func:`weekly_trend` of every prefix of date-ordered sessions, in one pass.

    Each session is judged by the trend as it stood on its day; recomputing it per prefix made a
    decision quadratic in the number of logged sessions.
    """
    weeks: dict[tuple[int, int], list[float]] = {}  # ISO week -> [sum, count], in date order
    keys: list[tuple[int, int]] = []
    trends: list[float | None] = []
    for s in ordered:
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
    session: SessionRecord, log: ExerciseLog, trend: float | None, cfg: ProgressionConfig
) -> list[str]:
    """Which pain-monitoring rules this session broke, in plain language."""
    during = log.pain_during if log.pain_during is not None else session.pain_during
    broken: list[str] = []
    if during > cfg.pain_during_max:
        broken.append(f"pain during {during:g}/10 > {cfg.pain_during_max:g}")
    if session.pain_after > cfg.pain_after_max:
        broken.append(f"pain after {session.pain_after:g}/10 > {cfg.pain_after_max:g}")
    morning = session.pain_next_morning
    if morning is not None and morning > session.pain_before + cfg.next_morning_max_over_baseline:
        broken.append(f"next-morning pain {morning:g}/10 not settled to baseline {session.pain_before:g}")
    if trend is not None and trend > cfg.weekly_trend_max:
        broken.append(f"weekly pain trend +{trend:g} (rising week to week)")
    return broken


def _fmt_change(var: str, old: Any, new: Any) -> str:
    return f"{var} {old:g} → {new:g}" if isinstance(old, int | float) else f"{var} {old} → {new}"


def _progress(
    item: ProgrammeItem, ex: Exercise, lib: ExerciseLibrary
) -> tuple[str | None, Dose | None, list[str], str, list[str]]:
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


def _regress(item: ProgrammeItem, ex: Exercise, lib: ExerciseLibrary) -> tuple[str, Dose, list[str], str]:
    """Undo the most recent raise (reverse progress order); at the start dose go to the regression."""
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
        target = lib.get(ex.regression_id)
        return target.id, target.dose.model_copy(), ["exercise"], f"back to the previous stage {target.id}"
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


def decide_next(
    programme: Programme,
    sessions: Sequence[SessionRecord],
    *,
    library: ExerciseLibrary | None = None,
    config: ProgressionConfig | None = None,
) -> NextSession:
    """Decide the next dose of every programme item from the logged sessions."""
    lib = library or load_library()
    cfg = config or load_config()
    flags = load_catalogue().red_flags
    ordered = sorted(sessions, key=lambda s: s.date)
    programme_ids = {i.exercise_id for i in programme.items}
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
    for i, item in enumerate(programme.items):
        lib.get(item.exercise_id, f"programme[{i}].exercise_id")
    # Each session is judged by the week-to-week trend as it stood then, so one rising week does
    # not turn every earlier, settled session into a "broken" one.
    trends = weekly_trends_as_of(ordered)
    trend = trends[-1] if trends else None
    trend_then = {id(x): t for x, t in zip(ordered, trends, strict=True)}

    if programme.stop:
        return NextSession(
            decisions=[],
            stop=True,
            refer_out=programme.refer_out or cfg.refer_out,
            programme=programme,
            weekly_trend=trend,
        )

    latest = ordered[-1] if ordered else None
    global_stop: str | None = None
    if latest is not None:
        worst = max(
            p for p in (latest.pain_during, latest.pain_after, latest.pain_next_morning) if p is not None
        )
        if worst >= cfg.stop_pain_at_least:
            global_stop = (
                f"pain {worst:g}/10 ≥ {cfg.stop_pain_at_least:g} in the last session ({latest.date})"
            )
        elif latest.red_flags:
            global_stop = "red flag reported: " + ", ".join(flags[f].text for f in latest.red_flags)
    if global_stop is not None:
        stopped = [
            Decision(
                exercise_id=i.exercise_id,
                decision=DecisionKind.stop,
                next_exercise_id=None,
                next_dose=None,
                reason=f"{global_stop} → stop and refer",
            )
            for i in programme.items
        ]
        return NextSession(
            decisions=stopped,
            stop=True,
            refer_out=cfg.refer_out,
            programme=Programme(items=[], stop=True, refer_out=cfg.refer_out),
            weekly_trend=trend,
        )

    decisions: list[Decision] = []
    next_items: list[ProgrammeItem] = []
    added_ids: list[str] = []
    any_stop = False
    for item in programme.items:
        ex = lib.get(item.exercise_id)
        logs = [(s, log) for s in ordered for log in s.exercises if log.exercise_id == item.exercise_id]
        kind: DecisionKind
        next_id: str | None = item.exercise_id
        next_dose: Dose | None = item.dose
        changed: list[str] = []
        if not logs:
            kind, reason = DecisionKind.hold, "no session logged yet: repeat the prescribed dose"
        else:
            s, log = logs[-1]
            broken = broken_rules(s, log, trend_then[id(s)], cfg)
            if broken:
                streak = 0
                for ps, plog in reversed(logs):
                    if not broken_rules(ps, plog, trend_then[id(ps)], cfg):
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
                    next_id, next_dose, changed, what = _regress(item, ex, lib)
                    kind = DecisionKind.regress
                    reason = f"{'; '.join(broken)} → reduce load: {what}"
            elif s.pain_next_morning is None:
                kind = DecisionKind.hold
                reason = "next-morning pain not recorded: progress only after a settled 24-hour response"
            elif not log.completed:
                kind, reason = DecisionKind.hold, "session not completed: repeat the same dose"
            else:
                good = 0
                for ps, plog in reversed(logs):
                    if (
                        broken_rules(ps, plog, trend_then[id(ps)], cfg)
                        or ps.pain_next_morning is None
                        or not plog.completed
                        or not _same_dose(plog.dose, item.dose)
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
                    if nid is None or ndose is None:
                        kind, reason = (
                            DecisionKind.hold,
                            "top of this progression reached: clinician to review",
                        )
                    else:
                        kind, next_id, next_dose = DecisionKind.progress, nid, ndose
                        reason = f"pain within limits for {good} sessions, settled next morning → {what}"
                        added_ids += [g for g in graduates if g not in programme_ids and g not in added_ids]
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
            target = lib.get(next_id)
            next_items.append(
                item.model_copy(
                    update={
                        "exercise_id": target.id,
                        "name": target.name,
                        "stage": target.stage,
                        "group": target.group,
                        "dose": next_dose,
                        "cues": list(target.cues),
                    }
                )
            )
    added = []
    for gid in added_ids:
        added.append(
            ProgrammeItem.from_exercise(lib.get(gid), reason="retro-walking completed → bigger exercise")
        )
    new_programme = programme.model_copy(update={"items": next_items + added})
    return NextSession(
        decisions=decisions,
        stop=any_stop,
        refer_out=cfg.refer_out if any_stop else None,
        added=added,
        programme=new_programme,
        weekly_trend=trend,
    )
