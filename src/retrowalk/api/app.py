"""FastAPI application factory: REST API under /api/v1 plus the HTML pages of retrowalk.web."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import retrowalk
from retrowalk.api import docs, hardening
from retrowalk.app import auth
from retrowalk.app.errors import AppError
from retrowalk.app.throttle import LoginThrottle
from retrowalk.errors import InputError
from retrowalk.http.deps import RequestGate
from retrowalk.http.security import load_secret_key
from retrowalk.io import limits
from retrowalk.settings import Settings, get_settings
from retrowalk.storage.db import Database
from retrowalk.storage.documents import DocumentError, UnreadableRow

API_PREFIX = "/api/v1"
#: Largest JSON/form body accepted outside uploads.
MAX_PLAIN_BODY = 1024 * 1024
#: Slack for multipart headers around an upload of exactly the limit.
MULTIPART_SLACK = 64 * 1024


class BodySizeLimit(hardening.HttpOnly):
    """Refuse oversized bodies with 413 before they are spooled to disk or memory."""

    def __init__(self, app: ASGIApp, upload_limit: int) -> None:
        super().__init__(app)
        self.upload_limit = upload_limit

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = declared = None
        chunked = False
        for key, value in scope.get("headers", ()):
            key = key.lower()
            if key == b"content-length":
                declared = value
            elif key == b"content-type":
                content_type = value
            elif key == b"transfer-encoding":
                chunked = True
        is_multipart = content_type is not None and content_type.startswith(b"multipart/")
        limit = self.upload_limit + MULTIPART_SLACK if is_multipart else max(MAX_PLAIN_BODY, 0)
        if declared is not None and declared.isdigit():
            if int(declared) > limit:
                await _send_413(send, limit)
                return
            if not chunked:  # the server delivers no more than the declared length
                await self.app(scope, receive, send)
                return
        elif not chunked:  # no body at all
            await self.app(scope, receive, send)
            return
        seen = 0
        exceeded = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # Cut the body short; whatever the app answers is replaced by a 413 below.
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        replaced = False
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal replaced, started
            if not exceeded or (started and not replaced):
                started = started or message["type"] == "http.response.start"
                await send(message)
                return
            if not replaced:
                replaced = True
                await _send_413(send, limit)

        await self.app(scope, limited_receive, guarded_send)
        if exceeded and not replaced and not started:
            await _send_413(send, limit)


async def _send_413(send: Send, limit: int) -> None:
    body = JSONResponse({"detail": f"request body too large (limit {limit} bytes)"}, status_code=413).body
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _input_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    loc = ["body", *exc.field.split(".")]
    return JSONResponse(
        {"detail": [{"loc": loc, "msg": exc.message, "type": "input_error", "hint": exc.hint}]},
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """A pydantic model built inside a handler (e.g. the core's input) rejected a value."""
    assert isinstance(exc, ValidationError)
    errors = [
        {
            "loc": ["body", *e.get("loc", ())],
            "msg": e.get("msg", "invalid"),
            "type": e.get("type", "value_error"),
        }
        for e in exc.errors()
    ]
    return JSONResponse(
        {"detail": jsonable_encoder(errors)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT
    )


def _unreadable_row(_request: Request, exc: Exception) -> JSONResponse:
    """A stored row that no longer validates: say which one, instead of a bare server error."""
    assert isinstance(exc, UnreadableRow | DocumentError)
    problem = exc.problem.model_dump() if isinstance(exc, UnreadableRow) else None
    return JSONResponse(
        {"detail": f"a stored record cannot be read: {exc}", "problem": problem},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    """A use case refused (not found, forbidden, conflict, ...): the same answer for pages and API."""
    assert isinstance(exc, AppError)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    if exc.status_code == status.HTTP_401_UNAUTHORIZED:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


def _integrity_error(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "conflicts with existing data (duplicate or missing reference)"},
        status_code=status.HTTP_409_CONFLICT,
    )


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Freeze start-up objects out of the garbage collector's view while serving.

    The imported libraries and the app hold hundreds of thousands of long-lived objects; a full
    collection walked them all and stalled every request for tens of milliseconds. Frozen, a
    collection only walks what requests allocate.
    """
    from retrowalk.jobs import EmbeddedWorker, queue_for

    settings: Settings = _app.state.settings
    worker = None
    if settings.jobs_in_process and settings.jobs_backend != "immediate":
        worker = EmbeddedWorker(queue_for(_app.state))
        worker.start()
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if worker is not None:
            worker.stop()


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """Build the app; applies pending migrations so a fresh data directory just works."""
    from retrowalk.api.routes import ROUTERS
    from retrowalk.web.pages import router as web_router

    settings = settings or get_settings()
    limits.configure(settings)  # the parsers' limits (retrowalk.io.limits) follow this app's settings
    hardening.prepare_data_dir(settings)  # 0700, takes writes; else InputError (CLI: exit 2)
    db = database or Database(settings.resolved_database_url)
    db.set_data_dir(settings.data_dir)
    try:
        db.upgrade()
    except OperationalError as exc:
        meaning = hardening.storage_fault(exc) or str(exc.orig or exc).splitlines()[0]
        raise InputError(
            "database", f"cannot open the database: {meaning}", hint="check RETROWALK_DATA_DIR"
        ) from None
    hardening.tighten_database_files(str(db.engine.url))
    auth.configure_password_hashing(
        time_cost=settings.argon2_time_cost,
        memory_kib=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
    )

    app = FastAPI(
        title="retrowalk",
        version=retrowalk.__version__,
        description="Knee-pain rehabilitation around backward walking: clients, assessments, "
        "programmes, session logs, gait recordings and outcomes.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served from the pinned local package below (retrowalk.api.docs)
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.db_gate = RequestGate(enabled=db.engine.dialect.name == "sqlite")
    app.state.secret_key = load_secret_key(settings)
    app.state.login_limiter = LoginThrottle(settings)

    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(ValidationError, _validation_error)
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(UnreadableRow, _unreadable_row)
    app.add_exception_handler(DocumentError, _unreadable_row)
    hardening.install(app, settings)  # error pages, faults, headers, malformed JSON (inside the size limit)
    app.add_middleware(BodySizeLimit, upload_limit=settings.upload_limit_bytes)

    docs.install(app, docs_url=f"{API_PREFIX}/docs", openapi_url=f"{API_PREFIX}/openapi.json")
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(web_router)

    static = resources.files("retrowalk.web") / "static"
    if static.is_dir():
        from fastapi.staticfiles import StaticFiles

        app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app
