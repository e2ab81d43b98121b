"""The database as CLI commands use it: opened from settings, migrated, disposed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrowalk.storage.db import Database


@contextmanager
def open_database() -> Iterator[Database]:
    """Open the configured database, apply pending migrations, and dispose of it on exit."""
    from retrowalk.settings import get_settings
    from retrowalk.storage.db import Database

    settings = get_settings()
    database = Database(settings.resolved_database_url, data_dir=settings.data_dir)
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()
