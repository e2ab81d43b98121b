"""Inputs and outputs the pipeline's results are pinned on (shared by the test and its writer).

Every recording the project has with reference events (the 9 Mobilise-D lower-back ones, the
gaitmap feet when present) and synthetic walks, each analysed at the placements whose detectors,
filters and direction step it exercises; the output is everything a result model reports plus
the detectors' raw candidate contacts (sample indices). ``python tests/imu/_pinned.py`` rewrites
``data/pinned_results.json`` from the code as it is: run it only when a change of results is
intended and reviewed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _imu_realdata import DATA, GAITMAP, reference

from retrowalk.gait.imu import ImuRecording, analyse, analyse_legs
from retrowalk.gait.imu.pipeline import NORM_PEAK, SWING_IMPACT
from retrowalk.gait.imu.synthetic import make_walk
from retrowalk.io.imu import read_imu

PINNED = Path(__file__).resolve().parent / "data" / "pinned_results.json"
SYNTHETIC = [
    {"cadence_spm": 60 + 12 * seed, "placement": placement, "direction": direction, "seed": seed}
    for seed in (1, 2, 3, 4)
    for placement in ("waist", "thigh", "shank", "foot")
    for direction in ("forward", "backward")
]


def _outputs(rec: ImuRecording, placement: str) -> dict[str, Any]:
    fs = rec.sampling_rate_hz
    if placement in ("foot", "shank"):
        cand = SWING_IMPACT.detect(rec.acc, gyr=rec.gyr, sampling_rate_hz=fs)
    else:
        cand = NORM_PEAK.detect(rec.acc, sampling_rate_hz=fs)
    return {"candidates": cand.tolist(), "result": analyse(rec, placement=placement).model_dump(mode="json")}


def cases() -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, outputs) of every pinned case, computed by the current code."""
    for name in reference():
        rec = read_imu(DATA / f"{name}.csv.gz", acc_unit="g", gyr_unit="deg/s")
        for placement in ("waist", "thigh", "shank"):
            yield f"mobilised/{name}/{placement}", _outputs(rec, placement)
    if (GAITMAP / "reference.json").exists():
        ref = {r["side"]: r for r in json.loads((GAITMAP / "reference.json").read_text(encoding="utf-8"))}
        feet = {
            s: read_imu(GAITMAP / r["file"], acc_unit=r["acc_unit"], gyr_unit=r["gyr_unit"])
            for s, r in ref.items()
        }
        for side, rec in feet.items():
            for placement in ("foot", "shank", "waist"):
                yield f"gaitmap/{side}/{placement}", _outputs(rec, placement)
        for placement in ("foot", "shank"):
            legs = analyse_legs(feet["left"], feet["right"], placement=placement)
            yield f"gaitmap/legs/{placement}", {"result": legs.model_dump(mode="json")}
    for spec in SYNTHETIC:
        w = make_walk(
            cadence_spm=spec["cadence_spm"],
            placement=spec["placement"],
            direction=spec["direction"],
            seed=spec["seed"],
            walk_s=30,
            noise=0.1,
        )
        name = "synthetic/{cadence_spm}/{placement}/{direction}/{seed}".format(**spec)
        yield name, _outputs(w.recording, str(spec["placement"]))


if __name__ == "__main__":
    PINNED.write_text(json.dumps(dict(cases()), indent=None, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {PINNED} ({PINNED.stat().st_size:,} bytes)")
