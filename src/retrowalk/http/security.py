"""Secrets and CSRF tokens (login limits: :mod:`retrowalk.app.throttle`)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from retrowalk.errors import InputError
from retrowalk.settings import Settings

SESSION_COOKIE = "retrowalk_session"
CSRF_COOKIE = "retrowalk_csrf"
CSRF_HEADER = "X-CSRF-Token"


def load_secret_key(settings: Settings) -> bytes:
    """RETROWALK_SECRET_KEY, else a key generated once into data_dir/secret_key (mode 600)."""
    if settings.secret_key:
        if len(settings.secret_key) < settings.min_secret_key_length:
            raise InputError(
                "secret_key",
                f"RETROWALK_SECRET_KEY has {len(settings.secret_key)} characters, fewer than "
                f"{settings.min_secret_key_length}",
                hint="use e.g. python -c 'import secrets; print(secrets.token_hex(32))'",
            )
        return settings.secret_key.encode()
    path = Path(settings.data_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting together never overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} is too short to be a secret key; delete it to regenerate") from None
        return key.encode()
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return key.encode()


def csrf_token_for(secret: bytes, session_token: str) -> str:
    """The CSRF token is bound to the login: an attacker cannot mint one without the secret."""
    return hmac.new(secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def set_session_cookies(response: Response, token: str, csrf: str, *, max_age: int, secure: bool) -> None:
    """The login cookies: the session is HttpOnly; the CSRF token is readable by the page's script."""
    for name, value, httponly in ((SESSION_COOKIE, token, True), (CSRF_COOKIE, csrf, False)):
        response.set_cookie(
            name, value, max_age=max_age, httponly=httponly, samesite="lax", secure=secure, path="/"
        )


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    """Logout: delete both login cookies (same path, flags and SameSite as they were set with)."""
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=secure, samesite="lax")


def client_ip(request: Request) -> str:
    """The peer address that login rate limiting is keyed on."""
    return request.client.host if request.client else "unknown"


def csrf_ok(secret: bytes, session_token: str, presented: str | None) -> bool:
    return presented is not None and hmac.compare_digest(csrf_token_for(secret, session_token), presented)
