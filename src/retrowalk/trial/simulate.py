"""Seeded simulation of a trial data set from ASSUMED parameters (never real patients).

Model per outcome: value = baseline_mean + change[arm][visit] + b_i + e_iv with a random
intercept b_i ~ N(0, between_sd) and residual e ~ N(0, residual_sd), clipped to the outcome's
range and rounded. The true between-arm difference in change is therefore known, which lets the
analysis be checked against it.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from retrowalk.errors import InputError
from retrowalk.trial.definition import TrialDefinition

SIMULATED_BANNER = "SIMULATED DATA - not patient data; parameters are assumptions, see the spec file"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutcomeParams(_Strict):
    baseline_mean: float
    between_sd: float = Field(gt=0, description="SD of the participant random intercept.")
    residual_sd: float = Field(gt=0, description="Visit-to-visit SD within a participant.")
    change: dict[str, dict[str, float]] = Field(
        description="Mean change from baseline: arm -> follow-up visit -> change."
    )
    decimals: int = Field(default=1, ge=0, le=4)


class Withdrawal(_Strict):
    arm: str
    count: int = Field(ge=0)
    after_visit: str = Field(description="Last visit attended; later visits have no data.")
    reason: str = "lost to follow-up"


class SimulationSpec(_Strict):
    seed: int = Field(ge=0)
    label: str = SIMULATED_BANNER
    enrolment: dict[str, dict[str, int]] = Field(
        description="arm -> stratum level (of the single stratification factor) -> participants."
    )
    outcomes: dict[str, OutcomeParams]
    sessions_per_week: dict[str, int] = Field(default_factory=dict, description="Prescribed, per arm.")
    adherence_beta: tuple[float, float] = Field(
        default=(9.0, 1.5), description="Beta(a, b) of each participant's probability of doing a session."
    )
    withdrawals: list[Withdrawal] = Field(default_factory=list)
    medication_change_probability: float = Field(default=0.1, ge=0, le=1)

    @model_validator(mode="after")
    def _arms(self) -> SimulationSpec:
        if not self.enrolment:
            raise ValueError("enrolment must list at least one arm")
        return self


def _check(definition: TrialDefinition, spec: SimulationSpec) -> None:
    arms = set(definition.arm_ids)
    follow = [v.id for v in definition.visits[1:]]
    if len(definition.stratification) > 1:
        raise InputError("stratification", "the simulator supports at most one stratification factor")
    for arm in spec.enrolment:
        if arm not in arms:
            raise InputError(f"enrolment.{arm}", "unknown arm", hint=f"use {', '.join(arms)}")
    for oid, params in spec.outcomes.items():
        try:
            definition.outcome(oid)
        except KeyError:
            raise InputError(f"outcomes.{oid}", "not an outcome of the trial definition") from None
        for arm in spec.enrolment:
            missing = [v for v in follow if v not in params.change.get(arm, {})]
            if missing:
                raise InputError(f"outcomes.{oid}.change.{arm}", f"missing visits {', '.join(missing)}")
    for w in spec.withdrawals:
        if w.arm not in arms:
            raise InputError("withdrawals.arm", f"unknown arm {w.arm!r}")
        if w.after_visit not in [v.id for v in definition.visits[:-1]]:
            raise InputError("withdrawals.after_visit", f"{w.after_visit!r} is not a visit before the last")


def true_difference_in_change(
    spec: SimulationSpec, outcome: str, treatment: str, control: str, visit: str
) -> float:
    """The simulated (true) treatment − control difference in mean change at ``visit``."""
    ch = spec.outcomes[outcome].change
    return ch[treatment][visit] - ch[control][visit]


def simulate(definition: TrialDefinition, spec: SimulationSpec) -> list[dict[str, str]]:
    """Long-format rows (text cells, CSV-ready) in the layout ``retrowalk trial analyse`` reads."""
    _check(definition, spec)
    rng = np.random.default_rng(spec.seed)
    factor = definition.stratification[0].name if definition.stratification else None
    visits = definition.visits
    rows: list[dict[str, str]] = []
    pid_no = 0
    participants: list[tuple[str, str, str]] = []
    for arm, per_level in spec.enrolment.items():
        for level, count in per_level.items():
            for _ in range(count):
                pid_no += 1
                participants.append((f"P{pid_no:03d}", arm, level))
    order = rng.permutation(len(participants))
    participants = [participants[i] for i in order]
    participants = [(f"P{i + 1:03d}", arm, level) for i, (_, arm, level) in enumerate(participants)]

    withdrawn: dict[str, Withdrawal] = {}
    for w in spec.withdrawals:
        pool = [p for p, arm, _ in participants if arm == w.arm and p not in withdrawn]
        for p in rng.choice(pool, size=min(w.count, len(pool)), replace=False):
            withdrawn[str(p)] = w

    for pid, arm, level in participants:
        intercepts = {oid: rng.normal(0, prm.between_sd) for oid, prm in spec.outcomes.items()}
        p_adhere = float(rng.beta(*spec.adherence_beta))
        last = withdrawn[pid].after_visit if pid in withdrawn else visits[-1].id
        prev_day = 0
        for k, visit in enumerate(visits):
            day = visit.day + int(rng.integers(-visit.window_before, visit.window_after + 1))
            prescribed = done = ""
            per_week = spec.sessions_per_week.get(arm)
            if k > 0 and per_week:
                n_presc = round(per_week * (day - prev_day) / 7)
                prescribed = str(n_presc)
                done = str(int(rng.binomial(n_presc, p_adhere)))
            prev_day = day
            med = (
                "changed analgesic dose"
                if k > 0 and rng.random() < spec.medication_change_probability
                else ""
            )
            is_last = pid in withdrawn and visit.id == last
            for oid, prm in spec.outcomes.items():
                outcome = definition.outcome(oid)
                mean = prm.baseline_mean + (prm.change[arm][visit.id] if k > 0 else 0.0)
                value = mean + intercepts[oid] + rng.normal(0, prm.residual_sd)
                if outcome.min is not None:
                    value = max(value, outcome.min)
                if outcome.max is not None:
                    value = min(value, outcome.max)
                row = {
                    "participant": pid,
                    "arm": arm,
                    **({factor: level} if factor else {}),
                    "visit": visit.id,
                    "day": str(day),
                    "outcome": oid,
                    "value": f"{value:.{prm.decimals}f}",
                    "sessions_done": done,
                    "sessions_prescribed": prescribed,
                    "medication_change": med,
                    "deviation": "",
                    "withdrawn": "yes" if is_last else "",
                    "withdrawal_reason": withdrawn[pid].reason if is_last else "",
                }
                rows.append(row)
            if visit.id == last:
                break
    return rows
