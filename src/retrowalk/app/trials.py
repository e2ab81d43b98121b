"""Trials from the web: create from a YAML definition, randomise, enrol (reveal one participant's
allocation) and capture a visit's values, over :mod:`retrowalk.storage.trials` (the rules).

Why here: the pages need the same steps as the REST routes without importing them; every step
is audited, and a refusal is an InputError naming the field or a Conflict.
"""

from __future__ import annotations

import secrets

import yaml
from sqlalchemy.orm import Session

from retrowalk.app.access import audit
from retrowalk.app.errors import Conflict
from retrowalk.errors import InputError
from retrowalk.io import limits
from retrowalk.storage import trials as store
from retrowalk.storage.models import Trial, User
from retrowalk.trial.data import RawRow
from retrowalk.trial.definition import TrialDefinition, stratum_key
from retrowalk.trial.randomisation import Allocation, PublicView

#: Largest definition text accepted (as the REST route's ``definition_yaml``).
MAX_TEXT = 200_000

#: A starting point for the definition form (two arms, pain, baseline and week 6, stratified by sex).
TEMPLATE = """\
id: retro-pilot
title: Backward walking vs usual care (pilot)
arms:
  - {id: usual, label: Usual care}
  - {id: retro, label: Backward walking}
control_arm: usual
outcomes:
  - {id: pain, label: Pain (NPRS), unit: points, better: lower, primary: true, min: 0, max: 10}
visits:
  - {id: baseline, day: 0}
  - {id: week6, day: 42, window_before: 7, window_after: 7}
stratification:
  - {name: sex, levels: [F, M]}
target_size: 40
block_sizes: [2, 4]
"""


def parse_definition(text: str, *, field: str = "definition_yaml") -> TrialDefinition:
    """The YAML text as a checked definition; ValidationError for the model's own refusals."""
    if len(text) > MAX_TEXT:
        raise InputError(field, f"longer than {MAX_TEXT} characters")
    if "\x00" in text:
        raise InputError(field, "contains a NUL character")
    try:
        raw = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise InputError(field, f"not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise InputError(
            field, "must be a mapping (id, arms, outcomes, visits, ...)", hint="start from the template"
        )
    definition = TrialDefinition.model_validate(raw)
    for loc, what, count, setting in (
        ("stratification", "strata (product of factor levels)", definition.stratum_count, "max_trial_strata"),
        ("arms", "arms", len(definition.arms), "max_trial_arms"),
        ("visits", "visits", len(definition.visits), "max_trial_visits"),
        ("outcomes", "outcomes", len(definition.outcomes), "max_trial_outcomes"),
    ):
        limits.check(f"{field}.{loc}", what, count, setting)
    ids = [definition.id, *definition.arm_ids, *(o.id for o in definition.outcomes)]
    ids += [v.id for v in definition.visits]
    if any(len(i) > store.MAX_ID for i in ids):
        raise InputError(field, f"an id is longer than {store.MAX_ID} characters")
    return definition


def create(db: Session, user: User, text: str) -> Trial:
    definition = parse_definition(text)
    if any(t.key == definition.id for t in store.list_trials_for(db, user)):
        raise Conflict(f"you already have a trial {definition.id!r}")
    trial = store.create_trial(db, user, definition, source_text=text)
    audit(db, user, "create", "trial", resource_id=trial.id, detail=definition.id)
    return trial


def randomise(db: Session, user: User, trial: Trial) -> PublicView:
    """The sealed list, from a secret random seed (shown to nobody)."""
    try:
        view = store.randomise(db, trial, user, seed=secrets.randbelow(2**31))
    except store.AlreadyRandomised:
        raise Conflict("this trial already has a sealed list") from None
    audit(db, user, "create", "trial_allocation_list", resource_id=trial.id, detail=view.digest)
    return view


def enrol(db: Session, user: User, trial: Trial, participant: str, levels: dict[str, str]) -> Allocation:
    """Reveal one participant's arm (the next sealed slot of their stratum); a repeat is a lookup."""
    participant = participant.strip()
    if not participant or len(participant) > store.MAX_ID:
        raise InputError("participant", f"give a participant code of 1-{store.MAX_ID} characters")
    try:
        alloc = store.reveal(db, trial, user, participant=participant, levels=levels)
    except store.NotRandomised:
        raise Conflict("randomise the trial first") from None
    except store.AllocationConflict:
        raise Conflict("another reveal took this slot; try again") from None
    action = "read" if alloc.already_allocated else "create"
    detail = f"{alloc.participant} #{alloc.sequence} {alloc.stratum}"
    audit(db, user, action, "trial_allocation", resource_id=trial.id, detail=detail)
    return alloc


def record_visit(
    db: Session, user: User, trial: Trial, participant: str, visit: str, values: dict[str, str], day: str = ""
) -> int:
    """One enrolled participant's values at one visit (outcome id → value text); rows stored."""
    definition = store.definition_of(trial)
    try:
        allocations = {a.participant: a for a in store.allocations_view(db, trial).allocations}
    except store.NotRandomised:
        raise Conflict("randomise the trial first") from None
    alloc = allocations.get(participant.strip())
    if alloc is None:
        raise InputError("participant", f"{participant!r} is not enrolled", hint="enrol them first")
    if visit not in {v.id for v in definition.visits}:
        raise InputError("visit", f"unknown visit {visit!r}")
    strata = next((levels for levels in definition.strata() if stratum_key(levels) == alloc.stratum), {})
    rows = [
        RawRow(
            line=i,
            participant=alloc.participant,
            arm=alloc.arm,
            visit=visit,
            outcome=outcome.id,
            value=values.get(outcome.id, "").strip(),
            strata=dict(strata),
            day=day.strip() or None,
        )
        for i, outcome in enumerate(definition.outcomes, 1)
        if values.get(outcome.id, "").strip()
    ]
    if not rows:
        raise InputError("values", "enter at least one outcome value")
    store.add_observations(db, trial, rows, source="visit form")
    audit(
        db, user, "create", "trial_observation", resource_id=trial.id, detail=f"{alloc.participant} {visit}"
    )
    return len(rows)
