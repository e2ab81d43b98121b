"""Client records, their trainers, and their own login."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, status
from sqlalchemy.orm import Session

from retrowalk.api.schemas import (
    ClientIn,
    ClientOut,
    ClientUpdate,
    TrainerLinkIn,
)
from retrowalk.app import clients
from retrowalk.app.access import Client, User
from retrowalk.app.clients import NewClient
from retrowalk.http.deps import CurrentUser, DbSession, TrainerOnly, TrainerOrSelf, require_role

router = APIRouter(prefix="/clients", tags=["clients"])


def client_out(client: Client) -> ClientOut:
    out = ClientOut.model_validate(client)
    out.trainer_ids = clients.trainer_ids(client)
    out.has_account = client.account is not None
    return out


@router.get("", response_model=list[ClientOut])
def list_clients(
    user: User = Depends(require_role("trainer", "client")), db: Session = DbSession
) -> list[ClientOut]:
    return [client_out(c) for c in clients.list_clients(db, user)]


@router.post("", response_model=ClientOut, status_code=status.HTTP_201_CREATED)
def create_client(
    body: ClientIn, user: User = Depends(require_role("trainer")), db: Session = DbSession
) -> ClientOut:
    return client_out(clients.create_client(db, user, NewClient.model_validate(body.model_dump())))


@router.get("/{client_id}", response_model=ClientOut)
def get_client(
    client: Client = TrainerOrSelf, user: User = CurrentUser, db: Session = DbSession
) -> ClientOut:
    return client_out(clients.read_client(db, user, client))


@router.patch("/{client_id}", response_model=ClientOut)
def update_client(
    body: ClientUpdate, client: Client = TrainerOnly, user: User = CurrentUser, db: Session = DbSession
) -> ClientOut:
    return client_out(clients.update_client(db, user, client, body))


@router.post(
    "/{client_id}/trainers",
    response_model=ClientOut,
    responses={404: {"description": "client or trainer not found"}},
)
def add_trainer(
    request: Request,
    body: TrainerLinkIn,
    client: Client = TrainerOnly,
    user: User = CurrentUser,
    db: Session = DbSession,
) -> ClientOut:
    """Share the client with another trainer (e.g. a colleague covering sessions)."""
    quota = request.app.state.login_limiter
    return client_out(clients.add_trainer(db, user, client, body, quota=quota))
