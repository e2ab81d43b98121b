"""Clinical commands: ``score koos``, ``assess`` and ``next`` (thin edge over retrowalk.core)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from retrowalk.cli._output import FormatOption, OutputFormat, console, emit, read_structured, user_errors
from retrowalk.errors import InputError

if TYPE_CHECKING:  # the core is imported by the command that needs it (fast start-up)
    from retrowalk.core.prescription import Programme
    from retrowalk.core.progression import NextSession, SessionRecord

score_app = typer.Typer(help="Score outcome questionnaires.", no_args_is_help=True)

_SUBSCALE_LABELS = {
    "pain": "Pain",
    "symptoms": "Symptoms",
    "adl": "ADL",
    "sport_rec": "Sport/Rec",
    "qol": "QOL",
}


def _mapping(data: Any, field: str, hint: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise InputError(field, f"expected a mapping at the top level, got {type(data).__name__}", hint=hint)
    return data


def _fmt_score(value: float | None) -> str:
    return "—  (too many items missing)" if value is None else f"{value:.1f}"


@score_app.command("koos")
def score_koos_cmd(
    answers_file: Path = typer.Argument(..., help="JSON/YAML mapping item id (P1..Q4) -> 0-4 or null."),
    missing_rule: str = typer.Option("2012", "--missing-rule", help="2012 (>= 50% answered) or 1998."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Score the five KOOS subscales (0 = extreme problems, 100 = no problems)."""
    from retrowalk.core.scores.koos import score_koos

    with user_errors():
        answers = _mapping(read_structured(answers_file, "ANSWERS"), "ANSWERS", 'e.g. {"P1": 2, "P2": null}')
        scores = score_koos(answers, missing_rule=missing_rule)

    def render(data: dict[str, float | None]) -> None:
        table = Table(title="KOOS (100 = no problems)")
        table.add_column("Subscale")
        table.add_column("Score", justify="right")
        for key, value in data.items():
            table.add_row(_SUBSCALE_LABELS[key], _fmt_score(value))
        console.print(table)

    emit(scores.model_dump(), fmt, render)


@score_app.command("koos-ps")
def score_koos_ps_cmd(
    answers_file: Path = typer.Argument(..., help="JSON/YAML mapping item id -> 0-4 or null."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """KOOS-PS physical function short form (100 = no difficulty; see the direction note)."""
    from retrowalk.core.scores.koos import score_koos_ps

    with user_errors():
        answers = _mapping(read_structured(answers_file, "ANSWERS"), "ANSWERS", 'e.g. {"A3": 1}')
        result = score_koos_ps(answers)

    def render(data: dict[str, Any]) -> None:
        console.print(f"KOOS-PS: [bold]{_fmt_score(data['score'])}[/] (raw sum {data['raw_sum']})")
        if data["missing"]:
            console.print(f"missing items: {', '.join(data['missing'])}")
        console.print(f"[dim]{data['direction_note']}[/]")

    emit(result.model_dump(), fmt, render)


@score_app.command("koos-12")
def score_koos_12_cmd(
    answers_file: Path = typer.Argument(..., help="JSON/YAML mapping item id -> 0-4 or null."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """KOOS-12 scales and summary impact score (0 = worst, 100 = best)."""
    from retrowalk.core.scores.koos import score_koos_12

    with user_errors():
        answers = _mapping(read_structured(answers_file, "ANSWERS"), "ANSWERS", 'e.g. {"P1": 1}')
        result = score_koos_12(answers)

    def render(data: dict[str, float | None]) -> None:
        table = Table(title="KOOS-12 (100 = best)")
        table.add_column("Scale")
        table.add_column("Score", justify="right")
        for key, value in data.items():
            table.add_row(key, _fmt_score(value))
        console.print(table)

    emit(result.model_dump(), fmt, render)


def _render_assessment(data: dict[str, Any]) -> None:
    assessment, programme = data["assessment"], data["programme"]
    if assessment["stop"]:
        console.print("[bold red]STOP — red flag(s):[/]")
        for flag in assessment["red_flags"]:
            console.print(f"  • {flag['text']}: {flag['advice']}")
        console.print(f"[bold]{assessment['refer_out']}[/]")
        return
    table = Table(title="Findings (flags for the clinician, not a diagnosis)")
    for col in ("Joint", "Test", "Side", "Status"):
        table.add_column(col, no_wrap=True)
    table.add_column("Measured vs cut-off", ratio=1)
    table.add_column("Cert.", no_wrap=True)
    for f in assessment["findings"]:
        style = "green" if f["status"] == "ok" else "yellow"
        table.add_row(
            f["joint"], f["test_id"], f["side"], f"[{style}]{f['status']}[/]", f["text"], f["certainty"]
        )
    console.print(table)
    for note in assessment["notes"]:
        console.print(f"[dim]note: {note}[/]")
    prog = Table(title="Programme")
    for col in ("#", "Exercise", "Stage", "Dose", "Why"):
        prog.add_column(col)
    for n, item in enumerate(programme["items"], 1):
        prog.add_row(str(n), item["name"], item["stage"], item["dose_text"], item["reason"])
    console.print(prog)
    for ex in programme["excluded"]:
        console.print(f"[dim]left out {ex['exercise_id']}: {ex['reason']}[/]")


@score_app.callback()
def _score() -> None:
    """Score outcome questionnaires."""


def _dose_text(programme: Programme) -> list[str]:
    return [item.dose.describe() for item in programme.items]


def _programme_json(programme: Programme) -> dict[str, Any]:
    data = programme.model_dump(mode="json")
    for item, text in zip(data["items"], _dose_text(programme), strict=True):
        item["dose_text"] = text
    return data


def assess_cmd(
    intake_file: Path = typer.Argument(
        ..., help="Intake YAML/JSON: client, pain, red flags, measurements, goals."
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Evaluate an assessment and prescribe a programme (findings + programme)."""
    from retrowalk.core.assessment import Intake
    from retrowalk.core.prescription import assess_and_prescribe

    with user_errors():
        raw = _mapping(read_structured(intake_file, "INTAKE"), "INTAKE", "see examples/intake.yaml")
        intake = Intake.model_validate(raw)
        report = assess_and_prescribe(intake)
    data = {
        "assessment": report.assessment.model_dump(mode="json"),
        "programme": _programme_json(report.programme),
    }
    emit(data, fmt, _render_assessment)


def _load_programme(raw: Any) -> Programme:
    from retrowalk.core.prescription import Programme, programme_from_items

    if isinstance(raw, Mapping) and "items" in raw:
        return Programme.model_validate(raw)
    if isinstance(raw, list):
        return programme_from_items(raw)
    raise InputError(
        "programme",
        "expected a list of {exercise_id, dose} or a programme with items",
        hint="copy the programme from `retrowalk assess --format json` or list exercise ids",
    )


def _render_next(data: dict[str, Any]) -> None:
    table = Table(title="Next session")
    for col in ("Exercise", "Decision", "Next", "Dose", "Reason"):
        table.add_column(col)
    colours = {"progress": "green", "hold": "cyan", "regress": "yellow", "stop-and-refer": "bold red"}
    for d in data["decisions"]:
        table.add_row(
            d["exercise_id"],
            f"[{colours[d['decision']]}]{d['decision']}[/]",
            d["next_exercise_id"] or "—",
            d["dose_text"],
            d["reason"],
        )
    console.print(table)
    for item in data["added"]:
        console.print(f"[green]added:[/] {item['name']} — {item['reason']}")
    if data["stop"]:
        console.print(f"[bold red]{data['refer_out']}[/]")


def _next_json(result: NextSession) -> dict[str, Any]:
    data = result.model_dump(mode="json")
    for d, model in zip(data["decisions"], result.decisions, strict=True):
        d["dose_text"] = model.next_dose.describe() if model.next_dose else "—"
    return data


def _session(index: int, raw: Any) -> SessionRecord:
    from retrowalk.core.progression import SessionRecord

    if not isinstance(raw, Mapping):
        raise InputError(f"sessions[{index}]", "expected a mapping with date, pains and exercises")
    try:
        return SessionRecord.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise InputError(
            f"sessions[{index}].{loc}", first.get("msg", "invalid value"), hint="see examples/sessions.yaml"
        ) from exc


def next_cmd(
    sessions_file: Path = typer.Argument(..., help="YAML/JSON with `programme` and logged `sessions`."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Decide the next dose of every exercise with the pain-monitoring model."""
    from retrowalk.core.progression import decide_next

    with user_errors():
        raw = _mapping(read_structured(sessions_file, "SESSIONS"), "SESSIONS", "see examples/sessions.yaml")
        if "programme" not in raw:
            raise InputError(
                "programme", "missing", hint="add the current programme (see examples/sessions.yaml)"
            )
        programme = _load_programme(raw["programme"])
        sessions_raw = raw.get("sessions") or []
        if not isinstance(sessions_raw, list):
            raise InputError("sessions", "expected a list of sessions")
        sessions = [_session(i, s) for i, s in enumerate(sessions_raw)]
        result = decide_next(programme, sessions)
    emit(_next_json(result), fmt, _render_next)


def register(app: typer.Typer) -> None:
    app.add_typer(score_app, name="score")
    app.command("assess")(assess_cmd)
    app.command("next")(next_cmd)
