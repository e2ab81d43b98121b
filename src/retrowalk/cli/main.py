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

app = typer.Typer(
    name="retrowalk",
    help="Knee-pain rehabilitation around backward walking.",
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=lazy_group(COMMANDS),
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
