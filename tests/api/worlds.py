"""A :class:`~tests.api.api_support.World` on its own SQLite app: one way for every test module
that needs a fresh app (per test or per module) instead of the SQLite/PostgreSQL ``world``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.api.api_support import World, build_world, make_settings

from retrowalk.api.app import create_app


@contextmanager
def sqlite_world(tmp: Path, *, db: str = "web.sqlite3", **overrides: Any) -> Iterator[World]:
    """A world on its own app over a fresh SQLite file (``tmp / db``, data in ``tmp/data``),
    disposed afterwards; ``overrides`` are settings."""
    app = create_app(make_settings(tmp / "data", f"sqlite:///{tmp / db}", **overrides))
    try:
        yield build_world(app)
    finally:
        app.state.db.dispose()


def world_fixture(name: str = "world", *, scope: Any = "function", **overrides: Any) -> Callable[..., Any]:
    """A pytest fixture ``name`` giving a :func:`sqlite_world` per test (or per ``scope``)."""

    @pytest.fixture(name=name, scope=scope)
    def _world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
        with sqlite_world(tmp_path_factory.mktemp(name), **overrides) as world:
            yield world

    return _world
