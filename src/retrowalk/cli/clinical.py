"""Clinical commands: ``score koos``, ``assess`` and ``next`` (thin edge over retrowalk.core)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from retrowalk.cli._output import (
    FormatOption,
    OutputFormat,
    console,
    emit,
    new_table,
    read_structured,
    user_errors,
)
from retrowalk.errors import InputError

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from retrowalk.core.prescription import Programme
    from retrowalk.core.progression import NextSession

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


def _answer_pairs(path: Path) -> list[tuple[Any, Any]]:
    """The top-level key/value pairs of an answers file in file order, duplicates kept.

    Plain JSON/YAML loading keeps only the last of two answers to one item; the KOOS guide says
    to take the more severe, so the pairs go to the core's merge rule instead.
    """
    import json

    import yaml

    class _PairsLoader(yaml.SafeLoader):
        pass

    def pairs(loader: yaml.SafeLoader, node: yaml.MappingNode) -> list[tuple[Any, Any]]:
        return [
            (loader.construct_object(k, deep=True), loader.construct_object(v, deep=True))
            for k, v in node.value
        ]

    _PairsLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, pairs)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text, object_pairs_hook=list)
    else:
        data = yaml.load(text, Loader=_PairsLoader)
    return list(data)


def _read_answers(path: Path) -> dict[str, int | None]:
    """KOOS item answers from a file; an item answered twice keeps the more severe answer."""
    from retrowalk.core.scores.koos import answers_from_pairs

    _mapping(read_structured(path, "ANSWERS"), "ANSWERS", 'e.g. {"P1": 2, "P2": null}')
    return answers_from_pairs(_answer_pairs(path))


@score_app.command("koos")
def score_koos_cmd(
    answers_file: Path = typer.Argument(..., help="JSON/YAML mapping item id (P1..Q4) -> 0-4 or null."),
    missing_rule: str = typer.Option("2012", "--missing-rule", help="2012 (>= 50% answered) or 1998."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Score the five KOOS subscales (0 = extreme problems, 100 = no problems)."""
    from retrowalk.core.scores.koos import score_koos

    with user_errors():
        scores = score_koos(_read_answers(answers_file), missing_rule=missing_rule)

    def render(data: dict[str, float | None]) -> None:
        table = new_table(title="KOOS (100 = no problems)")
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
        result = score_koos_ps(_read_answers(answers_file))

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
        result = score_koos_12(_read_answers(answers_file))

    def render(data: dict[str, float | None]) -> None:
        table = new_table(title="KOOS-12 (100 = best)")
        table.add_column("Scale")
        table.add_column("Score", justify="right")
        for key, value in data.items():
            table.add_row(key, _fmt_score(value))
        console.print(table)

    emit(result.model_dump(), fmt, render)


@score_app.command("womac")
def score_womac_cmd(
    answers_file: Path = typer.Argument(..., help="JSON/YAML mapping KOOS item id (P1..Q4) -> 0-4 or null."),
    fmt: OutputFormat = FormatOption,
) -> None:
    """WOMAC Likert 3.1 raw subscales derived from KOOS items (higher = worse; total 0-96)."""
    from retrowalk.core.scores.womac import WOMAC_MAX, score_womac

    with user_errors():
        result = score_womac(_read_answers(answers_file))

    def render(data: dict[str, Any]) -> None:
        table = new_table(title=f"WOMAC, derived from {data['derived_from']} (higher = worse)")
        table.add_column("Subscale")
        table.add_column("Raw score", justify="right")
        for key, top in WOMAC_MAX.items():
            value = data[key]
            shown = "—  (too many items missing)" if value is None else f"{value:g} / {top}"
            table.add_row(key, shown)
        console.print(table)
        console.print(f"[dim]{data['note']}[/]")

    emit(result.model_dump(), fmt, render)


def _render_assessment(data: dict[str, Any]) -> None:
    assessment, programme = data["assessment"], data["programme"]
    if assessment["stop"]:
        console.print("[bold red]STOP — red flag(s):[/]")
        for flag in assessment["red_flags"]:
            console.print(f"  • {flag['text']}: {flag['advice']}")
        console.print(f"[bold]{assessment['refer_out']}[/]")
        return
    table = new_table(title="Findings (flags for the clinician, not a diagnosis)")
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
    prog = new_table(title="Programme")
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


def _validated(model: type[BaseModel], raw: Any, field: str, hint: str) -> Any:
    """Validate ``raw`` into ``model``; the first error names its full field (unknown keys too)."""
    from pydantic import ValidationError

    if not isinstance(raw, Mapping):
        raise InputError(field, f"expected a mapping, got {type(raw).__name__}", hint=hint)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _field_error(exc, field, hint) from exc


def _field_error(exc: ValidationError, field: str, hint: str) -> InputError:
    first = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in first.get("loc", ()))
    where = ".".join(p for p in (field, loc) if p) or "input"
    if first.get("type") == "extra_forbidden":
        return InputError(where, "unknown key", hint=hint)
    return InputError(where, str(first.get("msg", "invalid value")), hint=hint)


def _refuse_unknown(raw: Mapping[str, Any], allowed: Sequence[str], hint: str, prefix: str = "") -> None:
    for key in raw:
        if key not in allowed:
            raise InputError(
                f"{prefix}{key}", "unknown key", hint=f"{hint}; allowed keys: {', '.join(allowed)}"
            )


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
        intake = _validated(Intake, raw, "", "see examples/intake.yaml")
        report = assess_and_prescribe(intake)
    data = {
        "assessment": report.assessment.model_dump(mode="json"),
        "programme": _programme_json(report.programme),
    }
    emit(data, fmt, _render_assessment)


#: Keys the printed programme carries that are output only (recomputed from the dose).
_OUTPUT_ONLY_ITEM_KEYS = ("dose_text",)


def _load_programme(raw: Any) -> Programme:
    from retrowalk.core.prescription import Programme, programme_from_items

    hint = "copy the programme from `retrowalk assess --format json` / `retrowalk next` or list exercise ids"
    if isinstance(raw, Mapping) and "items" in raw:
        data = dict(raw)
        if isinstance(data["items"], list):
            data["items"] = [
                {k: v for k, v in i.items() if k not in _OUTPUT_ONLY_ITEM_KEYS}
                if isinstance(i, Mapping)
                else i
                for i in data["items"]
            ]
        programme: Programme = _validated(Programme, data, "programme", hint)
        return programme
    if isinstance(raw, list):
        return programme_from_items(raw)
    raise InputError(
        "programme", "expected a list of {exercise_id, dose} or a programme with items", hint=hint
    )


def _render_next(data: dict[str, Any]) -> None:
    table = new_table(title="Next session")
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
    for flag in data["red_flags_in_force"]:
        console.print(f"[bold red]red flag in force:[/] {flag['text']} ({flag['flag_id']})")
    for item in data["excluded"]:
        console.print(f"[dim]left out {item['exercise_id']}: {item['reason']}[/]")
    for note in data["notes"]:
        console.print(f"[dim]note: {note}[/]")
    if data["stop"]:
        console.print(f"[bold red]{data['refer_out']}[/]")
    console.print(f"[dim]judged through {data['judged_through'] or '—'}[/]")


def _next_json(result: NextSession) -> dict[str, Any]:
    data = result.model_dump(mode="json")
    for d, model in zip(data["decisions"], result.decisions, strict=True):
        d["dose_text"] = model.next_dose.describe() if model.next_dose else "—"
    return data


_NEXT_KEYS = ("programme", "sessions", "intake", "red_flags_cleared", "hands_free")
_NEXT_HINT = "see examples/sessions.yaml"


def _list_of(raw: Mapping[str, Any], key: str) -> list[Any]:
    value = raw.get(key) or []
    if not isinstance(value, list):
        raise InputError(key, "expected a list", hint=_NEXT_HINT)
    return value


def next_cmd(
    sessions_file: Path = typer.Argument(
        ...,
        help="YAML/JSON with `programme`, logged `sessions` and optionally `intake` (as for `assess`), "
        "`red_flags_cleared` and `hands_free` evidence.",
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Decide the next dose of every exercise with the pain-monitoring model."""
    from retrowalk.core.assessment import Intake
    from retrowalk.core.progression import HandsFreeEvidence, RedFlagClearance, SessionRecord, decide_next

    with user_errors():
        raw = _mapping(read_structured(sessions_file, "SESSIONS"), "SESSIONS", _NEXT_HINT)
        _refuse_unknown(raw, _NEXT_KEYS, _NEXT_HINT)
        if "programme" not in raw:
            raise InputError(
                "programme", "missing", hint="add the current programme (see examples/sessions.yaml)"
            )
        programme = _load_programme(raw["programme"])
        sessions = [
            _validated(SessionRecord, s, f"sessions[{i}]", _NEXT_HINT)
            for i, s in enumerate(_list_of(raw, "sessions"))
        ]
        cleared = [
            _validated(
                RedFlagClearance, c, f"red_flags_cleared[{i}]", "give flag_id, cleared_by, cleared_on, reason"
            )
            for i, c in enumerate(_list_of(raw, "red_flags_cleared"))
        ]
        intake = (
            _validated(Intake, raw["intake"], "intake", "see examples/intake.yaml")
            if "intake" in raw
            else None
        )
        evidence = (
            _validated(HandsFreeEvidence, raw["hands_free"], "hands_free", "give recordings and/or sign_off")
            if raw.get("hands_free") is not None
            else None
        )
        result = decide_next(
            programme, sessions, intake=intake, red_flags_cleared=cleared, hands_free_evidence=evidence
        )
    emit(_next_json(result), fmt, _render_next)


def register(app: typer.Typer) -> None:
    # These commands' start-up is mostly the core's catalogues: parse them from the user's cache
    # (the same data; retrowalk.cli._cache). Other commands parse as before.
    from retrowalk.cli import _cache

    _cache.install()
    app.add_typer(score_app, name="score")
    app.command("assess")(assess_cmd)
    app.command("next")(next_cmd)
