"""Fixtures for the storage and API tests: each runs on SQLite and on PostgreSQL.

The PostgreSQL parameter needs RETROWALK_TEST_POSTGRES_URL (scripts/test starts a throw-away
server); without it the parameter is skipped locally but FAILS under CI=true.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.api.api_support import World, build_world, make_settings, postgres_base_url

from retrowalk.api.app import create_app
from retrowalk.storage import Database


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    base = make_url(postgres_base_url())
    name = f"rw_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(make_settings(tmp_path / "data", db_url))
    try:
        yield application
    finally:
        application.state.db.dispose()


@pytest.fixture
def world(app: FastAPI) -> World:
    return build_world(app)
