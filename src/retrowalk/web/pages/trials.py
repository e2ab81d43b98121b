"""Trial pages: a trainer's (or admin's) trials, each with its CONSORT flow and analysis table.

Read-only views over :mod:`retrowalk.storage.trials` (the trial flows' rules); the numbers are the same
as the API's
``/api/v1/trials/{id}/analysis`` and ``retrowalk trial analyse``. Creating (definition form or
YAML upload), randomising, enrolling and capturing a visit go through :mod:`retrowalk.app.trials`;
bulk CSV uploads through the API or the CLI.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from retrowalk.app import trials as trial_flows
from retrowalk.app.access import MAX_ID, Trial, User, audit, require_role
from retrowalk.app.errors import Conflict, NotFound, Unavailable
from retrowalk.core.vocab import field_messages
from retrowalk.errors import InputError
from retrowalk.http import offload
from retrowalk.http.deps import DbSession, rollback_request
from retrowalk.storage import trials as store
from retrowalk.trial.analysis import Population, TrialAnalysis
from retrowalk.trial.text import estimate_text, p_text
from retrowalk.web.pages._auth import checked_form, page_user
from retrowalk.web.pages._common import input_error_text, redirect, render, text

router = APIRouter()


def _manager(request: Request, db: Session) -> User:
    return require_role(page_user(request, db), "trainer", "admin")


def _flow_rows(result: TrialAnalysis, visits: list[str]) -> list[dict[str, Any]]:
    arms = result.flow.arms
    rows: list[dict[str, Any]] = [
        {"label": "Allocated", "cells": [a.allocated for a in arms]},
        {"label": "Withdrawn", "cells": [a.withdrawn for a in arms]},
    ]
    rows += [
        {"label": f"Assessed at {v}", "cells": [a.assessed_per_visit.get(v, 0) for a in arms]} for v in visits
    ]
    rows += [
        {"label": "Excluded from analysis", "cells": [a.excluded_from_analysis for a in arms]},
        {"label": "Analysed", "cells": [a.analysed for a in arms]},
        {"label": "Analysed at final visit", "cells": [a.analysed_final_visit for a in arms]},
    ]
    return rows


def _outcome_tables(result: TrialAnalysis) -> list[dict[str, Any]]:
    tables = []
    for o in result.outcomes:
        within = {(w.arm, w.visit): w.change for w in o.within}
        mixed = {(m.arm, m.visit): m.difference_in_change for m in o.mixed_model.contrasts}
        sizes = {(e.arm, e.visit): e.effect for e in o.effect_sizes}
        means = []
        for d in o.descriptives:
            ch = within.get((d.arm, d.visit))
            means.append(
                {
                    "arm": d.arm,
                    "visit": d.visit,
                    "n": d.summary.n,
                    "mean": estimate_text(d.summary.mean, d.summary.ci_low, d.summary.ci_high),
                    "change": estimate_text(ch.estimate, ch.ci_low, ch.ci_high) if ch else "",
                    "p": p_text(ch.p) if ch else "",
                }
            )
        between = []
        for a in o.ancova:
            m = mixed.get((a.arm, a.visit))
            e = sizes.get((a.arm, a.visit))
            between.append(
                {
                    "arm": a.arm,
                    "visit": a.visit,
                    "n": a.n,
                    "ancova": estimate_text(a.difference.estimate, a.difference.ci_low, a.difference.ci_high),
                    "ancova_p": p_text(a.difference.p),
                    "mixed": estimate_text(m.estimate, m.ci_low, m.ci_high) if m else "–",
                    "mixed_p": p_text(m.p) if m else "–",
                    "g": estimate_text(e.hedges_g, e.ci_low, e.ci_high) if e else "–",
                    "favours": a.favours or "–",
                }
            )
        mm = o.mixed_model
        tables.append(
            {
                "id": o.outcome,
                "label": o.label or o.outcome,
                "unit": o.unit,
                "better": o.better,
                "primary": o.primary,
                "means": means,
                "between": between,
                "interaction": (
                    f"χ² = {mm.interaction_chi2:.2f}, df {mm.interaction_df}, p = {p_text(mm.interaction_p)}"
                    if mm.interaction_chi2 is not None
                    else "not estimable"
                ),
                "n_obs": mm.n_observations,
            }
        )
    return tables


def _flash(request: Request, view: Any) -> str | None:
    q = request.query_params
    if q.get("created"):
        return "Trial created. Randomise it to seal the allocation list."
    if q.get("done") == "randomised":
        return "Allocation list sealed. Enrol participants one at a time."
    if (who := q.get("enrolled")) and view is not None:
        arm = next((a.arm for a in view.allocations if a.participant == who), None)
        return f"Participant {who} is allocated to {arm}." if arm else None
    if who := q.get("recorded"):
        return f"Values of {who} at {q.get('visit', '')} saved."
    return None


@router.get("/trials", response_class=HTMLResponse)
def trials_page(request: Request, db: Session = DbSession) -> Response:
    user = _manager(request, db)
    rows = [store.summary(db, t) for t in store.list_trials_for(db, user)]
    return render(request, "trials.html", {"trials": rows})


def _new_page(request: Request, text: str, errors: list[str], code: int = 200) -> Response:
    return render(request, "trial_new.html", {"text": text, "errors": errors}, code=code)


@router.get("/trials/new", response_class=HTMLResponse)
def new_trial_page(request: Request, db: Session = DbSession) -> Response:
    _manager(request, db)
    return _new_page(request, trial_flows.TEMPLATE, [])


@router.post("/trials/new", response_class=HTMLResponse)
async def new_trial_submit(request: Request, db: Session = DbSession) -> Response:
    """Create from the definition form's YAML, or from an uploaded YAML file when one is chosen."""
    user = _manager(request, db)
    form = await checked_form(request)
    text = str(form.get("definition_yaml") or "")
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(trial_flows.MAX_TEXT + 1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _new_page(request, text, ["file: not UTF-8 text"], code=422)
    try:
        trial = trial_flows.create(db, user, text)
    except ValidationError as exc:
        problems = [f"{k}: {v}" for k, v in field_messages(exc).items()]
        return _new_page(request, text, problems, code=422)
    except (InputError, Conflict) as exc:
        rollback_request(db, request)
        message = f"{exc.field}: {input_error_text(exc)}" if isinstance(exc, InputError) else exc.detail
        return _new_page(request, text, [message], code=422)
    return redirect(f"/trials/{trial.id}?created=1")


def _owned(request: Request, db: Session, trial_id: int, *, lock: bool = True) -> tuple[User, Trial]:
    """The trial manager and their trial (404 for another's or an unknown id); ``lock`` for a change."""
    user = _manager(request, db)
    trial = store.get_trial_for(db, user, trial_id, lock=lock) if 0 < trial_id <= MAX_ID else None
    if trial is None:
        raise NotFound("trial not found")
    return user, trial


@router.post("/trials/{trial_id}/randomise")
async def randomise_submit(request: Request, trial_id: int, db: Session = DbSession) -> Response:
    user, trial = _owned(request, db, trial_id)
    await checked_form(request)
    trial_flows.randomise(db, user, trial)
    return redirect(f"/trials/{trial.id}?done=randomised#allocation")


@router.post("/trials/{trial_id}/enrol")
async def enrol_submit(request: Request, trial_id: int, db: Session = DbSession) -> Response:
    """Reveal one participant's arm; post/redirect/get, so a reload shows it again (a lookup)."""
    user, trial = _owned(request, db, trial_id)
    form = await checked_form(request)
    definition = store.definition_of(trial)
    levels = {f.name: text(form, f"stratum.{f.name}") for f in definition.stratification}
    alloc = trial_flows.enrol(db, user, trial, text(form, "participant"), levels)
    return redirect(f"/trials/{trial.id}?enrolled={quote(alloc.participant)}#allocation")


@router.post("/trials/{trial_id}/visits")
async def visit_submit(request: Request, trial_id: int, db: Session = DbSession) -> Response:
    user, trial = _owned(request, db, trial_id)
    form = await checked_form(request)
    definition = store.definition_of(trial)
    values = {o.id: text(form, f"value.{o.id}") for o in definition.outcomes}
    participant, visit = text(form, "participant"), text(form, "visit")
    trial_flows.record_visit(db, user, trial, participant, visit, values, day=text(form, "day"))
    return redirect(f"/trials/{trial.id}?recorded={quote(participant)}&visit={quote(visit)}#visits")


@router.get("/trials/{trial_id}", response_class=HTMLResponse)
def trial_page(request: Request, trial_id: int, db: Session = DbSession, population: str = "itt") -> Response:
    user, trial = _owned(request, db, trial_id, lock=False)
    pop: Population = "per-protocol" if population == "per-protocol" else "itt"
    definition = store.definition_of(trial)
    error = None
    found: TrialAnalysis | offload.Preparing | None = None
    audit(db, user, "read", "trial_analysis", resource_id=trial.id, detail=f"web page {pop}")
    try:  # a job computes it once per data version; repeat views read the cached result
        found = offload.trial_analysis(request, db, trial, pop)
    except Unavailable as exc:  # stored rows no longer pass (should not happen): say so, don't crash
        error = exc.detail
    result = found if isinstance(found, TrialAnalysis) else None
    preparing = found if isinstance(found, offload.Preparing) else None
    view = store.allocations_view(db, trial) if trial.digest is not None else None
    return render(
        request,
        "trial.html",
        {
            "trial": store.summary(db, trial),
            "definition": definition,
            "population": pop,
            "view": view,
            "result": result,
            "error": error,
            "preparing": preparing,
            "arms": [a.arm for a in result.flow.arms] if result else [],
            "flow": _flow_rows(result, [v.id for v in definition.visits]) if result else [],
            "outcomes": _outcome_tables(result) if result else [],
            "flash": _flash(request, view),
        },
    )
