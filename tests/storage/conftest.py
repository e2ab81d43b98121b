"""The storage tests run on SQLite and on PostgreSQL, with the API tests' database fixtures."""

from tests.api.conftest import database, db_url, postgres_database

__all__ = ["database", "db_url", "postgres_database"]
