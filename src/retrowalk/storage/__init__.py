"""Persistent storage (edge): SQLAlchemy models, engine/migrations, and CRUD helpers."""

from retrowalk.storage import crud
from retrowalk.storage.db import Database, backup, make_engine, upgrade

__all__ = ["Database", "backup", "crud", "make_engine", "upgrade"]
