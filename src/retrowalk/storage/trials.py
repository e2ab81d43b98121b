"""Trials at the storage edge: definitions, the sealed allocation list and observations.

The statistics and the randomisation stay in the pure core (:mod:`retrowalk.trial`); this module
only turns database rows into the core's models and back. Like :mod:`retrowalk.storage.crud`, no
function commits: the caller owns the transaction, so an upload is stored whole or not at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from retrowalk.errors import InputError
from retrowalk.storage.models import Trial, TrialAllocationAudit, TrialObservation, TrialSlot, User
from retrowalk.trial.analysis import Population, TrialAnalysis, analyse
from retrowalk.trial.data import OPTIONAL_COLUMNS, RawRow, TrialData, build_dataset
from retrowalk.trial.definition import TrialDefinition, stratum_key
from retrowalk.trial.randomisation import (
    Allocation,
    AllocationList,
    AuditEntry,
    PublicView,
    Slot,
    generate,
    public_view,
    reveal_next,
)

#: Largest sealed list one trial may hold (strata × capacity); keeps a typo from filling the disk.
MAX_SLOTS = 20_000
#: Longest id (trial, arm, visit, outcome, participant) the tables hold.
MAX_ID = 100


class AlreadyRandomised(Exception):
    """The trial already has a sealed list; a second one would defeat concealment."""


class NotRandomised(Exception):
    """No sealed list yet: randomise first."""


class AllocationConflict(Exception):
    """A concurrent reveal took the same slot; the caller should retry."""


def _now() -> datetime:
    return datetime.now(UTC)


def definition_of(trial: Trial) -> TrialDefinition:
    return TrialDefinition.model_validate(trial.definition)


def create_trial(db: Session, owner: User, definition: TrialDefinition, *, source_text: str = "") -> Trial:
    row = Trial(
        owner_id=owner.id,
        key=definition.id,
        title=definition.title,
        definition=definition.model_dump(mode="json"),
        source_text=source_text,
    )
    db.add(row)
    db.flush()
    return row


def list_trials_for(db: Session, user: User) -> Sequence[Trial]:
    return db.scalars(select(Trial).where(Trial.owner_id == user.id).order_by(Trial.id)).all()


def get_trial_for(db: Session, user: User, trial_id: int, *, lock: bool = False) -> Trial | None:
    """The trial if ``user`` owns it (None otherwise: another owner's trial is not revealed)."""
    stmt = select(Trial).where(Trial.id == trial_id, Trial.owner_id == user.id)
    if lock:
        stmt = stmt.with_for_update()  # serialises reveals on PostgreSQL; SQLite locks at BEGIN
    return db.scalars(stmt).first()


# --- the sealed list ----------------------------------------------------------------------------------


def randomise(
    db: Session, trial: Trial, user: User, *, seed: int, capacity_per_stratum: int | None = None
) -> PublicView:
    if trial.digest is not None:
        raise AlreadyRandomised
    definition = definition_of(trial)
    capacity = capacity_per_stratum or definition.target_size
    strata = math.prod(len(f.levels) for f in definition.stratification)
    # Whole blocks may overshoot the capacity by less than the largest block.
    if strata * (capacity + max(definition.block_sizes)) > MAX_SLOTS:
        raise InputError(
            "n",
            f"{strata} strata × {capacity} allocations is more than the {MAX_SLOTS} a list may hold",
            hint="use a smaller n per stratum or fewer stratification levels",
        )
    sealed = generate(
        definition, seed=seed, capacity_per_stratum=capacity, created_at=_now(), created_by=user.username
    )
    db.add_all(
        TrialSlot(
            trial_id=trial.id,
            stratum=s.stratum,
            sequence=s.sequence,
            block=s.block,
            block_size=s.block_size,
            arm=s.arm,
        )
        for s in sealed.slots
    )
    _add_audit(db, trial, user, sealed.audit[-1])
    trial.seed = seed
    trial.capacity_per_stratum = sealed.capacity_per_stratum
    trial.digest = sealed.digest
    trial.randomised_at = sealed.audit[-1].at
    db.flush()
    return public_view(sealed)


def _add_audit(db: Session, trial: Trial, user: User, entry: AuditEntry) -> None:
    db.add(
        TrialAllocationAudit(
            trial_id=trial.id,
            at=entry.at,
            user_id=user.id,
            by=entry.by,
            action=entry.action,
            participant=entry.participant,
            stratum=entry.stratum,
            sequence=entry.sequence,
        )
    )


def sealed_list(db: Session, trial: Trial) -> AllocationList:
    """Rebuild the core's sealed list (generation order) so its digest check and rules apply."""
    return _sealed(db, trial)[0]


def _sealed(db: Session, trial: Trial) -> tuple[AllocationList, TrialDefinition]:
    """The sealed list and the definition it was rebuilt from (validated once, here)."""
    if trial.digest is None or trial.seed is None or trial.capacity_per_stratum is None:
        raise NotRandomised
    definition = definition_of(trial)
    order = {stratum_key(levels): i for i, levels in enumerate(definition.strata())}
    rows = db.scalars(select(TrialSlot).where(TrialSlot.trial_id == trial.id)).all()
    slots = [
        Slot(
            stratum=r.stratum,
            sequence=r.sequence,
            block=r.block,
            block_size=r.block_size,
            arm=r.arm,
            participant=r.participant,
            revealed_at=r.revealed_at,
            revealed_by=r.revealed_by,
        )
        for r in sorted(rows, key=lambda r: (order.get(r.stratum, len(order)), r.sequence))
    ]
    audit = db.scalars(
        select(TrialAllocationAudit)
        .where(TrialAllocationAudit.trial_id == trial.id)
        .order_by(TrialAllocationAudit.id)
    ).all()
    sealed = AllocationList(
        trial_id=definition.id,
        seed=trial.seed,
        capacity_per_stratum=trial.capacity_per_stratum,
        arms=definition.arm_ids,
        block_sizes=list(definition.block_sizes),
        slots=slots,
        digest=trial.digest,
        audit=[
            AuditEntry(
                at=a.at,
                by=a.by,
                action=a.action,
                participant=a.participant,
                stratum=a.stratum,
                sequence=a.sequence,
            )
            for a in audit
        ],
    )
    return sealed, definition


def reveal(db: Session, trial: Trial, user: User, *, participant: str, levels: dict[str, str]) -> Allocation:
    """Reveal the next slot of the participant's stratum (or look up their earlier allocation)."""
    sealed, definition = _sealed(db, trial)
    _new, alloc = reveal_next(
        sealed,
        definition,
        participant=participant.strip(),
        levels=levels,
        by=user.username,
        at=_now(),
    )
    if not alloc.already_allocated:
        done = db.execute(
            update(TrialSlot)
            .where(
                TrialSlot.trial_id == trial.id,
                TrialSlot.stratum == alloc.stratum,
                TrialSlot.sequence == alloc.sequence,
                TrialSlot.participant.is_(None),
            )
            .values(
                participant=alloc.participant, revealed_at=alloc.revealed_at, revealed_by=alloc.revealed_by
            )
        )
        if getattr(done, "rowcount", 1) != 1:  # a concurrent reveal took the slot first
            raise AllocationConflict
    _add_audit(db, trial, user, _new.audit[-1])
    db.flush()
    return alloc


def allocations_view(db: Session, trial: Trial) -> PublicView:
    """Revealed allocations, counts and the audit trail: never an unrevealed arm."""
    return public_view(sealed_list(db, trial))


# --- observations -------------------------------------------------------------------------------------


def stored_rows(db: Session, trial: Trial, *, up_to: int | None = None) -> list[RawRow]:
    """The stored rows in upload order; ``up_to``: only rows with an id up to it (as analysed then)."""
    stmt = select(TrialObservation).where(TrialObservation.trial_id == trial.id)
    if up_to is not None:
        stmt = stmt.where(TrialObservation.id <= up_to)
    rows = db.scalars(stmt.order_by(TrialObservation.upload, TrialObservation.id)).all()
    return [
        RawRow(
            line=r.line,
            participant=r.participant,
            arm=r.arm,
            visit=r.visit,
            outcome=r.outcome,
            value="" if r.value is None else repr(r.value),
            strata={str(k): str(v) for k, v in r.strata.items()},
            **{k: str(v) for k, v in r.extra.items() if k in OPTIONAL_COLUMNS},
        )
        for r in rows
    ]


def count_observations(db: Session, trial: Trial) -> int:
    return int(
        db.scalar(
            select(func.count()).select_from(TrialObservation).where(TrialObservation.trial_id == trial.id)
        )
        or 0
    )


def add_observations(db: Session, trial: Trial, rows: Sequence[RawRow], *, source: str) -> TrialData:
    """Validate an upload alone (errors name its lines), then together with what is stored
    (duplicates across uploads, a participant changing arm), then against revealed allocations;
    store it only if every check passes."""
    definition = definition_of(trial)
    if not rows:
        raise InputError(source, "no data rows", hint="add one row per participant × visit × outcome")
    own = build_dataset(definition, rows, source=source)
    existing = stored_rows(db, trial)
    if existing:
        build_dataset(definition, [*existing, *rows], source=f"stored data + {source}")
    revealed = dict(
        db.execute(
            select(TrialSlot.participant, TrialSlot.arm).where(
                TrialSlot.trial_id == trial.id, TrialSlot.participant.is_not(None)
            )
        ).all()
    )
    for row in rows:
        if len(row.participant.strip()) > MAX_ID:
            raise InputError(
                f"{source} line {row.line}, column participant", f"longer than {MAX_ID} characters"
            )
        arm = revealed.get(row.participant.strip())
        if arm is not None and arm != row.arm.strip():
            raise InputError(
                f"{source} line {row.line}, column arm",
                f"participant {row.participant.strip()} was allocated to {arm}, not {row.arm.strip()!r}",
                hint="intention to treat: record the allocated arm; note the switch as a deviation",
            )
    values = {o.line: o.value for o in own.observations}
    upload = int(
        db.scalar(select(func.max(TrialObservation.upload)).where(TrialObservation.trial_id == trial.id)) or 0
    )
    db.add_all(
        TrialObservation(
            trial_id=trial.id,
            upload=upload + 1,
            line=row.line,
            participant=row.participant,
            arm=row.arm,
            visit=row.visit,
            outcome=row.outcome,
            value=values.get(row.line),
            strata=dict(row.strata),
            extra={k: getattr(row, k) for k in OPTIONAL_COLUMNS if getattr(row, k) is not None},
        )
        for row in rows
    )
    db.flush()
    return own


def analyse_trial(db: Session, trial: Trial, *, population: Population = "itt") -> TrialAnalysis | None:
    """The same analysis as ``retrowalk trial analyse`` on the stored rows (None without data)."""
    rows = stored_rows(db, trial)
    if not rows:
        return None
    definition = definition_of(trial)
    return analyse(definition, build_dataset(definition, rows, source="stored data"), population=population)


def summary(db: Session, trial: Trial) -> dict[str, Any]:
    """What the API and pages show about a trial: no seed, no unrevealed arm."""
    revealed = int(
        db.scalar(
            select(func.count())
            .select_from(TrialSlot)
            .where(TrialSlot.trial_id == trial.id, TrialSlot.participant.is_not(None))
        )
        or 0
    )
    return {
        "id": trial.id,
        "key": trial.key,
        "title": trial.title,
        "created_at": trial.created_at,
        "randomised": trial.digest is not None,
        "randomised_at": trial.randomised_at,
        "digest": trial.digest,
        "revealed": revealed,
        "observations": count_observations(db, trial),
        "definition": trial.definition,
    }
