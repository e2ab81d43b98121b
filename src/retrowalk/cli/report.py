"""``retrowalk report CLIENT_ID --out report.pdf``: the clinical progress report from storage."""

from __future__ import annotations

from pathlib import Path

import typer

from retrowalk.cli._db import open_database
from retrowalk.cli._output import FormatOption, OutputFormat, console, emit, fail, user_errors


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        client_id: int = typer.Argument(..., min=1, help="Client id (see the web dashboard or the API)."),
        out: Path = typer.Option(Path("report.pdf"), "--out", "-o", help="Where to write the PDF."),
        html: bool = typer.Option(False, "--html", help="Write the report as HTML instead of PDF."),
        fmt: OutputFormat = FormatOption,
    ) -> None:
        """Write a client's progress report (findings, programme, outcomes, charts) as PDF."""
        from retrowalk.app.records import report_data
        from retrowalk.reports.pdf import render_html, render_pdf
        from retrowalk.storage import crud

        with user_errors():
            if out.exists() and out.is_dir():
                fail("--out", f"{out} is a directory", hint="give a file name such as report.pdf")
            with open_database() as database, database.transaction() as db:
                client = crud.get_client(db, client_id)
                if client is None:
                    fail(
                        "client_id",
                        f"no client with id {client_id}",
                        hint="list clients on the dashboard or via GET /api/v1/clients",
                    )
                data = report_data(db, client)
                crud.audit(
                    db, None, "read", "report", resource_id=client.id, client_id=client.id, detail="cli"
                )
            out.parent.mkdir(parents=True, exist_ok=True)
            if html:
                out.write_text(render_html(data), encoding="utf-8")
            else:
                out.write_bytes(render_pdf(data))
        summary = {
            "client_id": client_id,
            "client": data.client.name,
            "out": str(out),
            "bytes": out.stat().st_size,
            "format": "html" if html else "pdf",
        }
        emit(
            summary, fmt, lambda s: console.print(f"wrote {s['out']} ({s['bytes']} bytes) for {s['client']}")
        )
