"""IC and cadence evaluation against the Mobilise-D INDIP reference (shared by test and benchmark).

Contacts are matched inside each reference walking bout. Cadence is compared per reference bout
against the INDIP bout cadence (``cadence_spm``, mobgap's ``avg_cadence_spm``), as mobgap's own
cadence evaluation does; each detector's cadence comes from its contacts inside the bout, by the
cadence method of its own pipeline (``cadence`` callable).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from retrowalk.gait.imu.icd import IcMatch, match_initial_contacts
from retrowalk.gait.imu.params._algo import bout_cadence

DATA = Path(__file__).resolve().parents[1] / "data" / "mobilised"
# The project's shared/ folder sits beside the clone (``../shared``); RETROWALK_SHARED_DIR overrides.
SHARED = Path(os.environ.get("RETROWALK_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")
GAITMAP = SHARED / "data" / "gaitmap-example"

Cadence = Callable[[str, NDArray[np.float64], tuple[float, float]], float]


def reference() -> dict[str, dict]:  # type: ignore[type-arg]
    return json.loads((DATA / "reference.json").read_text(encoding="utf-8"))


def retrowalk_cadence(name: str, ics: NDArray[np.float64], bout: tuple[float, float]) -> float:
    return bout_cadence(ics)


def evaluate(
    detect: Callable[[str], Sequence[float]],
    *,
    tolerance_s: float = 0.1,
    cadence: Cadence = retrowalk_cadence,
) -> tuple[IcMatch, list[float]]:
    """Match ICs inside each reference walking bout; per-bout absolute cadence errors (spm).

    A bout where the detector finds fewer than two contacts counts as cadence 0 (full error).
    """
    total = IcMatch(tp=0, fp=0, fn=0)
    cad_err: list[float] = []
    for name, rec in reference().items():
        ics = np.asarray(detect(name), dtype=float)
        for wb in rec["walking_bouts"]:
            ref = np.asarray(wb["initial_contacts_s"])
            if ref.size < 3:
                continue
            inside = ics[(ics >= wb["start_s"] - tolerance_s) & (ics <= wb["end_s"] + tolerance_s)]
            total = total + match_initial_contacts(inside, ref, tolerance_s=tolerance_s)
            det_cad = cadence(name, inside, (wb["start_s"], wb["end_s"])) if inside.size >= 2 else 0.0
            cad_err.append(abs(det_cad - wb["cadence_spm"]))
    return total, cad_err
