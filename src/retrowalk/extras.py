"""Optional parts installed by pip extras, and the one clear error when one is missing.

The lean install serves the app and runs every clinical command; these heavier packages are
imported only where a feature needs them, so a missing one fails there, naming the extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Literal

from retrowalk.errors import InputError

Extra = Literal["cluster", "pdf", "parquet"]

#: extra -> the module it provides (the names of ``[project.optional-dependencies]``).
MODULES: dict[Extra, str] = {
    "cluster": "distributed",
    "pdf": "weasyprint",
    "parquet": "pyarrow",
}


class MissingExtraError(InputError):
    """A feature was asked for whose optional packages are not installed."""

    def __init__(self, extra: Extra, feature: str) -> None:
        self.extra = extra
        super().__init__(
            feature,
            f"needs {MODULES[extra]}, which is not installed",
            hint=f"pip install 'retrowalk[{extra}]'",
        )


def require(extra: Extra, feature: str) -> ModuleType:
    """Import the module behind ``extra`` or raise :class:`MissingExtraError` naming ``feature``."""
    name = MODULES[extra]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != name:
            raise  # the extra is there but something it needs is broken: show the real error
        raise MissingExtraError(extra, feature) from exc
