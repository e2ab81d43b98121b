"""CLI conventions that every command shares."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

import retrowalk
from retrowalk.cli.main import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == retrowalk.__version__


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_module_entry_point_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "retrowalk", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == retrowalk.__version__


def test_emit_json_is_plain_json(capsys: object) -> None:
    import numpy as np

    from retrowalk.cli._output import OutputFormat, emit

    emit({"a": np.float64(1.5), "b": np.arange(3)}, OutputFormat.json)
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    assert json.loads(out) == {"a": 1.5, "b": [0, 1, 2]}


def test_text_without_colour_skips_the_highlighter_and_keeps_the_bytes() -> None:
    """Piped output carries no styles, so the console drops Rich's highlighter (its regexes cost
    start-up); a colour terminal keeps it, and the plain text is the same either way."""
    import io

    from rich.highlighter import NullHighlighter, ReprHighlighter

    from retrowalk.cli._output import _LazyConsole, rich_console

    line = "[bold]11[/] steps, cadence 96.17 steps/min in /tmp/walk.csv (x=1, ok=True)"
    piped, plain = io.StringIO(), io.StringIO()
    quiet = rich_console(_LazyConsole(file=piped, width=100))  # type: ignore[arg-type]
    assert quiet.color_system is None and isinstance(quiet.highlighter, NullHighlighter)
    quiet.print(line)
    coloured = rich_console(_LazyConsole(file=io.StringIO(), force_terminal=True))  # type: ignore[arg-type]
    assert coloured.color_system is not None and isinstance(coloured.highlighter, ReprHighlighter)
    from rich.console import Console

    Console(file=plain, width=100).print(line)  # Rich's own console, highlighter and all
    assert piped.getvalue() == plain.getvalue()


def test_loading_gait_imu_leaves_pydantic_plugins_as_the_user_set_them() -> None:
    """The IMU models are built with the plugin look-up off; the variable is put back after."""
    probe = (
        "import os\n{setup}import retrowalk.cli.gait_imu\nprint(os.environ.get('PYDANTIC_DISABLE_PLUGINS'))\n"
    )
    for setup, expected in (("", "None"), ("os.environ['PYDANTIC_DISABLE_PLUGINS'] = 'x'\n", "x")):
        proc = subprocess.run(
            [sys.executable, "-c", probe.format(setup=setup)], capture_output=True, text=True, check=True
        )
        assert proc.stdout.strip() == expected
