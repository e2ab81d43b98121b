"""Provenance: how the files in this folder were made from the mobgap 1.2.0 sdist (not run by tests).

    pip download mobgap==1.2.0 --no-deps --no-binary :all:
    tar xzf mobgap-1.2.0.tar.gz
    python tests/data/mobilised/make_data.py mobgap-1.2.0/example_data/data/lab

Writes one generic-CSV recording per trial (lower-back IMU, acc in g, gyr in deg/s, 100 Hz)
and reference.json with the INDIP reference walking bouts (MicroWB) and initial contacts (s).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import scipy.io as sio


def main(root: Path) -> None:
    out = Path(__file__).resolve().parent
    reference: dict[str, object] = {}
    for mat in sorted(root.glob("*/*/data.mat")):
        cohort, pid = mat.parent.parent.name, mat.parent.name
        data = sio.loadmat(mat, simplify_cells=True)["data"]
        for tm, tests in data.items():
            for test, trials in tests.items():
                for trial, v in trials.items():
                    lb = v["SU"]["LowerBack"]
                    fs = float(lb["Fs"]["Acc"])
                    acc, gyr = np.asarray(lb["Acc"]), np.asarray(lb["Gyr"])
                    t = np.arange(acc.shape[0]) / fs
                    name = f"{cohort}_{pid}_{tm}_{test}_{trial}"
                    rows = np.column_stack([t, acc, gyr])
                    with gzip.open(out / f"{name}.csv.gz", "wt", encoding="utf-8") as fh:
                        fh.write("time_s,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z\n")
                        np.savetxt(fh, rows, fmt=["%.2f"] + ["%.4f"] * 3 + ["%.3f"] * 3, delimiter=",")
                    wbs = v["Standards"]["INDIP"]["MicroWB"]
                    wbs = [wbs] if isinstance(wbs, dict) else list(wbs)
                    reference[name] = {
                        "cohort": cohort,
                        "sampling_rate_hz": fs,
                        "acc_unit": "g",
                        "gyr_unit": "deg/s",
                        "walking_bouts": [
                            {
                                "start_s": float(w["Start"]),
                                "end_s": float(w["End"]),
                                "cadence_spm": float(w["Cadence"]),
                                "initial_contacts_s": [
                                    float(x)
                                    for x in np.atleast_1d(w["InitialContact_Event"])
                                    if np.isfinite(x)
                                ],
                            }
                            for w in wbs
                        ],
                    }
    (out / "reference.json").write_text(json.dumps(reference, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
