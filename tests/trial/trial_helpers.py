"""Builders shared by the trial tests (small hand-made definitions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from retrowalk.trial.definition import TrialDefinition

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "trial"


def small_definition(**overrides: Any) -> TrialDefinition:
    raw: dict[str, Any] = {
        "id": "t1",
        "arms": [{"id": "A"}, {"id": "B"}],
        "control_arm": "A",
        "outcomes": [{"id": "pain", "better": "lower", "min": 0, "max": 10, "primary": True}],
        "visits": [
            {"id": "v0", "day": 0},
            {"id": "v1", "day": 7, "window_before": 1, "window_after": 1},
            {"id": "v2", "day": 21, "window_before": 2, "window_after": 2},
        ],
        "stratification": [{"name": "sex", "levels": ["M", "F"]}],
        "target_size": 12,
    }
    raw.update(overrides)
    return TrialDefinition.model_validate(raw)
