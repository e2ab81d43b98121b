"""Engine, sessions, migrations and online backup for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from retrowalk.errors import InputError

MIGRATIONS_PACKAGE = "retrowalk.storage.migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged commit survives power loss, not only a process crash.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise InputError(
        "database_url",
        f"unsupported database {parsed.get_backend_name()!r}",
        hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
    )


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files(MIGRATIONS_PACKAGE)))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every pending migration (idempotent)."""
    from alembic import command

    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_empty(engine: Engine) -> bool:
    return "users" not in inspect(engine).get_table_names()


class Database:
    """An engine plus its session factory; one per app/process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        upgrade(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back everything on any error."""
        with self.sessionmaker() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def backup(url: str, dest: Path) -> Path:
    """Consistent online backup: SQLite's backup API, or pg_dump for PostgreSQL."""
    parsed = make_url(url)
    dest = dest.expanduser()
    if dest.exists() and dest.is_dir():
        raise InputError("path", f"{dest} is a directory", hint="give a file name for the backup")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise InputError("database_url", "an in-memory database cannot be backed up")
        src_path = Path(parsed.database)
        if not src_path.exists():
            raise InputError("database_url", f"{src_path} does not exist", hint="run `retrowalk db upgrade`")
        tmp = dest.with_name(dest.name + ".part")
        tmp.unlink(missing_ok=True)
        src = sqlite3.connect(str(src_path))
        try:
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst)
                ok = dst.execute("PRAGMA integrity_check").fetchone()
                if not ok or ok[0] != "ok":
                    raise RuntimeError(f"backup failed its integrity check: {ok}")
            finally:
                dst.close()
        finally:
            src.close()
        tmp.replace(dest)
        return dest
    if parsed.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump") or next(
            (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True)), None
        )
        if pg_dump is None:
            raise InputError(
                "pg_dump",
                "pg_dump was not found on PATH",
                hint="install the PostgreSQL client tools (Debian: postgresql-client)",
            )
        libpq_url = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        result = subprocess.run(
            [pg_dump, "--format=custom", "--file", str(dest), "--dbname", libpq_url],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise InputError(
                "pg_dump",
                result.stderr.strip() or "pg_dump failed",
                hint="check the database URL and that the server is running",
            )
        return dest
    raise InputError("database_url", f"cannot back up {parsed.get_backend_name()!r}")
