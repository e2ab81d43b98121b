"""Command-line edge (Typer + Rich).

Each command module defines ``register(app: typer.Typer) -> None``; ``main.COMMANDS`` (and, for
``gait``, ``gait.SUBCOMMANDS``) says which module holds which command, so only that module is
imported when the command runs.
"""
