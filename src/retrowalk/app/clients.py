"""Client records, the trainers they are shared with, and their own login."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from retrowalk.app.access import client_updated, require_role
from retrowalk.app.accounts import ProbeQuota, username_probe
from retrowalk.app.errors import NotFound
from retrowalk.app.sessions import today
from retrowalk.core.vocab import Sex, filled
from retrowalk.storage import crud
from retrowalk.storage.models import Client, User

EARLIEST_BIRTH = date(1900, 1, 1)


class ClientIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200), filled("enter the client's name")]
    date_of_birth: date | None = None
    sex: Sex | None = None
    notes: str = Field(default="", max_length=10_000)

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth(cls, v: date | None) -> date | None:
        if v is not None and not (EARLIEST_BIRTH <= v <= today()):
            raise ValueError("date of birth must be between 1900-01-01 and today")
        return v


class NewClient(ClientIn):
    """A new client record. Their login comes later through a one-time invitation link
    (``app.accounts.invite_client``): nobody but the client ever types their password."""


class ClientUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)


class TrainerLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64, description="Username of the trainer to add.")


def list_clients(db: Session, user: User) -> Sequence[Client]:
    require_role(user, "trainer", "client")
    clients = crud.list_clients_for(db, user)
    for c in clients:
        crud.audit(db, user, "read", "client", resource_id=c.id, client_id=c.id, detail="list")
    return clients


def create_client(db: Session, user: User, body: NewClient, *, detail: str = "") -> Client:
    """A new record linked to the trainer creating it."""
    require_role(user, "trainer")
    client = crud.create_client(
        db, body.name, trainer=user, date_of_birth=body.date_of_birth, sex=body.sex, notes=body.notes
    )
    crud.audit(db, user, "create", "client", resource_id=client.id, client_id=client.id, detail=detail)
    return client


def read_client(db: Session, user: User, client: Client, *, detail: str = "") -> Client:
    crud.audit(db, user, "read", "client", resource_id=client.id, client_id=client.id, detail=detail)
    return client


def update_client(db: Session, user: User, client: Client, body: ClientUpdate) -> Client:
    changes = body.model_dump(exclude_none=True)
    for key, value in changes.items():
        setattr(client, key, value)
    db.flush()
    return client_updated(db, user, client, ",".join(sorted(changes)))


def add_trainer(db: Session, user: User, client: Client, body: TrainerLinkIn, *, quota: ProbeQuota) -> Client:
    """Share the client with another trainer (e.g. a colleague covering sessions). Whether the
    name is an active trainer is a username probe, held to the caller's quota."""
    with username_probe(quota, user):
        trainer = crud.get_user_by_username(db, body.username)
        if trainer is None or trainer.role != "trainer" or not trainer.active:
            raise NotFound("no active trainer with that username")
    crud.link_trainer(db, client, trainer)
    return client_updated(db, user, client, f"linked trainer {trainer.id}")


def trainer_ids(client: Client) -> list[int]:
    return sorted(t.id for t in client.trainers)


def set_archived(db: Session, user: User, client: Client, archived: bool) -> Client:
    """Archive (hide from the default dashboard) or bring back a client; nothing is deleted."""
    require_role(user, "trainer")
    from datetime import UTC, datetime

    client.archived_at = datetime.now(UTC) if archived else None
    db.flush()
    client_updated(db, user, client, "archived" if archived else "unarchived")
    return client
