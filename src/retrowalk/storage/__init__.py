"""Persistent storage (edge): SQLAlchemy models, engine/migrations, and CRUD helpers."""

from retrowalk.storage.db import Database, backup, make_engine, upgrade

__all__ = ["Database", "backup", "make_engine", "upgrade"]
