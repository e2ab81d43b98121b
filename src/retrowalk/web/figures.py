"""Context for the exercise-figure partial (templates/_exercise_figure.html).

The SVG strings come from the pure renderer (retrowalk.illustrations); this edge only marks them
safe for Jinja (they are generated from packaged data and escape every text they contain).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from retrowalk.core.exercises import ExerciseLibrary, load_library
from retrowalk.core.illustration import cues_per_pose, load_illustrations
from retrowalk.illustrations.svg import animated_svg, strip_svg


def exercise_figure(
    exercise_id: str, *, suffix: str = "", library: ExerciseLibrary | None = None
) -> dict[str, Any]:
    """What the ``exercise_figure`` macro needs; ``suffix`` keeps ids unique if one exercise shows twice."""
    lib = load_library() if library is None else library
    ex = lib.get(exercise_id)
    ill = load_illustrations().illustrations[exercise_id]
    steps = [
        {"label": pose.label, "cues": cues}
        for pose, cues in zip(ill.poses, cues_per_pose(ill, ex.cues), strict=True)
    ]
    return {
        "dom_id": "fig-" + exercise_id.replace("_", "-") + (f"-{suffix}" if suffix else ""),
        "name": ex.name,
        "cues": list(ex.cues),
        "steps": steps,
        "svg": Markup(animated_svg(exercise_id, ex.name, ex.cues, suffix=suffix)),
        "strip": Markup(strip_svg(exercise_id, ex.name, ex.cues)),
    }
