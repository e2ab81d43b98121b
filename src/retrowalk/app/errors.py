"""Refusals a use case can give, each with the HTTP status the edges answer with.

Why here and not ``HTTPException``: the flows know nothing of HTTP, yet the REST routes and the
web pages must refuse the same thing the same way; each edge maps these in one handler. Bad
field values stay :class:`retrowalk.errors.InputError` / pydantic ``ValidationError`` (422).
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class AppError(Exception):
    """A refusal with a message for the caller."""

    status_code = 400

    def __init__(self, detail: str, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class Unauthorised(AppError):
    status_code = 401


class Forbidden(AppError):
    status_code = 403


class NotFound(AppError):
    status_code = 404


def found(row: T | None, what: str) -> T:
    """``row``, or 404 "``what`` not found" when the lookup found nothing (or another client's)."""
    if row is None:
        raise NotFound(f"{what} not found")
    return row


class Conflict(AppError):
    status_code = 409


class TooLarge(AppError):
    status_code = 413


class UnsupportedMedia(AppError):
    status_code = 415


class TooManyAttempts(AppError):
    status_code = 429


class Unavailable(AppError):
    """Could not be done now (e.g. a background job failed); worth retrying later."""

    status_code = 503
