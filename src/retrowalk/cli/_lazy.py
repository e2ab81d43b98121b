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
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context  # the click that Typer builds its groups from


class LazyGroup(TyperGroup):
    """A Typer group whose commands come from ``retrowalk.cli.<module>.register(app)`` on first use."""

    #: command name -> module (under ``retrowalk.cli``) whose ``register(app)`` adds that command.
    lazy_commands: ClassVar[Mapping[str, str]] = {}

    def list_commands(self, ctx: Context) -> list[str]:
        loaded = [name for name in self.commands if name not in self.lazy_commands]
        return [*self.lazy_commands, *loaded]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.commands.update(registered_commands(self.lazy_commands[cmd_name]))
        return super().get_command(ctx, cmd_name)


def registered_commands(module_name: str) -> dict[str, Command]:
    """The click commands that ``retrowalk.cli.<module_name>.register`` adds to an app."""
    module: Any = importlib.import_module(f"retrowalk.cli.{module_name}")
    holder = typer.Typer()
    module.register(holder)
    return dict(typer.main.get_group(holder).commands)


def lazy_group(commands: Mapping[str, str]) -> type[LazyGroup]:
    """A :class:`LazyGroup` subclass for ``typer.Typer(cls=...)`` loading ``commands`` on demand."""
    return type("LazyGroup", (LazyGroup,), {"lazy_commands": dict(commands)})
