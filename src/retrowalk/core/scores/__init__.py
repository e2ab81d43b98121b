"""Outcome scores: KOOS (+ short forms), NPRS and clinically important change."""

from retrowalk.core.scores.koos import (
    KOOS_ITEMS,
    Koos12Scores,
    KoosItem,
    KoosJrScore,
    KoosPsScore,
    KoosScores,
    score_koos,
    score_koos_12,
    score_koos_jr,
    score_koos_ps,
)

__all__ = [
    "KOOS_ITEMS",
    "Koos12Scores",
    "KoosItem",
    "KoosJrScore",
    "KoosPsScore",
    "KoosScores",
    "score_koos",
    "score_koos_12",
    "score_koos_jr",
    "score_koos_ps",
]
