"""The assessment form and the programme button: parse the form, call the use case, render."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from retrowalk.app import assessments, programmes
from retrowalk.app.access import Client, client_access
from retrowalk.app.programmes import ProgrammeIn
from retrowalk.app.sessions import today
from retrowalk.core.assessment import load_catalogue
from retrowalk.errors import InputError
from retrowalk.http.deps import DbSession
from retrowalk.web.pages._auth import client_form, page_user
from retrowalk.web.pages._common import input_error_text, numbers, redirect, render, text

router = APIRouter()


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
    client: Client,
    values: Mapping[str, Any],
    errors: dict[str, str],
    general_error: str = "",
    *,
    previous: Mapping[str, Any] | None = None,
    previous_at: str = "",
) -> dict[str, Any]:
    cat = load_catalogue()
    joints: dict[str, list[dict[str, Any]]] = {}
    by_test: dict[str, dict[str, Any]] = {}
    for f in _assessment_fields(cat):
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
        "sides": assessments.AFFECTED_SIDES,
        "previous": previous or {},
        "previous_at": previous_at,
    }


@router.get("/clients/{client_id}/assessment", response_class=HTMLResponse)
def assessment_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    values: dict[str, Any] = assessments.prefill(db, client)
    last = assessments.latest(db, client.id)
    if client.date_of_birth:
        on, dob = today(), client.date_of_birth
        values["age"] = on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))
    if client.sex:
        values["sex"] = client.sex
    ctx = _assessment_ctx(
        client,
        values,
        {},
        previous=values if last else None,
        previous_at=last.created_at.strftime("%d %b %Y") if last else "",
    )
    return render(request, "assessment.html", ctx)


def _inputs(form: FormData, errors: dict[str, str]) -> tuple[dict[str, Any], dict[int, str]]:
    """The core's AssessmentInput from the form; per-box errors go into ``errors``."""
    inputs: dict[str, Any] = {
        "measurements": [],
        "red_flags": [v for v in form.getlist("red_flags") if isinstance(v, str)],
    }
    index_to_field: dict[int, str] = {}
    inputs |= numbers(
        form, ("age", "body_mass_kg", "pain_at_rest_nprs", "pain_activity_nprs"), errors, whole={"age"}
    )
    if form.get("sex") in ("female", "male"):
        inputs["sex"] = form.get("sex")
    for f in _assessment_fields(load_catalogue()):
        raw = form.get(f["name"])
        if not isinstance(raw, str) or raw.strip() == "":
            continue
        test = f["test"]
        measured: float | bool
        if test.kind == "boolean":
            if raw not in ("yes", "no"):
                errors[f["name"]] = "Choose positive or negative."
                continue
            measured = raw == "yes"
        else:
            try:
                measured = float(raw.replace(",", "."))
            except ValueError:
                errors[f["name"]] = f"Enter a number in {test.unit}."
                continue
        index_to_field[len(inputs["measurements"])] = f["name"]
        inputs["measurements"].append(
            {"test_id": test.id, "side": f["side"], "value": measured, "unit": test.unit}
        )
    return inputs, index_to_field


@router.post("/clients/{client_id}/assessment", response_class=HTMLResponse)
async def assessment_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await client_form(request, db, client_id, "trainer")
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["red_flags"] = [v for v in form.getlist("red_flags") if isinstance(v, str)]
    errors: dict[str, str] = {}
    inputs, index_to_field = _inputs(form, errors)
    general = ""
    side = text(form, "affected_side")
    if side not in assessments.AFFECTED_SIDES:
        errors["affected_side"] = "Choose which knee hurts: left, right or both."
    if not errors:
        try:
            assessments.record_assessment(
                db,
                user,
                client,
                inputs,
                detail="web",
                affected_side=side,  # type: ignore[arg-type]
            )
        except InputError as exc:
            field = exc.field.removeprefix("inputs.")
            match = re.match(r"measurements[\[.](\d+)", field)
            target = index_to_field.get(int(match.group(1))) if match else field
            if target and (target in values or target.startswith("m.")):
                errors[target] = input_error_text(exc)
            else:
                general = f"{field}: {input_error_text(exc)}"
        except ValidationError as exc:
            for e in exc.errors():
                loc = [str(p) for p in e.get("loc", ())]
                target = loc[0] if loc else "input"
                if target == "measurements" and len(loc) > 1 and loc[1].isdigit():
                    target = index_to_field.get(int(loc[1]), target)
                errors[target] = str(e.get("msg", "invalid value"))
        else:
            return redirect(f"/clients/{client.id}#findings")
    last = assessments.latest(db, client.id)
    previous = assessments.prefill(db, client) if last else None
    ctx = _assessment_ctx(
        client,
        values,
        errors,
        general,
        previous=previous,
        previous_at=last.created_at.strftime("%d %b %Y") if last else "",
    )
    return render(request, "assessment.html", ctx, code=422)


@router.get("/clients/{client_id}/assessments", response_class=HTMLResponse)
def history_page(request: Request, client_id: int, db: Session = DbSession) -> Response:
    """Every assessment, newest first, each test beside the previous visit."""
    user = page_user(request, db)
    client = client_access(db, user, client_id, "trainer")
    ctx = {
        "client": client,
        "visits": assessments.visits(db, user, client),
        "flash": "Assessment saved." if request.query_params.get("saved") else None,
    }
    return render(request, "assessments.html", ctx)


@router.post("/clients/{client_id}/programme")
async def programme_submit(request: Request, client_id: int, db: Session = DbSession) -> Response:
    user, client, form = await client_form(request, db, client_id, "trainer")
    goals = [g.strip() for g in form.getlist("goals") if isinstance(g, str) and g.strip()][:20]
    programmes.generate(db, user, client, ProgrammeIn(goals=goals), detail="web")
    return redirect(f"/clients/{client.id}#programme")
