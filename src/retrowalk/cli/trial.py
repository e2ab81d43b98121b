"""`retrowalk trial ...`: randomise with concealment, size a trial, simulate and analyse one."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from retrowalk.cli._output import FormatOption, OutputFormat, console, emit, to_jsonable, user_errors
from retrowalk.errors import InputError

trial_app = typer.Typer(
    help="Randomised two-arm comparisons (e.g. conventional vs + retro-walking).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(trial_app, name="trial")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _levels(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, level = item.partition("=")
        if not sep or not name.strip() or not level.strip():
            raise InputError("--stratum", f"{item!r} is not FACTOR=LEVEL", hint="e.g. --stratum sex=F")
        out[name.strip()] = level.strip()
    return out


@trial_app.command("randomise")
def randomise(
    trial: Path = typer.Argument(..., help="Trial definition (YAML)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to store the SEALED list (JSON, mode 0600)."),
    n: int | None = typer.Option(None, "--n", help="List length per stratum (default: the target size)."),
    seed: int = typer.Option(..., "--seed", help="Random seed; keep it secret until the trial ends."),
    by: str | None = typer.Option(None, "--by", help="Who generates the list (audit trail)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing list."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Generate and seal the allocation list. Arms are NOT shown; use `reveal` one participant at a time."""
    from retrowalk.io.trial import load_definition, save_allocation
    from retrowalk.trial.randomisation import generate, public_view

    with user_errors():
        if out.exists() and not force:
            raise InputError(
                "--out", f"{out} already exists", hint="refusing to overwrite a sealed list; use --force"
            )
        definition = load_definition(trial)
        sealed = generate(
            definition, seed=seed, capacity_per_stratum=n, created_at=_now(), created_by=_who(by)
        )
        save_allocation(out, sealed)
        view = public_view(sealed)
        data = {
            "sealed_file": str(out),
            "trial_id": view.trial_id,
            "scheme": view.scheme,
            "digest": view.digest,
            "strata": [s.model_dump() for s in view.strata],
        }

    def render(d: dict[str, Any]) -> None:
        console.print(f"Sealed allocation list written to [bold]{d['sealed_file']}[/] ({d['scheme']}).")
        console.print(f"SHA-256 digest: {d['digest']}  (record it: it proves the list was not changed)")
        for s in d["strata"]:
            console.print(f"  stratum {s['stratum']}: {s['remaining']} allocations sealed")
        console.print(
            "Reveal with: retrowalk trial reveal LIST --trial TRIAL.yaml --participant ID --stratum F=L"
        )

    emit(data, fmt, render)


@trial_app.command("reveal")
def reveal(
    allocation: Path = typer.Argument(..., help="Sealed list from `randomise`."),
    trial: Path = typer.Option(..., "--trial", help="Trial definition (YAML)."),
    participant: str = typer.Option(..., "--participant", "-p", help="Participant id being enrolled."),
    stratum: list[str] = typer.Option([], "--stratum", "-s", help="FACTOR=LEVEL, once per factor."),
    by: str | None = typer.Option(None, "--by", help="Who reveals (audit trail); default: login name."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Reveal the allocation of ONE eligible, consented participant (next slot of their stratum)."""
    from retrowalk.io.trial import load_allocation, load_definition, save_allocation
    from retrowalk.trial.randomisation import reveal_next

    with user_errors():
        definition = load_definition(trial)
        sealed = load_allocation(allocation)
        updated, alloc = reveal_next(
            sealed, definition, participant=participant, levels=_levels(stratum), by=_who(by), at=_now()
        )
        save_allocation(allocation, updated)

    def render(a: Any) -> None:
        note = " (already allocated earlier; same arm)" if a.already_allocated else ""
        console.print(
            f"Participant [bold]{a.participant}[/] ({a.stratum}, #{a.sequence}) -> "
            f"[bold green]{a.arm}[/]{note}"
        )

    emit(alloc, fmt, render)


@trial_app.command("list")
def list_allocations(
    allocation: Path = typer.Argument(..., help="Sealed list from `randomise`."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Show revealed allocations, remaining counts and the audit trail (never unrevealed arms)."""
    from retrowalk.io.trial import load_allocation
    from retrowalk.trial.randomisation import public_view

    with user_errors():
        view = public_view(load_allocation(allocation))

    def render(v: Any) -> None:
        t = Table(title=f"{v.trial_id}: revealed allocations")
        for col in ("participant", "stratum", "#", "arm", "revealed at", "by"):
            t.add_column(col)
        for a in v.allocations:
            t.add_row(
                a.participant, a.stratum, str(a.sequence), a.arm, a.revealed_at.isoformat(), a.revealed_by
            )
        console.print(t)
        for s in v.strata:
            per_arm = ", ".join(f"{k} {n}" for k, n in s.revealed_per_arm.items())
            console.print(f"stratum {s.stratum}: {s.revealed} revealed ({per_arm}), {s.remaining} sealed")
        console.print(f"audit trail: {len(v.audit)} entries; digest {v.digest[:16]}…")

    emit(view, fmt, render)


@trial_app.command("sample-size")
def sample_size_cmd(
    difference: float = typer.Option(
        ..., "--difference", "-d", help="Smallest worthwhile difference in means."
    ),
    sd: float = typer.Option(..., "--sd", help="Between-participant SD of the outcome."),
    alpha: float = typer.Option(0.05, "--alpha"),
    power: float = typer.Option(0.8, "--power"),
    ratio: float = typer.Option(1.0, "--ratio", help="n2 / n1."),
    dropout: float = typer.Option(0.0, "--dropout", help="Expected loss to follow-up, e.g. 0.1."),
    n_per_arm: int = typer.Option(15, "--n-per-arm", help="Also report what this size can detect."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """n per arm for a two-sided two-sample t test, and what n per arm (default 15) implies."""
    from retrowalk.trial.samplesize import detectable_difference, sample_size

    with user_errors():
        need = sample_size(
            difference=difference, sd=sd, alpha=alpha, power=power, ratio=ratio, dropout=dropout
        )
        have = detectable_difference(
            n_per_arm=n_per_arm, sd=sd, alpha=alpha, power=power, ratio=ratio, difference=difference
        )
        data = {"required": need.model_dump(), "with_n_per_arm": have.model_dump()}

    def render(d: dict[str, Any]) -> None:
        r, h = d["required"], d["with_n_per_arm"]
        console.print(
            f"To detect {r['difference']:g} (SD {r['sd']:g}, d = {r['standardized_difference']:.2f}) with "
            f"{r['target_power']:.0%} power at alpha {r['alpha']:g}: "
            f"n = {r['n_per_arm'][0]} + {r['n_per_arm'][1]} "
            f"= {r['n_total']} (achieved power {r['power']:.1%}; recruit {r['n_total_with_dropout']} "
            f"allowing {r['dropout']:.0%} dropout)."
        )
        console.print(
            f"With {h['n_per_arm'][0]} per arm: detectable difference {h['detectable_difference']:.3g} "
            f"(d = {h['detectable_standardized']:.2f}) at {h['power']:.0%} power; power for "
            f"{h['difference']:g} is {h['power_for_difference']:.1%}."
        )

    emit(data, fmt, render)


@trial_app.command("simulate")
def simulate_cmd(
    trial: Path = typer.Argument(..., help="Trial definition (YAML)."),
    spec: Path = typer.Argument(..., help="Simulation parameters (YAML; assumed values)."),
    out: Path = typer.Option(..., "--out", "-o", help="CSV to write (labelled SIMULATED)."),
    seed: int | None = typer.Option(None, "--seed", help="Override the spec's seed."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Write a SIMULATED long-format data set (for rehearsing the analysis; not patient data)."""
    from retrowalk.io.trial import load_definition, load_simulation_spec, write_rows
    from retrowalk.trial.simulate import SIMULATED_BANNER, simulate

    with user_errors():
        definition = load_definition(trial)
        params = load_simulation_spec(spec)
        if seed is not None:
            params = params.model_copy(update={"seed": seed})
        rows = simulate(definition, params)
        write_rows(out, rows, comments=[SIMULATED_BANNER, f"spec {spec.name}, seed {params.seed}"])
    emit(
        {"out": str(out), "rows": len(rows), "seed": params.seed, "label": SIMULATED_BANNER},
        fmt,
        lambda d: console.print(f"wrote {d['rows']} SIMULATED rows to {d['out']} (seed {d['seed']})"),
    )


def _render_analysis(result: Any) -> None:
    from retrowalk.trial.text import estimate_text, p_text

    flow = Table(title=f"{result.trial_id}: participant flow ({result.population})")
    for col in ("arm", "allocated", "withdrawn", "assessed per visit", "excluded", "analysed", "final visit"):
        flow.add_column(col)
    for a in result.flow.arms:
        flow.add_row(
            a.arm,
            str(a.allocated),
            str(a.withdrawn),
            ", ".join(f"{v} {n}" for v, n in a.assessed_per_visit.items()),
            str(a.excluded_from_analysis),
            str(a.analysed),
            str(a.analysed_final_visit),
        )
    console.print(flow)
    for o in result.outcomes:
        t = Table(title=f"{o.label}{' (primary)' if o.primary else ''} [{o.unit}; {o.better} is better]")
        t.add_column("arm")
        t.add_column("visit")
        t.add_column("n", justify="right")
        t.add_column("mean (95% CI)")
        t.add_column("change from baseline (95% CI)")
        t.add_column("p (paired)")
        within = {(w.arm, w.visit): w.change for w in o.within}
        for d in o.descriptives:
            s = d.summary
            ch = within.get((d.arm, d.visit))
            t.add_row(
                d.arm,
                d.visit,
                str(s.n),
                estimate_text(s.mean, s.ci_low, s.ci_high),
                estimate_text(ch.estimate, ch.ci_low, ch.ci_high) if ch else "",
                p_text(ch.p) if ch else "",
            )
        console.print(t)
        c = Table(title=f"{o.label}: {', '.join({a.arm for a in o.ancova})} vs {result.control_arm}")
        for col in (
            "visit",
            "ANCOVA difference (95% CI)",
            "p",
            "mixed model Δchange (95% CI)",
            "p",
            "Hedges g (95% CI)",
            "favours",
        ):
            c.add_column(col)
        mixed = {(m.arm, m.visit): m.difference_in_change for m in o.mixed_model.contrasts}
        sizes = {(e.arm, e.visit): e.effect for e in o.effect_sizes}
        for a in o.ancova:
            m = mixed.get((a.arm, a.visit))
            e = sizes.get((a.arm, a.visit))
            c.add_row(
                a.visit,
                estimate_text(a.difference.estimate, a.difference.ci_low, a.difference.ci_high),
                p_text(a.difference.p),
                estimate_text(m.estimate, m.ci_low, m.ci_high) if m else "–",
                p_text(m.p) if m else "–",
                estimate_text(e.hedges_g, e.ci_low, e.ci_high) if e else "–",
                a.favours or "–",
            )
        console.print(c)
        mm = o.mixed_model
        console.print(
            f"  arm × visit (mixed model, all {mm.n_observations} observations of {mm.n_participants} "
            f"participants): chi2 = {mm.interaction_chi2 or 0:.2f}, df {mm.interaction_df}, "
            f"p = {p_text(mm.interaction_p)}" + (f"  [{'; '.join(mm.notes)}]" if mm.notes else "")
        )
        ra = o.rm_anova
        if ra.effects:
            console.print(
                f"  repeated-measures ANOVA ({ra.n_participants} complete participants, the article's view): "
                + "; ".join(
                    f"{e.source} F({e.df}, {e.df_error}) = {e.f or 0:.2f}, p = {p_text(e.p)}"
                    for e in ra.effects
                )
            )
        for w in o.within:
            for flag in w.mcid[:1]:
                console.print(
                    f"  [dim]{w.arm} {w.visit}: mean change {flag.change:+.2f} "
                    f"{'reaches' if flag.improved else 'does not reach'} the MCID ({flag.source})[/]"
                )
    for note in result.notes:
        console.print(f"[dim]note: {note}[/]")


@trial_app.command("analyse")
def analyse_cmd(
    trial: Path = typer.Argument(..., help="Trial definition (YAML)."),
    data: Path = typer.Argument(
        ..., help="Long CSV: participant, arm, <strata>, visit, outcome, value [+ optional]."
    ),
    per_protocol: bool = typer.Option(
        False, "--per-protocol", help="Exclude deviations, low adherence, withdrawals."
    ),
    csv_out: Path | None = typer.Option(None, "--csv", help="Also write every estimate as CSV."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Also write mean ± 95% CI per arm over visits (PNG/SVG/PDF)."
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Analyse every outcome: within-group change (with MCIDs), ANCOVA, mixed model, repeated-measures
    ANOVA, effect sizes, CONSORT flow."""
    from retrowalk.io.trial import load_data, load_definition, write_results_csv
    from retrowalk.trial.analysis import analyse

    with user_errors():
        definition = load_definition(trial)
        dataset = load_data(data, definition)
        result = analyse(definition, dataset, population="per-protocol" if per_protocol else "itt")
        if csv_out is not None:
            write_results_csv(csv_out, result)
        if plot is not None:
            from retrowalk.io.trial_plot import plot_means

            plot_means(definition, result, plot)
    emit(to_jsonable(result), fmt, lambda _d: _render_analysis(result))
