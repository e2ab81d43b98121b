"""Read phone/wearable IMU exports into an :class:`ImuRecording` (format detected by header).

Supported:
- phyphox CSV ("Time (s)", "Acceleration x (m/s^2)" / "Linear Acceleration x (m/s^2)",
  "Gyroscope x (rad/s)"), a single file or an export folder (Accelerometer.csv, Gyroscope.csv).
- Sensor Logger (``seconds_elapsed, z, y, x``): a folder or the files TotalAcceleration.csv /
  Accelerometer.csv (+ Gravity.csv) and Gyroscope.csv.
- generic CSV ``time_s, acc_x, acc_y, acc_z[, gyr_x, gyr_y, gyr_z]``, units chosen with
  ``acc_unit`` (m/s2 | g | auto) and ``gyr_unit`` (rad/s | deg/s). ``.csv.gz`` works too.
Irregular timestamps are resampled to a uniform grid; problems become warnings or InputError.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from retrowalk.errors import InputError
from retrowalk.gait.imu import ImuRecording
from retrowalk.gait.imu._models import GRAVITY
from retrowalk.gait.median import median
from retrowalk.io import limits

if TYPE_CHECKING:
    import pandas as pd

MAX_FILE_BYTES = 2 * 1024**3
MAX_GAP_S = 1.0
GENERIC_ACC = ["acc_x", "acc_y", "acc_z"]
GENERIC_GYR = ["gyr_x", "gyr_y", "gyr_z"]


@dataclass
class _Raw:
    t: NDArray[np.float64]
    xyz: NDArray[np.float64]


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError("file", f"{path} does not exist", hint="check the path")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            "file",
            f"{path.name} is {size / 1e9:.1f} GB (limit {MAX_FILE_BYTES / 1e9:.1f} GB)",
            hint="split the recording into smaller files",
        )
    if size == 0:
        raise InputError("file", f"{path.name} is empty", hint="export the recording again")
    limits.check_csv(path)  # columns and rows, before pandas parses the header (quadratic in columns)


@contextmanager
def _open(path: Path) -> Iterator[io.TextIOWrapper]:
    """The file as text (gzip or not), a UTF-8 byte-order mark dropped as pandas does."""
    with gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb") as raw:
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _names(header: list[str]) -> list[str]:
    return [str(c).strip().strip('"') for c in header]


@dataclass
class _Table:
    """A parsed CSV: column names and either every value as floats or a pandas frame."""

    names: list[str]
    values: NDArray[np.float64] | None = None  # plain numeric CSV, read without pandas
    frame: pd.DataFrame | None = None  # anything else (missing or text cells, other separators)

    def numeric(self, cols: list[str], path: Path) -> NDArray[np.float64]:
        """These columns as floats (cells that are not numbers become NaN)."""
        missing = [c for c in cols if c not in self.names]
        if missing:
            raise InputError("file", f"{path.name} lacks columns {cols}", hint="see docs/imu.md for formats")
        if self.values is not None:
            return self.values[:, [self.names.index(c) for c in cols]]
        import pandas as pd

        assert self.frame is not None
        return self.frame[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)


def _plain_numeric(path: Path) -> _Table | None:
    """Comma-separated, unique column names, every cell a number: NumPy reads it (pandas' import
    costs more than the analysis). ``None`` sends the file to pandas, which handles the rest."""
    if path.suffix.lower() == ".txt":
        return None
    try:
        with _open(path) as fh:
            names = _names(next(csv.reader([fh.readline()])))
            if len(set(names)) != len(names):
                return None
            values = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
    except (ValueError, UnicodeDecodeError, StopIteration, EOFError, OSError, csv.Error):
        return None
    if values.shape[1] != len(names) or values.shape[0] == 0:
        return None
    return _Table(names, values=values)


def _read_csv(path: Path) -> _Table:
    _check_file(path)
    table = _plain_numeric(path)
    if table is not None:
        return table
    import pandas as pd

    try:
        df = pd.read_csv(path, sep=None, engine="python") if path.suffix == ".txt" else pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError("file", f"{path.name} is not a readable CSV: {exc}", hint="export as CSV") from exc
    df.columns = _names(list(df.columns))
    return _Table(list(df.columns), frame=df)


def _phyphox(df: _Table, path: Path) -> tuple[_Raw, str]:
    cols = df.names
    time_col = next(c for c in cols if c.lower().startswith("time ("))
    kind = "gyr" if any(c.startswith("Gyroscope") for c in cols) else "acc"
    axes = [next((c for c in cols if c != time_col and f" {a} (" in c), "") for a in "xyz"]
    if not all(axes):
        raise InputError("file", f"{path.name}: phyphox export without x/y/z columns", hint="export raw data")
    linear = any("Linear" in c for c in axes)
    raw = _Raw(df.numeric([time_col], path)[:, 0], df.numeric(axes, path))
    return raw, ("lin" if linear else kind)


def _sensor_logger(df: _Table, path: Path) -> _Raw:
    return _Raw(df.numeric(["seconds_elapsed"], path)[:, 0], df.numeric(["x", "y", "z"], path))


def _clean(raw: _Raw, name: str, warnings: list[str]) -> _Raw:
    ok = np.isfinite(raw.t) & np.all(np.isfinite(raw.xyz), axis=1)
    if not ok.all():
        warnings.append(f"{name}: dropped {int((~ok).sum())} rows with missing/NaN values")
    t, xyz = raw.t[ok], raw.xyz[ok]
    if t.size and np.any(np.diff(t) < 0):
        warnings.append(f"{name}: timestamps not monotonic; rows were sorted by time")
        order = np.argsort(t, kind="stable")
        t, xyz = t[order], xyz[order]
    if t.size:
        keep = np.concatenate([[True], np.diff(t) > 0])
        if not keep.all():
            warnings.append(f"{name}: dropped {int((~keep).sum())} duplicated timestamps")
            t, xyz = t[keep], xyz[keep]
    if t.size < 10:
        raise InputError(
            "file", f"{name}: only {t.size} valid samples", hint="record at least 10 s of walking"
        )
    return _Raw(t, xyz)


def _resample(raw: _Raw, grid: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.column_stack([np.interp(grid, raw.t, raw.xyz[:, k]) for k in range(3)])


def _acc_to_ms2(acc: NDArray[np.float64], unit: str, med: float, warnings: list[str]) -> NDArray[np.float64]:
    """``med``: the median of |acc| in the file's unit."""
    if unit == "g" or (unit == "auto" and 0.5 < med < 2.0):
        if unit == "auto":
            warnings.append("acceleration looks like units of g (|acc|≈1); converted to m/s²")
        return acc * GRAVITY
    if unit == "m/s2" and 0.5 < med < 2.0:
        warnings.append("acc_unit is m/s² but |acc|≈1: is the file in g? (use --acc-unit g)")
    return acc


def _linear_to_total(acc: NDArray[np.float64], warnings: list[str]) -> NDArray[np.float64]:
    """Gravity was removed by the phone: add it back along the dominant motion axis."""
    warnings.append(
        "linear acceleration (gravity removed): vertical assumed to be the dominant axis; "
        "direction estimation unavailable"
    )
    c = acc - acc.mean(axis=0)
    _, _, vt = np.linalg.svd(c[:: max(1, c.shape[0] // 20000)], full_matrices=False)
    ax = vt[0]
    proj = c @ ax
    if float(np.mean(proj**3)) < 0:
        ax = -ax
    return acc + GRAVITY * ax


def _detect(path: Path) -> str:
    _check_file(path)
    try:
        with _open(path) as fh:
            names = _names(next(csv.reader([fh.readline()]), []))
    except (UnicodeDecodeError, OSError, EOFError, csv.Error) as exc:
        raise InputError("file", f"{path.name} is not a readable CSV: {exc}", hint="export as CSV") from exc
    if any(n.lower().startswith("time (") for n in names):
        return "phyphox"
    if "seconds_elapsed" in names:
        return "sensorlogger"
    if names[:1] == ["time_s"] and all(c in names for c in GENERIC_ACC):
        return "generic"
    raise InputError(
        "file",
        f"{path.name}: unrecognised header {names[:8]}",
        hint="use a phyphox or Sensor Logger export, or the generic CSV "
        "'time_s,acc_x,acc_y,acc_z[,gyr_x,gyr_y,gyr_z]' (docs/imu.md)",
    )


def _files(path: Path) -> tuple[Path, Path | None, Path | None]:
    """(acc file, gyr file, gravity file) for a folder export or a single file."""
    if path.is_dir():
        names = {p.name.lower(): p for p in path.iterdir()}
        acc = (
            names.get("totalacceleration.csv")
            or names.get("accelerometer.csv")
            or names.get("linear accelerometer.csv")
            or names.get("linear acceleration.csv")
        )
        if acc is None:
            raise InputError(
                "file",
                f"{path} has no Accelerometer.csv / TotalAcceleration.csv",
                hint="pass the export folder of phyphox or Sensor Logger",
            )
        grav = names.get("gravity.csv") if acc.name.lower() == "accelerometer.csv" else None
        return acc, names.get("gyroscope.csv"), grav
    sibling = path.parent / "Gyroscope.csv"
    gyr = sibling if path.name.lower() != "gyroscope.csv" and sibling.exists() else None
    return path, gyr, None


def read_imu(
    path: str | Path,
    *,
    acc_unit: str = "auto",
    gyr_unit: str = "rad/s",
    sampling_rate_hz: float | None = None,
) -> ImuRecording:
    """Read a recording; resample to ``sampling_rate_hz`` (default: the median rate, ≤200 Hz)."""
    if acc_unit not in ("auto", "m/s2", "g"):
        raise InputError("acc_unit", f"{acc_unit!r} is not a unit", hint="use m/s2, g or auto")
    if gyr_unit not in ("rad/s", "deg/s"):
        raise InputError("gyr_unit", f"{gyr_unit!r} is not a unit", hint="use rad/s or deg/s")
    path = Path(path)
    acc_path, gyr_path, grav_path = _files(path)
    fmt = _detect(acc_path)
    warnings: list[str] = []
    gyr_raw: _Raw | None = None
    linear = False
    if fmt == "generic":
        df = _read_csv(acc_path)
        t = df.numeric(["time_s"], acc_path)[:, 0]
        acc_raw = _Raw(t, df.numeric(GENERIC_ACC, acc_path))
        if all(c in df.names for c in GENERIC_GYR):
            g = df.numeric(GENERIC_GYR, acc_path)
            gyr_raw = _Raw(t, np.radians(g) if gyr_unit == "deg/s" else g)
    elif fmt == "phyphox":
        acc_raw, kind = _phyphox(_read_csv(acc_path), acc_path)
        if kind == "gyr":
            raise InputError(
                "file", f"{acc_path.name} is a gyroscope export", hint="pass the accelerometer file"
            )
        linear = kind == "lin"
        if gyr_path is not None:
            gyr_raw, _ = _phyphox(_read_csv(gyr_path), gyr_path)
    else:
        acc_raw = _sensor_logger(_read_csv(acc_path), acc_path)
        if grav_path is not None:
            gr = _clean(_sensor_logger(_read_csv(grav_path), grav_path), grav_path.name, warnings)
            acc_raw = _Raw(acc_raw.t, acc_raw.xyz + _resample(gr, acc_raw.t))
        if gyr_path is not None:
            gyr_raw = _sensor_logger(_read_csv(gyr_path), gyr_path)
    acc_raw = _clean(acc_raw, acc_path.name, warnings)
    if gyr_raw is not None:
        gyr_raw = _clean(gyr_raw, "gyroscope", warnings)
    t0, t1 = float(acc_raw.t[0]), float(acc_raw.t[-1])
    if gyr_raw is not None:
        t0, t1 = max(t0, float(gyr_raw.t[0])), min(t1, float(gyr_raw.t[-1]))
    dt = np.diff(acc_raw.t)
    fs = sampling_rate_hz or min(200.0, round(1.0 / median(dt), 1))
    if fs < 10:
        raise InputError("sampling_rate_hz", f"{fs} Hz is too low", hint="record at 50-100 Hz")
    if t1 - t0 < 5.0:
        raise InputError(
            "file", f"recording is only {max(t1 - t0, 0):.1f} s long", hint="record at least 10 s"
        )
    gaps = dt[dt > MAX_GAP_S]
    if gaps.size:
        warnings.append(
            f"{gaps.size} gap(s) in the timestamps (longest {gaps.max():.1f} s) were "
            "bridged by interpolation; no steps are detected inside them"
        )
    if float(np.std(dt)) > 0.1 / fs:
        warnings.append(f"irregular sampling (median {1 / median(dt):.1f} Hz); resampled to {fs:g} Hz")
    limits.check_duration(t1 - t0)
    limits.check_samples(int((t1 - t0) * fs))
    grid = np.arange(t0, t1, 1.0 / fs)
    acc = _resample(acc_raw, grid)
    med = median(np.linalg.norm(acc, axis=1))
    if linear or (med < 0.5 and acc_unit == "auto"):
        acc = _linear_to_total(acc, warnings)
        gyr_raw = None
    else:
        acc = _acc_to_ms2(acc, acc_unit, med, warnings)
    gyr = _resample(gyr_raw, grid) if gyr_raw is not None else None
    if gyr is not None and fmt != "generic" and float(np.percentile(np.abs(gyr), 99)) > 40:
        warnings.append("gyroscope values look like deg/s; converted to rad/s")
        gyr = np.radians(gyr)
    return ImuRecording(
        acc=acc,
        gyr=gyr,
        sampling_rate_hz=float(fs),
        start_s=round(t0, 6),
        warnings=tuple(warnings),
        source=str(path),
    )
