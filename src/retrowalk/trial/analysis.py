"""Analyse a two- (or more-) arm trial per outcome: ITT by default, per-protocol on request.

For each outcome: descriptives per arm and visit, within-group change (paired t), ANCOVA of each
follow-up on baseline (+ stratification factors), a random-intercept mixed model on all
observations, Hedges' g on change scores, and a CONSORT-style flow.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from retrowalk.core.scores.mcid import ChangeFlag, change_flags, instrument_for
from retrowalk.errors import InputError
from retrowalk.trial.data import Participant, TrialData
from retrowalk.trial.definition import Outcome, TrialDefinition
from retrowalk.trial.stats import (
    EffectSize,
    MixedModelResult,
    RegressionEffect,
    RepeatedMeasuresAnova,
    Summary,
    TTest,
    ancova,
    effect_size,
    mixed_model,
    paired_change,
    rm_anova,
    summarise,
)

Population = Literal["itt", "per-protocol"]


class VisitSummary(BaseModel):
    arm: str
    visit: str
    summary: Summary


class WithinChange(BaseModel):
    arm: str
    visit: str
    change: TTest = Field(description="Mean change from baseline (visit − baseline), paired t.")
    mcid: list[ChangeFlag] = Field(
        default_factory=list,
        description="The mean change against the instrument's MCID (VAS, WOMAC, NPRS), with its source.",
    )


class AncovaResult(BaseModel):
    arm: str
    visit: str
    n: int
    difference: RegressionEffect = Field(description="Adjusted mean difference, treatment − control.")
    baseline_slope: RegressionEffect
    adjusted_for: list[str]
    favours: str | None = Field(description="Arm the point estimate favours, given the outcome's direction.")


class BetweenEffectSize(BaseModel):
    arm: str
    visit: str
    basis: str = "change from baseline"
    effect: EffectSize


class OutcomeAnalysis(BaseModel):
    outcome: str
    label: str
    unit: str
    better: str
    primary: bool
    descriptives: list[VisitSummary]
    within: list[WithinChange]
    ancova: list[AncovaResult]
    effect_sizes: list[BetweenEffectSize]
    mixed_model: MixedModelResult
    rm_anova: RepeatedMeasuresAnova = Field(description="The article's view: time, group, time × group.")


class ArmFlow(BaseModel):
    arm: str
    allocated: int
    withdrawn: int
    withdrawal_reasons: list[str]
    assessed_per_visit: dict[str, int]
    excluded_from_analysis: int
    exclusion_reasons: list[str]
    analysed: int = Field(description="Participants in the analysis population with any outcome value.")
    analysed_final_visit: int = Field(
        description="Of those, with baseline and final-visit values of the first primary outcome (ANCOVA n)."
    )


class ConsortFlow(BaseModel):
    enrolled: int
    arms: list[ArmFlow]


class TrialAnalysis(BaseModel):
    trial_id: str
    population: Population
    alpha: float
    control_arm: str
    flow: ConsortFlow
    outcomes: list[OutcomeAnalysis]
    notes: list[str]


def per_protocol_exclusions(definition: TrialDefinition, p: Participant) -> list[str]:
    rule = definition.per_protocol
    reasons: list[str] = []
    if rule.exclude_withdrawn and p.withdrawn:
        reasons.append(
            f"withdrawn after {p.withdrawn_after}"
            + (f" ({p.withdrawal_reason})" if p.withdrawal_reason else "")
        )
    if rule.exclude_deviations and p.deviations:
        reasons.append("protocol deviation: " + "; ".join(p.deviations))
    adherence = p.adherence
    if adherence is not None and adherence < rule.min_adherence:
        reasons.append(f"adherence {adherence:.0%} < {rule.min_adherence:.0%}")
    return reasons


def _mcid(outcome: Outcome, pairs: list[tuple[float, float]], change: TTest) -> list[ChangeFlag]:
    """The arm's mean change from the mean baseline, judged by the instrument's MCID (if it has one)."""
    instrument = instrument_for(outcome.instrument)
    if instrument is None or not pairs or change.estimate is None:
        return []
    before = sum(b for b, _ in pairs) / len(pairs)
    return change_flags(instrument, before, before + change.estimate)


def _favours(definition: TrialDefinition, outcome: Outcome, arm: str, estimate: float | None) -> str | None:
    if estimate is None or estimate == 0:
        return None
    treatment_better = (estimate < 0) if outcome.better == "lower" else (estimate > 0)
    return arm if treatment_better else definition.control_arm


def analyse(definition: TrialDefinition, data: TrialData, *, population: Population = "itt") -> TrialAnalysis:
    """Run every analysis for every outcome. ITT keeps everyone in the arm they were allocated to."""
    if population not in ("itt", "per-protocol"):
        raise InputError("population", f"{population!r} is not itt or per-protocol")
    alpha = definition.alpha
    arms = [definition.control_arm, *definition.treatment_arms]
    visits = [v.id for v in definition.visits]
    base = visits[0]
    notes: list[str] = []

    excluded: dict[str, list[str]] = {}
    if population == "per-protocol":
        for p in data.participants:
            reasons = per_protocol_exclusions(definition, p)
            if reasons:
                excluded[p.id] = reasons
        if not any(p.sessions_prescribed for p in data.participants):
            notes.append("no adherence recorded: per-protocol set ignores the adherence rule")
    included = [p for p in data.participants if p.id not in excluded]
    part_arm = {p.id: p.arm for p in included}
    part_strata = {p.id: p.strata for p in included}

    # values[outcome][participant][visit] = value
    values: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for o in data.observations:
        if o.participant in part_arm:
            values[o.outcome][o.participant][o.visit] = o.value

    strata_levels = (
        [(f.name, f.levels) for f in definition.stratification] if definition.adjust_for_strata else []
    )
    adjusted_for = ["baseline"] + [name for name, _ in strata_levels]

    results: list[OutcomeAnalysis] = []
    for outcome in definition.outcomes:
        by_part = values.get(outcome.id, {})
        descriptives = [
            VisitSummary(
                arm=a,
                visit=v,
                summary=summarise(
                    [vals[v] for pid, vals in by_part.items() if part_arm[pid] == a and v in vals], alpha
                ),
            )
            for a in arms
            for v in visits
        ]
        within: list[WithinChange] = []
        for a in arms:
            for v in visits[1:]:
                pairs = [
                    (vals[base], vals[v])
                    for pid, vals in by_part.items()
                    if part_arm[pid] == a and base in vals and v in vals
                ]
                paired = paired_change([b for b, _ in pairs], [f for _, f in pairs], alpha)
                within.append(WithinChange(arm=a, visit=v, change=paired, mcid=_mcid(outcome, pairs, paired)))

        anc: list[AncovaResult] = []
        sizes: list[BetweenEffectSize] = []
        for v in visits[1:]:
            pids = [pid for pid, vals in by_part.items() if base in vals and v in vals]
            y = np.array([by_part[p][v] for p in pids])
            b0 = np.array([by_part[p][base] for p in pids])
            g = np.array([[1.0 if part_arm[p] == t else 0.0 for t in arms[1:]] for p in pids]).reshape(
                len(pids), len(arms) - 1
            )
            cov_cols = [
                [1.0 if part_strata[p][name] == level else 0.0 for p in pids]
                for name, levels in strata_levels
                for level in levels[1:]
            ]
            cov = np.array(cov_cols).T if cov_cols else None
            effects, slope, n = ancova(y, b0, g, cov, alpha)
            for t, eff in zip(arms[1:], effects, strict=True):
                anc.append(
                    AncovaResult(
                        arm=t,
                        visit=v,
                        n=n,
                        difference=eff,
                        baseline_slope=slope,
                        adjusted_for=adjusted_for,
                        favours=_favours(definition, outcome, t, eff.estimate),
                    )
                )
            change = {p: by_part[p][v] - by_part[p][base] for p in pids}
            ctrl = [c for p, c in change.items() if part_arm[p] == arms[0]]
            for t in arms[1:]:
                treat = [c for p, c in change.items() if part_arm[p] == t]
                sizes.append(BetweenEffectSize(arm=t, visit=v, effect=effect_size(treat, ctrl, alpha)))

        obs = [(pid, v, val) for pid, vals in by_part.items() for v, val in vals.items()]
        # long format, the same for both repeated-measures models: value, participant, visit, arm
        long = (
            [o[2] for o in obs],
            [o[0] for o in obs],
            [visits.index(o[1]) for o in obs],
            [arms.index(part_arm[o[0]]) for o in obs],
        )
        mixed = mixed_model(*long, visits=visits, arms=arms, alpha=alpha)
        anova = rm_anova(*long, visits=visits, arms=arms)
        results.append(
            OutcomeAnalysis(
                outcome=outcome.id,
                label=outcome.label or outcome.id,
                unit=outcome.unit,
                better=outcome.better,
                primary=outcome.primary,
                descriptives=descriptives,
                within=within,
                ancova=anc,
                effect_sizes=sizes,
                mixed_model=mixed,
                rm_anova=anova,
            )
        )

    flow = _flow(definition, data, arms, visits, excluded, values)
    notes.append(
        "ANCOVA and effect sizes use participants with both baseline and that visit (complete cases); "
        "the mixed model uses every observation (valid if data are missing at random)."
    )
    notes.append(
        "Mixed-model tests are large-sample Wald z tests; with ~15 per arm treat p near alpha with care."
    )
    return TrialAnalysis(
        trial_id=definition.id,
        population=population,
        alpha=alpha,
        control_arm=definition.control_arm,
        flow=flow,
        outcomes=results,
        notes=notes,
    )


def _flow(
    definition: TrialDefinition,
    data: TrialData,
    arms: list[str],
    visits: list[str],
    excluded: dict[str, list[str]],
    values: dict[str, dict[str, dict[str, float]]],
) -> ConsortFlow:
    assessed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for o in data.observations:
        assessed[(o.arm, o.visit)].add(o.participant)
    key_outcome = next((o.id for o in definition.outcomes if o.primary), definition.outcomes[0].id)
    final = visits[-1]
    with_values = {pid for by in values.values() for pid in by}
    arm_flows: list[ArmFlow] = []
    for a in arms:
        members = [p for p in data.participants if p.arm == a]
        withdrawn = [p for p in members if p.withdrawn]
        ex = [p for p in members if p.id in excluded]
        final_n = sum(
            1
            for pid, vals in values.get(key_outcome, {}).items()
            if pid in {m.id for m in members} and visits[0] in vals and final in vals
        )
        arm_flows.append(
            ArmFlow(
                arm=a,
                allocated=len(members),
                withdrawn=len(withdrawn),
                withdrawal_reasons=[f"{p.id}: {p.withdrawal_reason or 'no reason given'}" for p in withdrawn],
                assessed_per_visit={v: len(assessed[(a, v)]) for v in visits},
                excluded_from_analysis=len(ex),
                exclusion_reasons=[f"{p.id}: {'; '.join(excluded[p.id])}" for p in ex],
                analysed=sum(1 for m in members if m.id in with_values),
                analysed_final_visit=final_n,
            )
        )
    return ConsortFlow(enrolled=len(data.participants), arms=arm_flows)
