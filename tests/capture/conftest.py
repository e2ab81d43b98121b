"""The API tests' fixtures (SQLite, and PostgreSQL where configured) for the capture tests."""

from tests.api.conftest import app, database, db_url, postgres_database, world

__all__ = ["app", "database", "db_url", "postgres_database", "world"]
