"""The parsed-catalogue cache (retrowalk.core._data + retrowalk.cli._cache) never changes a result.

It stands in for the YAML parse only: keyed by the exact text, checked on write (JSON must give
back the same data and types) and on read (a digest), and any failure is a miss.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from retrowalk.cli._cache import DirCache, default_dir
from retrowalk.core import _data
from retrowalk.core._data import _same, cache_key, parse_data

ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = sorted(
    p.name for p in resources.files("retrowalk.core.data").iterdir() if p.name.endswith(".yaml")
)


class MemoryCache:
    """A ParsedCache in a dict, counting what the core asks of it."""

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.puts = 0

    def get(self, key: str) -> str | None:
        return self.entries.get(key)

    def put(self, key: str, text: str) -> None:
        self.puts += 1
        self.entries[key] = text


def _text(name: str) -> str:
    return resources.files("retrowalk.core.data").joinpath(name).read_text(encoding="utf-8")


def _plain(text: str) -> object:
    return yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize("name", DATA_FILES)
def test_every_catalogue_reads_back_identical_cold_and_warm(name: str) -> None:
    store = MemoryCache()
    text = _text(name)
    cold = parse_data(name, text, store)
    warm = parse_data(name, text, store)
    assert _same(cold, _plain(text)) and _same(warm, _plain(text))
    assert store.puts == 1  # written once (koos.yaml's integer keys: as "parse it")


def test_an_edited_catalogue_is_a_new_key_never_the_old_entry() -> None:
    store = MemoryCache()
    before = "limit: 5\nname: a\n"
    after = "limit: 6\nname: a\n"
    assert parse_data("x.yaml", before, store) == {"limit": 5, "name": "a"}
    assert parse_data("x.yaml", after, store) == {"limit": 6, "name": "a"}
    assert cache_key("x.yaml", before) != cache_key("x.yaml", after)
    assert cache_key("x.yaml", before) != cache_key("y.yaml", before)
    assert len(store.entries) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda entry: entry[:-10],  # truncated
        lambda entry: "0" * 64 + entry[64:],  # digest does not match
        lambda entry: "no newline",
        lambda entry: "",
    ],
    ids=["truncated", "wrong-digest", "no-digest", "empty"],
)
def test_a_damaged_entry_is_a_miss(damage: object) -> None:
    store = MemoryCache()
    text = "limit: 5\nsources: {a: b}\n"
    parse_data("x.yaml", text, store)
    key = cache_key("x.yaml", text)
    assert callable(damage)
    store.entries[key] = damage(store.entries[key])
    assert _same(parse_data("x.yaml", text, store), {"limit": 5, "sources": {"a": "b"}})
    assert store.puts == 2  # parsed again and rewritten


def test_a_forged_entry_with_a_valid_digest_but_no_mapping_is_a_miss() -> None:
    import hashlib

    store = MemoryCache()
    text = "limit: 5\n"
    payload = "[1, 2]"
    store.entries[cache_key("x.yaml", text)] = f"{hashlib.sha256(payload.encode()).hexdigest()}\n{payload}"
    assert parse_data("x.yaml", text, store) == {"limit": 5}


@pytest.mark.parametrize(
    "text",
    ["1: one\n", "d: 2025-01-02\n", "x: .nan\n", "true: yes\n", "x: !!binary aGk=\n"],
    ids=["int-key", "date", "nan", "bool-key", "bytes"],
)
def test_data_json_cannot_give_back_exactly_is_parsed_every_time(text: str) -> None:
    store = MemoryCache()
    first = parse_data("x.yaml", text, store)
    again = parse_data("x.yaml", text, store)
    assert list(store.entries.values()) == [_data._PARSE_IT] and store.puts == 1
    assert repr(first) == repr(again) == repr(_plain(text))  # repr: nan is not equal to itself


def test_same_tells_types_apart() -> None:
    assert _same({"a": [1, 2.0, True, None]}, {"a": [1, 2.0, True, None]})
    assert not _same({"a": 1}, {"a": 1.0})
    assert not _same({"a": 1}, {"a": True})
    assert not _same({"a": [1]}, {"a": (1,)})
    assert not _same({"a": 1, "b": 2}, {"b": 2, "a": 1})  # order is kept too
    assert not _same({"d": dt.date(2025, 1, 2)}, {"d": "2025-01-02"})


def test_load_yaml_goes_through_the_lent_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    store = MemoryCache()
    monkeypatch.setattr(_data, "_parsed_cache", store)
    _data.load_yaml.cache_clear()
    try:
        cold = _data.load_yaml("progression.yaml")
        _data.load_yaml.cache_clear()
        warm = _data.load_yaml("progression.yaml")
    finally:
        _data.load_yaml.cache_clear()
    assert store.puts == 1 and _same(cold, warm) and _same(cold, _plain(_text("progression.yaml")))


# --- the CLI's store on disk ------------------------------------------------------------------------


def test_dir_cache_round_trip_is_private_and_keeps_one_entry_per_catalogue(tmp_path: Path) -> None:
    store = DirCache(tmp_path / "c" / "retrowalk" / "catalogues")
    store.put("exercises-aaa", "one")
    store.put("exercises-bbb", "two")
    store.put("exercise-ccc", "other catalogue")
    assert store.get("exercises-bbb") == "two"
    assert store.get("exercises-aaa") is None  # the earlier version was pruned
    assert store.get("exercise-ccc") == "other catalogue"
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((store.directory / "exercises-bbb.json").stat().st_mode) == 0o600
    assert not list(store.directory.glob(".tmp-*"))


def test_dir_cache_ignores_a_directory_others_may_write(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "k.json").write_text("planted", encoding="ascii")
    shared.chmod(0o777)
    store = DirCache(shared)
    assert store.get("k") is None
    store.put("k2", "x")
    assert not (shared / "k2.json").exists()


def test_dir_cache_on_an_unusable_path_is_only_a_miss(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="ascii")
    store = DirCache(blocker / "catalogues")
    store.put("k", "x")  # no error
    assert store.get("k") is None


def test_default_dir_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_dir() == tmp_path / "retrowalk" / "catalogues"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_dir() == tmp_path / "home" / ".cache" / "retrowalk" / "catalogues"


def _cli(args: list[str], cache_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    return subprocess.run(
        [sys.executable, "-m", "retrowalk", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["assess", "examples/intake.yaml", "--format", "json"],
        ["assess", "examples/intake.yaml"],
        ["next", "examples/sessions.yaml", "--format", "json"],
        ["next", "examples/next_with_intake.yaml", "--format", "json"],
    ],
    ids=["assess-json", "assess-text", "next-json", "next-intake-json"],
)
def test_cli_output_is_the_same_cold_warm_and_without_a_usable_cache(tmp_path: Path, args: list[str]) -> None:
    cache_home = tmp_path / "cache"
    cold = _cli(args, cache_home)
    entries = sorted(p.name.split("-")[0] for p in (cache_home / "retrowalk" / "catalogues").glob("*.json"))
    warm = _cli(args, cache_home)
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="ascii")
    without = _cli(args, blocker)  # XDG_CACHE_HOME is a file: nothing can be cached
    assert cold.returncode == warm.returncode == without.returncode == 0, cold.stderr + warm.stderr
    assert cold.stdout == warm.stdout == without.stdout
    assert cold.stderr == warm.stderr == without.stderr == ""
    assert {"assessment", "exercises", "illustrations"} <= set(entries)
