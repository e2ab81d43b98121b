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
