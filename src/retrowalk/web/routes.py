"""HTML pages: server-rendered Jinja2 on top of the API's storage, auth and clinical doorway.

Every page uses the same login (session cookie), CSRF token and access rules as the REST API; the
clinical work goes through :mod:`retrowalk.api.clinical`, so pages and API give identical results.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from retrowalk.api import clinical
from retrowalk.api.deps import DbSession, client_access
from retrowalk.api.login import check_credentials, start_login
from retrowalk.api.security import (
    LoginRateLimiter,
    clear_session_cookies,
    client_ip,
    csrf_token_for,
    set_session_cookies,
)
from retrowalk.core.assessment import load_catalogue
from retrowalk.core.scores.koos import KOOS_ITEMS
from retrowalk.errors import InputError
from retrowalk.reports import build
from retrowalk.reports.charts import all_charts
from retrowalk.settings import Settings
from retrowalk.storage import captures, crud
from retrowalk.storage.models import Assessment, Client, Programme, SessionLog
from retrowalk.web.auth import (
    checked_form,
    csrf_token,
    optional_user,
    page_user,
    receive_form_first,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(receive_form_first)])

_env = Environment(
    loader=PackageLoader("retrowalk.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
templates = Jinja2Templates(env=_env)

PAIN_LIMIT = 5.0
FLAG_WINDOW_DAYS = 7
DUE_AFTER_DAYS = 2


def _render(request: Request, name: str, ctx: dict[str, Any], *, code: int = 200) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    base = {"user": user, "csrf_token": csrf_token(request)}
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=code)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def _today() -> date:
    return datetime.now(UTC).date()


def _safe_next(value: Any) -> str:
    """Only same-site relative paths: no open redirects after login."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


def _float(form: FormData, name: str) -> float | None:
    raw = form.get(name)
    if not isinstance(raw, str) or raw.strip() == "":
        return None
    try:
        return float(raw.replace(",", "."))
    except ValueError as exc:
        raise InputError(name, f"{raw!r} is not a number", hint="enter digits, e.g. 7.5") from exc


def _int(form: FormData, name: str) -> int | None:
    value = _float(form, name)
    if value is None:
        return None
    if value != int(value):
        raise InputError(name, f"{value:g} is not a whole number", hint="enter a whole number")
    return int(value)


# --- login / logout --------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", db: Session = DbSession) -> Response:
    if optional_user(request, db) is not None:
        return _redirect(_safe_next(next))
    return _render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    nxt = _safe_next(form.get("next"))
    settings: Settings = request.app.state.settings
    limiter: LoginRateLimiter = request.app.state.login_limiter
    ip = client_ip(request)
    if limiter.retry_after(username, ip) > 0:
        return _render(
            request,
            "login.html",
            {
                "error": "Too many failed attempts. Wait a minute and try again.",
                "username": username,
                "next": nxt,
            },
            code=429,
        )
    ttl = timedelta(hours=settings.session_ttl_hours)
    checked = await check_credentials(request, username, password) if username and password else None
    started = await start_login(request, checked, ttl=ttl, detail="web") if checked is not None else None
    if started is None:
        limiter.failed(username, ip)
        return _render(
            request,
            "login.html",
            {"error": "Wrong username or password.", "username": username, "next": nxt},
            code=401,
        )
    limiter.succeeded(username, ip)
    token, _user = started
    response = _redirect(nxt)
    max_age = int(ttl.total_seconds())
    csrf = csrf_token_for(request.app.state.secret_key, token)
    set_session_cookies(response, token, csrf, max_age=max_age, secure=settings.secure_cookies)
    return response


@router.post("/logout")
async def logout(request: Request, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    await checked_form(request)
    crud.delete_auth_session(db, request.state.session_token)
    crud.audit(db, user, "logout", "session", resource_id=user.id, detail="web")
    response = _redirect("/login")
    settings: Settings = request.app.state.settings
    clear_session_cookies(response, secure=settings.secure_cookies)
    return response


# --- dashboard -------------------------------------------------------------------------------------


def _decision_items(decision: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Per-exercise decisions from the progression engine's NextSession JSON
    (:class:`retrowalk.core.progression.NextSession`: ``decisions[]`` of ``Decision``)."""
    if not decision:
        return []
    out = []
    for d in decision["decisions"]:
        ex_id = str(d["exercise_id"])
        kind = str(d["decision"])
        out.append(
            {
                "exercise_id": ex_id,
                "name": build.exercise_label(ex_id) if ex_id else "",
                "decision": kind,
                "css": kind.lower().replace(" ", "-"),
                "dose_text": build.dose_text(d["next_dose"]),
                "reason": str(d["reason"]),
            }
        )
    return out


def _next_session(programme: Programme | None, logs: list[SessionLog]) -> dict[str, Any] | None:
    if programme is None or not logs:
        return None
    mine = [log for log in logs if log.programme_id == programme.id] or logs
    try:
        return clinical.next_session(programme.content, mine)
    except (InputError, ValidationError, ValueError):
        return None


def _client_summary(db: Session, client: Client, today: date) -> dict[str, Any]:
    """One dashboard row, loading what it needs (the client page passes its own to
    :func:`_summary_row` instead)."""
    logs = list(crud.list_session_logs(db, client.id))
    programme = crud.current_programme(db, client.id)
    latest = crud.latest_assessment(db, client.id)
    decisions = _decision_items(_next_session(programme, logs))
    return _summary_row(client, today, logs=logs, programme=programme, latest=latest, decisions=decisions)


def _summary_row(
    client: Client,
    today: date,
    *,
    logs: list[SessionLog],
    programme: Programme | None,
    latest: Assessment | None,
    decisions: list[dict[str, Any]],
) -> dict[str, Any]:
    """Flags, due state and this week's progress from already-loaded records."""
    recent = [log for log in logs if (today - log.session_date).days < FLAG_WINDOW_DAYS]
    flags: list[str] = []
    worst = max(
        (
            v
            for log in recent
            for v in (log.pain_during, log.pain_after, log.pain_next_morning)
            if v is not None
        ),
        default=None,
    )
    if worst is not None and worst > PAIN_LIMIT:
        flags.append(f"pain flare: {worst:g}/10 this week")
    if latest is not None and latest.stop:
        flags.append("stop and refer (assessment red flag)")
    if any(d["decision"] == "stop-and-refer" for d in decisions):
        flags.append("stop and refer (session response)")
    elif any(d["decision"] == "regress" for d in decisions):
        flags.append("next session regressed")
    last_day = logs[-1].session_date if logs else None
    due = programme is not None and (last_day is None or (today - last_day).days >= DUE_AFTER_DAYS)
    monday = today - timedelta(days=today.weekday())
    per_week = build.sessions_per_week(programme.content) if programme else 0
    week_days = len({log.session_date for log in logs if log.session_date >= monday and log.completed})
    return {
        "client": client,
        "flags": flags,
        "due": due,
        "last_session": last_day,
        "week_done": week_days,
        "week_planned": per_week,
        "has_programme": programme is not None,
        "assessed": latest is not None,
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    if user.role == "client" and user.client_id is not None:
        return _redirect(f"/clients/{user.client_id}/log")
    if user.role != "trainer":
        return _render(request, "admin.html", {})
    today = _today()
    rows = [_client_summary(db, c, today) for c in crud.list_clients_for(db, user)]
    rows.sort(key=lambda r: (not r["flags"], not r["due"], r["client"].name.lower()))
    return _render(request, "dashboard.html", {"rows": rows, "today": today})


# --- clients ---------------------------------------------------------------------------------------


@router.get("/clients/new", response_class=HTMLResponse)
def new_client_page(request: Request, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    if user.role != "trainer":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "needs role: trainer")
    return _render(request, "client_new.html", {"values": {}, "errors": {}})


USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


@router.post("/clients/new", response_class=HTMLResponse)
async def new_client_submit(request: Request, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    if user.role != "trainer":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "needs role: trainer")
    form = await checked_form(request)
    values = {
        k: str(form.get(k) or "").strip() for k in ("name", "date_of_birth", "sex", "notes", "username")
    }
    password = str(form.get("password") or "")
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Enter the client's name."
    dob: date | None = None
    if values["date_of_birth"]:
        try:
            dob = date.fromisoformat(values["date_of_birth"])
            if not date(1900, 1, 1) <= dob <= _today():
                errors["date_of_birth"] = "Date of birth must be between 1900 and today."
        except ValueError:
            errors["date_of_birth"] = "Use the format YYYY-MM-DD."
    if values["sex"] not in ("", "female", "male"):
        errors["sex"] = "Choose female, male or leave it empty."
    if values["username"]:
        if not USERNAME_RE.match(values["username"]):
            errors["username"] = "3-64 letters, digits or . _ @ -"
        elif crud.get_user_by_username(db, values["username"]) is not None:
            errors["username"] = "This username is taken."
        if len(password) < 8:
            errors["password"] = "At least 8 characters."
    if errors:
        return _render(request, "client_new.html", {"values": values, "errors": errors}, code=422)
    client = crud.create_client(
        db, values["name"], trainer=user, date_of_birth=dob, sex=values["sex"] or None, notes=values["notes"]
    )
    if values["username"]:
        crud.create_user(
            db, values["username"], password, "client", display_name=values["name"], client_id=client.id
        )
    crud.audit(db, user, "create", "client", resource_id=client.id, client_id=client.id, detail="web")
    return _redirect(f"/clients/{client.id}?created=1")


@router.get("/clients/{client_id}", response_class=HTMLResponse)
def client_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    latest = crud.latest_assessment(db, client.id)
    programme = crud.current_programme(db, client.id)
    logs = list(crud.list_session_logs(db, client.id))
    decisions = _decision_items(_next_session(programme, logs))
    inputs = build.chart_inputs(db, client.id)
    charts = [{"title": c.title, "svg": Markup(c.svg)} for c in all_charts(inputs)]
    crud.audit(db, user, "read", "client", resource_id=client.id, client_id=client.id, detail="web page")
    return _render(
        request,
        "client.html",
        {
            "client": client,
            "assessment": latest,
            "findings": build.finding_rows(latest.findings if latest else None),
            "red_flags": (latest.findings or {}).get("red_flags", []) if latest else [],
            "notes": (latest.findings or {}).get("notes", []) if latest else [],
            "programme": programme,
            "items": build.programme_items(programme.content if programme else None),
            "sessions": list(reversed(logs))[:60],
            "decisions": decisions,
            "outcomes": build.outcome_rows(inputs),
            "charts": charts,
            "recordings": list(crud.list_recordings(db, client.id)),
            "summary": _summary_row(
                client, _today(), logs=logs, programme=programme, latest=latest, decisions=decisions
            ),
            "flash": "Client created." if request.query_params.get("created") else None,
        },
    )


@router.get("/clients/{client_id}/report.pdf")
def client_report(request: Request, client_id: int, db: Session = DbSession) -> Response:
    from retrowalk.reports.pdf import render_pdf

    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    pdf = render_pdf(build.report_data(db, client))
    crud.audit(db, user, "read", "report", resource_id=client.id, client_id=client.id)
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", client.name).strip("-") or "client"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="retrowalk-{safe}-{client.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


# --- assessment ------------------------------------------------------------------------------------


def _assessment_fields(cat: Any) -> list[dict[str, Any]]:
    """One entry per input box: test x side, in catalogue order, grouped by joint in the template."""
    fields = []
    for test in cat.tests.values():
        sides = ["left", "right"] if test.side == "per_side" else ["both"]
        for side in sides:
            fields.append(
                {"name": f"m.{test.id}.{side}", "id": f"m-{test.id}-{side}", "test": test, "side": side}
            )
    return fields


def _assessment_ctx(
    request: Request,
    client: Client,
    values: Mapping[str, Any],
    errors: dict[str, str],
    general_error: str = "",
) -> dict[str, Any]:
    cat = load_catalogue()
    fields = _assessment_fields(cat)
    joints: dict[str, list[dict[str, Any]]] = {}
    by_test: dict[str, dict[str, Any]] = {}
    for f in fields:
        entry = by_test.setdefault(f["test"].id, {"test": f["test"], "inputs": []})
        if not entry["inputs"]:
            joints.setdefault(f["test"].joint, []).append(entry)
        entry["inputs"].append(f)
    return {
        "client": client,
        "joints": joints,
        "red_flags": list(cat.red_flags.values()),
        "values": values,
        "errors": errors,
        "general_error": general_error,
        "stop_at": cat.pain_at_rest_stop_at,
    }


@router.get("/clients/{client_id}/assessment", response_class=HTMLResponse)
def assessment_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    values: dict[str, Any] = {}
    if client.date_of_birth:
        today = _today()
        dob = client.date_of_birth
        values["age"] = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    if client.sex:
        values["sex"] = client.sex
    return _render(request, "assessment.html", _assessment_ctx(request, client, values, {}))


@router.post("/clients/{client_id}/assessment", response_class=HTMLResponse)
async def assessment_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    form = await checked_form(request)
    cat = load_catalogue()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["red_flags"] = [v for v in form.getlist("red_flags") if isinstance(v, str)]
    errors: dict[str, str] = {}
    inputs: dict[str, Any] = {"measurements": [], "red_flags": values["red_flags"]}
    index_to_field: dict[int, str] = {}
    for key, conv in (
        ("age", _int),
        ("body_mass_kg", _float),
        ("pain_at_rest_nprs", _float),
        ("pain_activity_nprs", _float),
    ):
        try:
            intake = conv(form, key)
        except InputError as exc:
            errors[key] = exc.message
            continue
        if intake is not None:
            inputs[key] = intake
    if values.get("sex") in ("female", "male"):
        inputs["sex"] = values["sex"]
    for f in _assessment_fields(cat):
        raw = form.get(f["name"])
        if not isinstance(raw, str) or raw.strip() == "":
            continue
        test = f["test"]
        value: float | bool
        if test.kind == "boolean":
            if raw not in ("yes", "no"):
                errors[f["name"]] = "Choose positive or negative."
                continue
            value = raw == "yes"
        else:
            try:
                value = float(raw.replace(",", "."))
            except ValueError:
                errors[f["name"]] = f"Enter a number in {test.unit}."
                continue
        index_to_field[len(inputs["measurements"])] = f["name"]
        inputs["measurements"].append(
            {"test_id": test.id, "side": f["side"], "value": value, "unit": test.unit}
        )
    general = ""
    if not errors:
        try:
            clean, findings = clinical.evaluate_assessment(inputs)
        except InputError as exc:
            match = re.match(r"measurements\[(\d+)\]", exc.field)
            target = index_to_field.get(int(match.group(1))) if match else exc.field
            message = exc.message + (f" ({exc.hint})" if exc.hint else "")
            if target and (target in values or target.startswith("m.")):
                errors[target] = message
            else:
                general = f"{exc.field}: {message}"
        except ValidationError as exc:
            for e in exc.errors():
                loc = [str(p) for p in e.get("loc", ())]
                target = loc[0] if loc else "input"
                if target == "measurements" and len(loc) > 1 and loc[1].isdigit():
                    target = index_to_field.get(int(loc[1]), target)
                errors[target] = str(e.get("msg", "invalid value"))
        else:
            row = crud.add_assessment(
                db,
                client.id,
                inputs=clean,
                findings=findings,
                pain_nprs=clinical.assessment_pain(clean),
                stop=bool(findings.get("stop")),
                by=user,
            )
            crud.audit(
                db, user, "create", "assessment", resource_id=row.id, client_id=client.id, detail="web"
            )
            return _redirect(f"/clients/{client.id}#findings")
    ctx = _assessment_ctx(request, client, values, errors, general)
    return _render(request, "assessment.html", ctx, code=422)


@router.post("/clients/{client_id}/programme")
async def programme_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    form = await checked_form(request)
    latest = crud.latest_assessment(db, client.id)
    if latest is None:
        raise InputError("assessment", "no assessment yet", hint="record an assessment first")
    if latest.stop:
        raise HTTPException(status.HTTP_409_CONFLICT, "red flags found: stop and refer, no programme")
    goals = [g.strip() for g in str(form.get("goals") or "").split(",") if g.strip()][:20]
    pain = latest.pain_nprs if latest.pain_nprs is not None else 0.0
    content = clinical.prescribe(latest.findings, pain_nprs=pain, goals=goals)
    row = crud.add_programme(
        db, client.id, content=content, assessment_id=latest.id, pain_nprs=pain, goals=goals, by=user
    )
    crud.audit(db, user, "create", "programme", resource_id=row.id, client_id=client.id, detail="web")
    return _redirect(f"/clients/{client.id}#programme")


# --- KOOS ------------------------------------------------------------------------------------------


SUBSCALE_TITLES = {
    "symptoms": "Symptoms",
    "pain": "Pain",
    "adl": "Function in daily living",
    "sport_rec": "Function in sport and recreation",
    "qol": "Knee-related quality of life",
}


def _koos_ctx(
    client: Client, answers: Mapping[str, Any], scores: Mapping[str, Any] | None, saved: bool
) -> dict[str, Any]:
    groups: dict[str, list[Any]] = {}
    for item in KOOS_ITEMS:
        groups.setdefault(item.subscale, []).append(item)
    answered = sum(1 for v in answers.values() if v is not None)
    return {
        "client": client,
        "groups": [(SUBSCALE_TITLES.get(k, k), k, v) for k, v in groups.items()],
        "answers": answers,
        "scores": scores,
        "saved": saved,
        "answered": answered,
        "total": sum(len(v) for v in groups.values()),
    }


@router.get("/clients/{client_id}/koos", response_class=HTMLResponse)
def koos_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    previous = list(crud.list_questionnaires(db, client.id, "koos"))
    answers: dict[str, Any] = {}
    # Resume a partial questionnaire from today; a complete or older one starts a fresh form.
    if previous and previous[-1].created_at.date() == _today():
        last = previous[-1].answers or {}
        if any(v is None for v in last.values()) or len(last) < 42:
            answers = dict(last)
    return _render(request, "koos.html", _koos_ctx(client, answers, None, False))


@router.post("/clients/{client_id}/koos", response_class=HTMLResponse)
async def koos_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    form = await checked_form(request)
    answers: dict[str, int | None] = {}
    for item in KOOS_ITEMS:
        raw = form.get(item.id)
        answers[item.id] = int(raw) if isinstance(raw, str) and raw in {"0", "1", "2", "3", "4"} else None
    scores = clinical.score_koos(answers, "2012")
    previous = list(crud.list_questionnaires(db, client.id, "koos"))
    last = previous[-1] if previous else None
    if (
        last is not None
        and last.created_at.date() == _today()
        and any(v is None for v in (last.answers or {}).values())
    ):
        # continuing today's partial questionnaire: update it instead of adding a second response
        last.answers = answers
        last.scores = scores
        db.flush()
        row_id = last.id
    else:
        row_id = crud.add_questionnaire(db, client.id, answers=answers, scores=scores, by=user).id
    crud.audit(db, user, "create", "questionnaire", resource_id=row_id, client_id=client.id, detail="web")
    return _render(request, "koos.html", _koos_ctx(client, answers, scores, True))


# --- session log -----------------------------------------------------------------------------------


def _pending_morning(logs: list[SessionLog], today: date) -> date | None:
    """Most recent earlier session day still missing its next-morning pain (asked the day after)."""
    for log in reversed(logs):
        if log.session_date < today and (today - log.session_date).days <= 3:
            if log.pain_next_morning is None:
                return log.session_date
            return None
    return None


def _log_ctx(
    db: Session, client: Client, values: Mapping[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    programme = crud.current_programme(db, client.id)
    logs = list(crud.list_session_logs(db, client.id))
    today = _today()
    return {
        "client": client,
        "programme": programme,
        "items": build.programme_items(programme.content if programme else None),
        "today": today,
        "pending_morning": _pending_morning(logs, today),
        "values": values,
        "errors": errors,
    }


@router.get("/clients/{client_id}/log", response_class=HTMLResponse)
def log_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    return _render(request, "log.html", _log_ctx(db, client, {}, {}))


@router.post("/clients/{client_id}/log", response_class=HTMLResponse)
async def log_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    form = await checked_form(request)
    programme = crud.current_programme(db, client.id)
    items = build.programme_items(programme.content if programme else None)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    session_date = _today()
    if values.get("session_date"):
        try:
            session_date = date.fromisoformat(values["session_date"])
        except ValueError:
            errors["session_date"] = "Use the format YYYY-MM-DD."
        else:
            if session_date > _today() or session_date < _today() - timedelta(days=30):
                errors["session_date"] = "Pick a date within the last 30 days."
    pain: dict[str, float | None] = {}
    for key in ("pain_during", "pain_after"):
        try:
            pain[key] = _float(form, key)
        except InputError as exc:
            errors[key] = exc.message
        if pain.get(key) is not None and not 0 <= (pain[key] or 0) <= 10:
            errors[key] = "Pain is rated 0 to 10."
    rows: list[dict[str, Any]] = []
    limits = {
        "minutes": (0, 600),
        "speed_kmh": (0, 30),
        "incline_pct": (-10, 40),
        "sets": (0, 100),
        "reps": (0, 1000),
    }
    for i, item in enumerate(items):
        prefix = f"ex{i}."
        row: dict[str, Any] = {
            "exercise_id": item["exercise_id"],
            "completed": form.get(prefix + "completed") == "yes",
        }
        for key, (lo, hi) in limits.items():
            name = prefix + key
            try:
                number: float | int | None = (
                    _int(form, name) if key in ("sets", "reps") else _float(form, name)
                )
            except InputError as exc:
                errors[name] = exc.message
                continue
            if number is not None and not lo <= number <= hi:
                errors[name] = f"Enter a value between {lo} and {hi}."
                continue
            row[key] = number
        rails = form.get(prefix + "handrails")
        row["handrails"] = rails if rails in ("none", "one", "both") else None
        rows.append(row)
    if not items:
        errors["programme"] = "There is no programme yet; ask your trainer."
    if errors:
        ctx = _log_ctx(db, client, values, errors)
        return _render(request, "log.html", ctx, code=422)
    notes = str(form.get("notes") or "")[:5000]
    # A log saved offline is sent again until an answer arrives: its key stores it once.
    key = str(form.get("idempotency_key") or "")
    if key and not captures.valid_key(key):
        raise InputError("idempotency_key", "not a valid key", hint="8-64 letters, digits, - or _")
    replay = bool(key) and captures.seen_key(db, client.id, key) is not None
    log_ids: dict[str, int] = {}
    for row in [] if replay else rows:
        log_ids[row["exercise_id"]] = crud.add_session_log(
            db,
            client.id,
            programme_id=programme.id if programme else None,
            by=user,
            session_date=session_date,
            pain_during=pain.get("pain_during"),
            pain_after=pain.get("pain_after"),
            notes=notes,
            **row,
        ).id
    if log_ids:
        if key:
            captures.remember_key(db, client.id, key, "session_log", next(iter(log_ids.values())))
        captures.link_recordings(
            db, client.id, captures.parse_ids(str(form.get("recording_ids") or "")), log_ids
        )
        crud.audit(db, user, "create", "session_log", client_id=client.id, detail=f"web {session_date}")
    logs = list(crud.list_session_logs(db, client.id))
    decision = _next_session(programme, logs)
    return _render(
        request,
        "log_saved.html",
        {
            "client": client,
            "decisions": _decision_items(decision),
            "session_date": session_date,
            "pain": pain,
            "engine": decision is not None,
        },
    )


@router.post("/clients/{client_id}/log/morning", response_class=HTMLResponse)
async def morning_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    form = await checked_form(request)
    try:
        day = date.fromisoformat(str(form.get("session_date") or ""))
        value = _float(form, "pain_next_morning")
    except (ValueError, InputError):
        raise InputError("pain_next_morning", "missing or invalid", hint="move the slider and save") from None
    if value is None or not 0 <= value <= 10:
        raise InputError("pain_next_morning", "pain is rated 0 to 10")
    for log in crud.list_session_logs(db, client.id):
        if log.session_date == day:
            crud.update_session_log(db, log, pain_next_morning=value)
    crud.audit(db, user, "update", "session_log", client_id=client.id, detail=f"web morning {day}")
    return _redirect(f"/clients/{client.id}/log?morning=saved")


# --- recordings ------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/recordings", response_class=HTMLResponse)
def recordings_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    return _render(
        request,
        "recordings.html",
        {"client": client, "recordings": list(reversed(crud.list_recordings(db, client.id))), "error": None},
    )


@router.post("/clients/{client_id}/recordings", response_class=HTMLResponse)
async def recordings_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer", "client")
    form = await checked_form(request)
    from retrowalk.web.uploads import store_upload

    error = None
    try:
        await store_upload(request, db, user, client, form)
    except InputError as exc:
        error = f"{exc.field}: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")
    return _render(
        request,
        "recordings.html",
        {"client": client, "recordings": list(reversed(crud.list_recordings(db, client.id))), "error": error},
        code=422 if error else 200,
    )
