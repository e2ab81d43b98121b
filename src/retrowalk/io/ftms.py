"""Bluetooth FTMS Treadmill Data (characteristic 0x2ACD): bytes → a typed record.

Layout (Fitness Machine Service 1.0 with the GATT Specification Supplement's field formats;
all little-endian): a uint16 of flags, then each present field in this order. Bit 0 "More Data"
is inverted: 0 means Instantaneous Speed IS present (the record is complete), 1 means it is not
(a record split over several notifications). Every other bit set means its fields follow.

The browser port (``web/static/capture/ftms.js``) carries the same table; a test checks that
both read the same bytes alike.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace

from retrowalk.errors import InputError

TREADMILL_DATA_UUID = 0x2ACD
FITNESS_MACHINE_SERVICE_UUID = 0x1826
MORE_DATA = 0x0001

#: (flag bit, ((field, struct format, scale, "data not available" raw value or None), ...)).
#: Format "T" is a uint24. Bit 0 is listed with the inverted sense handled in :func:`parse`.
LAYOUT: tuple[tuple[int, tuple[tuple[str, str, float, int | None], ...]], ...] = (
    (0, (("instantaneous_speed_kmh", "H", 0.01, None),)),
    (1, (("average_speed_kmh", "H", 0.01, None),)),
    (2, (("total_distance_m", "T", 1.0, None),)),
    (3, (("inclination_pct", "h", 0.1, 0x7FFF), ("ramp_angle_deg", "h", 0.1, 0x7FFF))),
    (4, (("positive_elevation_gain_m", "H", 0.1, None), ("negative_elevation_gain_m", "H", 0.1, None))),
    (5, (("instantaneous_pace_s_per_km", "H", 1.0, None),)),
    (6, (("average_pace_s_per_km", "H", 1.0, None),)),
    (
        7,
        (
            ("total_energy_kcal", "H", 1.0, 0xFFFF),
            ("energy_per_hour_kcal", "H", 1.0, 0xFFFF),
            ("energy_per_minute_kcal", "B", 1.0, 0xFF),
        ),
    ),
    (8, (("heart_rate_bpm", "B", 1.0, None),)),
    (9, (("metabolic_equivalent", "B", 0.1, None),)),
    (10, (("elapsed_time_s", "H", 1.0, None),)),
    (11, (("remaining_time_s", "H", 1.0, None),)),
    (12, (("force_on_belt_n", "h", 1.0, 0x7FFF), ("power_output_w", "h", 1.0, 0x7FFF))),
)
_SIZE = {"B": 1, "H": 2, "h": 2, "T": 3}


@dataclass(frozen=True)
class TreadmillData:
    """One notification. A field is None when absent; ``not_available`` names the fields the
    machine sent with the specification's "Data Not Available" value."""

    flags: int
    more_data: bool
    instantaneous_speed_kmh: float | None = None
    average_speed_kmh: float | None = None
    total_distance_m: float | None = None
    inclination_pct: float | None = None
    ramp_angle_deg: float | None = None
    positive_elevation_gain_m: float | None = None
    negative_elevation_gain_m: float | None = None
    instantaneous_pace_s_per_km: float | None = None
    average_pace_s_per_km: float | None = None
    total_energy_kcal: float | None = None
    energy_per_hour_kcal: float | None = None
    energy_per_minute_kcal: float | None = None
    heart_rate_bpm: float | None = None
    metabolic_equivalent: float | None = None
    elapsed_time_s: float | None = None
    remaining_time_s: float | None = None
    force_on_belt_n: float | None = None
    power_output_w: float | None = None
    not_available: frozenset[str] = field(default_factory=frozenset)

    def values(self) -> dict[str, float]:
        """The fields present with a value, by name."""
        skip = {"flags", "more_data", "not_available"}
        return {
            f.name: v for f in fields(self) if f.name not in skip and (v := getattr(self, f.name)) is not None
        }


def _present(flags: int, bit: int) -> bool:
    return not flags & MORE_DATA if bit == 0 else bool(flags >> bit & 1)


def parse(data: bytes | bytearray | memoryview) -> TreadmillData:
    """Decode one Treadmill Data value; InputError naming the field where the bytes run out."""
    raw = bytes(data)
    if len(raw) < 2:
        raise InputError("ftms.flags", f"{len(raw)} byte(s); the flags field needs 2")
    (flags,) = struct.unpack_from("<H", raw, 0)
    offset = 2
    out: dict[str, float | None] = {}
    missing: set[str] = set()
    for bit, group in LAYOUT:
        if not _present(flags, bit):
            continue
        for name, fmt, scale, unavailable in group:
            size = _SIZE[fmt]
            if offset + size > len(raw):
                raise InputError(
                    f"ftms.{name}",
                    f"the value ends at byte {len(raw)}; {name} needs bytes {offset}-{offset + size - 1}",
                )
            if fmt == "T":
                value = int.from_bytes(raw[offset : offset + 3], "little")
            else:
                (value,) = struct.unpack_from("<" + fmt, raw, offset)
            offset += size
            if unavailable is not None and value == unavailable:
                out[name] = None
                missing.add(name)
            else:
                out[name] = round(value * scale, 6)
    if offset != len(raw):
        raise InputError(
            "ftms", f"{len(raw) - offset} byte(s) after the last field the flags announce (0x{flags:04x})"
        )
    return TreadmillData(
        flags=flags, more_data=bool(flags & MORE_DATA), not_available=frozenset(missing), **out
    )


def merge(records: Iterable[TreadmillData]) -> TreadmillData:
    """Combine the notifications of a split data record (later values win)."""
    merged: TreadmillData | None = None
    for rec in records:
        if merged is None:
            merged = rec
            continue
        merged = replace(
            merged,
            flags=merged.flags | rec.flags,
            more_data=rec.more_data,
            not_available=(merged.not_available - rec.values().keys()) | rec.not_available,
            **rec.values(),
        )
    if merged is None:
        raise InputError("ftms", "no notifications to merge")
    return merged
