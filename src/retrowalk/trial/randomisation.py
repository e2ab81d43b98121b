"""Stratified permuted-block randomisation with allocation concealment.

The whole list is generated up front from a seed (so an auditor can regenerate it) and sealed
with a SHA-256 digest. Allocations are handed out only through :func:`reveal_next`, one
participant at a time and in list order within a stratum, each reveal leaving an audit entry.
:func:`public_view` is what enrolling staff may see: revealed allocations and counts, never the
arms still to come.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from retrowalk.errors import InputError
from retrowalk.trial.definition import TrialDefinition, stratum_key

SCHEME = "stratified permuted blocks of random size"


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stratum: str
    sequence: int = Field(ge=1, description="Position within the stratum's list (1-based).")
    block: int = Field(ge=1)
    block_size: int = Field(ge=1)
    arm: str
    participant: str | None = None
    revealed_at: datetime | None = None
    revealed_by: str | None = None


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime
    by: str
    action: str  # generate | reveal | lookup
    participant: str | None = None
    stratum: str | None = None
    sequence: int | None = None


class AllocationList(BaseModel):
    """The sealed list. Store it where enrolling staff cannot read it (see docs/trial.md)."""

    model_config = ConfigDict(extra="forbid")

    trial_id: str
    scheme: str = SCHEME
    seed: int
    capacity_per_stratum: int
    arms: list[str]
    block_sizes: list[int]
    slots: list[Slot]
    digest: str = Field(description="SHA-256 of the generated sequence; detects edits to arms/order.")
    audit: list[AuditEntry] = Field(default_factory=list)


class Allocation(BaseModel):
    participant: str
    stratum: str
    sequence: int
    arm: str
    revealed_at: datetime
    revealed_by: str
    already_allocated: bool = False


class StratumStatus(BaseModel):
    stratum: str
    revealed: int
    remaining: int
    revealed_per_arm: dict[str, int]


class PublicView(BaseModel):
    """Everything safe to show before the trial ends: no unrevealed arm appears here."""

    trial_id: str
    scheme: str
    digest: str
    strata: list[StratumStatus]
    allocations: list[Allocation]
    audit: list[AuditEntry]


def _digest(trial_id: str, seed: int, slots: list[Slot]) -> str:
    payload = json.dumps(
        [trial_id, seed, [[s.stratum, s.sequence, s.block, s.block_size, s.arm] for s in slots]],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _stratum_seed(seed: int, stratum: str) -> np.random.Generator:
    # Each stratum draws from its own stream so adding a stratum never changes the others.
    key = int.from_bytes(hashlib.sha256(f"{seed}:{stratum}".encode()).digest()[:8], "big")
    return np.random.default_rng([seed, key])


def generate(
    definition: TrialDefinition,
    *,
    seed: int,
    capacity_per_stratum: int | None = None,
    created_at: datetime,
    created_by: str,
) -> AllocationList:
    """Make the sealed list: per stratum, whole blocks until ``capacity_per_stratum`` slots exist.

    Capacity defaults to the target size, so a stratum can absorb every participant if recruitment
    turns out lopsided. Each block holds arms in proportion to their ratios, shuffled.
    """
    if seed < 0:
        raise InputError("seed", "must be a non-negative integer", hint="e.g. --seed 20130201")
    capacity = capacity_per_stratum or definition.target_size
    if capacity < 1:
        raise InputError("n", "capacity per stratum must be at least 1")
    unit: list[str] = [a.id for a in definition.arms for _ in range(a.ratio)]
    slots: list[Slot] = []
    for levels in definition.strata():
        key = stratum_key(levels)
        rng = _stratum_seed(seed, key)
        seq = 0
        block_no = 0
        while seq < capacity:
            block_no += 1
            size = int(rng.choice(definition.block_sizes))
            block = unit * (size // len(unit))
            order = rng.permutation(len(block))
            for idx in order:
                seq += 1
                slots.append(Slot(stratum=key, sequence=seq, block=block_no, block_size=size, arm=block[idx]))
    return AllocationList(
        trial_id=definition.id,
        seed=seed,
        capacity_per_stratum=capacity,
        arms=definition.arm_ids,
        block_sizes=list(definition.block_sizes),
        slots=slots,
        digest=_digest(definition.id, seed, slots),
        audit=[AuditEntry(at=created_at, by=created_by, action="generate")],
    )


def verify(sealed: AllocationList) -> None:
    """Fail if the arms or their order were edited after generation."""
    if _digest(sealed.trial_id, sealed.seed, sealed.slots) != sealed.digest:
        raise InputError(
            "allocation list",
            "digest mismatch: the sealed list was modified after generation",
            hint="restore the original file from backup; do not edit it by hand",
        )


def _resolve_stratum(definition: TrialDefinition, levels: dict[str, str]) -> str:
    names = [f.name for f in definition.stratification]
    missing = [n for n in names if n not in levels]
    extra = [k for k in levels if k not in names]
    if missing:
        raise InputError(
            "stratum", f"missing level for {', '.join(missing)}", hint=f"give one of each: {', '.join(names)}"
        )
    if extra:
        raise InputError(
            "stratum",
            f"unknown stratification factor(s) {', '.join(extra)}",
            hint=f"this trial is stratified by {', '.join(names) or 'nothing'}",
        )
    for f in definition.stratification:
        if levels[f.name] not in f.levels:
            raise InputError(
                f"stratum.{f.name}",
                f"{levels[f.name]!r} is not a level",
                hint=f"use one of {', '.join(f.levels)}",
            )
    return stratum_key(levels)


def reveal_next(
    sealed: AllocationList,
    definition: TrialDefinition,
    *,
    participant: str,
    levels: dict[str, str],
    by: str,
    at: datetime,
) -> tuple[AllocationList, Allocation]:
    """Reveal the next unused slot of the participant's stratum (and only that one).

    A participant already allocated gets the same arm back (audited as a lookup), so a repeat
    request can neither re-randomise nor burn a slot.
    """
    verify(sealed)
    if sealed.trial_id != definition.id:
        raise InputError("trial", f"list belongs to trial {sealed.trial_id!r}, not {definition.id!r}")
    if not participant.strip():
        raise InputError("participant", "must not be empty")
    if not by.strip():
        raise InputError("by", "say who is revealing the allocation (audit trail)")
    key = _resolve_stratum(definition, levels)
    new = sealed.model_copy(deep=True)
    for slot in new.slots:
        if slot.participant == participant:
            if slot.stratum != key:
                raise InputError(
                    "stratum",
                    f"participant {participant} was allocated in stratum {slot.stratum}, not {key}",
                    hint="check the participant's strata",
                )
            new.audit.append(
                AuditEntry(
                    at=at,
                    by=by,
                    action="lookup",
                    participant=participant,
                    stratum=key,
                    sequence=slot.sequence,
                )
            )
            return new, Allocation(
                participant=participant,
                stratum=key,
                sequence=slot.sequence,
                arm=slot.arm,
                revealed_at=slot.revealed_at or at,
                revealed_by=slot.revealed_by or by,
                already_allocated=True,
            )
    nxt = next((s for s in new.slots if s.stratum == key and s.participant is None), None)
    if nxt is None:
        raise InputError(
            "stratum",
            f"stratum {key} has no allocations left",
            hint="generate a new list with a larger --n (and a new seed) for further recruits",
        )
    nxt.participant = participant
    nxt.revealed_at = at
    nxt.revealed_by = by
    new.audit.append(
        AuditEntry(at=at, by=by, action="reveal", participant=participant, stratum=key, sequence=nxt.sequence)
    )
    return new, Allocation(
        participant=participant,
        stratum=key,
        sequence=nxt.sequence,
        arm=nxt.arm,
        revealed_at=at,
        revealed_by=by,
    )


def public_view(sealed: AllocationList) -> PublicView:
    verify(sealed)
    strata: list[StratumStatus] = []
    for key in dict.fromkeys(s.stratum for s in sealed.slots):
        own = [s for s in sealed.slots if s.stratum == key]
        done = [s for s in own if s.participant is not None]
        strata.append(
            StratumStatus(
                stratum=key,
                revealed=len(done),
                remaining=len(own) - len(done),
                revealed_per_arm={a: sum(s.arm == a for s in done) for a in sealed.arms},
            )
        )
    allocations = [
        Allocation(
            participant=s.participant,
            stratum=s.stratum,
            sequence=s.sequence,
            arm=s.arm,
            revealed_at=s.revealed_at,
            revealed_by=s.revealed_by or "",
        )
        for s in sealed.slots
        if s.participant is not None and s.revealed_at is not None
    ]
    return PublicView(
        trial_id=sealed.trial_id,
        scheme=sealed.scheme,
        digest=sealed.digest,
        strata=strata,
        allocations=allocations,
        audit=list(sealed.audit),
    )
