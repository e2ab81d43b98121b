"""`retrowalk fhir export|import` and `retrowalk export csv|parquet`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from retrowalk.cli._db import open_database
from retrowalk.cli._output import FormatOption, OutputFormat, console, emit, read_structured, user_errors
from retrowalk.errors import InputError

if TYPE_CHECKING:  # imported by the commands themselves (fast start-up)
    from retrowalk.interop.fhir_import import FhirImportError
    from retrowalk.interop.record import ClientRecord

fhir_app = typer.Typer(help="FHIR R4 export and import of client records.", no_args_is_help=True)
export_app = typer.Typer(help="Research exports (tidy long tables, pseudonymised).", no_args_is_help=True)


def _item_map(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    data = read_structured(path, "--item-map")
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InputError(
            "--item-map",
            "must be an object mapping foreign linkIds to KOOS ids",
            hint='e.g. {"Sy1": "S6", "Sy2": "S7"}',
        )
    return data


def _summary(record: ClientRecord) -> dict[str, int]:
    return {
        "koos": len(record.koos),
        "pain": len(record.pain),
        "measurements": len(record.measurements),
        "gait": len(record.gait),
        "programmes": len(record.programmes),
        "sessions": len(record.sessions),
    }


def _print_issues(exc: FhirImportError, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        emit({"imported": False, "issues": [i.model_dump() for i in exc.issues]}, fmt)
    from retrowalk.cli._output import err_console

    for issue in exc.issues:
        err_console.print(f"[bold red]error[/]: {issue}", highlight=False)
    err_console.print("nothing was imported", highlight=False)


@fhir_app.command("export")
def fhir_export(
    client_id: int = typer.Argument(..., help="Client id in the database."),
    out: Path = typer.Option(..., "--out", "-o", help="Bundle JSON file to write."),
    identify: bool = typer.Option(
        False, "--identify", help="Include the client's name (default: pseudonymous)."
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Export one client's record as a FHIR R4 Bundle (type collection)."""
    from retrowalk.interop.fhir_export import export_bundle

    with user_errors():
        from retrowalk.interop.storage_adapter import record_from_db

        with open_database() as db, db.transaction() as session:
            record = record_from_db(session, client_id)
        bundle = export_bundle(record, identify=identify)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        result = {
            "client_id": client_id,
            "out": str(out),
            "resources": len(bundle["entry"]),
            **_summary(record),
        }
    emit(result, fmt, lambda r: console.print(f"wrote {r['resources']} FHIR resources to {r['out']}"))


@fhir_app.command("import")
def fhir_import(
    bundle_file: Path = typer.Argument(..., help="FHIR R4 Bundle (JSON)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only validate; write nothing."),
    item_map: Path | None = typer.Option(None, "--item-map", help="JSON {foreign linkId: KOOS id}."),
    trainer: str | None = typer.Option(
        None, "--trainer", help="Username of the trainer to link the imported client to."
    ),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Import a Bundle as a new client, all-or-nothing in one transaction."""
    from retrowalk.interop.fhir_import import FhirImportError, import_bundle

    with user_errors():
        data = read_structured(bundle_file, "bundle")
        mapping = _item_map(item_map)
        try:
            result = import_bundle(data, item_map=mapping)
        except FhirImportError as exc:
            _print_issues(exc, fmt)
            raise typer.Exit(2) from exc
        out: dict[str, Any] = {
            "imported": not dry_run,
            "dry_run": dry_run,
            **_summary(result.record),
            "ignored": result.ignored,
        }
        if trainer is not None:
            out["trainer"] = trainer
        if not dry_run or trainer is not None:
            from retrowalk.interop.storage_adapter import check_trainer, import_record

            with open_database() as database:
                if dry_run and trainer is not None:
                    check_trainer(database, trainer)
                if not dry_run:
                    out["client_id"] = import_record(database, result.record, trainer_username=trainer)

    def text(r: dict[str, Any]) -> None:
        verb = "valid, not written (dry run)" if r["dry_run"] else f"imported as client {r['client_id']}"
        if r.get("trainer"):
            verb += f" (trainer {r['trainer']})"
        console.print(f"bundle {verb}: " + ", ".join(f"{k} {r[k]}" for k in _summary(result.record)))
        for line in r["ignored"]:
            console.print(f"  ignored: {line}")

    emit(out, fmt, text)


def _research(kind: str, out: Path, key_file: Path | None, bundles: list[Path], fmt: OutputFormat) -> None:
    from retrowalk.interop.fhir_import import import_bundle
    from retrowalk.interop.research import load_pseudonym_key, write_research_export

    with user_errors():
        key = load_pseudonym_key(key_file)
        if bundles:
            records = [import_bundle(read_structured(p, "--bundle")).record for p in bundles]
        else:
            from retrowalk.interop.storage_adapter import all_records

            with open_database() as database:
                records = all_records(database)
        written = write_research_export(records, out, key=key, fmt="csv" if kind == "csv" else "parquet")
        result = {"clients": len(records), "files": [str(p) for p in written]}
    emit(result, fmt, lambda r: console.print(f"exported {r['clients']} client(s): " + ", ".join(r["files"])))


_KEY_HELP = "File holding the pseudonymisation secret (else RETROWALK_PSEUDONYM_KEY)."
_BUNDLE_HELP = "Export these FHIR bundles instead of the database (repeatable)."


@export_app.command("csv")
def export_csv(
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    key_file: Path | None = typer.Option(None, "--key-file", help=_KEY_HELP),
    bundle: list[Path] = typer.Option([], "--bundle", help=_BUNDLE_HELP),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Outcomes, sessions and participants as CSV plus a data dictionary."""
    _research("csv", out, key_file, bundle, fmt)


@export_app.command("parquet")
def export_parquet(
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    key_file: Path | None = typer.Option(None, "--key-file", help=_KEY_HELP),
    bundle: list[Path] = typer.Option([], "--bundle", help=_BUNDLE_HELP),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Outcomes, sessions and participants as Parquet plus a data dictionary."""
    _research("parquet", out, key_file, bundle, fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(fhir_app, name="fhir")
    app.add_typer(export_app, name="export")
