"""Per-client quotas on stored rows (each write re-judges the recent window, so rows cost time)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from retrowalk.io import limits
from retrowalk.storage import crud


def check_logs_per_day(db: Session, client_id: int, day: date, adding: int = 1) -> None:
    """Refuse (LimitExceeded → 422) a session-log write past ``max_logs_per_client_per_day``."""
    limits.check(
        "session_date",
        f"session logs on {day.isoformat()}",
        crud.count_session_logs_on(db, client_id, day) + adding,
        "max_logs_per_client_per_day",
    )
