"""The session log page: the client logs today's session; the reply says what to do next time.

The form is validated through :class:`retrowalk.app.sessions.SessionLogIn` (the API's model, the
core's bounds), and saving and deciding go through :func:`retrowalk.app.sessions.log_session`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from retrowalk.app import captures, media, plain, records, sessions
from retrowalk.app.access import Client, client_access
from retrowalk.app.errors import Conflict
from retrowalk.app.sessions import SessionLogCorrection, SessionLogIn, SessionLogUpdate, today
from retrowalk.errors import InputError
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import checked_form, client_form, page_user
from retrowalk.web.pages._common import form_errors, number, numbers, redirect, render, text

router = APIRouter()

#: Dose boxes the form offers (which ones show per exercise is the template's choice).
FORM_DOSE_FIELDS = ("minutes", "speed_kmh", "incline_pct", "sets", "reps")
WHOLE = frozenset({"sets", "reps"})


#: Pain questions of the log form: asked once per session, each must be answered (0 = no pain).
PAIN_QUESTIONS = (
    ("pain_before", "Pain right now, before you start"),
    ("pain_during", "Worst pain during the exercises"),
    ("pain_after", "Pain right after the session"),
)


def _log_ctx(
    db: Session, client: Client, values: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    view = sessions.log_form(db, client.id)
    items = records.programme_items(view.programme.content if view.programme else None)
    ns = view.next_session
    return {
        "client": client,
        "programme": view.programme,
        "items": items,
        "figures": _figures(items),
        #: the trainer's own photo/video per exercise, shown before the figure
        "own_media": media.for_client(db, client, [i["exercise_id"] for i in items]),
        "today": view.today,
        "pending_morning": view.pending_morning,
        "values": values,
        "errors": errors,
        "error_ex": {
            int(k[2:].split(".")[0]) for k in errors if k.startswith("ex") and not k.endswith("completed")
        },
        "form_key": values.get("idempotency_key") or secrets.token_urlsafe(18),
        "pain_questions": PAIN_QUESTIONS,
        "red_flag_choices": sessions.red_flag_choices(),
        "blocked": view.blocked,
        "in_force": [plain.flag_text(f) for f in (ns.red_flags_in_force if ns else [])],
        "words": plain,
        "trainers": [t.display_name or t.username for t in client.trainers],
        "todays_logs": view.todays_logs,
    }


def _figures(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The animated figure per exercise where the library draws one (illus's macro)."""
    try:
        from retrowalk.web.figures import exercise_figure
    except ImportError:  # pragma: no cover - figures not installed
        return {}
    out: dict[str, Any] = {}
    for i in items:
        try:
            out[i["exercise_id"]] = exercise_figure(i["exercise_id"])
        except Exception:  # a custom exercise has no figure: the card shows its cues only
            out[i["exercise_id"]] = None
    return out


@router.get("/clients/{client_id}/log", response_class=HTMLResponse)
def log_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    return render(request, "log.html", _log_ctx(db, client, {}, {}))


def _choice(form: FormData, name: str, errors: dict[str, str], message: str) -> float | None:
    """A pain choice that must be made (no preset value; 0 = no pain is a choice)."""
    try:
        value = number(form, name)
    except InputError as exc:
        errors[name] = exc.message
        return None
    if value is None:
        errors[name] = message
    return value


def _entries(form: FormData, items: list[dict[str, Any]], errors: dict[str, str]) -> list[SessionLogIn]:
    """One validated entry per programme item; every refusal lands on its form field."""
    shared: dict[str, Any] = {"notes": text(form, "notes")[:5000]}
    if text(form, "session_date"):
        shared["session_date"] = text(form, "session_date")
    else:
        shared["session_date"] = today()
    for key, _label in PAIN_QUESTIONS:
        shared[key] = _choice(form, key, errors, "choose a number (0 = no pain)")
    shared["red_flags"] = [v for v in form.getlist("red_flags") if isinstance(v, str) and v]
    entries: list[SessionLogIn] = []
    for i, item in enumerate(items):
        prefix = f"ex{i}."
        done = form.get(prefix + "completed")
        if done not in ("yes", "no"):
            errors[prefix + "completed"] = "choose done or not done"
        raw: dict[str, Any] = {**shared, "exercise_id": item["exercise_id"], "completed": done == "yes"}
        raw |= numbers(form, FORM_DOSE_FIELDS, errors, whole=WHOLE, prefix=prefix)
        rails = form.get(prefix + "handrails")
        raw["handrails"] = rails if rails in ("none", "one", "both") else None
        raw["hold_s"] = item["dose"].get("hold_s")
        if any(k in errors for k, _ in PAIN_QUESTIONS):
            continue
        try:
            entries.append(SessionLogIn.model_validate(raw))
        except ValidationError as exc:
            for key, message in form_errors(exc, prefix=prefix).items():
                shared_key = key.removeprefix(prefix)
                # session-wide fields (date, pain) are reported once, on their own boxes
                errors.setdefault(shared_key if shared_key in shared else key, message)
    return entries


@router.post("/clients/{client_id}/log", response_class=HTMLResponse)
async def log_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    """Store the session, then redirect (post/redirect/get): a reload shows the answer again and
    stores nothing; the form's idempotency key (capture's store, also used by the offline queue)
    makes a second send of the same form, a double tap or a resend, store nothing either."""
    user, client, form = await client_form(request, db, client_id, "trainer", "client")
    key = text(form, "idempotency_key")[:64] or None
    if key:
        earlier = sessions.logs_with_form_key(db, client.id, key)
        if earlier or captures.already_saved(db, client, key):
            day_saved = earlier[0].session_date if earlier else today()
            return redirect(f"/clients/{client.id}/log/saved?day={day_saved.isoformat()}")
    view = sessions.log_form(db, client.id)
    if view.blocked:
        return redirect(f"/clients/{client.id}/log")
    items = records.programme_items(view.programme.content if view.programme else None)
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["red_flags"] = form.getlist("red_flags")
    errors: dict[str, str] = {}
    if not items:
        errors["programme"] = "There is no programme yet; ask your trainer."
    entries = _entries(form, items, errors)
    if errors:
        return render(request, "log.html", _log_ctx(db, client, values, errors), code=422)
    day: date = entries[0].session_date
    try:
        done = sessions.log_session(db, user, client, entries, detail=f"web {day}", form_key=key)
    except Conflict:
        return redirect(f"/clients/{client.id}/log")
    captures.remember_save(db, client, key or "", done.logs, text(form, "recording_ids"))
    return redirect(f"/clients/{client.id}/log/saved?day={day.isoformat()}")


@router.get("/clients/{client_id}/log/saved", response_class=HTMLResponse)
def log_saved(request: Request, client_id: int, db: Session = DbSession) -> Response:
    """What the client does next time, in plain words (the decision applied to the programme)."""
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    try:
        day = date.fromisoformat(request.query_params.get("day", ""))
    except ValueError:
        day = today()
    ns = sessions.next_session(db, client.id)
    logs = [log for log in sessions.list_logs(db, user, client) if log.session_date == day]
    # the session just saved is that day's newest row (oldest first): a second session on a day
    # (or a back-dated one) must not be shown with the pain of an earlier one
    saved = logs[-1] if logs else None
    ctx = {
        "client": client,
        "decisions": records.decision_items(ns),
        "plain": plain.client_decisions(ns, sessions.waiting_ids(db, client.id)),
        "session_date": day,
        "pain": {
            "pain_during": saved.pain_during if saved else None,
            "pain_after": saved.pain_after if saved else None,
        },
        "engine": ns is not None,
        "blocked": sessions.blocked_reason(ns),
        "in_force": [plain.flag_text(f) for f in (ns.red_flags_in_force if ns else [])],
        "words": plain,
        "logs": logs,
        "can_correct": user.role == "trainer" or day == today(),
        # a trainer logging on the client's behalf is told about the client, not "your pain"
        "for_client": user.role == "client",
    }
    return render(request, "log_saved.html", ctx)


@router.get("/clients/{client_id}/log/{log_id}/correct", response_class=HTMLResponse)
def correct_page(request: Request, client_id: int, log_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    row = sessions.get_log(db, user, client, log_id)
    return render(request, "log_correct.html", _correct_ctx(client, row, {}, {}))


def _correct_ctx(
    client: Client, row: Any, values: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "client": client,
        "row": row,
        "name": plain.exercise_name(row.exercise_id),
        "values": values,
        "errors": errors,
        "pain_questions": (*PAIN_QUESTIONS, ("pain_next_morning", "Pain the next morning")),
        "dose_fields": [k for k in FORM_DOSE_FIELDS if getattr(row, k) is not None],
    }


@router.post("/clients/{client_id}/log/{log_id}/correct", response_class=HTMLResponse)
async def correct_submit(request: Request, client_id: int, log_id: int, db: Session = DbSession) -> Response:
    """A correction: the client their own log of today, a trainer any; audited and judged again."""
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    row = sessions.get_log(db, user, client, log_id)
    form = await checked_form(request)
    errors: dict[str, str] = {}
    raw: dict[str, Any] = {"reason": text(form, "reason")[:500]}
    pains = [key for key, _label in PAIN_QUESTIONS] + ["pain_next_morning"]
    raw |= numbers(form, [*pains, *FORM_DOSE_FIELDS], errors, whole=WHOLE)
    if form.get("completed") in ("yes", "no"):
        raw["completed"] = form.get("completed") == "yes"
    body: SessionLogCorrection | None = None
    if not errors:
        try:
            body = SessionLogCorrection.model_validate(raw)
        except ValidationError as exc:
            errors.update(form_errors(exc))
    if errors or body is None:
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        return render(request, "log_correct.html", _correct_ctx(client, row, values, errors), code=422)
    sessions.correct_log(db, user, client, log_id, body)
    return redirect(f"/clients/{client.id}/log/saved?day={row.session_date.isoformat()}&corrected=1")


@router.post("/clients/{client_id}/log/morning", response_class=HTMLResponse)
async def morning_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await client_form(request, db, client_id, "trainer", "client")
    try:
        day = date.fromisoformat(text(form, "session_date"))
        body = SessionLogUpdate(pain_next_morning=number(form, "pain_next_morning"))
    except (ValueError, InputError):
        raise InputError("pain_next_morning", "missing or invalid", hint="move the slider and save") from None
    if body.pain_next_morning is None:
        raise InputError("pain_next_morning", "missing", hint="move the slider and save")
    sessions.record_morning_pain(db, user, client, day, body)
    return redirect(f"/clients/{client.id}/log?morning=saved")
