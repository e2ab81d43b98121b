"""Browser capture at the file edge: motion chunks → the generic IMU CSV, raw sample times back.

The capture page sends ``devicemotion`` samples as ``[t_ms, ax, ay, az, gx, gy, gz]`` rows
(``accelerationIncludingGravity`` in m/s², ``rotationRate`` in deg/s as the browser reports it,
gyro may be null). They become the generic CSV that :func:`retrowalk.io.imu.read_imu` reads.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retrowalk.errors import InputError
from retrowalk.io.files import write_atomic
from retrowalk.io.imu import _detect, _files

Sample = Sequence[float | None]
MOTION_FIELDS = 7


def check_motion_rows(rows: object, field: str = "samples") -> list[list[float | None]]:
    """Validate one chunk of motion rows (a list of 4- or 7-number lists); InputError names the row."""
    if not isinstance(rows, list):
        raise InputError(field, "expected a list of [t_ms, ax, ay, az, gx, gy, gz] rows")
    out: list[list[float | None]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) not in (4, MOTION_FIELDS):
            raise InputError(f"{field}.{i}", "expected [t_ms, ax, ay, az] or [t_ms, ax, ay, az, gx, gy, gz]")
        vals: list[float | None] = []
        for j, v in enumerate(row):
            if v is None and j >= 4:
                vals.append(None)
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise InputError(f"{field}.{i}.{j}", f"{v!r} is not a finite number")
            vals.append(float(v))
        vals.extend([None] * (MOTION_FIELDS - len(vals)))
        out.append(vals)
    return out


def write_chunk(path: Path, payload: dict[str, object]) -> None:
    """Store one chunk atomically (fsynced), so a re-sent chunk simply replaces itself."""
    write_atomic(path, json.dumps(payload).encode())


def parse_motion_chunk(body: bytes) -> list[list[float | None]]:
    """A chunk as the page sends it, ``{"samples": [[t_ms, ax, ay, az, gx, gy, gz], ...]}``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError("samples", f"not a JSON motion chunk: {exc}") from exc
    if not isinstance(data, dict) or set(data) != {"samples"}:
        raise InputError("samples", 'expected {"samples": [...]} and nothing else')
    return check_motion_rows(data["samples"])


def concatenate(parts: Sequence[Path], dest: Path) -> None:
    """Join raw chunks in order into ``dest`` (a video MediaRecorder cut into pieces)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("wb") as out:
        for p in parts:
            with p.open("rb") as src:
                shutil.copyfileobj(src, out)


def read_motion_chunk(path: Path) -> list[list[float | None]]:
    """The rows of a stored motion chunk (validated again: the file is outside the request)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return check_motion_rows(data.get("samples") if isinstance(data, dict) else None)


def motion_to_csv(rows: Iterable[Sample], dest: Path) -> int:
    """Write rows (sorted by time, duplicates dropped) as the generic CSV; returns the row count."""
    seen: dict[float, Sample] = {}
    for r in rows:
        seen.setdefault(float(r[0] or 0.0), r)
    ordered = [seen[t] for t in sorted(seen)]
    if not ordered:
        raise InputError("samples", "no motion samples were received", hint="record again")
    t0 = float(ordered[0][0] or 0.0)
    gyro = all(len(r) >= MOTION_FIELDS and None not in r[4:7] for r in ordered)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["time_s", "acc_x", "acc_y", "acc_z", *(["gyr_x", "gyr_y", "gyr_z"] if gyro else [])])
        for r in ordered:
            t = (float(r[0] or 0.0) - t0) / 1000.0
            acc = [f"{float(v or 0.0):.5f}" for v in r[1:4]]
            g = [f"{math.radians(float(v or 0.0)):.6f}" for v in r[4:7]] if gyro else []
            w.writerow([f"{t:.4f}", *acc, *g])
    return len(ordered)


def raw_imu_timestamps(path: Path) -> NDArray[np.float64] | None:
    """The recorded sample times (s) of an IMU file before resampling, or None for unknown layouts."""
    acc_path, _, _ = _files(path)
    fmt = _detect(acc_path)
    names = [str(c).strip().strip('"') for c in pd.read_csv(acc_path, nrows=0).columns]
    col = {"generic": "time_s", "sensorlogger": "seconds_elapsed"}.get(fmt)
    if fmt == "phyphox":
        col = next((n for n in names if n.lower().startswith("time (")), None)
    if col is None:
        return None
    df = pd.read_csv(acc_path, usecols=lambda c: str(c).strip().strip('"') == col)
    t = pd.to_numeric(df.iloc[:, 0], errors="coerce").to_numpy(dtype=np.float64)
    t = np.unique(t[np.isfinite(t)])
    return t if t.size >= 2 else None
