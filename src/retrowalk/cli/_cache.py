"""The CLI's store for parsed catalogues (:class:`retrowalk.core._data.ParsedCache`) on disk.

Entries live in the user's cache directory (``$XDG_CACHE_HOME/retrowalk/catalogues``, by default
``~/.cache/retrowalk/catalogues``), one file per catalogue named by the hash of its text, so an
edited or upgraded catalogue is a new name and a stale entry is never read. Nothing here can fail a
command: a missing home, an unwritable or foreign directory, a full disk or a damaged entry is a
miss and the catalogue is parsed as before (the core checks each entry's digest).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Under the user's cache directory.
SUBDIR = ("retrowalk", "catalogues")


def default_dir() -> Path | None:
    """``$XDG_CACHE_HOME/retrowalk/catalogues`` (else under ``~/.cache``); ``None`` without a home."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no HOME and no passwd entry
            return None
    return Path(base).joinpath(*SUBDIR)


class DirCache:
    """A :class:`~retrowalk.core._data.ParsedCache` of one file per key in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _usable(self) -> bool:
        # Only a directory of this user that nobody else may write: another user's files are
        # not read in as catalogues.
        try:
            info = self.directory.lstat()
        except OSError:
            return False
        owner_ok = not hasattr(os, "getuid") or info.st_uid == os.getuid()
        return stat.S_ISDIR(info.st_mode) and owner_ok and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> str | None:
        if not self._usable():
            return None
        try:
            return self._path(key).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, key: str, text: str) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._usable():
                return
            import tempfile  # only on a miss

            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(text)
                os.replace(tmp, self._path(key))  # atomic: a reader sees all of an entry or none
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            self._prune(key)
        except OSError:
            return

    def _prune(self, key: str) -> None:
        """Drop the entries of earlier versions of the same catalogue (one file per catalogue)."""
        stem = key.rsplit("-", 1)[0]
        for old in self.directory.glob(f"{stem}-*.json"):
            if old.name != f"{key}.json" and old.stem.rsplit("-", 1)[0] == stem:
                old.unlink(missing_ok=True)


def install() -> None:
    """Lend the core the user's catalogue cache for this process (a no-op without a home)."""
    from retrowalk.core._data import use_parsed_cache

    directory = default_dir()
    use_parsed_cache(DirCache(directory) if directory is not None else None)
