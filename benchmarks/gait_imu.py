"""Benchmark: retrowalk IMU initial contacts vs mobgap (peer) on every real set with reference events.

Run: PYTHONPATH=src python benchmarks/gait_imu.py   (mobgap from the ``bench`` extra; the gaitmap
set is read in place from ``../shared/data/gaitmap-example`` or ``$RETROWALK_SHARED_DIR``)

Sets and what they were used for (never tune on a set reported as held out):

- **Mobilise-D example** (``tests/data/mobilised``; 9 lower-back recordings, INDIP reference, from
  the mobgap 1.2.0 sdist): the *development* set of the trunk detector (IcdNormPeak) and the bout
  rules. Not held out.
- **gaitmap example** (two foot IMUs, motion-capture reference, MIT, from gaitmap): the
  *development* set of the foot/shank detector (IcdSwingImpact; the only real foot set found).
  Not held out.
- No held-out real set is available yet: none of the packages searched (mobgap, gaitmap-datasets,
  eargait, kielmat, gaitpy, gait-metrics, gaitkit, scikit-digital-health, multigait, mgait,
  kineticstoolkit, pykinematics, pyomeca, ezc3d, ahrs, opensim, gaitsetpy, gaitalytics,
  imt-diodem, mad-datasets and others; docs/imu.md lists them) ships further IMU recordings with
  reference events; docs/imu.md says how clinics can contribute some.

Accuracy: F1 (±0.1 s and ±0.2 s) of contacts inside each reference walking bout; timing bias =
median (detected − reference) of the pairs matched within ±0.1 s (negative = early); cadence
error = median absolute per-bout error against the reference bout cadence, each tool's own
cadence method on its contacts inside the bout (retrowalk: robust stride-time cadence; mobgap:
``CadFromIc``). mobgap's detectors are lower-back algorithms; on the foot set they are given one
foot sensor as if it were a lower-back one (its body frame), so their row shows what a
trunk detector does there, not a fault of mobgap.

Speed: both sides get their input already in memory in the format they need (retrowalk an
``ImuRecording``; mobgap a body-frame DataFrame); file reading and conversion are excluded for
both. Each detector processes all recordings of a set once (warm-up and score), then all
detectors run round-robin ``REPEATS`` times and each one's best (least disturbed) run is
reported. Then, for throughput beside the per-recording figure, retrowalk and the fastest
mobgap detector of that table on one long input (the Mobilise-D recordings end to end, repeated
to an hour), and a 24 h 100 Hz synthetic run of retrowalk alone.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "imu"))
from _imu_realdata import DATA, GAITMAP, reference

from retrowalk.gait.imu import ImuRecording, analyse, analyse_legs
from retrowalk.gait.imu.icd import IcMatch, match_initial_contacts
from retrowalk.gait.imu.params._algo import bout_cadence
from retrowalk.gait.imu.synthetic import make_walk
from retrowalk.io.imu import read_imu

warnings.filterwarnings("ignore")
REPEATS = 15


@dataclass(frozen=True)
class Bout:
    start_s: float
    end_s: float
    contacts_s: NDArray[np.float64]
    cadence_spm: float


Detect = Callable[[], dict[str, list[float]]]


@dataclass(frozen=True)
class Ours:
    label: str
    detect: Detect
    bouts: dict[str, list[Bout]] | None = None  # None: the set's reference
    contacts_per_stride: int = 2  # 1: one leg's contacts, scored against that leg's reference


@dataclass
class DataSet:
    name: str
    use: str
    recordings: dict[str, ImuRecording]  # what mobgap reads (one sensor per item)
    bouts: dict[str, list[Bout]]
    ours: list[Ours]


def _mobilised() -> DataSet:
    ref = reference()
    recs = {n: read_imu(DATA / f"{n}.csv.gz", acc_unit="g", gyr_unit="deg/s") for n in ref}
    bouts = {
        n: [
            Bout(wb["start_s"], wb["end_s"], np.asarray(wb["initial_contacts_s"]), wb["cadence_spm"])
            for wb in r["walking_bouts"]
            if len(wb["initial_contacts_s"]) >= 3
        ]
        for n, r in ref.items()
    }

    def waist() -> dict[str, list[float]]:
        return {n: analyse(r, placement="waist").initial_contacts_s for n, r in recs.items()}

    name = "Mobilise-D example, lower back (9 recordings)"
    return DataSet(name, "development", recs, bouts, [Ours("retrowalk analyse (waist)", waist)])


def _gaitmap() -> DataSet | None:
    if not (GAITMAP / "reference.json").exists():
        print(f"gaitmap example not found at {GAITMAP}; set skipped\n")
        return None
    ref = {r["side"]: r for r in json.loads((GAITMAP / "reference.json").read_text(encoding="utf-8"))}
    feet = {
        s: read_imu(GAITMAP / r["file"], acc_unit=r["acc_unit"], gyr_unit=r["gyr_unit"])
        for s, r in ref.items()
    }
    r0 = ref["left"]
    lo, hi = r0["score_window_s"]
    cad = r0["reference_cadence_spm"]
    both = Bout(lo, hi, np.asarray(r0["initial_contacts_both_feet_s"]), cad)
    one = {s: Bout(lo, hi, np.asarray(ref[s][f"initial_contacts_{s}_s"]), cad) for s in ref}

    def legs() -> dict[str, list[float]]:
        return {"left": analyse_legs(feet["left"], feet["right"], placement="foot").initial_contacts_s}

    def foot(side: str) -> Detect:
        return lambda: {side: analyse(feet[side], placement="foot").initial_contacts_s}

    ours = [Ours("retrowalk analyse_legs (two feet)", legs)] + [
        Ours(f"retrowalk analyse ({s} foot only, its contacts)", foot(s), {s: [one[s]]}, 1)
        for s in ("left", "right")
    ]
    name = "gaitmap example, two foot IMUs (1 walk)"
    return DataSet(name, "development", {"left": feet["left"]}, {"left": [both]}, ours)


def _score(
    detected: dict[str, Sequence[float]],
    bouts: dict[str, list[Bout]],
    cadence: Callable[..., float],
) -> dict[str, Any]:
    m1 = m2 = IcMatch(tp=0, fp=0, fn=0)
    offsets: list[float] = []
    cad_err: list[float] = []
    for name, bl in bouts.items():
        ics = np.asarray(detected[name], dtype=float)
        for b in bl:
            for tol in (0.1, 0.2):
                inside = ics[(ics >= b.start_s - tol) & (ics <= b.end_s + tol)]
                m = match_initial_contacts(inside, b.contacts_s, tolerance_s=tol)
                if tol == 0.1:
                    m1 = m1 + m
                    if inside.size:
                        d = (
                            inside[np.argmin(np.abs(inside[:, None] - b.contacts_s[None, :]), axis=0)]
                            - b.contacts_s
                        )
                        offsets.extend(d[np.abs(d) <= 0.1].tolist())
                    cad = cadence(name, inside, (b.start_s, b.end_s)) if inside.size >= 2 else 0.0
                    cad_err.append(abs(cad - b.cadence_spm))
                else:
                    m2 = m2 + m
    off = 1000 * np.asarray(offsets)
    q1, med, q3 = np.percentile(off, [25, 50, 75]) if off.size else (np.nan,) * 3
    return {
        "F1@0.1s": round(m1.f1, 3),
        "F1@0.2s": round(m2.f1, 3),
        "bias ms (median [IQR])": f"{med:+.0f} [{q1:+.0f}, {q3:+.0f}]",
        "cadence err (median spm)": round(float(np.median(cad_err)), 2),
    }


Entry = tuple[str, Detect, dict[str, list[Bout]], Callable[..., float]]
LONG_S = 3600.0


def _body_frame(rec: ImuRecording, to_body_frame: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """What mobgap reads: a body-frame DataFrame, gyroscope in deg/s."""
    assert rec.gyr is not None
    cols = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
    return to_body_frame(pd.DataFrame(np.column_stack([rec.acc, np.degrees(rec.gyr)]), columns=cols))


def _mobgap_entries(ds: DataSet) -> list[Entry]:
    try:
        from mobgap.cadence import CadFromIc
        from mobgap.initial_contacts import IcdHKLeeImproved, IcdIonescu, IcdShinImproved
        from mobgap.utils.conversions import to_body_frame
    except ImportError:
        print("mobgap not installed (pip install --group bench); peer rows skipped")
        return []

    frames = {n: _body_frame(r, to_body_frame) for n, r in ds.recordings.items()}

    def cadence(name: str, ics: NDArray[np.float64], bout: tuple[float, float]) -> float:
        rec = ds.recordings[name]
        fs = rec.sampling_rate_hz
        lo, hi = round((bout[0] - rec.start_s) * fs), round((bout[1] - rec.start_s) * fs) + 1
        ic = pd.DataFrame(
            {"ic": np.clip(np.round((ics - rec.start_s) * fs).astype(int) - lo, 0, hi - lo - 1)}
        )
        per_sec = CadFromIc().calculate(frames[name].iloc[lo:hi], initial_contacts=ic, sampling_rate_hz=fs)
        value = float(np.nanmean(per_sec.cadence_per_sec_["cadence_spm"]))
        return value if np.isfinite(value) else 0.0

    def run(algo: Any) -> Detect:
        def detect() -> dict[str, list[float]]:
            out = {}
            for n, df in frames.items():
                rec = ds.recordings[n]
                fs = rec.sampling_rate_hz
                ic = algo().detect(df, sampling_rate_hz=fs).ic_list_["ic"].to_numpy()
                out[n] = (rec.start_s + ic / fs).tolist()
            return out

        return detect

    algos = (IcdIonescu, IcdShinImproved, IcdHKLeeImproved)
    return [(f"mobgap {a.__name__}", run(a), ds.bouts, cadence) for a in algos]


def table(ds: DataSet) -> pd.DataFrame:
    """Score every detector, then time them round-robin (one run of each per round, best of
    ``REPEATS`` rounds), so a change in machine load hits all of them alike."""
    entries: list[Entry] = [
        (
            o.label,
            o.detect,
            o.bouts or ds.bouts,
            lambda n, t, b, k=o.contacts_per_stride: bout_cadence(t, contacts_per_stride=k),
        )
        for o in ds.ours
    ] + _mobgap_entries(ds)
    rows = [{"detector": label, **_score(det(), bouts, cad)} for label, det, bouts, cad in entries]
    best = [np.inf] * len(entries)
    for _ in range(REPEATS):
        for i, (_, det, _, _) in enumerate(entries):
            t0 = time.perf_counter()
            det()
            best[i] = min(best[i], time.perf_counter() - t0)
    t = pd.DataFrame(rows)
    t["wall ms"] = [round(1000 * b, 1) for b in best]
    t["time vs retrowalk"] = (t["wall ms"] / float(t.loc[0, "wall ms"])).round(1)  # type: ignore[arg-type]
    return t


def long_input(ds: DataSet, fastest: str) -> pd.DataFrame:
    """retrowalk and the fastest mobgap detector on one long input: the set's recordings end to
    end, repeated to ``LONG_S`` (both get exactly these samples), best of 3 round-robin runs."""
    from mobgap import initial_contacts
    from mobgap.utils.conversions import to_body_frame

    recs = list(ds.recordings.values())
    fs = recs[0].sampling_rate_hz
    assert all(r.sampling_rate_hz == fs and r.gyr is not None for r in recs)
    acc = np.concatenate([r.acc for r in recs])
    gyr = np.concatenate([r.gyr for r in recs if r.gyr is not None])
    reps = int(np.ceil(LONG_S * fs / acc.shape[0]))
    n = int(LONG_S * fs)
    rec = ImuRecording(acc=np.tile(acc, (reps, 1))[:n], gyr=np.tile(gyr, (reps, 1))[:n], sampling_rate_hz=fs)
    frame = _body_frame(rec, to_body_frame)
    algo = getattr(initial_contacts, fastest.removeprefix("mobgap "))
    runs: dict[str, Callable[[], object]] = {
        "retrowalk analyse (waist)": lambda: analyse(rec, placement="waist"),
        fastest: lambda: algo().detect(frame, sampling_rate_hz=fs),
    }
    best = dict.fromkeys(runs, np.inf)
    for _ in range(3):
        for label, run in runs.items():
            t0 = time.perf_counter()
            run()
            best[label] = min(best[label], time.perf_counter() - t0)
    ours = best["retrowalk analyse (waist)"]
    return pd.DataFrame(
        [
            {
                "detector": label,
                "input": f"{n / fs / 60:.0f} min, {n:,} samples",
                "wall s": round(b, 3),
                "M samples/s": round(n / b / 1e6, 2),
                "time vs retrowalk": round(b / ours, 1),
            }
            for label, b in best.items()
        ]
    )


def main() -> None:
    for ds in (_mobilised(), _gaitmap()):
        if ds is None:
            continue
        print(f"### {ds.name}: {ds.use} set\n")
        t = table(ds)
        print(t.to_markdown(index=False))
        print()
        peers = t[t["detector"].str.startswith("mobgap")]
        if ds.name.startswith("Mobilise-D") and len(peers):
            fastest = str(peers["detector"].iloc[int(np.argmin(peers["wall ms"].to_numpy()))])
            print(f"### The same recordings end to end, repeated to {LONG_S / 60:.0f} min (speed only)\n")
            print(long_input(ds, fastest).to_markdown(index=False))
            print()
    # 24 h at 100 Hz: a 10-minute synthetic walk tiled 144 times, one core.
    w = make_walk(cadence_spm=100, walk_s=590, stand_s=5, seed=1)
    reps = int(np.ceil(24 * 3600 * 100 / w.recording.n_samples))
    acc = np.tile(w.recording.acc, (reps, 1))[: 24 * 3600 * 100]
    day = ImuRecording(acc=acc, sampling_rate_hz=100.0)
    t0 = time.perf_counter()
    res = analyse(day, placement="waist")
    print(
        f"24 h @100 Hz ({day.n_samples:,} samples): {time.perf_counter() - t0:.2f} s, "
        f"{res.steps} steps in {len(res.bouts)} bouts, cadence {res.cadence_spm} spm"
    )


if __name__ == "__main__":
    main()
