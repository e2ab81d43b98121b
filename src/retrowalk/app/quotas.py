"""Per-client quotas on stored rows (each write re-judges the recent window, so rows cost time)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from retrowalk.io import limits
from retrowalk.storage.models import SessionLog


def check_logs_per_day(db: Session, client_id: int, day: date, adding: int = 1) -> None:
    """Refuse (LimitExceeded → 422) a session-log write past ``max_logs_per_client_per_day``."""
    count = db.scalar(
        select(func.count())
        .select_from(SessionLog)
        .where(SessionLog.client_id == client_id, SessionLog.session_date == day)
    )
    limits.check(
        "session_date",
        f"session logs on {day.isoformat()}",
        (count or 0) + adding,
        "max_logs_per_client_per_day",
    )
