"""Engine, sessions, migrations and online backup for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from retrowalk.errors import InputError

try:
    import fcntl
except ImportError:  # Windows: processes fall back to SQLite's busy_timeout
    fcntl = None  # type: ignore[assignment]

MIGRATIONS_PACKAGE = "retrowalk.storage.migrations"


#: Seconds a writer waits for the database before the request fails with "database is locked".
BUSY_TIMEOUT_S = 10.0


class WriterLock:
    """The queue of writers to one SQLite file: threads of this process wait on a lock, other
    processes (``serve --workers N``) on an advisory file lock beside the database.

    SQLite lets one writer in at a time. Left to itself, a waiting connection polls with sleeps
    that grow to 100 ms, so under load the database sits idle while writers sleep and latency
    tails explode. Here a waiting thread is woken the moment the holder commits, and a waiting
    process retries within 2 ms. SQLite's own locking (busy_timeout) stays in force underneath.
    """

    def __init__(self, lock_path: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._lock_path = lock_path if fcntl is not None else None
        self._fd: int | None = None
        self._fd_pid = 0

    def _file(self) -> int:
        if self._fd is None or self._fd_pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self._lock_path or "", os.O_RDWR | os.O_CREAT, 0o600)
            self._fd_pid = os.getpid()
        return self._fd

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            return False
        if self._lock_path is None or fcntl is None:
            return True
        try:
            fd, delay = self._file(), 0.0002
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self._thread_lock.release()
                        return False
                    time.sleep(delay)
                    delay = min(delay * 2, 0.002)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None and fcntl is not None and self._fd_pid == os.getpid():
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


_write_locks: dict[str, WriterLock] = {}
_write_locks_guard = threading.Lock()


def _write_lock_for(database: str) -> WriterLock:
    """One writer lock per database file per process (an in-memory database gets its own)."""
    if database in ("", ":memory:") or database.startswith("file:"):
        return WriterLock(None)
    key = os.path.realpath(database)
    with _write_locks_guard:
        lock = _write_locks.get(key)
        if lock is None:
            lock = _write_locks[key] = WriterLock(key + "-writer.lock")
        return lock


class SerialisedConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions queue on the file's :class:`WriterLock`."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._write_lock = _write_lock_for(str(database))
        self._holds_write_lock = False

    def begin_immediate(self) -> None:
        if not self._write_lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise sqlite3.OperationalError("database is locked (waited for other writers)")
        self._holds_write_lock = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            self._write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_write_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_write_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_write_lock()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN is deferred).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged commit survives power loss, not only a process crash.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    """Take the write lock at BEGIN. Every request writes (at least its audit row); a deferred
    transaction that reads first and writes later fails at once with SQLITE_BUSY when another
    connection committed in between, whereas BEGIN IMMEDIATE waits its turn."""
    raw: SerialisedConnection = conn.connection.dbapi_connection  # make_engine's factory
    try:
        raw.begin_immediate()
    except sqlite3.OperationalError as exc:
        # As SQLAlchemy would have wrapped it, so callers (the API's 503 answer) see one type.
        raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc


#: PostgreSQL connections kept per process, and how many more it may open under load.
PG_POOL_SIZE = 20
PG_POOL_OVERFLOW = 20


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": BUSY_TIMEOUT_S,
                "factory": SerialisedConnection,
            },
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Up to one connection per worker thread (anyio's 40 tokens): with SQLAlchemy's default
        # 5 + 10, requests queued for a connection while holding a thread, and two processes
        # saturated at about 150 writes/s. 2 processes x 40 fit PostgreSQL's default
        # max_connections (100); raise it before serving with more processes.
        return create_engine(
            parsed, pool_pre_ping=True, pool_size=PG_POOL_SIZE, max_overflow=PG_POOL_OVERFLOW
        )
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


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` (for tests and a rollback to the previous release)."""
    from alembic import command

    cfg = _alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def head_revision() -> str:
    """The newest migration this release ships."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files(MIGRATIONS_PACKAGE)))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class Database:
    """An engine plus its session factory; one per app/process."""

    def __init__(self, url: str, *, data_dir: Path | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        if data_dir is not None:
            self.set_data_dir(data_dir)

    def set_data_dir(self, data_dir: Path) -> None:
        """Where this database's files (uploads, exercise media) live: every session gets it as
        ``session.info["data_dir"]``, so a use case that removes a row can remove its file too."""
        self.sessionmaker.configure(info={"data_dir": Path(data_dir)})

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
