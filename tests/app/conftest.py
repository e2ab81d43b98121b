"""The use-case tests run on SQLite and on PostgreSQL, with the storage tests' fixtures."""

from tests.api.conftest import database, db_url, postgres_database

__all__ = ["database", "db_url", "postgres_database"]
