"""Research exports: tidy long tables, keyed pseudonyms, refusal without a key, data dictionary."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from interop_strategies import client_records, sample_record

from retrowalk.errors import InputError
from retrowalk.interop.record import ClientRecord
from retrowalk.interop.research import (
    KEY_ENV,
    OUTCOME_COLUMNS,
    SESSION_COLUMNS,
    Pseudonymiser,
    data_dictionary,
    load_pseudonym_key,
    research_tables,
    write_research_export,
)

KEY_A = b"a-test-secret-of-sufficient-length"
KEY_B = b"another-secret-of-sufficient-len"


def test_pseudonyms_are_stable_per_key_and_differ_across_keys() -> None:
    a1, a2, b = Pseudonymiser(KEY_A), Pseudonymiser(KEY_A), Pseudonymiser(KEY_B)
    assert a1("patient", "client-7f3a") == a2("patient", "client-7f3a")
    assert a1("patient", "client-7f3a") != b("patient", "client-7f3a")
    assert a1("patient", "client-7f3a") != a1("session", "client-7f3a")
    t1 = research_tables([sample_record()], KEY_A)
    t2 = research_tables([sample_record()], KEY_A)
    t3 = research_tables([sample_record()], KEY_B)
    for name in t1:
        pd.testing.assert_frame_equal(t1[name], t2[name])
    assert set(t1["outcomes"]["pid"]).isdisjoint(set(t3["outcomes"]["pid"]))


def test_tables_are_tidy_long_format() -> None:
    tables = research_tables([sample_record()], KEY_A)
    outcomes, sessions = tables["outcomes"], tables["sessions"]
    assert tuple(outcomes.columns) == OUTCOME_COLUMNS
    assert tuple(sessions.columns) == SESSION_COLUMNS
    rom = outcomes[outcomes["measure"] == "knee_flexion_rom"]
    assert rom[["side", "value", "unit"]].to_dict("records") == [
        {"side": "left", "value": 118.0, "unit": "deg"}
    ]
    koos = outcomes[outcomes["instrument"] == "koos"].set_index("measure")["value"].to_dict()
    assert koos == {"koos_symptoms": 75.0, "koos_pain": 50.0, "koos_qol": 0.0}
    walk = sessions[sessions["exercise_id"] == "retro_walk_treadmill"].set_index("variable")
    assert walk.loc["speed_kmh", "value"] == 1.8 and walk.loc["speed_kmh", "unit"] == "km/h"
    assert walk.loc["handrails", "value"] == 2.0
    assert not outcomes.duplicated(["event_id", "measure", "side"]).any()


def _all_ids(record: ClientRecord) -> set[str]:
    ids = {record.patient.id}
    for name in ("koos", "pain", "measurements", "gait", "programmes", "sessions"):
        ids |= {item.id for item in getattr(record, name)}
    return ids


def test_no_raw_ids_names_or_notes_in_any_output_file(tmp_path: Path) -> None:
    record = sample_record()
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        files = write_research_export([record], out, key=KEY_A, fmt=fmt)  # type: ignore[arg-type]
        assert {p.name for p in files} >= {
            f"outcomes.{fmt}",
            f"sessions.{fmt}",
            f"participants.{fmt}",
            "data_dictionary.json",
            "data_dictionary.csv",
        }
        for path in files:
            if path.suffix == ".parquet":
                text = pd.read_parquet(path).to_csv(index=False)
            else:
                text = path.read_text(encoding="utf-8")
            if path.name.startswith("data_dictionary"):
                continue
            for forbidden in ("client-7f3a", "Ann Example", "Pat Physio", "trainer-1", "felt fine", "prog-1"):
                assert forbidden not in text, (path.name, forbidden)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client_records())
def test_identifier_columns_never_hold_raw_ids(record: ClientRecord) -> None:
    tables = research_tables([record], KEY_A)
    raw = _all_ids(record)
    for name, frame in tables.items():
        for column in ("pid", "event_id", "session_id", "programme_id"):
            if column in frame.columns:
                values = set(frame[column].dropna())
                assert values.isdisjoint(raw), (name, column)
                assert all(len(v) == 32 for v in values)


def test_refuses_without_a_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(InputError) as info:
        load_pseudonym_key()
    assert info.value.field == "pseudonym key" and KEY_ENV in (info.value.hint or "")
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(InputError, match="shorter"):
        load_pseudonym_key()
    monkeypatch.setenv(KEY_ENV, KEY_A.decode())
    assert load_pseudonym_key() == KEY_A
    key_file = tmp_path / "key"
    key_file.write_text(KEY_B.decode() + "\n")
    assert load_pseudonym_key(key_file) == KEY_B
    with pytest.raises(InputError):
        load_pseudonym_key(tmp_path / "missing")


def test_data_dictionary_describes_every_column_and_measure(tmp_path: Path) -> None:
    dictionary = data_dictionary()
    tables = research_tables([sample_record()], KEY_A)
    for name, frame in tables.items():
        documented = [c["column"] for c in dictionary["tables"][name]]
        assert documented == list(frame.columns)
    measures = {(m["instrument"], m["measure"]) for m in dictionary["measures"]}
    used = set(
        map(tuple, tables["outcomes"][["instrument", "measure"]].drop_duplicates().to_numpy().tolist())
    )
    assert used <= measures
    write_research_export([sample_record()], tmp_path, key=KEY_A)
    assert json.loads((tmp_path / "data_dictionary.json").read_text()) == json.loads(json.dumps(dictionary))
    flat = pd.read_csv(tmp_path / "data_dictionary.csv")
    assert {"72102-7", "72514-3"} <= {d.split("#")[-1].rstrip("]") for d in flat["description"] if "#" in d}
