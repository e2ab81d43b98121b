"""Read packaged YAML data through importlib.resources (the only 'I/O' the core may do).

Parsing the catalogues is a noticeable part of a CLI command's start-up (about 15 ms of
``retrowalk assess``), so an edge may lend the core a :class:`ParsedCache` (the CLI keeps one in the
user's cache directory, :mod:`retrowalk.cli._cache`). The core still reads every file from the
package each time; the cache only stands in for the YAML parse, keyed by a hash of the file's exact
text and of the parser, and holds JSON that round-trips to the very same data, checked when it is
written and guarded by a digest when it is read, so results never depend on the cache.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

from retrowalk.errors import DataFileError

if TYPE_CHECKING:
    import yaml

_PACKAGE = "retrowalk.core.data"
#: Bumped whenever the cached form changes meaning (the key includes it).
_CACHE_FORMAT = "1"
#: The entry of a file whose data JSON cannot give back exactly (koos.yaml's integer keys): later
#: runs parse it straight away instead of trying to encode it again. At worst a parse.
_PARSE_IT = "parse"


class ParsedCache(Protocol):
    """Where an edge keeps parsed data between processes: opaque keys to text, misses as ``None``.

    Either method may fail silently (an unwritable disk is a miss, never an error).
    """

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, text: str) -> None: ...


_parsed_cache: ParsedCache | None = None


def use_parsed_cache(store: ParsedCache | None) -> None:
    """Let the catalogues' parses come from (and go to) ``store``; ``None`` parses every time."""
    global _parsed_cache
    _parsed_cache = store


@cache
def load_yaml(name: str) -> Any:
    """Parse a packaged data file once; broken or missing files fail loudly."""
    try:
        text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise DataFileError(f"packaged data file {name!r} is missing") from exc
    return parse_data(name, text, _parsed_cache)


def parse_data(name: str, text: str, store: ParsedCache | None = None) -> dict[str, Any]:
    """The mapping in ``text`` (data file ``name``), through ``store`` when one is given."""
    if store is None:
        return _parse(name, text)
    key = cache_key(name, text)
    entry = store.get(key)
    if entry == _PARSE_IT:
        return _parse(name, text)
    hit = _decode(entry)
    if hit is not None:
        return hit
    data = _parse(name, text)
    encoded = _encode(data)
    store.put(key, _PARSE_IT if encoded is None else encoded)
    return data


@cache
def _loader() -> type[yaml.SafeLoader]:
    """libyaml's parser when PyYAML was built with it (the catalogues parse ~10x faster).

    Imported on first use: merely lending the core a cache (every CLI command does) costs nothing.
    """
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def cache_key(name: str, text: str) -> str:
    """``<file stem>-<sha256 of the cache format, parser and exact text>``: any edit is a new key."""
    import yaml

    digest = hashlib.sha256()
    for part in (_CACHE_FORMAT, yaml.__version__, _loader().__name__, name, text):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    stem = name.rsplit(".", 1)[0]
    return f"{stem}-{digest.hexdigest()}"


def _parse(name: str, text: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        raise DataFileError(f"packaged data file {name!r} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DataFileError(f"packaged data file {name!r} must contain a mapping at the top level")
    return data


def _same(a: Any, b: Any) -> bool:
    """Equal *and* of the same types all the way down (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            _same(ka, kb) and _same(va, vb) for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _encode(data: dict[str, Any]) -> str | None:
    """``<sha256 of payload>\\n<JSON payload>``, or ``None`` when JSON would not give back ``data``
    exactly (dates, non-string keys, NaN): such a file is simply parsed every time."""
    try:
        payload = json.dumps(data, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError):
        return None
    if not _same(json.loads(payload), data):
        return None
    return f"{hashlib.sha256(payload.encode('ascii')).hexdigest()}\n{payload}"


def _decode(entry: str | None) -> dict[str, Any] | None:
    """The data of a cache entry whose digest matches, else ``None`` (a miss: parse again)."""
    if entry is None:
        return None
    digest, sep, payload = entry.partition("\n")
    if not sep or hashlib.sha256(payload.encode("ascii", "replace")).hexdigest() != digest:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def require(mapping: Any, key: str, where: str) -> Any:
    """Fetch a required key from raw data, naming the file location when it is absent."""
    if not isinstance(mapping, dict) or key not in mapping:
        raise DataFileError(f"{where}: missing required key {key!r}")
    return mapping[key]
