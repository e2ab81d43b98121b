"""Files written whole or not at all: the one place for atomic writes and bounded upload copies.

Each write goes to a part file named for this process and thread, then replaces the target, so a
crash leaves the old file or the new one (never half of one), and two writers of one path never
share a part file. Durable writes are fsynced before the rename: an acknowledged upload or
capture chunk survives power loss; a cache entry (``durable=False``) need not.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: Bytes read per step when copying an upload.
CHUNK = 1024 * 1024


def _part(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")


def _private(path: Path) -> BinaryIO:
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` as ``path`` (mode 0600), whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = _part(path)
    try:
        with _private(part) as out:
            out.write(data)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)


def copy_bounded(
    stream: BinaryIO, dest: Path, limit: int, too_large: Callable[[], Exception]
) -> tuple[str, int]:
    """Copy ``stream`` from its start to ``dest`` (mode 0600, fsynced), whole or not at all,
    raising ``too_large()`` past ``limit`` bytes (nothing is left behind); (sha256, size)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = _part(dest)
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    try:
        with _private(part) as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise too_large()
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        part.replace(dest)
    finally:
        part.unlink(missing_ok=True)
    return digest.hexdigest(), size
