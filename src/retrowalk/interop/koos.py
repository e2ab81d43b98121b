"""KOOS item metadata as the FHIR layer needs it (ids, subscale, text, ordered answer labels).

English original numbering (clinical-facts §1.1). The label order matters: S4 and S5 run
Always(0) … Never(4) because those questions are worded positively, so importing answers by label
must use each item's own label list, never a shared one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

NEVER_ALWAYS: Final = ("Never", "Rarely", "Sometimes", "Often", "Always")
ALWAYS_NEVER: Final = ("Always", "Often", "Sometimes", "Rarely", "Never")
SEVERITY: Final = ("None", "Mild", "Moderate", "Severe", "Extreme")
P1_FREQ: Final = ("Never", "Monthly", "Weekly", "Daily", "Always")
Q1_FREQ: Final = ("Never", "Monthly", "Weekly", "Daily", "Constantly")
Q2_LABELS: Final = ("Not at all", "Mildly", "Moderately", "Severely", "Totally")
Q3_LABELS: Final = ("Not at all", "Mildly", "Moderately", "Severely", "Extremely")

SUBSCALES: Final = ("symptoms", "pain", "adl", "sport_rec", "qol")
SUBSCALE_TITLES: Final = {
    "symptoms": "Symptoms",
    "pain": "Pain",
    "adl": "Function, daily living",
    "sport_rec": "Function, sports and recreational activities",
    "qol": "Quality of life",
}
_PREFIX_SUBSCALE: Final = {"S": "symptoms", "P": "pain", "A": "adl", "SP": "sport_rec", "Q": "qol"}


@dataclass(frozen=True)
class KoosItem:
    id: str
    subscale: str
    text: str
    labels: tuple[str, str, str, str, str]


_ITEM_TEXT: Final[tuple[tuple[str, str, tuple[str, str, str, str, str]], ...]] = (
    ("S1", "Do you have swelling in your knee?", NEVER_ALWAYS),
    (
        "S2",
        "Do you feel grinding, hear clicking or any other type of noise when your knee moves?",
        NEVER_ALWAYS,
    ),
    ("S3", "Does your knee catch or hang up when moving?", NEVER_ALWAYS),
    ("S4", "Can you straighten your knee fully?", ALWAYS_NEVER),
    ("S5", "Can you bend your knee fully?", ALWAYS_NEVER),
    ("S6", "How severe is your knee joint stiffness after first wakening in the morning?", SEVERITY),
    ("S7", "How severe is your knee stiffness after sitting, lying or resting later in the day?", SEVERITY),
    ("P1", "How often do you experience knee pain?", P1_FREQ),
    ("P2", "Knee pain: twisting/pivoting on your knee", SEVERITY),
    ("P3", "Knee pain: straightening knee fully", SEVERITY),
    ("P4", "Knee pain: bending knee fully", SEVERITY),
    ("P5", "Knee pain: walking on flat surface", SEVERITY),
    ("P6", "Knee pain: going up or down stairs", SEVERITY),
    ("P7", "Knee pain: at night while in bed", SEVERITY),
    ("P8", "Knee pain: sitting or lying", SEVERITY),
    ("P9", "Knee pain: standing upright", SEVERITY),
    ("A1", "Difficulty: descending stairs", SEVERITY),
    ("A2", "Difficulty: ascending stairs", SEVERITY),
    ("A3", "Difficulty: rising from sitting", SEVERITY),
    ("A4", "Difficulty: standing", SEVERITY),
    ("A5", "Difficulty: bending to floor/pick up an object", SEVERITY),
    ("A6", "Difficulty: walking on flat surface", SEVERITY),
    ("A7", "Difficulty: getting in/out of car", SEVERITY),
    ("A8", "Difficulty: going shopping", SEVERITY),
    ("A9", "Difficulty: putting on socks/stockings", SEVERITY),
    ("A10", "Difficulty: rising from bed", SEVERITY),
    ("A11", "Difficulty: taking off socks/stockings", SEVERITY),
    ("A12", "Difficulty: lying in bed (turning over, maintaining knee position)", SEVERITY),
    ("A13", "Difficulty: getting in/out of bath", SEVERITY),
    ("A14", "Difficulty: sitting", SEVERITY),
    ("A15", "Difficulty: getting on/off toilet", SEVERITY),
    ("A16", "Difficulty: heavy domestic duties", SEVERITY),
    ("A17", "Difficulty: light domestic duties", SEVERITY),
    ("SP1", "Difficulty: squatting", SEVERITY),
    ("SP2", "Difficulty: running", SEVERITY),
    ("SP3", "Difficulty: jumping", SEVERITY),
    ("SP4", "Difficulty: twisting/pivoting on your injured knee", SEVERITY),
    ("SP5", "Difficulty: kneeling", SEVERITY),
    ("Q1", "How often are you aware of your knee problem?", Q1_FREQ),
    (
        "Q2",
        "Have you modified your life style to avoid potentially damaging activities to your knee?",
        Q2_LABELS,
    ),
    ("Q3", "How much are you troubled with lack of confidence in your knee?", Q3_LABELS),
    ("Q4", "In general, how much difficulty do you have with your knee?", SEVERITY),
)


def _subscale(item_id: str) -> str:
    prefix = item_id.rstrip("0123456789")
    return _PREFIX_SUBSCALE[prefix]


KOOS_FHIR_ITEMS: Final[tuple[KoosItem, ...]] = tuple(
    KoosItem(item_id, _subscale(item_id), text, labels) for item_id, text, labels in _ITEM_TEXT
)
KOOS_ITEM_IDS: Final[frozenset[str]] = frozenset(item.id for item in KOOS_FHIR_ITEMS)
ITEM_BY_ID: Final[dict[str, KoosItem]] = {item.id: item for item in KOOS_FHIR_ITEMS}

_ALIAS_PREFIXES: Final = {
    "s": "S",
    "symptom": "S",
    "symptoms": "S",
    "p": "P",
    "pain": "P",
    "a": "A",
    "adl": "A",
    "sp": "SP",
    "sport": "SP",
    "sportrec": "SP",
    "sports": "SP",
    "q": "Q",
    "qol": "Q",
}


def canonical_item_id(link_id: str) -> str | None:
    """Map a foreign linkId in English numbering ("P1", "koos-p1", "KOOS_SP_3") to "P1".

    Only the English original numbering is understood; translations that renumber items
    (e.g. the Dutch version, where Sy1 is stiffness) need an explicit item map, so "Sy1" is
    deliberately not recognised.
    """
    text = re.sub(r"[^a-z0-9]", "", link_id.lower())
    text = text.removeprefix("koos")
    match = re.fullmatch(r"([a-z]+)(\d{1,2})", text)
    if not match:
        return None
    prefix = _ALIAS_PREFIXES.get(match.group(1))
    if prefix is None:
        return None
    candidate = f"{prefix}{int(match.group(2))}"
    return candidate if candidate in KOOS_ITEM_IDS else None
