"""Refusals on page routes answered as HTML pages with a way back, not the API's JSON.

The app factory keeps one handler per kind of refusal; for a path outside the REST prefix it asks
:func:`error_page` for the HTML answer. The status code stays the same as the API's.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from retrowalk.core.vocab import field_messages
from retrowalk.web.pages._common import render

TITLES = {
    400: "The request could not be read",
    401: "Please log in",
    403: "You may not open this page",
    404: "Not found",
    405: "This page does not take that kind of request",
    409: "This conflicts with existing data",
    413: "The file is too large",
    415: "This kind of file is not accepted",
    422: "Some values were not accepted",
    429: "Too many attempts",
    503: "The server is busy",
}


def _back(request: Request, code: int) -> tuple[str, str]:
    """Where the way back leads: the client's page when the path names one below it (and the
    client is not what was missing), else the start page."""
    parts = request.url.path.strip("/").split("/")
    if code != 404 and len(parts) >= 3 and parts[0] == "clients" and parts[1].isdigit():
        return f"/clients/{parts[1]}", "Back to the client's page"
    return "/", "Back to the start page"


def error_page(
    request: Request,
    code: int,
    detail: str,
    *,
    problems: list[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    href, label = _back(request, code)
    ctx = {
        "user": getattr(request.state, "nav_user", None),  # the ORM row may be detached by now
        "code": code,
        "title": TITLES.get(code, "Something went wrong"),
        "detail": detail,
        "problems": problems or [],
        "back_href": href,
        "back_label": label,
    }
    response = render(request, "error.html", ctx, code=code)
    for name, value in (headers or {}).items():
        if name.lower() in ("retry-after", "www-authenticate", "allow"):
            response.headers[name] = value
    return response


def validation_problems(exc: ValidationError | list[dict[str, object]]) -> list[str]:
    """One line per refused field, in words ("goals.0: ...")."""
    if isinstance(exc, ValidationError):
        return [f"{k}: {v}" for k, v in field_messages(exc).items()]
    out = []
    for e in exc:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]  # type: ignore[attr-defined]
        out.append(f"{'.'.join(loc) or 'input'}: {e.get('msg', 'invalid')}")
    return out
