"""Clinically important change between two time points (values + citations in data/mcid.yaml)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from retrowalk.core._data import load_yaml
from retrowalk.core.scores.koos import SUBSCALES, KoosScores
from retrowalk.errors import DataFileError, InputError

Direction = Literal["lower_is_better", "higher_is_better"]
_RANGES: dict[str, tuple[float, float]] = {"nprs": (0.0, 10.0)}


class ChangeFlag(BaseModel):
    """One threshold applied to one change; ``improved``/``worsened`` = reached in that direction."""

    instrument: str
    value_set: str
    label: str
    before: float
    after: float
    change: float
    improvement: float
    percent_improvement: float | None
    threshold_absolute: float | None
    threshold_percent: float | None
    improved: bool
    worsened: bool
    source: str
    certainty: str


def instruments() -> list[str]:
    return sorted(load_yaml("mcid.yaml")["instruments"])


def _instrument(instrument: str) -> dict[str, Any]:
    table = load_yaml("mcid.yaml")["instruments"]
    if instrument not in table:
        raise InputError(
            "instrument", f"no MCID values for {instrument!r}", hint=f"use one of {sorted(table)}"
        )
    info: dict[str, Any] = table[instrument]
    return info


def _pick_set(instrument: str, info: dict[str, Any], value_set: str | None) -> tuple[str, dict[str, Any]]:
    sets: dict[str, Any] = info["sets"]
    if value_set is not None:
        if value_set not in sets:
            raise InputError(
                "value_set", f"{instrument} has no value set {value_set!r}", hint=f"use one of {sorted(sets)}"
            )
        return value_set, sets[value_set]
    defaults = [name for name, s in sets.items() if s.get("default")]
    if len(defaults) != 1:
        raise DataFileError(f"mcid.yaml: {instrument} needs exactly one default value set")
    return defaults[0], sets[defaults[0]]


def _check(value: Any, field: str, instrument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(field, f"expected a number, got {type(value).__name__}")
    rng = _instrument(instrument).get("range")
    low, high = (float(rng[0]), float(rng[1])) if rng else _RANGES.get(instrument, (0.0, 100.0))
    if not low <= float(value) <= high:
        raise InputError(field, f"{value} is outside {low:g}-{high:g} for {instrument}")
    return float(value)


def change_flags(
    instrument: str, before: float, after: float, *, value_set: str | None = None
) -> list[ChangeFlag]:
    """Apply every rule of the chosen (or default) value set to the change before -> after."""
    info = _instrument(instrument)
    b = _check(before, "before", instrument)
    a = _check(after, "after", instrument)
    name, chosen = _pick_set(instrument, info, value_set)
    direction: Direction = info["direction"]
    improvement = (b - a) if direction == "lower_is_better" else (a - b)
    # percent change relative to the room for improvement's reference: baseline value (Salaffi/Farrar).
    percent = (improvement / b * 100.0) if (direction == "lower_is_better" and b > 0) else None
    flags: list[ChangeFlag] = []
    for rule in chosen["rules"]:
        absolute = rule.get("absolute")
        pct = rule.get("percent")

        def reached(
            amount: float, percent_amount: float | None, absolute: Any = absolute, pct: Any = pct
        ) -> bool:
            hit_abs = absolute is not None and amount >= float(absolute) - 1e-9
            hit_pct = pct is not None and percent_amount is not None and percent_amount >= float(pct) - 1e-9
            return hit_abs or hit_pct

        flags.append(
            ChangeFlag(
                instrument=instrument,
                value_set=name,
                label=rule["label"],
                before=b,
                after=a,
                change=round(a - b, 4),
                improvement=round(improvement, 4),
                percent_improvement=None if percent is None else round(percent, 2),
                threshold_absolute=absolute,
                threshold_percent=pct,
                improved=reached(improvement, percent),
                worsened=reached(-improvement, None if percent is None else -percent),
                source=chosen["source"],
                certainty=chosen["certainty"],
            )
        )
    return flags


def koos_change_flags(
    before: KoosScores, after: KoosScores, *, value_set: str | None = None
) -> dict[str, list[ChangeFlag]]:
    """Per-subscale flags; subscales missing at either time point are left out."""
    out: dict[str, list[ChangeFlag]] = {}
    for sub in SUBSCALES:
        b, a = getattr(before, sub), getattr(after, sub)
        if b is None or a is None:
            continue
        inst = f"koos_{sub}"
        sets = _instrument(inst)["sets"]
        out[sub] = change_flags(inst, b, a, value_set=value_set if value_set in sets else None)
    return out


def instrument_for(trial_instrument: str | None) -> str | None:
    """The MCID instrument a trial outcome's ``instrument`` names (``vas_10cm`` -> ``vas``), if any."""
    if trial_instrument is None:
        return None
    table = load_yaml("mcid.yaml")["instruments"]
    if trial_instrument in table:
        return trial_instrument
    return next((k for k, v in table.items() if trial_instrument in v.get("trial_instruments", [])), None)


def instrument_range(instrument: str) -> tuple[float, float] | None:
    """The scale range of an MCID instrument (VAS 0-10 cm, WOMAC 0-96, NPRS 0-10), if it has one."""
    info = load_yaml("mcid.yaml")["instruments"].get(instrument, {})
    rng = info.get("range")
    if rng:
        return float(rng[0]), float(rng[1])
    return _RANGES.get(instrument)
