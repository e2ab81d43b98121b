"""Bounded work per input: cheap checks run before each expensive parse or computation.

Each limit is a setting (``RETROWALK_MAX_*``, defined once in :mod:`retrowalk.limit_specs`) with
a safe default. A breach raises :class:`LimitExceeded`, an InputError naming the limit and its
setting, so the API answers 4xx (413 for sizes, 422 otherwise) and the CLI exits 2. The server
calls :func:`configure` with its settings; anything else (the CLI) reads the environment itself,
without building :class:`retrowalk.settings.Settings` (pydantic-settings was ~25 ms of a CLI
start); a value it cannot read plainly goes to Settings, whose error names the setting.
"""

from __future__ import annotations

import gzip
import math
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrowalk.errors import InputError
from retrowalk.limit_specs import LIMITS, LimitSpec

if TYPE_CHECKING:
    from retrowalk.settings import Settings

_configured: Settings | None = None
#: Longest environment value read without pydantic (a plain decimal; anything longer goes to it).
_PLAIN_DIGITS = 18
#: A CSV header longer than this is refused before any parser sees it.
MAX_HEADER_BYTES = 64 * 1024
_CHUNK = 1024 * 1024


class LimitExceeded(InputError):
    """An input beyond a configured limit (the message names the limit and its setting)."""

    def __init__(self, field: str, what: str, value: float, limit: float, setting: str) -> None:
        env = "RETROWALK_" + setting.upper()
        super().__init__(
            field,
            f"{what}: {value:g} is over the limit of {limit:g} ({setting})",
            hint=f"split or shorten the input; the operator may raise {env}",
        )
        self.setting = setting


def configure(settings: Settings) -> None:
    """Use these settings' limits in this process (the server calls this at start-up)."""
    global _configured
    _configured = settings


def _plain(spec: LimitSpec, raw: str) -> int | float | None:
    """``raw`` as Settings would read it, when it is a plain decimal within the bound; else None.

    Digits only (a ``.`` and more digits for a float limit), no sign, space or leading zero:
    every such string means the same number to Python and to pydantic, so no validation rule
    is copied here. Anything else, valid or not, is left to pydantic."""
    whole, dot, frac = raw.partition(".")
    plain = (
        len(raw) <= _PLAIN_DIGITS
        and raw.isascii()
        and whole.isdigit()
        and (whole == "0" or not whole.startswith("0"))
        and (not dot or (spec.kind is float and frac.isdigit()))
    )
    if not plain:
        return None
    value = spec.kind(raw)
    return value if spec.allows(value) else None


def limit(setting: str) -> int | float:
    """The limit in force: the configured settings', else the environment's, else the default."""
    if _configured is not None:
        return getattr(_configured, setting)
    spec = LIMITS.get(setting)
    if spec is not None:
        # pydantic-settings' lookup: names case-insensitive, the last spelling in os.environ wins.
        key, raw = "retrowalk_" + setting, None
        for name, text in os.environ.items():
            if name.lower() == key:
                raw = text
        if raw is None:
            return spec.default
        value = _plain(spec, raw)
        if value is not None:
            return value
    from retrowalk.settings import get_settings

    return getattr(get_settings(), setting)


def check(field: str, what: str, value: float, setting: str) -> None:
    """Raise :class:`LimitExceeded` when ``value`` is over the setting's limit."""
    bound = float(limit(setting))
    if value > bound:
        raise LimitExceeded(field, what, value, bound, setting)


def _open_text(path: Path) -> Any:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def check_csv(path: Path, field: str = "file") -> None:
    """Columns and rows of a delimited text file, counted on bytes before pandas parses it.

    A header of tens of thousands of (duplicate) names made the parse quadratic; millions of
    rows cost memory. Both are counted here in one streaming pass.
    """
    with _open_text(path) as fh:
        head = fh.readline(MAX_HEADER_BYTES + 1)
        if len(head) > MAX_HEADER_BYTES and not head.endswith(b"\n"):
            raise LimitExceeded(field, "header line bytes", len(head), MAX_HEADER_BYTES, "max_csv_columns")
        columns = 1 + max(head.count(sep) for sep in (b",", b";", b"\t"))
        check(field, f"{path.name} header columns", columns, "max_csv_columns")
        most = limit("max_csv_rows")
        rows = 0
        tail = b"\n"
        while chunk := fh.read(_CHUNK):
            rows += chunk.count(b"\n")
            tail = chunk[-1:]
            if rows > most:
                break
        rows += tail != b"\n"
        check(field, f"{path.name} data rows", rows, "max_csv_rows")


def check_archive(path: Path, field: str = "file") -> None:
    """Members and summed uncompressed size of a zip (.npz) from its directory, before any
    member is decompressed: a 1 MiB upload could otherwise expand to gigabytes."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(field, f"{path.name} is not a readable archive: {exc}") from exc
    check(field, f"{path.name} archive members", len(members), "max_archive_members")
    size = sum(m.file_size for m in members)
    check(field, f"{path.name} uncompressed bytes", size, "max_archive_uncompressed_bytes")


def check_npy_header(path: Path, field: str = "file") -> None:
    """Element count of a .npy array from its header (before the data is read)."""
    import numpy as np

    with path.open("rb") as fh:
        try:
            version = np.lib.format.read_magic(fh)
            shape, _order, dtype = (
                np.lib.format.read_array_header_1_0(fh)
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0(fh)
            )
        except ValueError as exc:
            raise InputError(field, f"{path.name} is not a readable NumPy file: {exc}") from exc
    size = math.prod(shape) * dtype.itemsize
    check(field, f"{path.name} uncompressed bytes", size, "max_archive_uncompressed_bytes")


def check_samples(n: int, field: str = "file") -> None:
    check(field, "samples", n, "max_samples")


def check_duration(seconds: float, field: str = "file") -> None:
    if not math.isfinite(seconds):
        raise InputError(field, "timestamps are not finite numbers")
    check(field, "recording duration in seconds", seconds, "max_duration_seconds")


def json_depth(doc: Any, stop_at: int) -> int:
    """Nesting depth of parsed JSON (iterative; stops counting past ``stop_at``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > stop_at:
            return deepest
        children: Iterable[Any] = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return deepest


def check_json_depth(doc: Any, field: str = "file") -> None:
    depth = json_depth(doc, int(limit("max_json_depth")))
    check(field, "JSON nesting depth", depth, "max_json_depth")
