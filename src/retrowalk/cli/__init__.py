"""Command-line edge (Typer + Rich).

Every module in this package may define ``register(app: typer.Typer) -> None``; ``main`` imports
them all and calls it, so adding a command never means editing a shared file.
"""
