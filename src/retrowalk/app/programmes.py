"""Programmes: prescribed by the core from the latest assessment; each generation is a new version."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from retrowalk.app import clinical, media
from retrowalk.app.access import require_role
from retrowalk.app.errors import Conflict, NotFound
from retrowalk.core.exercises import Dose, Exercise, ExerciseLibrary, load_library
from retrowalk.core.prescription import Programme as CoreProgramme
from retrowalk.core.prescription import ProgrammeItem, active_conditions, contraindicated_by, supervise
from retrowalk.core.vocab import Pain, field_messages
from retrowalk.errors import InputError
from retrowalk.storage import crud
from retrowalk.storage.models import Client, Programme, User

#: What made a programme version: the core's prescription, the trainer's editor, a session decision.
Source = Literal["generated", "editor", "decision"]
REASON_MAX = 1000


class ProgrammeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pain_nprs: Pain | None = Field(
        default=None, description="Current pain; default: the latest assessment's."
    )
    goals: list[str] = Field(default=[], max_length=20)


def generate(db: Session, user: User, client: Client, body: ProgrammeIn, *, detail: str = "") -> Programme:
    """A new programme version; 409 without an assessment or when it says stop and refer."""
    assessment = crud.latest_assessment(db, client.id)
    if assessment is None:
        raise Conflict("no assessment yet: assess the client first")
    if assessment.stop:
        raise Conflict("the latest assessment found red flags: refer before prescribing")
    pain = body.pain_nprs if body.pain_nprs is not None else assessment.pain_nprs
    if pain is None:
        raise InputError("pain_nprs", "pain is not in the assessment; give pain_nprs")
    content = clinical.prescribe(assessment.findings, pain_nprs=pain, goals=body.goals)
    return _stored(
        db,
        user,
        client,
        content,
        assessment_id=assessment.id,
        pain=pain,
        goals=body.goals,
        reason="prescribed from the latest assessment",
        source="generated",
        detail=detail,
    )


def _stored(
    db: Session,
    user: User,
    client: Client,
    content: CoreProgramme | Mapping[str, Any],
    *,
    assessment_id: int | None,
    pain: float | None,
    goals: Sequence[str],
    reason: str,
    source: Source,
    detail: str = "",
) -> Programme:
    """Store the client's next version, drop the client media of items it no longer has, and audit
    it (``detail``, else the version, the source and why)."""
    row = crud.add_programme(
        db,
        client.id,
        content=content,
        assessment_id=assessment_id,
        pain_nprs=pain,
        goals=goals,
        by=user,
        reason=reason,
        source=source,
    )
    media.prune(db, user, client)  # a client item's own photo/video goes with the item
    crud.audit(
        db,
        user,
        "create",
        "programme",
        resource_id=row.id,
        client_id=client.id,
        detail=detail or f"version {row.version} ({source}): {reason[:200]}",
    )
    return row


def history(db: Session, user: User, client: Client) -> Sequence[Programme]:
    crud.audit(db, user, "read", "programme", client_id=client.id, detail="history")
    return crud.list_programmes(db, client.id)


def current(db: Session, user: User, client: Client) -> Programme:
    row = crud.current_programme(db, client.id)
    if row is None:
        raise NotFound("no programme yet")
    crud.audit(db, user, "read", "programme", resource_id=row.id, client_id=client.id)
    return row


# --- versions made by hand or by a decision --------------------------------------------------------


class ItemIn(BaseModel):
    """One exercise of an edited programme: the library id and (optionally) its dose."""

    model_config = ConfigDict(extra="forbid")

    exercise_id: str = Field(min_length=1, max_length=100)
    dose: Dose | None = Field(default=None, description="default: the library's dose")


class VersionIn(BaseModel):
    """A whole new programme version as the trainer's editor (or a REST client) sends it."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemIn] = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=REASON_MAX, description="why the programme changes")


def _active(db: Session, client: Client, pain: float | None) -> dict[str, str]:
    """The client's active contraindication conditions (latest assessment; pain as prescribed)."""
    latest = crud.latest_assessment(db, client.id)
    if latest is None:
        return {}
    if latest.findings is None:  # imported, never evaluated by the core: no findings to apply
        return {}
    return active_conditions(latest.findings, pain if pain is not None else latest.pain_nprs, load_library())


def items_from_entries(
    entries: Sequence[ItemIn], library: ExerciseLibrary | None = None
) -> list[ProgrammeItem]:
    """Library items for the edited entries: names, stage and cues from the library."""
    lib = library or load_library()
    out: list[ProgrammeItem] = []
    for i, entry in enumerate(entries):
        exercise = lib.get(entry.exercise_id, f"items[{i}].exercise_id")
        out.append(ProgrammeItem.from_exercise(exercise, dose=entry.dose, reason="chosen by the trainer"))
    return out


def check_items(db: Session, client: Client, items: Sequence[ProgrammeItem], *, pain: float | None) -> None:
    """Refuse what no path may prescribe: an unknown exercise, a dose outside the vocabulary or the
    protocol's safe band, an exercise the client's assessment contraindicates, a duplicate."""
    lib = load_library()
    active = _active(db, client, pain)
    seen: set[str] = set()
    for i, item in enumerate(items):
        exercise = lib.get(item.exercise_id, f"items[{i}].exercise_id")
        if exercise.id in seen:
            raise InputError(f"items[{i}].exercise_id", f"{exercise.name} is in the programme twice")
        seen.add(exercise.id)
        try:
            Dose.model_validate(item.dose.model_dump())
        except ValidationError as exc:
            field, msg = next(iter(field_messages(exc, prefix=f"items[{i}].dose.").items()))
            raise InputError(field, msg) from exc
        lib.check_dose(exercise, item.dose, f"items[{i}].dose")
        blocked = contraindicated_by(exercise, active)
        if blocked:
            raise InputError(
                f"items[{i}].exercise_id",
                f"{exercise.name} is contraindicated for this client: "
                + "; ".join(active[c] for c in blocked),
                hint="choose an easier variant or re-assess",
            )


def checked_decision(db: Session, client: Client, content: CoreProgramme) -> CoreProgramme:
    """A progression decision's programme, held to the same checks as a trainer's edit
    (:func:`check_items`) and with the fall-risk supervision every version gets, before it is
    stored: the core already avoids contraindicated steps, and this makes every path say so."""
    check_items(db, client, content.items, pain=content.pain_nprs)
    latest = crud.latest_assessment(db, client.id)
    if latest is not None and latest.findings is not None:
        return content.model_copy(update={"items": supervise(content.items, latest.findings, load_library())})
    return content


def new_version(
    db: Session,
    user: User,
    client: Client,
    items: Sequence[ProgrammeItem],
    *,
    reason: str,
    source: Source,
    base: CoreProgramme | None = None,
) -> Programme:
    """THE way to store a changed programme (editor, REST, applied decision): checks every item
    (:func:`check_items`), keeps the programme-level fields of ``base`` (default: the current
    version's), stores a new version with who and why, and audits it.

    After a positive fall-risk screen retro-walking items are marked supervised-only with the
    client's note (``core.prescription.supervise``), whichever path made the version. 422
    (InputError naming the field) for a refused item or an empty ``reason``; 409 when the latest
    assessment says stop and refer.
    """
    reason = reason.strip()
    if not reason:
        raise InputError("reason", "say why the programme changes")
    latest = crud.latest_assessment(db, client.id)
    if latest is not None and latest.stop:
        raise Conflict("the latest assessment found red flags: refer before prescribing")
    current = crud.current_programme(db, client.id)
    if base is None:
        base = current.content if current is not None else CoreProgramme()
    pain = base.pain_nprs if base.pain_nprs is not None else (current.pain_nprs if current else None)
    check_items(db, client, items, pain=pain)
    if latest is not None and latest.findings is not None:
        items = supervise(items, latest.findings, load_library())
    content = CoreProgramme.model_validate({**base.model_dump(), "items": [i.model_dump() for i in items]})
    return _stored(
        db,
        user,
        client,
        content,
        assessment_id=latest.id if latest is not None else None,
        pain=pain,
        goals=base.goals,
        reason=reason[:REASON_MAX],
        source=source,
    )


def _carry_over(db: Session, client: Client, items: list[ProgrammeItem]) -> list[ProgrammeItem]:
    """Keep what the current version knows about an exercise the edit leaves as it was (its
    reason, notes, ``dose_since``); a changed dose starts counting after the last logged session,
    so sessions done at the old dose never count towards progressing the new one."""
    current = crud.current_programme(db, client.id)
    before = {i.exercise_id: i for i in (current.content.items if current else [])}
    logs = crud.list_session_logs(db, client.id, limit=1)
    last_day = logs[-1].session_date if logs else None
    out: list[ProgrammeItem] = []
    for item in items:
        old = before.get(item.exercise_id)
        if old is not None and old.dose == item.dose:
            out.append(old)
        elif old is not None:
            out.append(item.model_copy(update={"dose_since": last_day, "notes": old.notes}))
        else:
            out.append(item)
    return out


def save_edit(db: Session, user: User, client: Client, body: VersionIn) -> Programme:
    """The trainer's editor: the entries become library items and a new ``editor`` version."""
    require_role(user, "trainer")
    items = _carry_over(db, client, items_from_entries(body.items))
    return new_version(db, user, client, items, reason=body.reason, source="editor")


# --- the editor's library, checks and diffs --------------------------------------------------------


@dataclass(frozen=True)
class LibraryEntry:
    exercise: Exercise
    #: Why the client's assessment rules it out (empty: allowed).
    contraindicated: list[str]
    dose_text: str


def library_for(
    db: Session,
    client: Client,
    *,
    q: str = "",
    joint: str = "",
    quality: str = "",
    stage: str = "",
) -> list[LibraryEntry]:
    """The library filtered by text, joint, quality and stage, each with this client's check."""
    lib = load_library()
    current = crud.current_programme(db, client.id)
    active = _active(db, client, current.pain_nprs if current else None)
    text = q.strip().lower()
    out: list[LibraryEntry] = []
    for ex in lib.exercises.values():
        wanted = {"joint": joint, "quality": quality, "stage": stage}
        if any(v and getattr(ex, k) != v for k, v in wanted.items()):
            continue
        if text and text not in ex.name.lower() and text not in ex.id.lower():
            continue
        out.append(LibraryEntry(ex, [active[c] for c in contraindicated_by(ex, active)], ex.dose.describe()))
    return out


def library_facets() -> dict[str, list[str]]:
    """The values the editor's filters offer (joint, quality, stage), from the library itself."""
    lib = load_library().exercises.values()
    return {
        "joint": sorted({e.joint for e in lib}),
        "quality": sorted({e.quality for e in lib}),
        "stage": ["early", "intermediate", "advanced"],
    }


@dataclass(frozen=True)
class ItemChange:
    exercise_id: str
    name: str
    change: Literal["added", "removed", "dose", "moved", "same"]
    old: str
    new: str


def diff(old: Programme | None, new: Programme) -> list[ItemChange]:
    """What changed between two versions, item by item, in the new version's order."""
    old_items: dict[str, ProgrammeItem] = {i.exercise_id: i for i in (old.content.items if old else [])}
    new_list = new.content.items
    # "moved" is about the order among the exercises both versions share, so an insertion or a
    # removal does not mark every later exercise as moved
    common = [i.exercise_id for i in new_list if i.exercise_id in old_items]
    old_rank = {eid: n for n, eid in enumerate(e for e in old_items if e in common)}
    out: list[ItemChange] = []
    new_ids: list[str] = []
    for item in new_list:
        eid = item.exercise_id
        new_ids.append(eid)
        new_text = item.dose.describe()
        if eid not in old_items:
            out.append(ItemChange(eid, item.name or eid, "added", "", new_text))
            continue
        old_text = old_items[eid].dose.describe()
        if old_text != new_text:
            kind: Literal["dose", "moved", "same"] = "dose"
        elif old_rank[eid] != common.index(eid):
            kind = "moved"
        else:
            kind = "same"
        out.append(ItemChange(eid, item.name or eid, kind, old_text, new_text))
    for eid, old_item in old_items.items():
        if eid not in new_ids:
            out.append(ItemChange(eid, old_item.name or eid, "removed", old_item.dose.describe(), ""))
    return out


def version(db: Session, client: Client, number: int) -> Programme:
    for row in crud.list_programmes(db, client.id):
        if row.version == number:
            return row
    raise NotFound(f"no programme version {number}")


def compare(db: Session, user: User, client: Client, a: int, b: int) -> list[ItemChange]:
    """The diff between versions ``a`` and ``b`` of the client's programme (audited read)."""
    old, new = version(db, client, a), version(db, client, b)
    crud.audit(
        db, user, "read", "programme", resource_id=new.id, client_id=client.id, detail=f"diff {a}..{b}"
    )
    return diff(old, new)


@dataclass(frozen=True)
class VersionRow:
    programme: Programme
    author: str
    item_count: int


def versions(db: Session, user: User, client: Client) -> list[VersionRow]:
    """Every version, newest first, with who made it (audited read)."""
    rows = list(history(db, user, client))
    names: dict[int, str] = {}
    for r in rows:
        if r.created_by is not None and r.created_by not in names:
            author = crud.get_user(db, r.created_by)
            names[r.created_by] = (author.display_name or author.username) if author else "a former user"
    return [
        VersionRow(r, names.get(r.created_by, "—") if r.created_by else "—", len(r.content.items))
        for r in reversed(rows)
    ]


def item_checks(db: Session, client: Client, exercise_ids: Sequence[str]) -> dict[str, list[str]]:
    """Exercise id -> why this client's assessment rules it out (only the ruled-out ones)."""
    lib = load_library()
    current = crud.current_programme(db, client.id)
    active = _active(db, client, current.pain_nprs if current else None)
    out: dict[str, list[str]] = {}
    for eid in exercise_ids:
        ex = lib.exercises.get(eid)
        blocked = contraindicated_by(ex, active) if ex else []
        if blocked:
            out[eid] = [active[c] for c in blocked]
    return out


def current_version(db: Session, client: Client) -> Programme | None:
    """The current version without an audit row (the editor's own lookups)."""
    return crud.current_programme(db, client.id)
