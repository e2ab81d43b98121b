"""`retrowalk start|serve`, `retrowalk db upgrade|backup` and `retrowalk user add|set-password`."""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from retrowalk.cli._db import open_database
from retrowalk.cli._output import FormatOption, OutputFormat, console, emit, err_console, fail, user_errors

db_app = typer.Typer(help="Database maintenance: migrations and online backups.", no_args_is_help=True)
user_app = typer.Typer(
    help="Manage logins from the command line (e.g. the first admin).", no_args_is_help=True
)


def _announce_and_serve(
    host: str | None,
    port: int | None,
    fmt: OutputFormat,
    extra: dict[str, Any],
    render_extra: Callable[[object], None] | None,
    worker: bool = False,
    workers: int = 1,
) -> None:
    """Say where the app is (JSON on stdout with --format json; server logs go to stderr), then serve."""
    import uvicorn

    from retrowalk.api.app import create_app
    from retrowalk.settings import get_settings

    settings = get_settings()
    if workers > 1 and settings.rate_limit_storage_url.startswith("memory://"):
        # each process would count failed logins on its own: the limits would be workers x weaker
        fail(
            "workers",
            f"{workers} processes cannot share login limits kept in memory",
            hint="set RETROWALK_RATE_LIMIT_STORAGE_URL to a shared store (e.g. redis://127.0.0.1:6379), "
            "or serve with --workers 1",
        )
    # a job worker inside each server process (retrowalk.jobs), unless --no-worker
    settings = settings.model_copy(update={"jobs_in_process": worker})
    h, p = host or settings.host, port or settings.port
    info = {
        "url": f"http://{h}:{p}/",
        "api_docs": f"http://{h}:{p}/api/v1/docs",
        **({"workers": workers} if workers > 1 else {}),
        **extra,
    }

    def render(d: dict[str, Any]) -> None:
        if render_extra is not None:
            render_extra(d)
        console.print(f"Serving on {d['url']}  (API docs: {d['api_docs']})")

    with user_errors():  # a bad data directory or database: one line, exit 2 (and migrated once)
        app = create_app(settings)
    emit(info, fmt, render)
    # uvicorn sends its access log to stdout; keep stdout for our own output (--format json).
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    options: dict[str, Any] = {
        "host": h,
        "port": p,
        "log_level": "info",
        "proxy_headers": False,
        "log_config": log_config,
        "access_log": settings.access_log,
    }
    if workers == 1:
        uvicorn.run(app, **options)
        return
    app.state.db.dispose()
    # uvicorn's supervisor starts the processes; each builds its app from the same environment
    os.environ["RETROWALK_JOBS_IN_PROCESS"] = "true" if worker else "false"
    uvicorn.run("retrowalk.api.app:create_app", factory=True, workers=workers, **options)


#: More server processes than this gain nothing on one host and multiply memory.
MAX_WORKERS = 32
WorkersOption = typer.Option(
    1,
    "--workers",
    min=1,
    max=MAX_WORKERS,
    help="Server processes (PostgreSQL at scale; SQLite admits one writer at a time). Above 1 "
    "needs RETROWALK_RATE_LIMIT_STORAGE_URL, so the processes share the login limits.",
)


def start(
    host: str | None = typer.Option(None, help="Bind address (default: settings.host, 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port (default: settings.port, 8000)."),
    seed: bool = typer.Option(True, "--seed/--no-seed", help="Create demo data when the database is empty."),
    worker: bool = typer.Option(
        True, "--worker/--no-worker", help="Run one background-job worker in-process."
    ),
    workers: int = WorkersOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Migrate the database, create demo data on first start, print the demo logins, serve."""
    from retrowalk.api.hardening import prepare_data_dir
    from retrowalk.settings import get_settings
    from retrowalk.storage.seed import seed_demo

    with user_errors():
        prepare_data_dir(get_settings())  # 0700 and writable, else one line and exit 2
    with user_errors(), open_database() as database:
        creds = []
        if seed:
            with database.transaction() as db:
                creds = seed_demo(db)

    def render(_: object) -> None:
        if creds:
            console.print(
                "[bold green]Demo data created.[/] Demo logins (shown once; only hashes are stored):"
            )
            for c in creds:
                console.print(f"  {c.role:8} [bold]{c.username}[/]  password: [bold]{c.password}[/]")
            console.print("  Reset later with: retrowalk user set-password USERNAME")
        else:
            console.print(
                "Database already has users; demo logins were printed on the first start "
                "(reset with: retrowalk user set-password USERNAME)."
            )

    _announce_and_serve(
        host,
        port,
        fmt,
        {"demo_logins": [{"role": c.role, "username": c.username, "password": c.password} for c in creds]},
        render,
        worker=worker,
        workers=workers,
    )


def serve(
    host: str | None = typer.Option(None, help="Bind address (default: settings.host)."),
    port: int | None = typer.Option(None, help="Port (default: settings.port)."),
    worker: bool = typer.Option(
        True,
        "--worker/--no-worker",
        help="Run one background-job worker in-process (PDFs, analyses); --no-worker when "
        "`retrowalk worker` runs elsewhere.",
    ),
    workers: int = WorkersOption,
    fmt: OutputFormat = FormatOption,
) -> None:
    """Serve the web app and API (migrates, never seeds)."""
    _announce_and_serve(host, port, fmt, {}, None, worker=worker, workers=workers)


@db_app.command("upgrade")
def db_upgrade(fmt: OutputFormat = FormatOption) -> None:
    """Apply pending migrations."""
    from retrowalk.storage.db import current_revision

    with user_errors(), open_database() as database:
        rev = current_revision(database.engine)
    emit(
        {"database": database.engine.url.render_as_string(hide_password=True), "revision": rev},
        fmt,
        lambda d: console.print(f"database at revision [bold]{d['revision']}[/]: {d['database']}"),
    )


@db_app.command("backup")
def db_backup(
    path: Path = typer.Argument(..., help="Backup file to write."), fmt: OutputFormat = FormatOption
) -> None:
    """Consistent online backup (SQLite backup API, or pg_dump for PostgreSQL)."""
    from retrowalk.settings import get_settings
    from retrowalk.storage.db import backup

    settings = get_settings()
    with user_errors():
        out = backup(settings.resolved_database_url, path)
    emit(
        {"backup": str(out), "bytes": out.stat().st_size},
        fmt,
        lambda d: console.print(f"backup written: {d['backup']} ({d['bytes']} bytes)"),
    )


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    from retrowalk.app.accounts import password_problem  # the one policy (API, web, CLI)

    problem = password_problem(password)
    if problem is not None:
        fail("password", f"needs {problem}", hint="choose another password")
    return password


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option("admin", help="admin or trainer (client logins are made by their trainer)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Create an admin or trainer login."""
    from retrowalk.storage import crud

    if role not in ("admin", "trainer"):
        fail("role", f"{role!r} is not allowed here", hint="use admin or trainer")
    password = _read_password(password_stdin)
    with user_errors(), open_database() as database, database.transaction() as db:
        if crud.get_user_by_username(db, username) is not None:
            fail("username", f"{username!r} already exists", hint="pick another name")
        user = crud.create_user(db, username, password, role)
        crud.audit(db, None, "create", "user", resource_id=user.id, detail=f"cli role={role}")
        uid = user.id
    emit(
        {"id": uid, "username": username, "role": role},
        fmt,
        lambda d: console.print(f"created {d['role']} [bold]{d['username']}[/] (id {d['id']})"),
    )


@user_app.command("set-password")
def user_set_password(
    username: str = typer.Argument(..., help="Login name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Set a new password (logs the user out everywhere)."""
    from retrowalk.storage import crud

    password = _read_password(password_stdin)
    with user_errors(), open_database() as database, database.transaction() as db:
        user = crud.get_user_by_username(db, username)
        if user is None:
            fail("username", f"no user {username!r}", hint="check the name")
        crud.set_password(db, user, password)
        crud.audit(db, None, "update", "user", resource_id=user.id, detail="cli password")
    emit(
        {"username": username, "password_set": True},
        fmt,
        lambda d: err_console.print(f"password set for {d['username']}"),
    )


def register(app: typer.Typer) -> None:
    app.command("start")(start)
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
