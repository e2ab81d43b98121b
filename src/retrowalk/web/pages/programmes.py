"""The trainer's programme editor and version history: parse the form, call app.programmes.

The editor is one form without scripts: every button posts the whole draft (``op`` says what to
do: add, move, remove, filter the library, save), so nothing is lost between steps and a draft
is stored only when the trainer saves it, as a new version with the reason (``new_version``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from retrowalk.app import media, programmes
from retrowalk.app.access import Client, client_access
from retrowalk.app.errors import AppError
from retrowalk.app.programmes import ItemIn, VersionIn
from retrowalk.core.exercises import Dose, load_library
from retrowalk.core.vocab import HANDRAIL_LABELS
from retrowalk.errors import InputError
from retrowalk.http import offload
from retrowalk.http.deps import DbSession, rollback_request
from retrowalk.web.pages._auth import checked_form, page_user, trainer_form
from retrowalk.web.pages._common import form_errors, input_error_text, number, redirect, render, text

router = APIRouter()

#: The dose's number fields in the order a trainer reads a dose, and which are whole numbers.
NUMBER_FIELDS = ("sets", "reps", "hold_s", "minutes", "speed_kmh", "incline_pct", "sessions_per_week")
WHOLE = frozenset({"sets", "reps", "sessions_per_week"})
LABELS = {
    "sets": "Sets",
    "reps": "Reps",
    "hold_s": "Hold (s)",
    "minutes": "Minutes",
    "speed_kmh": "Speed (km/h)",
    "incline_pct": "Incline (%)",
    "sessions_per_week": "Per week",
}


@dataclass
class Row:
    """One exercise of the draft as the form holds it (raw text, so a typo survives a re-render)."""

    exercise_id: str
    name: str
    stage: str
    values: dict[str, str]
    handrails: str = ""
    safety_key: bool = False
    per_side: bool = False
    #: Number fields shown up front (the ones this exercise is dosed by); the others are folded.
    main_fields: list[str] = field(default_factory=list)


def _row(exercise_id: str, dose: Dose | None = None) -> Row:
    ex = load_library().get(exercise_id)
    dose = dose or ex.dose
    values = {f: ("" if getattr(dose, f) is None else f"{getattr(dose, f):g}") for f in NUMBER_FIELDS}
    main = [f for f in NUMBER_FIELDS if getattr(ex.dose, f) is not None or getattr(dose, f) is not None]
    return Row(
        exercise_id=ex.id,
        name=ex.name,
        stage=ex.stage,
        values=values,
        handrails=dose.handrails or "",
        safety_key=bool(dose.safety_key),
        per_side=dose.per_side,
        main_fields=main,
    )


def _rows_from_form(form: FormData) -> list[Row]:
    rows: list[Row] = []
    lib = load_library()
    count = int(text(form, "n") or 0) if text(form, "n").isdigit() else 0
    for i in range(min(count, 40)):
        eid = text(form, f"it{i}.exercise_id")
        if eid not in lib.exercises:
            continue
        row = _row(eid)
        row.values = {f: text(form, f"it{i}.{f}") for f in NUMBER_FIELDS}
        row.main_fields = [f for f in NUMBER_FIELDS if f in row.main_fields or row.values[f]]
        row.handrails = text(form, f"it{i}.handrails")
        row.safety_key = form.get(f"it{i}.safety_key") == "on"
        row.per_side = form.get(f"it{i}.per_side") == "on"
        rows.append(row)
    return rows


def _dose(row: Row, i: int, errors: dict[str, str]) -> Dose | None:
    raw: dict[str, Any] = {"per_side": row.per_side}
    for f in NUMBER_FIELDS:
        try:
            value = number_text(row.values[f], f"it{i}.{f}", whole=f in WHOLE)
        except InputError as exc:
            errors[exc.field] = f"{LABELS[f]}: {exc.message}"
            continue
        if value is not None:
            raw[f] = value
    if row.handrails:
        raw["handrails"] = row.handrails
    if row.safety_key:
        raw["safety_key"] = True
    try:
        return Dose.model_validate(raw)
    except ValidationError as exc:
        errors.update(form_errors(exc, prefix=f"it{i}."))
        return None


def number_text(raw: str, name: str, *, whole: bool) -> float | int | None:
    """A typed-in number from the draft (the pages' one parser, :func:`number`)."""
    return number(FormData([(name, raw)]), name, whole=whole)


def _ctx(
    db: Session,
    client: Client,
    rows: list[Row],
    *,
    filters: dict[str, str],
    reason: str = "",
    errors: dict[str, str] | None = None,
    general: str = "",
    user: Any = None,
    media_errors: dict[str, str] | None = None,
    media_flash: str = "",
) -> dict[str, Any]:
    in_draft = {r.exercise_id for r in rows}
    library = [e for e in programmes.library_for(db, client, **filters) if e.exercise.id not in in_draft]
    current = programmes.current_version(db, client)
    saved_items = list(current.content.items) if current else []
    return {
        "media_items": saved_items,
        "media": media.for_editor(db, user, client, [i.exercise_id for i in saved_items]) if user else {},
        "media_errors": media_errors or {},
        "media_flash": media_flash,
        "client": client,
        "rows": rows,
        "checks": programmes.item_checks(db, client, [r.exercise_id for r in rows]),
        "library": library,
        "facets": programmes.library_facets(),
        "filters": filters,
        "reason": reason,
        "errors": errors or {},
        "general_error": general,
        "labels": LABELS,
        "number_fields": NUMBER_FIELDS,
        "handrail_labels": HANDRAIL_LABELS,
        "current": current,
    }


def _filters(source: Any) -> dict[str, str]:
    out = {}
    for k in ("q", "joint", "quality", "stage"):
        v = source.get(k)
        out[k] = v.strip()[:100] if isinstance(v, str) else ""
    return out


@router.get("/clients/{client_id}/programme/edit", response_class=HTMLResponse)
def editor_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    current = programmes.current(db, user, client) if programmes.current_version(db, client) else None
    rows = []
    if current is not None:
        rows = [_row(item.exercise_id, item.dose) for item in current.content.items]
    flash = {"saved": "Photo or video saved.", "removed": "Photo or video removed."}
    ctx = _ctx(
        db,
        client,
        rows,
        filters=_filters(request.query_params),
        user=user,
        media_flash=flash.get(request.query_params.get("media", ""), ""),
    )
    return render(request, "programme_edit.html", ctx)


_OP = re.compile(r"^(up|down|remove|add):(.+)$")


@router.post("/clients/{client_id}/programme/edit", response_class=HTMLResponse)
async def editor_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    form = await checked_form(request)
    rows = _rows_from_form(form)
    filters = _filters(form)
    reason = text(form, "reason")
    op = text(form, "op") or "save"
    match = _OP.match(op)
    general = ""
    if match:
        verb, arg = match.groups()
        if verb == "add":
            blocked = programmes.item_checks(db, client, [arg]).get(arg)
            if blocked:
                name = load_library().exercises[arg].name
                general = f"{name} not added: contraindicated for this client ({'; '.join(blocked)})."
            elif arg in load_library().exercises and arg not in {r.exercise_id for r in rows}:
                rows.append(_row(arg))
        elif arg.isdigit() and int(arg) < len(rows):
            i = int(arg)
            if verb == "remove":
                rows.pop(i)
            elif verb == "up" and i > 0:
                rows[i - 1], rows[i] = rows[i], rows[i - 1]
            elif verb == "down" and i + 1 < len(rows):
                rows[i + 1], rows[i] = rows[i], rows[i + 1]
        ctx = _ctx(db, client, rows, filters=filters, reason=reason, general=general, user=user)
        return render(request, "programme_edit.html", ctx, code=422 if general else 200)
    if op != "save":
        return render(
            request, "programme_edit.html", _ctx(db, client, rows, filters=filters, reason=reason, user=user)
        )
    errors: dict[str, str] = {}
    doses = [_dose(r, i, errors) for i, r in enumerate(rows)]
    if not rows:
        general = "Add at least one exercise."
    if not reason:
        errors["reason"] = "Say why the programme changes (the client's record keeps it)."
    if not errors and not general:
        try:
            body = VersionIn(
                items=[ItemIn(exercise_id=r.exercise_id, dose=d) for r, d in zip(rows, doses, strict=True)],
                reason=reason,
            )
            row = programmes.save_edit(db, user, client, body)
        except InputError as exc:
            m = re.match(r"items\[(\d+)\]\.?(.*)", exc.field)
            key = f"it{m.group(1)}.{m.group(2) or 'exercise_id'}" if m else exc.field
            if key.endswith(".dose"):
                key = key.removesuffix(".dose") + ".exercise_id"
            errors[key.replace(".dose.", ".")] = input_error_text(exc)
        except ValidationError as exc:
            errors.update(form_errors(exc))
        except AppError as exc:
            general = exc.detail
        else:
            return redirect(f"/clients/{client.id}/programme/versions?saved={row.version}")
    ctx = _ctx(db, client, rows, filters=filters, reason=reason, errors=errors, general=general, user=user)
    return render(request, "programme_edit.html", ctx, code=422)


# --- the trainer's own photos and videos of the saved programme's exercises ------------------------

#: What the upload form's scope choice means: this client's item only, or all the trainer's clients.
MEDIA_SCOPES = ("client", "trainer")
MEDIA_FIELD_LABELS = {"file": "Photo or video", "exercise_id": "Exercise", "scope": "Shown to"}


def _media_page(
    request: Request, db: Session, user: Any, client: Client, *, errors: dict[str, str], flash: str = ""
) -> Response:
    current = programmes.current_version(db, client)
    rows = [_row(i.exercise_id, i.dose) for i in current.content.items] if current else []
    ctx = _ctx(db, client, rows, filters=_filters({}), user=user, media_errors=errors, media_flash=flash)
    return render(request, "programme_edit.html", ctx, code=422 if errors else 200)


@router.post("/clients/{client_id}/programme/media", response_class=HTMLResponse)
async def media_upload(request: Request, client_id: int, db: Session = DbSession) -> Response:
    """Upload (or replace) a photo or video of one saved exercise, for this client or all."""
    user, client, form = await trainer_form(request, db, client_id)
    eid = text(form, "exercise_id")
    scope = text(form, "scope") or "client"
    upload = form.get("file")
    try:
        if scope not in MEDIA_SCOPES:
            raise InputError("scope", f"unknown choice {scope!r}", hint="this client only, or all my clients")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InputError("file", "no file was chosen", hint="choose a photo (JPEG, PNG, WebP) or a video")
        owner = client if scope == "client" else None
        media.check_exercise(db, user, eid, owner)
        limits = media.Limits.from_settings(request.app.state.settings)
        medium = media.MediaUpload(upload.filename, upload.file)
        prepared = await run_in_threadpool(
            offload.outside_turn, request, db, media.prepare, media.data_dir(db), medium, limits
        )
        row = await run_in_threadpool(media.store, db, user, eid, prepared, client=owner)
    except InputError as exc:
        rollback_request(db, request)
        message = f"{MEDIA_FIELD_LABELS.get(exc.field, exc.field)}: {input_error_text(exc)}"
        return _media_page(request, db, user, client, errors={eid or "form": message})
    return redirect(f"/clients/{client.id}/programme/edit?media=saved#media-{row.exercise_id}")


@router.post("/clients/{client_id}/programme/media/{media_id}/remove", response_class=HTMLResponse)
async def media_remove(request: Request, client_id: int, media_id: int, db: Session = DbSession) -> Response:
    """Remove this client's item photo/video, or the trainer's own for all clients."""
    user, client, form = await trainer_form(request, db, client_id)
    wide = text(form, "scope") == "trainer"
    row = media.remove(db, user, media_id, client=None if wide else client)
    return redirect(f"/clients/{client.id}/programme/edit?media=removed#media-{row.exercise_id}")


@router.get("/clients/{client_id}/programme/versions", response_class=HTMLResponse)
def versions_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    rows = programmes.versions(db, user, client)
    numbers = [r.programme.version for r in rows]

    def pick(name: str, default: int | None) -> int | None:
        raw = request.query_params.get(name, "")
        return int(raw) if raw.isdigit() and int(raw) in numbers else default

    b = pick("b", numbers[0] if numbers else None)
    a = pick("a", numbers[1] if len(numbers) > 1 else None)
    changes = programmes.compare(db, user, client, a, b) if a is not None and b is not None else []
    saved = request.query_params.get("saved", "")
    ctx = {
        "client": client,
        "versions": rows,
        "a": a,
        "b": b,
        "changes": changes,
        "flash": f"Saved as version {saved}." if saved.isdigit() else None,
    }
    return render(request, "programme_versions.html", ctx)
