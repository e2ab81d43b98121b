"""Benchmark: retrowalk IMU initial contacts vs mobgap (peer) on real Mobilise-D lower-back data.

Run: PYTHONPATH=src python benchmarks/gait_imu.py   (mobgap from the ``bench`` extra)
Prints F1 (±0.1 s and ±0.2 s, inside the INDIP reference walking bouts), median absolute cadence
error per bout, wall time, peak traced memory and the speed ratio; then a 24 h 100 Hz synthetic run.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "imu"))
from _imu_realdata import DATA, evaluate, reference

from retrowalk.gait.imu import ImuRecording, analyse
from retrowalk.gait.imu.icd import IcdNormPeak
from retrowalk.gait.imu.synthetic import make_walk
from retrowalk.io.imu import read_imu

warnings.filterwarnings("ignore")
NAMES = list(reference())
RECS = {n: read_imu(DATA / f"{n}.csv.gz", acc_unit="g", gyr_unit="deg/s") for n in NAMES}


def _mobgap_frame(rec: ImuRecording) -> pd.DataFrame:
    from mobgap.utils.conversions import to_body_frame

    assert rec.gyr is not None
    df = pd.DataFrame(
        np.column_stack([rec.acc, np.degrees(rec.gyr)]),
        columns=["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"],
    )
    return to_body_frame(df)


def run(label: str, detect: Callable[[ImuRecording], Sequence[float]]) -> dict[str, object]:
    out: dict[str, list[float]] = {}
    tracemalloc.start()
    t0 = time.perf_counter()
    for n, rec in RECS.items():
        out[n] = list(detect(rec))
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    m1, cad = evaluate(lambda n: out[n], tolerance_s=0.1)
    m2, _ = evaluate(lambda n: out[n], tolerance_s=0.2)
    return {
        "detector": label,
        "F1@0.1s": round(m1.f1, 3),
        "F1@0.2s": round(m2.f1, 3),
        "cadence err (median spm)": round(float(np.median(cad)), 2),
        "wall s": round(wall, 3),
        "peak MB": round(peak, 1),
    }


def main() -> None:
    rows = [
        run("retrowalk analyse (waist)", lambda r: analyse(r, placement="waist").initial_contacts_s),
        run(
            "retrowalk IcdNormPeak (no bouts)",
            lambda r: IcdNormPeak().detect(r.acc, sampling_rate_hz=r.sampling_rate_hz) / r.sampling_rate_hz,
        ),
    ]
    try:
        from mobgap.initial_contacts import IcdHKLeeImproved, IcdIonescu, IcdShinImproved

        for algo in (IcdIonescu, IcdShinImproved, IcdHKLeeImproved):
            rows.append(
                run(
                    f"mobgap {algo.__name__}",
                    lambda r, a=algo: (  # type: ignore[misc]
                        a()
                        .detect(_mobgap_frame(r), sampling_rate_hz=r.sampling_rate_hz)
                        .ic_list_["ic"]
                        .to_numpy()
                        / r.sampling_rate_hz
                    ),
                )
            )
    except ImportError:
        print("mobgap not installed (pip install -e '.[bench]'); peer rows skipped")
    table = pd.DataFrame(rows)
    ours = float(table.loc[0, "wall s"])  # type: ignore[arg-type]
    table["time vs retrowalk"] = (table["wall s"] / ours).round(1)
    print(table.to_markdown(index=False))

    # 24 h at 100 Hz: a 10-minute synthetic walk tiled 144 times, one core.
    w = make_walk(cadence_spm=100, walk_s=590, stand_s=5, seed=1)
    reps = int(np.ceil(24 * 3600 * 100 / w.recording.n_samples))
    acc = np.tile(w.recording.acc, (reps, 1))[: 24 * 3600 * 100]
    day = ImuRecording(acc=acc, sampling_rate_hz=100.0)
    t0 = time.perf_counter()
    res = analyse(day, placement="waist")
    print(
        f"\n24 h @100 Hz ({day.n_samples:,} samples): {time.perf_counter() - t0:.2f} s, "
        f"{res.steps} steps in {len(res.bouts)} bouts, cadence {res.cadence_spm} spm"
    )


if __name__ == "__main__":
    main()
