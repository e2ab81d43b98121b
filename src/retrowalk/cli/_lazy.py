"""Command groups that import a command's module only when that command is run or listed.

Start-up then pays for Typer, Rich and the one command asked for, not for NumPy, SciPy, pandas,
SQLAlchemy or FastAPI that other commands need (``tests/test_cli_startup.py`` keeps it so).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context  # the click that Typer builds its groups from


class LazyGroup(TyperGroup):
    """A Typer group whose commands come from ``retrowalk.cli.<module>.register(app)`` on first use."""

    #: command name -> module (under ``retrowalk.cli``) whose ``register(app)`` adds that command.
    lazy_commands: ClassVar[Mapping[str, str]] = {}
    #: command name -> its line in the group's ``--help`` (the command's own help, first paragraph),
    #: so listing the commands imports none of them.
    lazy_help: ClassVar[Mapping[str, str]] = {}
    _listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        loaded = [name for name in self.commands if name not in self.lazy_commands]
        return [*self.lazy_commands, *loaded]

    def format_help(self, ctx: Context, formatter: Any) -> None:
        # the command list shows one line per command: importing every command's module (and
        # all they import) for it took half of `retrowalk --help`'s start-up
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            if self._listing and cmd_name in self.lazy_help:
                return TyperCommand(name=cmd_name, help=self.lazy_help[cmd_name])
            self.commands.update(registered_commands(self.lazy_commands[cmd_name]))
        return super().get_command(ctx, cmd_name)


def registered_commands(module_name: str) -> dict[str, Command]:
    """The click commands that ``retrowalk.cli.<module_name>.register`` adds to an app."""
    module: Any = importlib.import_module(f"retrowalk.cli.{module_name}")
    holder = typer.Typer()
    module.register(holder)
    return dict(typer.main.get_group(holder).commands)


def lazy_group(commands: Mapping[str, str], help_lines: Mapping[str, str] | None = None) -> type[LazyGroup]:
    """A :class:`LazyGroup` subclass for ``typer.Typer(cls=...)`` loading ``commands`` on demand
    (``help_lines``: their lines in ``--help``)."""
    return type(
        "LazyGroup", (LazyGroup,), {"lazy_commands": dict(commands), "lazy_help": dict(help_lines or {})}
    )
