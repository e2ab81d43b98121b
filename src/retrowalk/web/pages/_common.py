"""What every page module shares: the Jinja2 environment, rendering, redirects and form parsing.

Forms are validated through the use cases' own pydantic models; :func:`form_errors` turns their
ValidationError into one message per form field (via the core's ``field_messages``), and the
templates read ``min``/``max``/``step`` from the vocabulary (``field_bounds``).
"""

from __future__ import annotations

from typing import Any, get_args

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from starlette.datastructures import FormData

from retrowalk.core.prescription import load_rules
from retrowalk.core.scores.nprs import pain_rules
from retrowalk.core.vocab import FIELD_TYPES, field_bounds, field_messages
from retrowalk.errors import InputError
from retrowalk.reports.pdf import template_environment
from retrowalk.web.pages._auth import csrf_token

_env = template_environment("retrowalk.web")
_env.globals["field_bounds"] = field_bounds
#: The core's pain limit ("above 5", nprs.yaml), for the pain hints and badges.
_env.globals["pain_limit"] = pain_rules().limit_above


def goal_choices() -> list[tuple[str, str, str]]:
    """The goals the prescription knows (prescription.yaml): key, label, what it adds."""
    return [
        (key, key.replace("_", " "), goal.reason.split("→")[-1].strip())
        for key, goal in load_rules().goals.items()
    ]


_env.globals["goal_choices"] = goal_choices
templates = Jinja2Templates(env=_env)


def render(request: Request, name: str, ctx: dict[str, Any], *, code: int = 200) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    base = {
        "user": user,
        "csrf_token": csrf_token(request),
        "nav_unread": getattr(request.state, "unread", 0),
    }
    return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def safe_next(value: Any) -> str:
    """Only same-site relative paths: no open redirects after login."""
    text = value if isinstance(value, str) else ""
    return text if text.startswith("/") and not text.startswith("//") and "\\" not in text else "/"


def text(form: FormData, name: str) -> str:
    raw = form.get(name)
    return raw.strip() if isinstance(raw, str) else ""


def number(form: FormData, name: str, *, whole: bool = False) -> float | int | None:
    """A typed-in number (decimal comma accepted); None when empty. Bounds are the models' job."""
    raw = text(form, name)
    if raw == "":
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError as exc:
        raise InputError(name, f"{raw!r} is not a number", hint="enter digits, e.g. 7.5") from exc
    if whole:
        if value != int(value):
            raise InputError(name, f"{value:g} is not a whole number", hint="enter a whole number")
        return int(value)
    return value


def numbers(
    form: FormData,
    names: tuple[str, ...] | list[str],
    errors: dict[str, str],
    *,
    whole: frozenset[str] | set[str] = frozenset(),
    prefix: str = "",
) -> dict[str, float | int]:
    """The filled-in number boxes ``prefix + name`` keyed by ``name``; a box that is not a number
    puts its message in ``errors`` under its form name (bounds stay the models' job)."""
    found: dict[str, float | int] = {}
    for name in names:
        try:
            value = number(form, prefix + name, whole=name in whole)
        except InputError as exc:
            errors[exc.field] = exc.message
            continue
        if value is not None:
            found[name] = value
    return found


def form_errors(exc: ValidationError, *, prefix: str = "") -> dict[str, str]:
    """Per-field form messages from a model's ValidationError, each naming its field.

    ``prefix`` maps the model's fields onto the form's names (``ex0.`` + ``speed_kmh``).
    """
    out: dict[str, str] = {}
    for key, message in field_messages(exc, prefix=prefix).items():
        out[key] = f"{_label(key.removeprefix(prefix).split('.')[0])}: {message}"
    return out


def _label(name: str) -> str:
    """The vocabulary's description of a field ("speed, km/h"), else its name in words."""
    for meta in get_args(FIELD_TYPES.get(name))[1:]:
        if isinstance(meta, FieldInfo) and meta.description:
            return meta.description
    return name.replace("_", " ")


def input_error_text(exc: InputError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")
