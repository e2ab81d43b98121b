"""Readers (phyphox, Sensor Logger, generic), input problems, CLI JSON and batch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from retrowalk.batch.gait_imu import find_recordings, run_batch
from retrowalk.cli.main import app
from retrowalk.errors import InputError
from retrowalk.gait.imu import analyse
from retrowalk.gait.imu.synthetic import make_walk
from retrowalk.io.imu import read_imu

W = make_walk(cadence_spm=100, placement="thigh", direction="backward", seed=4, walk_s=30)
T = np.arange(W.recording.n_samples) / 100.0


def _generic(path: Path, *, g_units: bool = False, jitter: bool = False) -> Path:
    acc = W.recording.acc / (9.80665 if g_units else 1.0)
    gyr = np.degrees(W.recording.gyr)  # type: ignore[arg-type]
    t = T + (np.random.default_rng(0).uniform(-0.003, 0.003, T.size) if jitter else 0)
    df = pd.DataFrame(
        {
            "time_s": t,
            "acc_x": acc[:, 0],
            "acc_y": acc[:, 1],
            "acc_z": acc[:, 2],
            "gyr_x": gyr[:, 0],
            "gyr_y": gyr[:, 1],
            "gyr_z": gyr[:, 2],
        }
    )
    df.to_csv(path, index=False)
    return path


def test_all_formats_give_the_same_answer(tmp_path: Path) -> None:
    truth = analyse(W.recording, placement="thigh")
    generic = read_imu(_generic(tmp_path / "g.csv", g_units=True, jitter=True), gyr_unit="deg/s")
    assert any("units of g" in w for w in generic.warnings)
    ph = tmp_path / "phyphox"
    ph.mkdir()
    acc, gyr = W.recording.acc, W.recording.gyr
    assert gyr is not None
    pd.DataFrame(
        {"Time (s)": T, **{f"Acceleration {a} (m/s^2)": acc[:, i] for i, a in enumerate("xyz")}}
    ).to_csv(ph / "Accelerometer.csv", index=False)
    pd.DataFrame(
        {"Time (s)": T, **{f"Gyroscope {a} (rad/s)": gyr[:, i] for i, a in enumerate("xyz")}}
    ).to_csv(ph / "Gyroscope.csv", index=False)
    sl = tmp_path / "sensorlogger"
    sl.mkdir()
    for name, arr in (("TotalAcceleration.csv", acc), ("Gyroscope.csv", gyr)):
        pd.DataFrame(
            {
                "time": (T * 1e9).astype(np.int64),
                "seconds_elapsed": T,
                "z": arr[:, 2],
                "y": arr[:, 1],
                "x": arr[:, 0],
            }
        ).to_csv(sl / name, index=False)
    for rec in (generic, read_imu(ph), read_imu(ph / "Accelerometer.csv"), read_imu(sl)):
        res = analyse(rec, placement="thigh")
        assert abs(res.steps - truth.steps) <= 1
        assert res.cadence_spm is not None and truth.cadence_spm is not None
        assert abs(res.cadence_spm - truth.cadence_spm) < 1.0
        assert [b.direction for b in res.bouts] == ["backward"]


def test_bad_files_give_clear_errors_or_warnings(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unrecognised header"):
        (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        read_imu(tmp_path / "x.csv")
    with pytest.raises(InputError, match="empty"):
        (tmp_path / "e.csv").write_text("", encoding="utf-8")
        read_imu(tmp_path / "e.csv")
    with pytest.raises(InputError, match="does not exist"):
        read_imu(tmp_path / "missing.csv")
    with pytest.raises(InputError, match="acc_unit"):
        read_imu(tmp_path / "x.csv", acc_unit="furlong")
    short = tmp_path / "short.csv"
    pd.DataFrame({"time_s": np.arange(200) / 100, "acc_x": 0.0, "acc_y": 0.0, "acc_z": 9.81}).to_csv(
        short, index=False
    )
    with pytest.raises(InputError, match="long"):
        read_imu(short)
    messy = _generic(tmp_path / "m.csv")
    df = pd.read_csv(messy)
    df.loc[100:110, "acc_x"] = np.nan
    df = pd.concat([df.iloc[:500], df.iloc[400:450], df.iloc[500:1500], df.iloc[1800:]])  # dup + gap
    df.iloc[[600, 601]] = df.iloc[[601, 600]].to_numpy()  # non-monotonic
    df.to_csv(messy, index=False)
    rec = read_imu(messy, gyr_unit="deg/s")
    text = " ".join(rec.warnings)
    for word in ("NaN", "duplicated", "monotonic", "gap"):
        assert word in text
    assert np.all(np.isfinite(rec.acc))


def test_cli_json_is_the_model_dump(tmp_path: Path) -> None:
    path = _generic(tmp_path / "rec.csv")
    out = CliRunner().invoke(
        app, ["gait", "imu", str(path), "--placement", "thigh", "--gyr-unit", "deg/s", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    expected = analyse(read_imu(path, gyr_unit="deg/s"), placement="thigh").model_dump(mode="json")
    assert data == expected
    assert {
        "initial_contacts_s",
        "steps",
        "cadence_spm",
        "step_time_cv_pct",
        "step_time_asymmetry_pct",
        "bouts",
        "warnings",
    } <= set(data)
    assert set(data["bouts"][0]) >= {
        "start_s",
        "end_s",
        "steps",
        "cadence_spm",
        "direction",
        "direction_confidence",
    }
    bad = CliRunner().invoke(app, ["gait", "imu", str(path), "--placement", "hand", "--format", "json"])
    assert bad.exit_code == 2 and "placement" in bad.stderr and bad.stdout == ""


def test_batch_local_and_dask(tmp_path: Path) -> None:
    for i in range(3):
        _generic(tmp_path / f"r{i}.csv")
    (tmp_path / "broken.csv").write_text("nope\n1\n", encoding="utf-8")
    out = tmp_path / "res.parquet"
    cli = CliRunner().invoke(
        app,
        [
            "gait",
            "batch",
            str(tmp_path),
            "--out",
            str(out),
            "--workers",
            "2",
            "--gyr-unit",
            "deg/s",
            "--format",
            "json",
        ],
    )
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout) == {"files": 4, "ok": 3, "failed": 1, "out": str(out)}
    table = pd.read_parquet(out)
    assert table.loc[table.error == "", "steps"].nunique() == 1

    from distributed import Client, LocalCluster

    files = find_recordings(tmp_path)
    with (
        LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        rows = run_batch(files, gyr_unit="deg/s", scheduler=client, progress=False)
    assert [r["file"] for r in rows] == [str(f) for f in files]
    assert sum(1 for r in rows if r["error"]) == 1


def test_plain_numeric_csv_is_read_without_pandas_and_like_pandas(tmp_path: Path) -> None:
    import subprocess
    import sys

    from retrowalk.io.imu import _plain_numeric, _read_csv

    plain = _generic(tmp_path / "plain.csv.gz")
    table = _plain_numeric(plain)
    assert table is not None and table.values is not None  # the NumPy route
    frame = pd.read_csv(plain)
    assert np.array_equal(table.values, frame.to_numpy(dtype=np.float64))
    # Anything that is not a plain numeric CSV (a text cell, an empty one, repeated names) goes
    # to pandas, which reads the same numbers; its non-numbers become NaN rows (dropped, warned).
    odd = tmp_path / "odd.csv"
    text = frame.to_csv(index=False)
    lines = text.splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[1], "n/a", 1)
    lines[9] = ",".join([*lines[9].split(",")[:-1], ""])
    odd.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _plain_numeric(odd) is None
    assert _read_csv(odd).frame is not None
    rec = read_imu(odd, gyr_unit="deg/s")
    assert any("NaN" in w for w in rec.warnings)
    dup = tmp_path / "dup.csv"
    dup.write_text(text.replace("gyr_z", "gyr_y", 1), encoding="utf-8")
    assert _plain_numeric(dup) is None
    # The CLI on a plain CSV never imports pandas.
    probe = (
        "import sys\nfrom retrowalk.cli.main import app\n"
        f"app(['gait', 'imu', {str(plain)!r}, '--gyr-unit', 'deg/s', '--format', 'json'], "
        "standalone_mode=False)\nprint('pandas' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "False"
