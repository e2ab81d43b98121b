"""Hardened edges: security headers, login CSRF, malformed JSON, out-of-range ids, error pages, faults.

One ASGI middleware (:class:`Hardening`) answers before any route runs:

- a path segment that is an integer id beyond the database's range → 404 (not an overflow 500);
- ``POST /login`` (page or API) from another origin → 403 (login CSRF: an attacker's page could
  otherwise log the victim into the attacker's account);
- a JSON body with ``NaN``/``Infinity``/``1e400``, a lone surrogate (``"\\udc80"``), an integer of
  thousands of digits or nesting deeper than ``max_json_depth`` → 422 naming the place, even
  unauthenticated (FastAPI's own 422 could not serialise such input and failed with 500);

and adds the security headers (CSP, frame-ancestors/X-Frame-Options, nosniff, Referrer-Policy,
``Cache-Control: no-store`` on everything but static assets) to every response.

Exception handlers (:func:`install`) give browsers HTML error pages on web routes, keep every 422
serialisable, and turn storage faults (disk full, read-only database or data directory) into 503
with a clear message that ``/health`` then reports (:func:`health_report`).
"""

from __future__ import annotations

import errno
import html
import inspect
import json
import math
import os
import shutil
import stat
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from retrowalk.app.access import MAX_ID
from retrowalk.errors import InputError
from retrowalk.settings import Settings

API_PREFIX = "/api/"
#: Anonymous POSTs that start or change a login: refused from other origins (login CSRF).
LOGIN_PATHS = frozenset({"/login", "/api/v1/auth/login", "/account/password", "/api/v1/account/password"})
#: Scripts only from this origin (no inline script anywhere, Swagger UI included); inline style
#: attributes are used by the templates and the SVG charts.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
#: Paths whose responses may be cached (public, versioned assets); everything else is no-store.
CACHEABLE_PREFIXES = ("/static/", "/api/v1/docs/assets/")
#: Seconds /health keeps reporting a storage fault after the last one was seen.
FAULT_HOLD_S = 30.0
#: Free space on the data directory below which /health reports the disk as nearly full.
MIN_FREE_BYTES = 16 * 1024 * 1024


# --- malformed JSON ---------------------------------------------------------------------------


class _Malformed(ValueError):
    def __init__(self, loc: list[str | int], msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Malformed([], f"number {text[:40]} is out of range (not finite)")
    return value


def _no_constant(name: str) -> float:
    raise _Malformed([], f"{name} is not a number JSON allows")


def json_problem(body: bytes, max_depth: int) -> _Malformed | None:
    """Why this JSON body must be refused, or None (also None for text that is not JSON at all:
    FastAPI's own 422 names that)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        doc = json.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except _Malformed as exc:
        return exc
    except RecursionError:
        return _Malformed([], f"nested deeper than the limit of {max_depth} (max_json_depth)")
    except ValueError as exc:  # JSONDecodeError (FastAPI answers it), or an integer too long
        if isinstance(exc, json.JSONDecodeError):
            return None
        return _Malformed([], f"number too long: {exc}")
    # Walk iteratively: depth and lone surrogates in keys and strings.
    stack: list[tuple[Any, list[str | int]]] = [(doc, [])]
    while stack:
        node, loc = stack.pop()
        if len(loc) > max_depth:
            return _Malformed(loc[:8], f"nested deeper than the limit of {max_depth} (max_json_depth)")
        if isinstance(node, str):
            if not _utf8_ok(node):
                return _Malformed(loc, "contains a lone surrogate (not valid Unicode text)")
        elif isinstance(node, dict):
            for key, value in node.items():
                if not _utf8_ok(key):
                    return _Malformed(loc, "a key contains a lone surrogate (not valid Unicode text)")
                stack.append((value, [*loc, key]))
        elif isinstance(node, list):
            stack.extend((value, [*loc, i]) for i, value in enumerate(node))
    return None


def _utf8_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_depth_ok(doc: Any, max_depth: int) -> bool:
    """True when ``doc`` (parsed JSON) nests at most ``max_depth`` deep (iterative, no recursion)."""
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


# --- the middleware -----------------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _id_out_of_range(path: str) -> bool:
    return any(part.isdigit() and (len(part) > 10 or int(part) > MAX_ID) for part in path.split("/"))


def _cross_origin(scope: Scope, trusted: frozenset[str]) -> bool:
    """A browser says this POST comes from another site (Sec-Fetch-Site, Origin or Referer)."""
    if _header(scope, b"sec-fetch-site") == "cross-site":
        return True
    host = _header(scope, b"host") or ""
    source = _header(scope, b"origin") or _header(scope, b"referer")
    if source is None:
        return False  # not a browser (scripts, the CLI, tests): nothing to forge
    if source == "null":
        return True  # sandboxed frames and some redirects: never a same-origin form
    parts = urlsplit(source)
    return parts.netloc != host and f"{parts.scheme}://{parts.netloc}" not in trusted


def _wants_html(scope: Scope) -> bool:
    return not scope["path"].startswith(API_PREFIX) and "text/html" in (_header(scope, b"accept") or "")


async def _respond(scope: Scope, send: Send, code: int, detail: Any, title: str) -> None:
    response: Response
    if _wants_html(scope):
        response = error_page(code, title, str(detail if isinstance(detail, str) else title))
    else:
        response = JSONResponse({"detail": detail}, status_code=code)
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


class HttpOnly(ABC):
    """An ASGI middleware that sees HTTP requests only: lifespan and websocket scopes pass by."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    @abstractmethod
    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request (call ``self.app`` to pass it on)."""


class Hardening(HttpOnly):
    """See the module docstring; sits inside the body-size limit, so bodies here are bounded."""

    def __init__(self, app: ASGIApp, *, max_json_depth: int, trusted_origins: frozenset[str]) -> None:
        super().__init__(app)
        self.max_json_depth = max_json_depth
        self.trusted_origins = trusted_origins

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        send = _with_security_headers(scope, send)
        path: str = scope["path"]
        method: str = scope["method"]
        if _id_out_of_range(path):
            await _respond(scope, send, 404, "not found (id out of range)", "Not found")
            return
        if method == "POST" and path in LOGIN_PATHS and _cross_origin(scope, self.trusted_origins):
            await _respond(scope, send, 403, "login from another site refused (CSRF)", "Forbidden")
            return
        content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        if method in ("POST", "PUT", "PATCH") and (
            content_type == "application/json" or "+json" in content_type
        ):
            chunks: list[bytes] = []
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = b"".join(chunks)
            problem = json_problem(body, self.max_json_depth)
            if problem is not None:
                detail = [{"loc": ["body", *problem.loc], "msg": problem.msg, "type": "value_error"}]
                await _respond(scope, send, 422, detail, "Invalid input")
                return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)


def _with_security_headers(scope: Scope, send: Send) -> Send:
    cacheable = scope["path"].startswith(CACHEABLE_PREFIXES)

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            present = {k.lower() for k, _ in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
            if not cacheable and b"cache-control" not in present:
                headers.append((b"cache-control", b"no-store"))
            message["headers"] = headers
        await send(message)

    return wrapped


# --- error pages and handlers -------------------------------------------------------------------


def error_page(
    code: int, title: str, detail: str, *, back: str = "/", problems: Sequence[str] = ()
) -> HTMLResponse:
    """A small self-contained HTML error page (no template: it must render even when they fail)."""
    label = "Back to the client's page" if back != "/" else "Back to the start page"
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{code} {html.escape(title)} · retrowalk</title>"
        "<link rel='stylesheet' href='/static/app.css'></head><body><main class='card'>"
        f"<h1>{html.escape(title)}</h1><p id='error'>{html.escape(detail)}</p>"
        + (f"<ul id='problems'>{items}</ul>" if items else "")
        + f"<p><a class='button' id='back' href='{html.escape(back)}'>{label}</a></p></main></body></html>"
    )
    return HTMLResponse(body, status_code=code)


_TITLES = {
    400: "Bad request",
    401: "Log in first",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported file type",
    422: "Invalid input",
    429: "Too many attempts",
}


def _request_wants_html(request: Request) -> bool:
    return _wants_html(request.scope)


def _back(request: Request, code: int) -> str:
    """The way back: the client's page below ``/clients/N/...`` (unless the client is what was
    not found), else the start page."""
    parts = request.url.path.strip("/").split("/")
    if code != 404 and len(parts) >= 3 and parts[0] == "clients" and parts[1].isdigit():
        return f"/clients/{int(parts[1])}"
    return "/"


def _refusal_text(exc: Exception) -> tuple[int, str, list[str]]:
    """Status, one line and per-field problems of a refusal, in words (never a JSON dump)."""
    from retrowalk.core.vocab import field_messages

    if isinstance(exc, InputError):
        return (
            422,
            "Please go back and correct:",
            [f"{exc.field}: {exc.message}" + (f" ({exc.hint})" if exc.hint else "")],
        )
    if isinstance(exc, ValidationError):
        return 422, "Please go back and correct:", [f"{k}: {v}" for k, v in field_messages(exc).items()]
    code = int(getattr(exc, "status_code", 400))
    return code, str(getattr(exc, "detail", _TITLES.get(code, "Error"))), []


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _request_wants_html(request) and exc.status_code >= 400:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        title = _TITLES.get(exc.status_code, "Error")
        page = error_page(exc.status_code, title, detail, back=_back(request, exc.status_code))
        for key, value in (exc.headers or {}).items():
            page.headers[key] = value
        return page
    return await http_exception_handler(request, exc)


def _html_for_app_errors(handler: Callable[[Request, Exception], Any]) -> Callable[..., Awaitable[Response]]:
    """The app's handler for use-case refusals, with an HTML page for browsers on web routes."""

    async def handle(request: Request, exc: Exception) -> Response:
        if _request_wants_html(request):
            status_code, detail, problems = _refusal_text(exc)
            title = _TITLES.get(status_code, "Error")
            page = error_page(status_code, title, detail, back=_back(request, status_code), problems=problems)
            retry = getattr(exc, "retry_after", None)
            if retry is not None:
                page.headers["Retry-After"] = str(retry)
            return page
        response = handler(request, exc)
        return await response if inspect.isawaitable(response) else response

    return handle


def _safe(value: Any) -> Any:
    """JSON-safe copy of a validation error's context (non-finite floats become text)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return (
            value
            if not isinstance(value, str) or _utf8_ok(value)
            else value.encode("utf-8", "replace").decode()
        )
    return str(value)


async def _request_validation_error(request: Request, exc: Exception) -> Response:
    """FastAPI's 422, without echoing the input (which may not be serialisable, or be a secret)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": _safe(list(e.get("loc", ()))), "msg": _safe(e.get("msg", "invalid")), "type": e.get("type")}
        for e in exc.errors()
    ]
    if _request_wants_html(request):
        problems = [
            f"{'.'.join(str(p) for p in e['loc'] if p not in ('body', 'query', 'path'))}: {e['msg']}"
            for e in errors
        ]
        back = _back(request, 422)
        return error_page(422, _TITLES[422], "Please go back and correct:", back=back, problems=problems)
    return JSONResponse({"detail": errors}, status_code=422)


async def _server_error(request: Request, exc: Exception) -> Response:
    """A bug: a plain 500 (an HTML page for browsers on web routes), never a traceback."""
    if _request_wants_html(request):
        return error_page(500, "Something went wrong", "The error was logged; please try again.")
    return JSONResponse({"detail": "internal server error"}, status_code=500)


# --- storage faults -----------------------------------------------------------------------------

#: SQLite/PostgreSQL messages that mean the storage cannot take writes (not a transient lock).
_FAULT_TEXTS = (
    ("database or disk is full", "the disk is full"),
    ("disk i/o error", "the disk failed to read or write"),
    ("readonly database", "the database is read-only"),
    ("read-only", "the database is read-only"),
    ("unable to open database file", "the database file cannot be opened"),
    ("no space left on device", "the disk is full"),
    ("could not extend file", "the disk is full"),
)
_FAULT_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the data directory is read-only",
    errno.EACCES: "the data directory is not writable",
}


def storage_fault(exc: BaseException) -> str | None:
    """A plain description when ``exc`` means storage cannot take writes, else None."""
    if isinstance(exc, OSError) and exc.errno in _FAULT_ERRNOS:
        return _FAULT_ERRNOS[exc.errno]
    if isinstance(exc, OperationalError):
        text = str(exc.orig if exc.orig is not None else exc).lower()
        for needle, meaning in _FAULT_TEXTS:
            if needle in text:
                return meaning
    return None


def record_fault(app: FastAPI, meaning: str) -> None:
    app.state.storage_fault = (time.monotonic(), meaning)


def _fault_response(request: Request, meaning: str) -> Response:
    record_fault(request.app, meaning)
    detail = f"storage unavailable: {meaning}; nothing was saved. Tell the operator and retry later."
    if _request_wants_html(request):
        page: Response = error_page(503, "Service unavailable", detail)
    else:
        page = JSONResponse({"detail": detail}, status_code=503)
    page.headers["Retry-After"] = "30"
    return page


async def _operational_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OperationalError)
    meaning = storage_fault(exc)
    if meaning is not None:
        return _fault_response(request, meaning)
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if "locked" in text or "busy" in text:
        return JSONResponse(
            {"detail": "the database is busy; retry shortly"}, status_code=503, headers={"Retry-After": "1"}
        )
    raise exc


async def _os_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OSError)
    meaning = storage_fault(exc)
    if meaning is None:
        raise exc
    return _fault_response(request, meaning)


def health_report(request: Request) -> tuple[int, dict[str, str]]:
    """(status code, body) for /health: 503 naming the fault while storage cannot take writes."""
    settings: Settings = request.app.state.settings
    fault: tuple[float, str] | None = getattr(request.app.state, "storage_fault", None)
    if fault is not None and time.monotonic() - fault[0] < FAULT_HOLD_S:
        return 503, {"status": "fault", "detail": f"storage unavailable: {fault[1]}"}
    try:
        free = shutil.disk_usage(settings.data_dir).free
    except OSError:
        return 503, {"status": "fault", "detail": "the data directory cannot be read"}
    if free < MIN_FREE_BYTES:
        return 503, {"status": "fault", "detail": f"the disk is nearly full ({free // 1024} KiB free)"}
    return 200, {"status": "ok"}


# --- the data directory -------------------------------------------------------------------------


def prepare_data_dir(settings: Settings) -> None:
    """Create or tighten the data directory (0700) and check it takes writes.

    Raises InputError naming ``data_dir`` (the CLI prints one line and exits 2).
    """
    path = Path(settings.data_dir)
    if path.exists() and not path.is_dir():
        raise InputError("data_dir", f"{path} is not a directory", hint="set RETROWALK_DATA_DIR")
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o700)  # health data: owner only, also for a directory made before
        probe = path / f".write-probe-{os.getpid()}"
        with probe.open("wb") as fh:
            fh.write(b"\0" * 4096)
            fh.flush()
            os.fsync(fh.fileno())
        probe.unlink()
    except InputError:
        raise
    except OSError as exc:
        meaning = _FAULT_ERRNOS.get(exc.errno or 0, exc.strerror or str(exc))
        raise InputError(
            "data_dir",
            f"{path} cannot be used: {meaning}",
            hint="free space, fix permissions or set RETROWALK_DATA_DIR",
        ) from None


def tighten_database_files(database_url: str) -> None:
    """SQLite files (database, WAL, shared memory, writer lock) readable by the owner only."""
    if not database_url.startswith("sqlite:///"):
        return
    main = Path(database_url.removeprefix("sqlite:///"))
    for path in (
        main,
        *(main.with_name(main.name + s) for s in ("-wal", "-shm", "-journal", "-writer.lock")),
    ):
        try:
            if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
                path.chmod(0o600)
        except OSError:
            pass  # not ours to change (e.g. a shared file): the directory's 0700 still protects it


def install(app: FastAPI, settings: Settings) -> None:
    """Add the middleware and the handlers (after the app's own, which these replace)."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    from retrowalk.app.errors import AppError

    # use-case refusals and refused values: HTML pages on web routes, the app's JSON elsewhere
    for kind in (AppError, InputError, ValidationError):
        if kind in app.exception_handlers:
            app.add_exception_handler(kind, _html_for_app_errors(app.exception_handlers[kind]))
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(OSError, _os_error)
    app.add_exception_handler(Exception, _server_error)
    base = urlsplit(settings.public_base_url)
    trusted = frozenset({f"{base.scheme}://{base.netloc}"})
    app.add_middleware(Hardening, max_json_depth=settings.max_json_depth, trusted_origins=trusted)
