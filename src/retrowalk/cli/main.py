"""Root Typer app. Commands are imported on first use (see :mod:`retrowalk.cli._lazy`).

A new top-level command is a module under ``retrowalk.cli`` with ``register(app: typer.Typer)``
plus one line in :data:`COMMANDS`; ``tests/test_cli_startup.py`` checks the two agree.
"""

from __future__ import annotations

import typer

import retrowalk
from retrowalk.cli._lazy import lazy_group

#: Top-level command -> the module whose ``register(app)`` adds it, in ``--help`` order.
COMMANDS: dict[str, str] = {
    "score": "clinical",
    "assess": "clinical",
    "next": "clinical",
    "gait": "gait",
    "report": "report",
    "fhir": "interop",
    "export": "interop",
    "trial": "trial",
    "start": "server",
    "serve": "server",
    "db": "server",
    "user": "server",
    "worker": "worker",
}
#: Each command's line in ``retrowalk --help``, so the list imports no command module
#: (``tests/test_cli_startup.py`` checks it reads as the commands' own help does).
COMMAND_HELP: dict[str, str] = {
    "score": "Score outcome questionnaires.",
    "assess": "Evaluate an assessment and prescribe a programme (findings + programme).",
    "next": "Decide the next dose of every exercise with the pain-monitoring model.",
    "gait": "Measure gait from phone/wearable IMU or video keypoints.",
    "report": "Write a client's progress report (findings, programme, outcomes, charts) as PDF.",
    "fhir": "FHIR R4 export and import of client records.",
    "export": "Research exports (tidy long tables, pseudonymised).",
    "trial": "Randomised two-arm comparisons (e.g. conventional vs + retro-walking).",
    "start": "Migrate the database, create demo data on first start, print the demo logins, serve.",
    "serve": "Serve the web app and API (migrates, never seeds).",
    "db": "Database maintenance: migrations and online backups.",
    "user": "Manage logins from the command line (e.g. the first admin).",
    "worker": (
        "Run jobs until stopped (Ctrl-C finishes the running job first). Requeues jobs of dead workers."
    ),
}

app = typer.Typer(
    name="retrowalk",
    help="Knee-pain rehabilitation around backward walking.",
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=lazy_group(COMMANDS, COMMAND_HELP),
)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        typer.echo(retrowalk.__version__)
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


def run() -> None:
    app()
