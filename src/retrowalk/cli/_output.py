"""Output conventions shared by every command.

``--format json`` prints machine-readable JSON and nothing else on stdout; human output goes
through Rich. Errors always go to stderr with exit code 2 and name the bad field.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from pydantic import BaseModel, ValidationError

from retrowalk.errors import DataFileError, InputError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


class _LazyConsole:
    """A Rich console made on first use: ``--format json`` and silent paths never import Rich
    (``rich.console`` alone is about 15 ms of a command's start-up)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def real(self) -> Console:
        """The Rich console itself, made now (for Rich objects that take a console: Progress)."""
        if self._console is None:
            from rich.console import Console
            from rich.highlighter import NullHighlighter

            made = Console(**self._options)
            if made.color_system is None:
                # No styles reach the output (a pipe, a file): the highlighter's regexes would
                # only be compiled and run for nothing (~5 ms of `gait imu`); same bytes out.
                made.highlighter = NullHighlighter()
            self._console = made
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


def rich_console(console: Console) -> Console:
    """The real console behind :data:`console` or :data:`err_console` (Rich's Progress uses it as
    a context manager, which a stand-in forwarding attributes cannot be)."""
    return console.real() if isinstance(console, _LazyConsole) else console


def new_table(*headers: str, **options: Any) -> Table:
    """A Rich table, with Rich imported only here: text output draws tables, ``--format json``
    never does (and so never imports Rich)."""
    from rich.table import Table

    return Table(*headers, **options)


#: Human output; stdout is left free for ``--format json``. Typed as the Console they stand for.
console: Console = _LazyConsole()  # type: ignore[assignment]
err_console: Console = _LazyConsole(stderr=True)  # type: ignore[assignment]

EXIT_BAD_INPUT = 2


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = typer.Option(
    OutputFormat.text, "--format", "-f", help="text for people, json for programs (stdout only)."
)


def _default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "tolist"):  # numpy arrays and scalars
        return obj.tolist()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def to_jsonable(data: Any) -> Any:
    """Round-trip through json so callers get plain dicts/lists (numpy and pydantic included)."""
    return json.loads(json.dumps(data, default=_default))


def emit(data: Any, fmt: OutputFormat, render_text: Callable[[Any], None] | None = None) -> None:
    """Print ``data`` as JSON on stdout, or call ``render_text`` for people."""
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(data, default=_default, indent=2, allow_nan=False) + "\n")
        sys.stdout.flush()
        return
    if render_text is not None:
        render_text(data)
    else:
        console.print_json(json.dumps(data, default=_default))


def fail(field: str, message: str, *, hint: str | None = None, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Report a bad input on stderr and exit non-zero."""
    from rich.markup import escape

    # Escaped: hints such as "pip install 'retrowalk[pdf]'" are not Rich markup.
    text = f"[bold red]error[/]: {escape(field)}: {escape(message)}"
    if hint:
        text += f"\n  fix: {escape(hint)}"
    err_console.print(text, highlight=False)
    raise typer.Exit(code)


def _validation_field(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first.get("loc", ())) or "input"
    return loc, first.get("msg", "invalid value")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the library's input errors into a clean stderr message and exit code 2."""
    try:
        yield
    except InputError as exc:
        fail(exc.field, exc.message, hint=exc.hint)
    except ValidationError as exc:
        loc, msg = _validation_field(exc)
        fail(loc, msg, hint="correct this field and run the command again")
    except DataFileError as exc:
        fail("data file", str(exc), hint="the packaged data is broken; reinstall or fix the file")
    except FileNotFoundError as exc:
        fail(str(exc.filename or "file"), "file not found", hint="check the path")
    except IsADirectoryError as exc:
        fail(str(exc.filename or "file"), "is a directory, expected a file", hint="pass a file path")
    except Exception as exc:
        # e.g. a read-only or full disk under the database; sqlalchemy is only imported (and
        # its errors only raised) by the commands that open one.
        sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
        if sqlalchemy_exc is None or not isinstance(exc, sqlalchemy_exc.OperationalError):
            raise
        from retrowalk.api.hardening import storage_fault

        reason = storage_fault(exc) or str(exc.orig or exc).splitlines()[0]
        fail("database", f"cannot use the database: {reason}", hint="check RETROWALK_DATA_DIR and free space")


def read_structured(path: Path, field: str = "file") -> Any:
    """Load a JSON or YAML file given on the command line, with clear errors."""
    import yaml

    if not path.exists():
        raise InputError(field, f"{path} does not exist", hint="check the path")
    if path.is_dir():
        raise InputError(field, f"{path} is a directory", hint="pass a .json or .yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            field,
            f"{path} is not UTF-8 text (undecodable byte at offset {exc.start})",
            hint="save it as UTF-8",
        ) from exc
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except RecursionError:
        raise InputError(field, f"{path} is nested too deeply", hint="flatten the document") from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(
            field,
            f"{path} is not valid {path.suffix.lstrip('.') or 'YAML/JSON'}: {exc}",
            hint="fix the syntax",
        ) from exc
