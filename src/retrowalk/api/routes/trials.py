"""Trials (retrowalk.trial over HTTP): definitions, concealed randomisation, data upload, analysis.

Trainers and admins manage their own trials; client accounts are refused (403); another owner's
trial answers 404, so its existence is not revealed. No response ever contains the seed or an
allocation that has not been revealed.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path as FsPath
from typing import Any

import yaml
from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from retrowalk.app.access import Trial, User, audit
from retrowalk.errors import InputError
from retrowalk.http import offload
from retrowalk.http.deps import DbSession, require_role, row_id
from retrowalk.io import limits
from retrowalk.io.trial import read_rows_bytes
from retrowalk.settings import Settings
from retrowalk.storage import trials as store
from retrowalk.trial.analysis import Population, TrialAnalysis
from retrowalk.trial.definition import TrialDefinition, stratum_key
from retrowalk.trial.randomisation import Allocation, PublicView

router = APIRouter(prefix="/trials", tags=["trials"])
TrialManager = Depends(require_role("trainer", "admin"))
MAX_TEXT = 200_000


class TrialCreate(BaseModel):
    """A trial definition (see docs/trial.md) as JSON, or the YAML file's text: exactly one."""

    model_config = ConfigDict(extra="forbid")

    definition: dict[str, Any] | None = None
    definition_yaml: str | None = Field(default=None, max_length=MAX_TEXT)


class TrialOut(BaseModel):
    id: int
    key: str
    title: str
    created_at: datetime
    randomised: bool
    randomised_at: datetime | None
    digest: str | None = Field(description="SHA-256 of the sealed list; record it to prove no edits.")
    revealed: int
    observations: int
    definition: dict[str, Any]


class RandomiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="Omit for a random seed (kept secret)."
    )
    n: int | None = Field(default=None, ge=1, le=store.MAX_SLOTS, description="List length per stratum.")


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant: str = Field(min_length=1, max_length=store.MAX_ID, pattern=r"^[A-Za-z0-9_.-]+$")
    strata: dict[str, str] = Field(default_factory=dict, description="Factor → level, e.g. {'sex': 'F'}.")


class UploadOut(BaseModel):
    rows: int
    participants: int
    observations: int = Field(description="Rows with a value (empty/NA values are missing).")
    total_rows: int


def _unprocessable(loc: list[str | int], msg: str, kind: str = "value_error") -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT, [{"loc": ["body", *loc], "msg": msg, "type": kind}]
    )


def _parse_definition(body: TrialCreate) -> tuple[TrialDefinition, str]:
    if (body.definition is None) == (body.definition_yaml is None):
        raise _unprocessable(["definition"], "give exactly one of definition or definition_yaml", "missing")
    if body.definition_yaml is not None:
        text = body.definition_yaml
        field = "definition_yaml"
        try:
            raw = yaml.safe_load(text)
        except (yaml.YAMLError, RecursionError, ValueError) as exc:
            raise _unprocessable([field], f"not valid YAML: {exc}") from None
    else:
        raw, field = body.definition, "definition"
        text = json.dumps(raw, indent=1)
    if "\x00" in text:
        raise _unprocessable([field], "contains a NUL character")
    if not isinstance(raw, dict):
        raise _unprocessable([field], "must be a mapping (id, arms, outcomes, visits, ...)")
    try:
        definition = TrialDefinition.model_validate(raw)
    except ValidationError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", field, *e.get("loc", ())],
                    "msg": e.get("msg", "invalid"),
                    "type": e.get("type", "value_error"),
                }
                for e in exc.errors(include_url=False, include_input=False, include_context=False)
            ],
        ) from None
    _check_lengths(definition, field)
    return definition, text


def _check_lengths(d: TrialDefinition, field: str) -> None:
    for loc, what, count, setting in (
        ("stratification", "strata (product of factor levels)", d.stratum_count, "max_trial_strata"),
        ("arms", "arms", len(d.arms), "max_trial_arms"),
        ("visits", "visits", len(d.visits), "max_trial_visits"),
        ("outcomes", "outcomes", len(d.outcomes), "max_trial_outcomes"),
    ):  # counted, never built: before anything below enumerates the strata
        limits.check(f"{field}.{loc}", what, count, setting)
    ids = [("id", d.id)]
    ids += [(f"arms.{i}.id", a.id) for i, a in enumerate(d.arms)]
    ids += [(f"outcomes.{i}.id", o.id) for i, o in enumerate(d.outcomes)]
    ids += [(f"visits.{i}.id", v.id) for i, v in enumerate(d.visits)]
    for loc, value in ids:
        if len(value) > store.MAX_ID:
            raise _unprocessable([field, *loc.split(".")], f"longer than {store.MAX_ID} characters")
    if len(d.title) > 300:
        raise _unprocessable([field, "title"], "longer than 300 characters")
    if any(len(stratum_key(levels)) > 200 for levels in d.strata()[:1000]):
        raise _unprocessable([field, "stratification"], "stratum names longer than 200 characters")


def _owned(trial_id: int, user: User, db: Session, *, lock: bool = False) -> Trial:
    trial = store.get_trial_for(db, user, trial_id, lock=lock)
    if trial is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "trial not found")
    return trial


@router.get("", response_model=list[TrialOut])
def list_trials(user: User = TrialManager, db: Session = DbSession) -> list[dict[str, Any]]:
    return [store.summary(db, t) for t in store.list_trials_for(db, user)]


@router.post(
    "",
    response_model=TrialOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "you already have a trial with this id"}},
)
def create_trial(body: TrialCreate, user: User = TrialManager, db: Session = DbSession) -> dict[str, Any]:
    definition, text = _parse_definition(body)
    if any(t.key == definition.id for t in store.list_trials_for(db, user)):
        raise HTTPException(status.HTTP_409_CONFLICT, f"you already have a trial {definition.id!r}")
    trial = store.create_trial(db, user, definition, source_text=text)
    audit(db, user, "create", "trial", resource_id=trial.id, detail=definition.id)
    return store.summary(db, trial)


@router.get("/{trial_id}", response_model=TrialOut)
def get_trial(trial_id: int = row_id(), user: User = TrialManager, db: Session = DbSession) -> dict[str, Any]:
    return store.summary(db, _owned(trial_id, user, db))


@router.post(
    "/{trial_id}/randomise",
    response_model=PublicView,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "already randomised: a trial has one sealed list"}},
)
def randomise(
    body: RandomiseIn, trial_id: int = row_id(), user: User = TrialManager, db: Session = DbSession
) -> PublicView:
    """Generate and store the sealed list. The response shows counts only, never an arm."""
    trial = _owned(trial_id, user, db, lock=True)
    seed = body.seed if body.seed is not None else secrets.randbelow(2**31)
    try:
        view = store.randomise(db, trial, user, seed=seed, capacity_per_stratum=body.n)
    except store.AlreadyRandomised:
        raise HTTPException(status.HTTP_409_CONFLICT, "this trial already has a sealed list") from None
    audit(db, user, "create", "trial_allocation_list", resource_id=trial.id, detail=view.digest)
    return view


@router.post(
    "/{trial_id}/allocations",
    response_model=Allocation,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "participant was allocated before: the same arm (a lookup)"},
        409: {"description": "not randomised yet, or a concurrent reveal (retry)"},
    },
)
def reveal_allocation(
    body: RevealIn,
    trial_id: int = row_id(),
    user: User = TrialManager,
    db: Session = DbSession,
) -> Any:
    """Reveal ONE participant's allocation (next slot of their stratum), audited; repeat = lookup."""
    from fastapi.responses import JSONResponse

    trial = _owned(trial_id, user, db, lock=True)
    try:
        alloc = store.reveal(db, trial, user, participant=body.participant, levels=body.strata)
    except store.NotRandomised:
        raise HTTPException(status.HTTP_409_CONFLICT, "randomise the trial first") from None
    except store.AllocationConflict:
        raise HTTPException(status.HTTP_409_CONFLICT, "another reveal took this slot; retry") from None
    audit(
        db,
        user,
        "read" if alloc.already_allocated else "create",
        "trial_allocation",
        resource_id=trial.id,
        detail=f"{alloc.participant} #{alloc.sequence} {alloc.stratum}",
    )
    if alloc.already_allocated:
        return JSONResponse(alloc.model_dump(mode="json"), status_code=status.HTTP_200_OK)
    return alloc


@router.get("/{trial_id}/allocations", response_model=PublicView)
def list_allocations(
    trial_id: int = row_id(), user: User = TrialManager, db: Session = DbSession
) -> PublicView:
    """Revealed allocations, per-stratum counts and the audit trail (never unrevealed arms)."""
    trial = _owned(trial_id, user, db)
    try:
        return store.allocations_view(db, trial)
    except store.NotRandomised:
        raise HTTPException(status.HTTP_409_CONFLICT, "randomise the trial first") from None


@router.post(
    "/{trial_id}/observations",
    response_model=UploadOut,
    status_code=status.HTTP_201_CREATED,
    responses={413: {"description": "file over the upload limit"}},
)
def upload_observations(
    request: Request,
    file: UploadFile = File(description="long CSV: participant, arm, <strata>, visit, outcome, value, ..."),
    trial_id: int = row_id(),
    user: User = TrialManager,
    db: Session = DbSession,
) -> UploadOut:
    """Add rows (all or nothing): any problem → 422 naming the file line; nothing is stored.

    The file is read and parsed with no database turn held; only storing it takes one.
    """
    trial = _owned(trial_id, user, db)
    settings: Settings = request.app.state.settings
    data = file.file.read(settings.upload_limit_bytes + 1)
    if len(data) > settings.upload_limit_bytes:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "file larger than the upload limit")
    source = FsPath(file.filename or "upload.csv").name[:100] or "upload.csv"
    definition = store.definition_of(trial)
    try:
        limits.check(source, "data rows", data.count(b"\n"), "max_trial_rows")
        rows = offload.outside_turn(request, db, read_rows_bytes, data, definition, source=source)
        trial = _owned(trial_id, user, db, lock=True)  # a fresh transaction: the trial may have changed
        dataset = store.add_observations(db, trial, rows, source=source)
    except InputError as exc:
        # The field is "FILE line N, column C": keep it whole (the generic handler splits on dots).
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [
                {
                    "loc": ["body", "file", exc.field],
                    "msg": f"{exc.field}: {exc.message}",
                    "type": "input_error",
                    "hint": exc.hint,
                }
            ],
        ) from None
    audit(db, user, "create", "trial_observations", resource_id=trial.id, detail=f"{len(rows)} rows")
    return UploadOut(
        rows=len(rows),
        participants=len(dataset.participants),
        observations=len(dataset.observations),
        total_rows=store.count_observations(db, trial),
    )


@router.get(
    "/{trial_id}/analysis",
    response_model=TrialAnalysis,
    responses={
        202: {"description": "being prepared: ask again at Location after Retry-After seconds"},
        409: {"description": "no observations uploaded yet"},
    },
)
def analyse_trial(
    request: Request,
    trial_id: int = row_id(),
    per_protocol: bool = Query(False, description="Per-protocol population instead of ITT."),
    user: User = TrialManager,
    db: Session = DbSession,
) -> TrialAnalysis | Response:
    """The same result as `retrowalk trial analyse --format json` on the stored data.

    Computed once per version of the data by a job: ``202`` with ``Location`` and ``Retry-After``
    while that job has not finished within a few seconds.
    """
    trial = _owned(trial_id, user, db)
    population: Population = "per-protocol" if per_protocol else "itt"
    audit(db, user, "read", "trial_analysis", resource_id=trial.id, detail=population)
    result = offload.trial_analysis(request, db, trial, population)
    if result is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "no observations uploaded yet")
    if isinstance(result, offload.Preparing):
        return offload.preparing_json(request, result)
    return result
