"""The client's record as the pages and the PDF show it: chart inputs, report data, table rows.

Stored documents come back typed (the core's AssessmentResult, Programme and KoosScores, and the
engine-independent GaitSummary: see :mod:`retrowalk.storage.documents`), so these readers use
fields, never guessed keys. A stored session row outside today's vocabulary (an older release
accepted it) is left out of charts and listed as flagged, never a 422.
`retrowalk.reports` only renders what this module assembles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from retrowalk.app.sessions import stored_problems
from retrowalk.core.assessment import AssessmentResult
from retrowalk.core.exercises import Dose
from retrowalk.core.prescription import Programme as ProgrammeContent
from retrowalk.core.progression import NextSession
from retrowalk.core.scores.koos import SUBSCALE_TITLES
from retrowalk.core.scores.nprs import pain_rules
from retrowalk.reports.charts import (
    ChartInputs,
    GaitPoint,
    KneeRomPoint,
    KoosPoint,
    PainPoint,
    RetroWalkPoint,
)
from retrowalk.reports.pdf import (
    AdherenceSummary,
    FindingRow,
    OutcomeRow,
    ProgrammeRow,
    ReportClient,
    ReportData,
)
from retrowalk.storage import crud
from retrowalk.storage.models import Assessment, Client, Programme, Recording, SessionLog, User

KOOS_LABELS = {key: f"KOOS {title}" for key, title in SUBSCALE_TITLES.items()}


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "positive" if value else "negative"
    if isinstance(value, int | float):
        return f"{value:g}"
    return "" if value is None else str(value)


def is_retro_walk(exercise_id: str) -> bool:
    return "retro" in exercise_id.lower() or "backward" in exercise_id.lower()


def exercise_label(exercise_id: str) -> str:
    """Human name from the exercise library when available, else a tidied id."""
    try:
        from retrowalk.core.exercises import load_library

        exercise = load_library().exercises.get(exercise_id)
    except Exception:
        exercise = None
    if exercise is not None:
        return exercise.name
    return exercise_id.replace("_", " ").replace("-", " ").capitalize()


def dose_text(dose: Any) -> str:
    """A stored dose as one readable line: the core's own wording (:meth:`Dose.describe`), also for
    a dose an older release stored outside today's bounds."""
    if not isinstance(dose, Mapping):
        return "" if dose is None else str(dose)
    return Dose.model_construct(**{k: v for k, v in dose.items() if k in Dose.model_fields}).describe()


def programme_items(content: ProgrammeContent | None) -> list[dict[str, Any]]:
    """The ordered items of a stored Programme, ready for a template."""
    if content is None:
        return []
    return [
        {
            "exercise_id": item.exercise_id,
            "name": item.name or exercise_label(item.exercise_id),
            "stage": item.stage,
            "dose": item.dose.model_dump(mode="json"),
            "dose_text": item.dose.describe(),
            "reason": item.reason,
            "cues": list(item.cues),
            "retro": is_retro_walk(item.exercise_id),
        }
        for item in content.items
    ]


def finding_rows(findings: AssessmentResult | None) -> list[dict[str, Any]]:
    """Joint-by-joint rows (measured vs cut-off) from a stored AssessmentResult."""
    rows: list[dict[str, Any]] = []
    for f in findings.findings if findings is not None else []:
        measured = _fmt(f.value) + (f" {f.unit}" if f.unit and not isinstance(f.value, bool) else "")
        rows.append(
            {
                "joint": f.joint,
                "test": f.test_name or f.test_id,
                "side": f.side,
                "measured": measured,
                "cut_off": f.cutoff_text or _fmt(f.cutoff),
                "status": f.status,
                "source": f.source,
                "text": f.text,
            }
        )
    order = {"foot": 0, "ankle": 1, "knee": 2, "hamstrings": 3, "hip": 4, "lumbar": 5, "thoracic": 6}
    rows.sort(key=lambda r: (order.get(r["joint"], 9), r["joint"], r["test"], r["side"]))
    return rows


def red_flag_lines(findings: AssessmentResult | None) -> list[str]:
    """Each red flag the assessment raised, with its advice."""
    if findings is None:
        return []
    return [f.text + (f" – {f.advice}" if f.advice else "") for f in findings.red_flags]


def _day(dt: datetime | date) -> date:
    return dt.date() if isinstance(dt, datetime) else dt


def pain_by_day(logs: Sequence[SessionLog]) -> list[PainPoint]:
    """Worst rating per session day (a session is several exercise rows sharing the same pain)."""
    by_day: dict[date, dict[str, float]] = defaultdict(dict)
    for log in logs:
        slot = by_day[log.session_date]
        for attr in ("pain_during", "pain_after", "pain_next_morning"):
            value = getattr(log, attr)
            if value is not None:
                slot[attr] = max(slot.get(attr, 0.0), float(value))
    return [
        PainPoint(
            when=d,
            during=v.get("pain_during"),
            after=v.get("pain_after"),
            next_morning=v.get("pain_next_morning"),
        )
        for d, v in sorted(by_day.items())
    ]


def gait_points(recordings: Sequence[Recording]) -> list[GaitPoint]:
    """Cadence and step symmetry per recording, from its gait summary (uploads and imports)."""
    points = []
    for rec in recordings:
        gait = rec.gait
        if gait is None:
            continue
        cadence, symmetry = gait.cadence_spm, gait.step_symmetry_pct
        if cadence is None and symmetry is None:
            continue
        points.append(
            GaitPoint(
                when=rec.created_at,
                cadence_spm=cadence if cadence is not None and 0 <= cadence <= 300 else None,
                symmetry_pct=symmetry if symmetry is not None and 0 <= symmetry <= 200 else None,
            )
        )
    return points


def knee_rom_points(assessments: Sequence[Assessment]) -> list[KneeRomPoint]:
    points = []
    for a in assessments:
        per_side: dict[str, dict[str, float]] = defaultdict(dict)
        for m in a.inputs.measurements:
            if m.side not in ("left", "right") or isinstance(m.value, bool):
                continue
            if m.test_id == "knee_extension_deficit":
                per_side[m.side]["ext"] = float(m.value)
            elif m.test_id == "knee_flexion_rom":
                per_side[m.side]["flex"] = float(m.value)
        for side, values in per_side.items():
            points.append(
                KneeRomPoint(
                    when=a.created_at,
                    side=side,
                    extension_deficit_deg=values.get("ext"),
                    flexion_deg=values.get("flex"),
                )
            )
    return points


def koos_mcid() -> dict[str, float]:
    """Default MCID per KOOS subscale from the core's cited table (general 8-10 points otherwise)."""
    out: dict[str, float] = {}
    try:
        from retrowalk.core.scores import mcid as mcid_mod

        for sub in KOOS_LABELS:
            flags = mcid_mod.change_flags(f"koos_{sub}", 50.0, 50.0)
            if flags and flags[0].threshold_absolute is not None:
                out[sub] = float(flags[0].threshold_absolute)
    except Exception:
        pass
    return out


def chart_inputs(
    db: Session,
    client_id: int,
    logs: Sequence[Any] | None = None,
    *,
    only: Collection[str] | None = None,
) -> ChartInputs:
    """The chart series for one client; ``logs`` are its session logs if already fetched;
    ``only`` names the :class:`ChartInputs` fields wanted (one chart's), the others left empty
    and unread."""
    want = set(ChartInputs.model_fields) if only is None else set(only)
    out = ChartInputs()
    if want & {"pain", "retro_walk"}:
        if logs is None:
            logs = crud.session_log_rows(db, client_id)  # read-only rows: no ORM objects needed
        logs = [log for log in logs if not stored_problems(log)]
        out.pain = pain_by_day(logs) if "pain" in want else []
        out.retro_walk = [
            RetroWalkPoint(
                when=log.session_date,
                minutes=log.minutes,
                speed_kmh=log.speed_kmh,
                incline_pct=log.incline_pct,
            )
            for log in logs
            if "retro_walk" in want and is_retro_walk(log.exercise_id) and log.completed
        ]
    if "koos" in want:
        koos = crud.read_questionnaires(db, client_id, "koos").rows
        out.koos = [KoosPoint(when=q.created_at, **q.scores.model_dump()) for q in koos]
    if "koos_mcid" in want:
        out.koos_mcid = koos_mcid()
    if "knee_rom" in want:
        out.knee_rom = knee_rom_points(crud.read_assessments(db, client_id).rows)
    if "gait" in want:
        out.gait = gait_points(crud.gait_series(db, client_id).rows)
    return out


def _nprs_mcid() -> tuple[float | None, str]:
    try:
        from retrowalk.core.scores import mcid as mcid_mod

        flag = mcid_mod.change_flags("nprs", 5.0, 5.0)[0]
        return flag.threshold_absolute, flag.source.split("(")[0].strip()
    except Exception:
        return 1.0, "Salaffi 2004"


def _first_and_latest(measure: str, values: Sequence[float | None], **fields: Any) -> list[OutcomeRow]:
    """One row from the first and the latest known value of a series; none when nothing is known."""
    known = [v for v in values if v is not None]
    return [OutcomeRow(measure=measure, baseline=known[0], latest=known[-1], **fields)] if known else []


def outcome_rows(inputs: ChartInputs) -> list[OutcomeRow]:
    rows: list[OutcomeRow] = []
    mcids = inputs.koos_mcid
    for key, label in KOOS_LABELS.items():
        rows += _first_and_latest(
            label,
            [getattr(p, key) for p in inputs.koos],
            unit="0-100",
            mcid=mcids.get(key, 10.0),
            better="higher",
            source="mcid.yaml (Roos & Lohmander 2003 by default)",
        )
    nprs_mcid, nprs_src = _nprs_mcid()
    for attr, label in (
        ("during", "Pain during session"),
        ("after", "Pain after session"),
        ("next_morning", "Pain next morning"),
    ):
        rows += _first_and_latest(
            label,
            [getattr(p, attr) for p in inputs.pain],
            unit="NPRS 0-10",
            mcid=nprs_mcid,
            better="lower",
            source=nprs_src,
        )
    rom = (
        ("extension_deficit_deg", "Knee extension deficit", "lower"),
        ("flexion_deg", "Knee flexion", "higher"),
    )
    for side in ("left", "right"):
        pts = [p for p in inputs.knee_rom if p.side == side]
        for attr, label, better in rom:
            rows += _first_and_latest(
                f"{label} ({side})",
                [getattr(p, attr) for p in pts],
                unit="°",
                mcid=10.0,
                better=better,
                source="goniometer minimum significant difference 10°",
            )
    rows += _first_and_latest("Retro-walking duration", [p.minutes for p in inputs.retro_walk], unit="min")
    return rows


def sessions_per_week(content: ProgrammeContent | None, default: int = 3) -> int:
    """Planned sessions per week: the most frequent item's dose, else ``default``."""
    values = [i.dose.sessions_per_week for i in content.items] if content is not None else []
    known = [v for v in values if v is not None]
    return max(known) if known else default


def adherence_pct(
    logs: Sequence[SessionLog],
    programme: Programme | None,
    *,
    today: date | None = None,
    weeks: int | None = None,
) -> float | None:
    """Completed session days / planned session days since the programme started (or ``weeks``)."""
    if programme is None:
        return None
    today = today or datetime.now(UTC).date()
    start = _day(programme.created_at)
    per_week = float(sessions_per_week(programme.content))
    days = max(1, (today - start).days + 1)
    if weeks is not None:
        days = min(days, 7 * weeks)
        start = max(start, date.fromordinal(today.toordinal() - days + 1))
    planned = max(1.0, per_week * days / 7.0)
    done = {log.session_date for log in logs if log.completed and log.session_date >= start}
    return min(100.0, 100.0 * len(done) / planned)


def adherence_summary(
    logs: Sequence[SessionLog], programmes: Sequence[Programme], *, today: date | None = None
) -> AdherenceSummary | None:
    """Completed session days since the first programme version against the days prescribed:
    each day counts ``sessions_per_week / 7`` of the version in force that day, so a new version
    neither restarts the count nor forgets the sessions before it."""
    if not programmes:
        return None
    today = today or datetime.now(UTC).date()
    ordered = sorted(programmes, key=lambda p: p.version)
    starts = [(_day(p.created_at), sessions_per_week(p.content)) for p in ordered]
    first = starts[0][0]
    planned = 0.0
    for n in range(max(0, (today - first).days + 1)):
        day = date.fromordinal(first.toordinal() + n)
        planned += next(per for start, per in reversed(starts) if start <= day) / 7.0
    done = len({log.session_date for log in logs if log.completed and first <= log.session_date <= today})
    return AdherenceSummary(since=first, per_week=starts[-1][1], planned=max(1.0, planned), done=done)


@dataclass(frozen=True)
class FlaggedLog:
    """A stored session row that no longer passes today's vocabulary, and why."""

    log: SessionLog
    problems: dict[str, str]

    @property
    def text(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.problems.items())


def flagged_logs(logs: Sequence[SessionLog]) -> list[FlaggedLog]:
    return [FlaggedLog(log, p) for log in logs if (p := stored_problems(log))]


def report_data(db: Session, client: Client) -> ReportData:
    logs = crud.list_session_logs(db, client.id)
    inputs = chart_inputs(db, client.id, logs)
    latest = crud.latest_assessment(db, client.id)
    programme = crud.current_programme(db, client.id)
    findings = finding_rows(latest.findings if latest else None)
    flags = red_flag_lines(latest.findings if latest else None)
    flagged = flagged_logs(logs)
    return ReportData(
        flagged=[f"{f.log.session_date} {exercise_label(f.log.exercise_id)}: {f.text}" for f in flagged],
        client=ReportClient(
            id=str(client.id),
            name=client.name,
            date_of_birth=client.date_of_birth,
            sex=client.sex,
            trainer=", ".join(t.display_name or t.username for t in client.trainers) or None,
            goals=[str(g) for g in (programme.goals if programme else [])],
        ),
        generated_at=datetime.now(UTC),
        assessed_at=latest.created_at if latest else None,
        findings=[
            FindingRow(
                joint=r["joint"],
                test=r["test"],
                side=r["side"] or None,
                measured=r["measured"],
                cut_off=r["cut_off"],
                status=r["status"],
                source=r["source"],
            )
            for r in findings
        ],
        red_flags=flags,
        stop=bool(latest and latest.stop),
        programme=[
            ProgrammeRow(
                exercise=i["name"],
                exercise_id=i["exercise_id"],
                stage=i["stage"],
                dose=i["dose_text"],
                reason=i["reason"],
                cues=i["cues"],
            )
            for i in programme_items(programme.content if programme else None)
        ],
        outcomes=outcome_rows(inputs),
        sessions_logged=len({log.session_date for log in logs}),
        adherence=(summary := adherence_summary(logs, crud.list_programmes(db, client.id))),
        adherence_pct=summary.pct if summary else None,
        charts=inputs,
    )


# --- the client page's view ----------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionItem:
    """One exercise's decision for the next session, worded for a page."""

    exercise_id: str
    name: str
    decision: str
    css: str
    dose_text: str
    reason: str


def decision_items(decision: NextSession | None) -> list[DecisionItem]:
    """Per-exercise decisions from the progression engine's :class:`NextSession`."""
    if decision is None:
        return []
    return [
        DecisionItem(
            exercise_id=d.exercise_id,
            name=exercise_label(d.exercise_id) if d.exercise_id else "",
            decision=d.decision.value,
            css=d.decision.value.lower().replace(" ", "-"),
            dose_text=d.next_dose.describe() if d.next_dose is not None else "",
            reason=d.reason,
        )
        for d in decision.decisions
    ]


@dataclass(frozen=True)
class ClientView:
    """Everything the client page shows, loaded and judged once."""

    client: Client
    assessment: Assessment | None
    findings: list[dict[str, Any]]
    red_flags: list[Any]
    notes: list[Any]
    programme: Programme | None
    items: list[dict[str, Any]]
    sessions: list[SessionLog]
    flagged: dict[int, str]
    #: The next session as the progression engine decides it (judged once for the whole page).
    next_session: NextSession | None
    decisions: list[DecisionItem]
    outcomes: list[OutcomeRow]
    charts: ChartInputs
    recordings: list[Recording]
    logs: list[SessionLog]
    pain_limit: float


def client_view(db: Session, user: User, client: Client, *, detail: str = "") -> ClientView:
    """The client page: record, programme, decisions, sessions (flagged when out of bounds), charts."""
    from retrowalk.app.sessions import next_session

    latest = crud.latest_assessment(db, client.id)
    programme = crud.current_programme(db, client.id)
    logs = list(crud.list_session_logs(db, client.id))
    inputs = chart_inputs(db, client.id, logs)
    findings = latest.findings if latest else None
    decided = next_session(db, client.id, programme)
    crud.audit(db, user, "read", "client", resource_id=client.id, client_id=client.id, detail=detail)
    return ClientView(
        client=client,
        assessment=latest,
        findings=finding_rows(findings),
        red_flags=list(findings.red_flags) if findings else [],
        notes=list(findings.notes) if findings else [],
        programme=programme,
        items=programme_items(programme.content if programme else None),
        sessions=list(reversed(logs))[:60],
        flagged={f.log.id: f.text for f in flagged_logs(logs)},
        next_session=decided,
        decisions=decision_items(decided),
        outcomes=outcome_rows(inputs),
        charts=inputs,
        recordings=list(crud.list_recordings(db, client.id)),
        logs=logs,
        pain_limit=pain_rules().limit_above,
    )


def progress_report(db: Session, user: User, client: Client) -> ReportData:
    """The PDF report's data, audited as a read."""
    data = report_data(db, client)
    crud.audit(db, user, "read", "report", resource_id=client.id, client_id=client.id)
    return data


def fhir_bundle(db: Session, user: User, client: Client, *, identify: bool) -> dict[str, Any]:
    """The client's record as a FHIR R4 Bundle (pseudonymous unless ``identify``), audited."""
    from retrowalk.interop.fhir_export import export_bundle
    from retrowalk.interop.storage_adapter import record_from_db

    bundle: dict[str, Any] = export_bundle(record_from_db(db, client.id), identify=identify)
    crud.audit(
        db,
        user,
        "read",
        "fhir",
        resource_id=client.id,
        client_id=client.id,
        detail="identified" if identify else "pseudonymous",
    )
    return bundle
