"""KOOS item metadata as the FHIR layer needs it (ids, subscale, text, ordered answer labels).

Ids, subscales and answer labels come from the core instrument (``retrowalk.core.scores.koos``);
only the FHIR item text differs for some items. English original numbering (clinical-facts §1.1).
The label order matters: S4 and S5 run Always(0) … Never(4) because those questions are worded
positively, so importing answers by label must use each item's own label list, never a shared one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from retrowalk.core.scores.koos import KOOS_ITEMS
from retrowalk.core.scores.koos import SUBSCALE_TITLES as CORE_SUBSCALE_TITLES

NEVER_ALWAYS: Final = ("Never", "Rarely", "Sometimes", "Often", "Always")
ALWAYS_NEVER: Final = ("Always", "Often", "Sometimes", "Rarely", "Never")

SUBSCALES: Final = ("symptoms", "pain", "adl", "sport_rec", "qol")
#: The core's subscale titles (one set for pages, reports and FHIR).
SUBSCALE_TITLES: Final = CORE_SUBSCALE_TITLES


@dataclass(frozen=True)
class KoosItem:
    id: str
    subscale: str
    text: str
    labels: tuple[str, str, str, str, str]


#: Item text used in FHIR exports where it differs from the core's wording (``core/data/koos.yaml``).
#: Kept so exported Questionnaires stay as they were; ids, subscales and labels come from the core.
_FHIR_TEXT: Final[dict[str, str]] = {
    "P2": "Knee pain: twisting/pivoting on your knee",
    "P3": "Knee pain: straightening knee fully",
    "P4": "Knee pain: bending knee fully",
    "P5": "Knee pain: walking on flat surface",
    "P6": "Knee pain: going up or down stairs",
    "P7": "Knee pain: at night while in bed",
    "P8": "Knee pain: sitting or lying",
    "P9": "Knee pain: standing upright",
    "A1": "Difficulty: descending stairs",
    "A2": "Difficulty: ascending stairs",
    "A3": "Difficulty: rising from sitting",
    "A4": "Difficulty: standing",
    "A5": "Difficulty: bending to floor/pick up an object",
    "A6": "Difficulty: walking on flat surface",
    "A7": "Difficulty: getting in/out of car",
    "A8": "Difficulty: going shopping",
    "A9": "Difficulty: putting on socks/stockings",
    "A10": "Difficulty: rising from bed",
    "A11": "Difficulty: taking off socks/stockings",
    "A12": "Difficulty: lying in bed (turning over, maintaining knee position)",
    "A13": "Difficulty: getting in/out of bath",
    "A14": "Difficulty: sitting",
    "A15": "Difficulty: getting on/off toilet",
    "A16": "Difficulty: heavy domestic duties",
    "A17": "Difficulty: light domestic duties",
    "SP1": "Difficulty: squatting",
    "SP2": "Difficulty: running",
    "SP3": "Difficulty: jumping",
    "SP4": "Difficulty: twisting/pivoting on your injured knee",
    "SP5": "Difficulty: kneeling",
    "Q2": "Have you modified your life style to avoid potentially damaging activities to your knee?",
}

KOOS_FHIR_ITEMS: Final[tuple[KoosItem, ...]] = tuple(
    KoosItem(item.id, item.subscale, _FHIR_TEXT.get(item.id, item.text), item.labels) for item in KOOS_ITEMS
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
