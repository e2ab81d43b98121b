"""How the trial's estimates read in a table: one rounding rule for the web page and the CLI."""

from __future__ import annotations

#: Shown where there is no estimate (too few participants, a model that did not fit).
MISSING = "–"


def estimate_text(est: float | None, lo: float | None, hi: float | None, digits: int = 2) -> str:
    """An estimate with its confidence interval, e.g. ``1.20 (0.40 to 2.00)``."""
    if est is None:
        return MISSING
    if lo is None or hi is None:
        return f"{est:.{digits}f}"
    return f"{est:.{digits}f} ({lo:.{digits}f} to {hi:.{digits}f})"


def p_text(p: float | None) -> str:
    """A p-value to three places, ``<0.001`` below that."""
    if p is None:
        return MISSING
    return "<0.001" if p < 0.001 else f"{p:.3f}"
