"""Who may act on what (health data, least privilege), for every edge.

- admins manage users and read the audit log, and see no clinical data;
- a trainer sees only clients linked to them; a client account sees only its own record;
- a client id the caller may not know exists → 404; a known object but a forbidden action → 403.

The storage types the edges name (``User``, ``Client``, ...) are re-exported here so that edges
reach storage only through :mod:`retrowalk.app`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from retrowalk.app.errors import Forbidden, found
from retrowalk.storage import crud
from retrowalk.storage.models import (
    ROLES,
    Assessment,
    AuditEntry,
    Client,
    PendingDecision,
    Programme,
    QuestionnaireResponse,
    Recording,
    SessionLog,
    TrainerSignOff,
    Trial,
    User,
)

__all__ = [
    "ROLES",
    "Assessment",
    "AuditEntry",
    "Client",
    "PendingDecision",
    "Programme",
    "QuestionnaireResponse",
    "Recording",
    "SessionLog",
    "TrainerSignOff",
    "Trial",
    "User",
    "client_access",
    "require_role",
]


Row = TypeVar("Row", bound=Any)
#: Largest id any table holds (32-bit integer keys on SQLite and PostgreSQL alike).
MAX_ID = 2**31 - 1


def read_one(db: Session, user: User, client: Client, row: Row | None, resource: str) -> Row:
    """A client's stored object for a read: 404 when absent (or another client's), else audited."""
    present: Row = found(row, resource.replace("_", " "))
    crud.audit(db, user, "read", resource, resource_id=present.id, client_id=client.id)
    return present


def require_role(user: User, *roles: str) -> User:
    """The user, if their role is one of ``roles`` (403 otherwise)."""
    if user.role not in roles:
        raise Forbidden(f"needs role: {' or '.join(roles)}")
    return user


def client_access(db: Session, user: User, client_id: int, *roles: str) -> Client:
    """The one client-access rule (API and pages): unknown or foreign → 404, wrong role → 403."""
    if user.role == "admin":
        raise Forbidden("administrators do not access clinical data")
    client = found(crud.visible_client(db, user, client_id) if 0 < client_id <= MAX_ID else None, "client")
    require_role(user, *roles)
    return client


def client_updated(db: Session, user: User, client: Client, detail: str) -> Client:
    """The audit row of a change to the client record itself (what changed, in ``detail``)."""
    crud.audit(db, user, "update", "client", resource_id=client.id, client_id=client.id, detail=detail)
    return client


def audit(
    db: Session,
    user: User | None,
    action: str,
    resource: str,
    *,
    resource_id: int | str | None = None,
    client_id: int | None = None,
    detail: str = "",
) -> None:
    """Write one audit row (for the trial flows, which keep their rules in ``storage.trials``)."""
    crud.audit(db, user, action, resource, resource_id=resource_id, client_id=client_id, detail=detail)
