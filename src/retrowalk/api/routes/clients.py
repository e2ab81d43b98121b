"""Client records, their trainers, and their own login."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, status
from sqlalchemy.orm import Session

from retrowalk.api.deps import CurrentUser, DbSession, TrainerOnly, TrainerOrSelf, require_role
from retrowalk.api.schemas import (
    ClientAccountCreate,
    ClientIn,
    ClientOut,
    ClientUpdate,
    TrainerLinkIn,
    UserOut,
)
from retrowalk.app import accounts
from retrowalk.storage import crud
from retrowalk.storage.models import Client, User

router = APIRouter(prefix="/clients", tags=["clients"])


def client_out(client: Client) -> ClientOut:
    out = ClientOut.model_validate(client)
    out.trainer_ids = sorted(t.id for t in client.trainers)
    out.has_account = client.account is not None
    return out


@router.get("", response_model=list[ClientOut])
def list_clients(
    user: User = Depends(require_role("trainer", "client")), db: Session = DbSession
) -> list[ClientOut]:
    clients = crud.list_clients_for(db, user)
    for c in clients:
        crud.audit(db, user, "read", "client", resource_id=c.id, client_id=c.id, detail="list")
    return [client_out(c) for c in clients]


@router.post("", response_model=ClientOut, status_code=status.HTTP_201_CREATED)
def create_client(
    body: ClientIn, user: User = Depends(require_role("trainer")), db: Session = DbSession
) -> ClientOut:
    client = crud.create_client(
        db, body.name, trainer=user, date_of_birth=body.date_of_birth, sex=body.sex, notes=body.notes
    )
    crud.audit(db, user, "create", "client", resource_id=client.id, client_id=client.id)
    return client_out(client)


@router.get("/{client_id}", response_model=ClientOut)
def get_client(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> ClientOut:
    crud.audit(db, user, "read", "client", resource_id=client.id, client_id=client.id)
    return client_out(client)


@router.patch("/{client_id}", response_model=ClientOut)
def update_client(
    body: ClientUpdate, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> ClientOut:
    changes = body.model_dump(exclude_none=True)
    for key, value in changes.items():
        setattr(client, key, value)
    db.flush()
    crud.audit(
        db,
        user,
        "update",
        "client",
        resource_id=client.id,
        client_id=client.id,
        detail=",".join(sorted(changes)),
    )
    return client_out(client)


@router.post(
    "/{client_id}/trainers",
    response_model=ClientOut,
    responses={404: {"description": "client or trainer not found"}},
)
def add_trainer(
    body: TrainerLinkIn, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> ClientOut:
    """Share the client with another trainer (e.g. a colleague covering sessions)."""
    trainer = crud.get_user_by_username(db, body.username)
    if trainer is None or trainer.role != "trainer" or not trainer.active:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no active trainer with that username")
    crud.link_trainer(db, client, trainer)
    crud.audit(
        db,
        user,
        "update",
        "client",
        resource_id=client.id,
        client_id=client.id,
        detail=f"linked trainer {trainer.id}",
    )
    return client_out(client)


@router.post(
    "/{client_id}/account",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        409: {"description": "client already has an account"},
        422: {"description": "username cannot be used"},
    },
)
def create_account(
    body: ClientAccountCreate, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> User:
    """Give the client their own login (they then see their programme and log sessions)."""
    if client.account is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, "this client already has an account")
    accounts.check_new_username(db, body.username)  # 422, same words whether taken or not
    account = crud.create_user(
        db, body.username, body.password, "client", display_name=client.name, client_id=client.id
    )
    crud.audit(
        db, user, "create", "user", resource_id=account.id, client_id=client.id, detail="client account"
    )
    return account
