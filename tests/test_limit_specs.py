"""The input limits are defined once (retrowalk.limit_specs), and the environment reader that the
CLI uses instead of pydantic-settings gives exactly what Settings gives, or Settings' own error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from annotated_types import Ge, Gt
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from retrowalk.io import limits
from retrowalk.limit_specs import LIMITS
from retrowalk.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def _unconfigured(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Read the environment, as the CLI does (other tests configure the server's settings); no
    Settings read from a test's environment stays cached for the next test."""
    monkeypatch.setattr(limits, "_configured", None)
    yield
    get_settings.cache_clear()


def test_each_limit_is_a_setting_built_from_its_spec() -> None:
    for name, spec in LIMITS.items():
        field = Settings.model_fields[name]
        assert field.default == spec.default and type(field.default) is spec.kind, name
        assert field.annotation is spec.kind, name
        assert field.description == spec.description, name
        assert field.metadata == [Gt(spec.minimum) if spec.exclusive else Ge(spec.minimum)], name


def test_unset_limits_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LIMITS:
        monkeypatch.delenv("RETROWALK_" + name.upper(), raising=False)
    for name, spec in LIMITS.items():
        assert limits.limit(name) == spec.default == getattr(Settings(), name)


def _same_as_settings(monkeypatch: pytest.MonkeyPatch, name: str, raw: str) -> None:
    monkeypatch.setenv("RETROWALK_" + name.upper(), raw)
    get_settings.cache_clear()  # the reader falls back to the cached Settings
    try:
        expected = getattr(Settings(), name)
    except ValidationError as exc:
        with pytest.raises(ValidationError) as got:
            limits.limit(name)
        assert got.value.errors() == exc.errors()
    else:
        value = limits.limit(name)
        assert value == expected and type(value) is type(expected), (name, raw)


@pytest.mark.parametrize("name", ["max_samples", "max_duration_seconds", "max_csv_columns"])
@pytest.mark.parametrize(
    "raw",
    [
        "100",
        "4",
        "3",
        "0",
        "0.0",
        "0.5",
        "12.25",
        " 100 ",
        "0100",
        "1_000",
        "100.0",
        "1e2",
        "",
        "-5",
        "inf",
        "nan",
        "abc",
        "9" * 30,
        "²",
    ],
)
def test_an_environment_value_reads_as_settings_reads_it(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str
) -> None:
    _same_as_settings(monkeypatch, name, raw)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(LIMITS)), raw=st.from_regex(r"\A[0-9. _+e-]{0,8}\Z"))
def test_any_short_numeric_looking_value_reads_as_settings_reads_it(name: str, raw: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        _same_as_settings(monkeypatch, name, raw)


def test_a_lower_case_name_counts_as_for_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETROWALK_MAX_SAMPLES", raising=False)
    monkeypatch.setenv("retrowalk_max_samples", "150")
    assert limits.limit("max_samples") == 150 == Settings().max_samples


def test_configured_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETROWALK_MAX_SAMPLES", "150")
    limits.configure(Settings(max_samples=99))
    try:
        assert limits.limit("max_samples") == 99
    finally:
        limits.configure(Settings())
