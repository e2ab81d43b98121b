"""Root Typer app: discovers every ``retrowalk.cli.*`` module that defines ``register``."""

from __future__ import annotations

import importlib
import pkgutil

import typer

import retrowalk
import retrowalk.cli as cli_pkg

app = typer.Typer(
    name="retrowalk",
    help="Knee-pain rehabilitation around backward walking.",
    add_completion=False,
    pretty_exceptions_enable=False,
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


def _register_all() -> None:
    modules = [
        importlib.import_module(f"{cli_pkg.__name__}.{info.name}")
        for info in pkgutil.iter_modules(cli_pkg.__path__)
        if not info.name.startswith("_") and info.name != "main"
    ]
    for module in modules:
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_all()


def run() -> None:
    app()
