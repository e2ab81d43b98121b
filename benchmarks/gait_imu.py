"""Benchmark: retrowalk IMU initial contacts vs mobgap (peer) on real Mobilise-D lower-back data.

Run: PYTHONPATH=src python benchmarks/gait_imu.py   (mobgap from the ``bench`` extra)

Accuracy: F1 (±0.1 s and ±0.2 s) of contacts inside the INDIP reference walking bouts, and the
median absolute per-bout cadence error against the INDIP bout cadence (mobgap's
``avg_cadence_spm``), as in mobgap's cadence evaluation. "own" = each tool's own cadence method
on its contacts inside the reference bout (retrowalk: robust stride-time cadence; mobgap:
``CadFromIc``, Hampel-filtered step times per second); "same" = retrowalk's estimator on
everybody's contacts, to separate detection from the cadence method.

Speed: both sides get their input already in memory in the format they need (retrowalk an
``ImuRecording``; mobgap a body-frame DataFrame); file reading and conversion are excluded for
both. Each detector processes all 9 recordings, once to warm up, then ``REPEATS`` times on one
core; the best (least disturbed) run is reported. Peak memory is a separate traced run
(tracemalloc; numba-compiled parts of mobgap are not counted). Then a 24 h 100 Hz synthetic run.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "imu"))
from _imu_realdata import DATA, Cadence, evaluate, reference, retrowalk_cadence

from retrowalk.gait.imu import ImuRecording, analyse
from retrowalk.gait.imu.icd import IcdNormPeak
from retrowalk.gait.imu.synthetic import make_walk
from retrowalk.io.imu import read_imu

warnings.filterwarnings("ignore")
REPEATS = 7
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


def _mobgap_cadence(frames: dict[str, pd.DataFrame]) -> Cadence:
    """mobgap's own cadence: ``CadFromIc`` on the reference bout, mean of the per-second values."""
    from mobgap.cadence import CadFromIc

    def cad(name: str, ics: NDArray[np.float64], bout: tuple[float, float]) -> float:
        fs = RECS[name].sampling_rate_hz
        lo, hi = round(bout[0] * fs), round(bout[1] * fs) + 1
        ic = pd.DataFrame({"ic": np.clip(np.round(ics * fs).astype(int) - lo, 0, hi - lo - 1)})
        per_sec = CadFromIc().calculate(frames[name].iloc[lo:hi], initial_contacts=ic, sampling_rate_hz=fs)
        value = float(np.nanmean(per_sec.cadence_per_sec_["cadence_spm"]))
        return value if np.isfinite(value) else 0.0

    return cad


def run(
    label: str, detect: Callable[[Any], Sequence[float]], inputs: dict[str, Any], own_cadence: Cadence
) -> dict[str, object]:
    out = {n: list(detect(x)) for n, x in inputs.items()}  # warm-up (and the result)
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for x in inputs.values():
            detect(x)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    for x in inputs.values():
        detect(x)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    m1, cad_own = evaluate(lambda n: out[n], tolerance_s=0.1, cadence=own_cadence)
    m2, cad_same = evaluate(lambda n: out[n], tolerance_s=0.2)
    return {
        "detector": label,
        "F1@0.1s": round(m1.f1, 3),
        "F1@0.2s": round(m2.f1, 3),
        "cadence err own (median spm)": round(float(np.median(cad_own)), 2),
        "cadence err same (median spm)": round(float(np.median(cad_same)), 2),
        "wall ms (9 recs)": round(1000 * min(times), 1),
        "peak MB": round(peak, 1),
    }


def main() -> None:
    rows = [
        run(
            "retrowalk analyse (waist)",
            lambda r: analyse(r, placement="waist").initial_contacts_s,
            RECS,
            retrowalk_cadence,
        ),
        run(
            "retrowalk IcdNormPeak (no bouts)",
            lambda r: IcdNormPeak().detect(r.acc, sampling_rate_hz=r.sampling_rate_hz) / r.sampling_rate_hz,
            RECS,
            retrowalk_cadence,
        ),
    ]
    try:
        from mobgap.initial_contacts import IcdHKLeeImproved, IcdIonescu, IcdShinImproved

        frames = {n: _mobgap_frame(r) for n, r in RECS.items()}
        for algo in (IcdIonescu, IcdShinImproved, IcdHKLeeImproved):
            rows.append(
                run(
                    f"mobgap {algo.__name__}",
                    lambda df, a=algo: (
                        a().detect(df, sampling_rate_hz=100.0).ic_list_["ic"].to_numpy() / 100.0
                    ),
                    frames,
                    _mobgap_cadence(frames),
                )
            )
    except ImportError:
        print("mobgap not installed (pip install --group bench); peer rows skipped")
    table = pd.DataFrame(rows)
    ours = float(table.loc[0, "wall ms (9 recs)"])  # type: ignore[arg-type]
    table["time vs retrowalk"] = (table["wall ms (9 recs)"] / ours).round(1)
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
