"""A message thread per client between the client and their trainers, with unread counts.

Why one thread, not per trainer: the client has one care team; any linked trainer answers. A
message is "unread" for the other side until that side opens the thread (``read_at``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from retrowalk.app.access import require_role
from retrowalk.core.vocab import filled
from retrowalk.storage import crud
from retrowalk.storage.models import Client, Message, User

MESSAGE_MAX = 4000


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[
        str,
        Field(min_length=1, max_length=MESSAGE_MAX, description="the message text"),
        filled("write a message"),
    ]


def _other(role: str) -> str:
    return "client" if role == "trainer" else "trainer"


@dataclass(frozen=True)
class Thread:
    client: Client
    messages: Sequence[Message]
    #: How many of the other side's messages were unread when this side opened the thread.
    newly_read: int


def open_thread(db: Session, user: User, client: Client) -> Thread:
    """The thread, oldest first; opening it marks the other side's messages read (audited)."""
    require_role(user, "trainer", "client")
    newly = crud.mark_read(db, client.id, from_role=_other(user.role))
    crud.audit(db, user, "read", "message", client_id=client.id, detail=f"thread ({newly} new)")
    return Thread(client, crud.list_messages(db, client.id), newly)


def send(db: Session, user: User, client: Client, body: MessageIn) -> Message:
    require_role(user, "trainer", "client")
    row = crud.add_message(db, client.id, by=user, body=body.body)
    crud.audit(db, user, "create", "message", resource_id=row.id, client_id=client.id)
    return row


def unread_for(db: Session, user: User, client_ids: Sequence[int]) -> dict[int, int]:
    """Unread messages per client for ``user``'s side (a trainer counts the clients' messages)."""
    return crud.unread_counts(db, client_ids, from_role=_other(user.role))
