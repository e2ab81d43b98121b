"""Error types shared by the core and the edges.

The core raises :class:`InputError` for bad input; each edge maps it to its own channel
(CLI: stderr + exit 2, API: HTTP 422) so the message always names the field and the fix.
"""

from __future__ import annotations


class RetrowalkError(Exception):
    """Base class for every error retrowalk raises on purpose."""


class InputError(RetrowalkError, ValueError):
    """Bad input: names the offending field and how to fix it."""

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        self.field = field
        self.message = message
        self.hint = hint
        text = f"{field}: {message}"
        if hint:
            text += f" (fix: {hint})"
        super().__init__(text)

    def to_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message, "hint": self.hint}


class DataFileError(RetrowalkError):
    """A packaged data file (catalogue, library, table) is broken: fail loudly at load time."""
