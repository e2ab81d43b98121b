"""``retrowalk gait imu FILE`` and ``retrowalk gait batch DIR``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from retrowalk.cli._output import FormatOption, OutputFormat, console, emit, fail, new_table, user_errors


@contextmanager
def _pydantic_plugins_off() -> Iterator[None]:
    """Build the models defined meanwhile without looking for pydantic plugins, as Typer does
    for its parameters: the look-up reads every installed package's entry points (~15 ms of
    `gait imu`, whose budget is 0.3 s) and this command's result models have no use for a plugin.
    A ``PYDANTIC_DISABLE_PLUGINS`` the user set is left as it is; models made later (a server in
    this process) look as usual."""
    if "PYDANTIC_DISABLE_PLUGINS" in os.environ:
        yield
        return
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        del os.environ["PYDANTIC_DISABLE_PLUGINS"]


with _pydantic_plugins_off():
    from retrowalk.gait.imu import PLACEMENTS, check_placement

PlacementOption = typer.Option("unknown", "--placement", "-p", help=f"Sensor site: {'|'.join(PLACEMENTS)}.")


def _render(data: dict[str, Any]) -> None:
    console.print(
        f"[bold]{data['steps']}[/] steps, cadence [bold]{data['cadence_spm']}[/] steps/min, "
        f"step-time CV {data['step_time_cv_pct']} %, asymmetry {data['step_time_asymmetry_pct']} %, "
        f"active {data['active_minutes']} min"
    )
    table = new_table("start s", "end s", "steps", "cadence", "direction", "confidence")
    for b in data["bouts"]:
        table.add_row(
            str(b["start_s"]),
            str(b["end_s"]),
            str(b["steps"]),
            str(b["cadence_spm"]),
            b["direction"],
            f"{b['direction_confidence']:.2f}",
        )
    console.print(table)
    for w in data["warnings"]:
        console.print(f"[yellow]warning[/]: {w}")


def imu(
    file: Path = typer.Argument(..., help="phyphox / Sensor Logger export (file or folder) or generic CSV."),
    placement: str = PlacementOption,
    acc_unit: str = typer.Option("auto", "--acc-unit", help="Generic CSV: m/s2 | g | auto."),
    gyr_unit: str = typer.Option("rad/s", "--gyr-unit", help="Generic CSV: rad/s | deg/s."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Steps, cadence, variability, walking bouts and direction from one IMU recording."""
    from retrowalk.gait.imu import analyse
    from retrowalk.io.imu import read_imu

    with user_errors():
        check_placement(placement)
        rec = read_imu(file, acc_unit=acc_unit, gyr_unit=gyr_unit)
        result = analyse(rec, placement=placement)
    emit(result.model_dump(mode="json"), fmt, _render)


def batch(
    directory: Path = typer.Argument(..., help="Folder of recordings (*.csv, *.csv.gz, export folders)."),
    out: Path = typer.Option(..., "--out", "-o", help="results.csv or results.parquet"),
    placement: str = PlacementOption,
    acc_unit: str = typer.Option("auto", "--acc-unit"),
    gyr_unit: str = typer.Option("rad/s", "--gyr-unit"),
    workers: int = typer.Option(0, "--workers", help="Local processes (0 = all cores)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask distributed scheduler address."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Analyse every recording in a folder, in parallel, into one table (one row per file)."""
    from retrowalk.batch.gait_imu import find_recordings, run_batch, write_table

    with user_errors():
        check_placement(placement)
        if out.suffix.lower() not in (".csv", ".parquet"):
            fail("out", f"{out.name}: unsupported table type", hint="use a .csv or .parquet file name")
        files = find_recordings(directory)
        rows = run_batch(
            files,
            placement=placement,
            acc_unit=acc_unit,
            gyr_unit=gyr_unit,
            workers=workers or None,
            scheduler=scheduler,
            progress=fmt is OutputFormat.text,
        )
        write_table(rows, out)
    n_ok = sum(1 for r in rows if not r["error"])
    emit(
        {"files": len(rows), "ok": n_ok, "failed": len(rows) - n_ok, "out": str(out)},
        fmt,
        lambda d: console.print(f"{d['ok']}/{d['files']} recordings analysed → {d['out']}"),
    )


def register(app: typer.Typer) -> None:
    app.command("imu")(imu)
    app.command("batch")(batch)
