"""IC evaluation against the Mobilise-D INDIP reference (shared by the test and the benchmark)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from retrowalk.gait.imu.icd import IcMatch, match_initial_contacts

DATA = Path(__file__).resolve().parents[1] / "data" / "mobilised"


def reference() -> dict[str, dict]:  # type: ignore[type-arg]
    return json.loads((DATA / "reference.json").read_text(encoding="utf-8"))


def evaluate(
    detect: Callable[[str], Sequence[float]], *, tolerance_s: float = 0.1
) -> tuple[IcMatch, list[float]]:
    """Match ICs inside each reference walking bout; per-bout absolute cadence errors (spm)."""
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
            ref_cad = 60.0 * (ref.size - 1) / (ref[-1] - ref[0])
            det_cad = 60.0 * (inside.size - 1) / (inside[-1] - inside[0]) if inside.size >= 2 else 0.0
            cad_err.append(abs(det_cad - ref_cad))
    return total, cad_err
