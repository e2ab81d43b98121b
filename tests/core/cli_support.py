"""One way for the core CLI tests to run a command and read what it wrote."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from retrowalk.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_runner = CliRunner()


def run_cli(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``retrowalk ARGS``; Rich wraps long stderr lines, so the
    stderr comes back with its whitespace normalised."""
    result = _runner.invoke(app, list(args))
    return result.exit_code, result.stdout, " ".join(result.stderr.split())
