"""io.files: whole-or-nothing writes and bounded copies (the one place every upload, capture
chunk, media file and cached result is written)."""

from __future__ import annotations

import io
import os
import stat
import threading
from pathlib import Path

import pytest

from retrowalk.io.files import copy_bounded, write_atomic


def test_write_atomic_replaces_whole_files_private_and_leaves_no_part(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.bin"
    write_atomic(target, b"first")
    write_atomic(target, b"second", durable=False)
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["b.bin"]


def test_concurrent_writers_of_one_path_never_mix(tmp_path: Path) -> None:
    target = tmp_path / "shared.bin"
    bodies = [bytes([i]) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=write_atomic, args=(target, b)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_bytes() in bodies  # one writer's whole body, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["shared.bin"]


def test_copy_bounded_counts_hashes_and_refuses_past_the_limit(tmp_path: Path) -> None:
    body = os.urandom(3 * 1024 * 1024 + 5)
    stream = io.BytesIO(body)
    stream.read(10)  # the copy starts from the beginning whatever was read before
    sha, size = copy_bounded(stream, tmp_path / "up.bin", len(body), lambda: ValueError("big"))
    import hashlib

    assert (sha, size) == (hashlib.sha256(body).hexdigest(), len(body))
    assert (tmp_path / "up.bin").read_bytes() == body
    with pytest.raises(ValueError, match="big"):
        copy_bounded(io.BytesIO(body), tmp_path / "over.bin", len(body) - 1, lambda: ValueError("big"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["up.bin"]  # nothing left of the refused one
