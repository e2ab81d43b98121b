"""FTMS Treadmill Data: bytes built from the specification's field table, for every flag
combination (Hypothesis), parse to the values they encode; the browser port reads them alike."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrowalk.errors import InputError
from retrowalk.io import ftms

ROOT = Path(__file__).resolve().parents[2]
FTMS_JS = ROOT / "src" / "retrowalk" / "web" / "static" / "capture" / "ftms.js"

# The specification, written out independently of the parser's table: flag bit → fields with
# (name, byte size, signed, resolution, "data not available" raw value).
SPEC: dict[int, list[tuple[str, int, bool, float, int | None]]] = {
    0: [("instantaneous_speed_kmh", 2, False, 0.01, None)],
    1: [("average_speed_kmh", 2, False, 0.01, None)],
    2: [("total_distance_m", 3, False, 1, None)],
    3: [("inclination_pct", 2, True, 0.1, 0x7FFF), ("ramp_angle_deg", 2, True, 0.1, 0x7FFF)],
    4: [
        ("positive_elevation_gain_m", 2, False, 0.1, None),
        ("negative_elevation_gain_m", 2, False, 0.1, None),
    ],
    5: [("instantaneous_pace_s_per_km", 2, False, 1, None)],
    6: [("average_pace_s_per_km", 2, False, 1, None)],
    7: [
        ("total_energy_kcal", 2, False, 1, 0xFFFF),
        ("energy_per_hour_kcal", 2, False, 1, 0xFFFF),
        ("energy_per_minute_kcal", 1, False, 1, 0xFF),
    ],
    8: [("heart_rate_bpm", 1, False, 1, None)],
    9: [("metabolic_equivalent", 1, False, 0.1, None)],
    10: [("elapsed_time_s", 2, False, 1, None)],
    11: [("remaining_time_s", 2, False, 1, None)],
    12: [("force_on_belt_n", 2, True, 1, 0x7FFF), ("power_output_w", 2, True, 1, 0x7FFF)],
}


@st.composite
def notifications(draw: st.DrawFn) -> tuple[bytes, dict[str, float | None], int]:
    flags = draw(st.integers(0, 0x1FFF))
    body = b""
    expected: dict[str, float | None] = {}
    for bit, group in SPEC.items():
        present = not flags & 1 if bit == 0 else bool(flags >> bit & 1)
        if not present:
            continue
        for name, size, signed, res, na in group:
            lo, hi = (-(2 ** (8 * size - 1)), 2 ** (8 * size - 1) - 1) if signed else (0, 2 ** (8 * size) - 1)
            raw = draw(st.integers(lo, hi) | (st.just(na) if na is not None else st.nothing()))
            body += raw.to_bytes(size, "little", signed=signed)
            expected[name] = None if raw == na else raw * res
    return flags.to_bytes(2, "little") + body, expected, flags


@settings(max_examples=400)
@given(notifications())
def test_every_flag_combination_parses_to_the_encoded_values(case: tuple[bytes, dict[str, Any], int]) -> None:
    data, expected, flags = case
    rec = ftms.parse(data)
    assert rec.flags == flags and rec.more_data is bool(flags & 1)
    got = {k: getattr(rec, k) for k in expected}
    assert got.keys() == expected.keys()
    for k, v in expected.items():
        assert got[k] == (None if v is None else pytest.approx(v, abs=1e-6)), k
    assert rec.not_available == {k for k, v in expected.items() if v is None}
    absent = {name for group in SPEC.values() for name, *_ in group} - expected.keys()
    assert all(getattr(rec, k) is None for k in absent)


@given(notifications(), st.data())
def test_truncated_or_padded_values_name_the_problem(
    case: tuple[bytes, dict[str, Any], int], data: st.DataObject
) -> None:
    raw, expected, _ = case
    if len(raw) > 2:
        cut = data.draw(st.integers(2, len(raw) - 1))
        with pytest.raises(InputError) as err:
            ftms.parse(raw[:cut])
        assert err.value.field.startswith("ftms.") and err.value.field[5:] in expected
    with pytest.raises(InputError, match="after the last field"):
        ftms.parse(raw + b"\x00")


def test_known_notification() -> None:
    # speed 3.50 km/h, distance 1234 m, incline 2.5 %, ramp n/a, elapsed 600 s
    data = bytes.fromhex("0c045e01d204001900ff7f5802")
    rec = ftms.parse(data)
    assert rec.instantaneous_speed_kmh == 3.5 and rec.total_distance_m == 1234
    assert rec.inclination_pct == 2.5 and rec.ramp_angle_deg is None and rec.elapsed_time_s == 600
    assert rec.not_available == {"ramp_angle_deg"} and not rec.more_data


def test_split_record_merges() -> None:
    first = ftms.parse(bytes.fromhex("0500e80300"))  # more data, distance 1000 m
    second = ftms.parse(bytes.fromhex("08042c010a0000003c00"))  # speed 3 km/h, incline 1 %, 60 s
    rec = ftms.merge([first, second])
    assert rec.values() == {
        "instantaneous_speed_kmh": 3.0,
        "total_distance_m": 1000,
        "inclination_pct": 1.0,
        "ramp_angle_deg": 0.0,
        "elapsed_time_s": 60,
    }


def test_too_short_for_flags() -> None:
    with pytest.raises(InputError) as err:
        ftms.parse(b"\x00")
    assert err.value.field == "ftms.flags"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@settings(max_examples=1, deadline=None)
@given(st.lists(notifications(), min_size=200, max_size=200))
def test_browser_port_reads_the_same_bytes_alike(cases: list[tuple[bytes, dict[str, Any], int]]) -> None:
    script = (
        f"import {{ parseTreadmillData }} from {json.dumps(FTMS_JS.as_uri())};\n"
        "const cases = JSON.parse(process.argv[1]);\n"
        "const out = cases.map(h => { const b = Uint8Array.from(h.match(/../g).map(x => parseInt(x, 16)));"
        " const r = parseTreadmillData(new DataView(b.buffer)); return r; });\n"
        "console.log(JSON.stringify(out));\n"
    )
    hexes = [c[0].hex() for c in cases]
    res = subprocess.run(
        ["node", "--input-type=module", "-e", script, json.dumps(hexes)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    js = json.loads(res.stdout)
    for (raw, _, _), got in zip(cases, js, strict=True):
        py = ftms.parse(raw)
        assert got["flags"] == py.flags and got["moreData"] == py.more_data
        assert {k: pytest.approx(v, abs=1e-6) for k, v in got["values"].items()} == py.values()
        assert sorted(got["notAvailable"]) == sorted(py.not_available)
