"""Run the IMU engine over many recordings: local processes or a Dask distributed cluster."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd
from rich.progress import Progress

from retrowalk.errors import InputError, RetrowalkError
from retrowalk.extras import require

SUFFIXES = (".csv", ".csv.gz", ".txt")


def find_recordings(directory: Path) -> list[Path]:
    """Generic/phyphox CSV files, plus export folders (with an Accelerometer file) as one recording."""
    if not directory.is_dir():
        raise InputError("directory", f"{directory} is not a folder", hint="pass a folder of recordings")
    found: list[Path] = []
    for p in sorted(directory.iterdir()):
        if (
            p.is_dir()
            and any(c.name.lower() in ("accelerometer.csv", "totalacceleration.csv") for c in p.iterdir())
        ) or (p.is_file() and p.name.lower().endswith(SUFFIXES) and p.name.lower() != "gyroscope.csv"):
            found.append(p)
    if not found:
        raise InputError(
            "directory", f"no recordings in {directory}", hint="expected *.csv or export folders"
        )
    return found


def analyse_one(path: Path, placement: str, acc_unit: str, gyr_unit: str) -> dict[str, Any]:
    """One table row; a broken file yields an error row instead of stopping the batch."""
    from retrowalk.gait.imu import analyse
    from retrowalk.io.imu import read_imu

    row: dict[str, Any] = {"file": str(path), "error": ""}
    try:
        res = analyse(read_imu(path, acc_unit=acc_unit, gyr_unit=gyr_unit), placement=placement)
    except (RetrowalkError, ValueError, OSError) as exc:
        row["error"] = str(exc)
        return row
    dirs = [b.direction for b in res.bouts]
    row.update(
        duration_s=res.duration_s,
        steps=res.steps,
        cadence_spm=res.cadence_spm,
        step_time_cv_pct=res.step_time_cv_pct,
        step_time_asymmetry_pct=res.step_time_asymmetry_pct,
        active_minutes=res.active_minutes,
        bouts=len(res.bouts),
        backward_bouts=dirs.count("backward"),
        forward_bouts=dirs.count("forward"),
        warnings=" | ".join(res.warnings),
    )
    return row


def _local(files: list[Path], args: tuple[str, str, str], workers: int | None) -> Iterator[dict[str, Any]]:
    if workers == 1:
        for f in files:
            yield analyse_one(f, *args)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futs = [pool.submit(analyse_one, f, *args) for f in files]
        for fut in as_completed(futs):
            yield fut.result()


def _dask(files: list[Path], args: tuple[str, str, str], scheduler: Any) -> Iterator[dict[str, Any]]:
    distributed = require("cluster", "--scheduler")
    client = (
        scheduler
        if isinstance(scheduler, distributed.Client)
        else distributed.Client(scheduler, timeout="10s")
    )
    try:
        futs = client.map(analyse_one, files, *[[a] * len(files) for a in args], pure=False)
        for fut in distributed.as_completed(futs):
            yield fut.result()
    finally:
        if client is not scheduler:
            client.close()


def run_batch(
    files: list[Path],
    *,
    placement: str = "unknown",
    acc_unit: str = "auto",
    gyr_unit: str = "rad/s",
    workers: int | None = None,
    scheduler: Any = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Rows in input order. ``scheduler``: a Dask address or Client (None: local processes)."""
    args = (placement, acc_unit, gyr_unit)
    it: Iterable[dict[str, Any]] = (
        _dask(files, args, scheduler) if scheduler else _local(files, args, workers)
    )
    rows: list[dict[str, Any]] = []
    with Progress(disable=not progress, transient=True) as bar:
        task = bar.add_task("analysing recordings", total=len(files))
        for row in it:
            rows.append(row)
            bar.advance(task)
    order = {str(f): i for i, f in enumerate(files)}
    return sorted(rows, key=lambda r: order[r["file"]])


def write_table(rows: list[dict[str, Any]], out: Path) -> None:
    df = pd.DataFrame(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        require("parquet", "--out")
        df.to_parquet(out, index=False)
    else:
        df.to_csv(out, index=False)
