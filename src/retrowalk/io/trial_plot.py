"""Plot mean ± 95 % CI per arm over visits, one panel per outcome (edge: writes an image file)."""

from __future__ import annotations

import math
from pathlib import Path

from retrowalk.trial.analysis import TrialAnalysis
from retrowalk.trial.definition import TrialDefinition


def plot_means(
    definition: TrialDefinition, result: TrialAnalysis, path: Path, *, title: str | None = None
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(result.outcomes)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    days = {v.id: v.day for v in definition.visits}
    arms = [result.control_arm, *definition.treatment_arms]  # result comes from this definition
    labels = {a.id: a.label or a.id for a in definition.arms}
    for k, outcome in enumerate(result.outcomes):
        ax = axes[k // cols][k % cols]
        for j, arm in enumerate(arms):
            pts = [d for d in outcome.descriptives if d.arm == arm and d.summary.mean is not None]
            offset = (j - (len(arms) - 1) / 2) * 0.25  # keep error bars from hiding each other
            xs = [days[d.visit] + offset for d in pts]
            ys = [d.summary.mean for d in pts]
            lo = [
                (d.summary.mean or 0)
                - (d.summary.ci_low if d.summary.ci_low is not None else d.summary.mean or 0)
                for d in pts
            ]
            hi = [
                (d.summary.ci_high if d.summary.ci_high is not None else d.summary.mean or 0)
                - (d.summary.mean or 0)
                for d in pts
            ]
            ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, label=labels.get(arm, arm))
        ax.set_title(outcome.label + (" (primary)" if outcome.primary else ""), fontsize=9)
        ax.set_xlabel("study day")
        ax.set_ylabel(
            f"{outcome.unit} ({outcome.better} is better)" if outcome.unit else f"{outcome.better} is better",
            fontsize=8,
        )
        ax.set_xticks(sorted(days.values()))
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(title or f"{result.trial_id}: mean ± 95% CI ({result.population})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
