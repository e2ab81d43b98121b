"""The CLI starts lean: a command's heavy dependencies are imported only when that command runs.

Structural, not timed: each check runs in a fresh interpreter and lists what got imported.
Timings live in ``benchmarks/cli_startup.py``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import retrowalk.cli as cli_pkg
from retrowalk.cli._lazy import registered_commands
from retrowalk.cli.gait import SUBCOMMANDS
from retrowalk.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "matplotlib",
    "sqlalchemy",
    "alembic",
    "fastapi",
    "uvicorn",
    "weasyprint",
    "pyarrow",
    "dask",
    "distributed",
)


def _heavy_imported(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the heavy top-level packages it left in sys.modules."""
    probe = (
        f"import json, sys\n{code}\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def _invoke(*args: str) -> str:
    """Code that runs the CLI in-process with ``args`` (exit code 0 required)."""
    return (
        "from retrowalk.cli.main import app\n"
        "try:\n"
        f"    app({list(args)!r}, standalone_mode=False)\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
    )


def test_importing_the_cli_imports_no_heavy_module() -> None:
    assert _heavy_imported("import retrowalk.cli.main") == []


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("score", "koos", "examples/koos_answers.json", "--format", "json"),
        ("assess", "examples/intake.yaml", "--format", "json"),
        ("next", "examples/sessions.yaml", "--format", "json"),
    ],
    ids=["help", "score-koos", "assess", "next"],
)
def test_clinical_commands_import_no_heavy_module(args: tuple[str, ...]) -> None:
    assert _heavy_imported(_invoke(*args)) == []


def test_gait_imu_imports_neither_scipy_nor_pandas_nor_the_web_stack() -> None:
    recording = "tests/data/mobilised/HA_001_TimeMeasure1_Test5_Trial1.csv.gz"
    if not (ROOT / recording).exists():
        pytest.skip(f"{recording} is absent")
    loaded = _heavy_imported(
        _invoke("gait", "imu", recording, "--placement", "waist", "--acc-unit", "g", "--gyr-unit", "deg/s")
    )
    assert not {"sqlalchemy", "fastapi", "uvicorn", "weasyprint", "matplotlib", "dask"} & set(loaded)
    # scipy's import alone is ~0.9 s (scipy.signal imports scipy.stats and more), pandas ~0.3 s:
    # the IMU path filters and finds peaks in NumPy, and reads a plain CSV without pandas.
    assert not {"scipy", "pandas"} & set(loaded)


def test_gait_imu_reads_its_limits_without_pydantic_settings() -> None:
    """The input limits come from the environment through retrowalk.limit_specs: building
    Settings (pydantic-settings) was ~25 ms of the start-up; NumPy's median/percentile NaN check
    imports numpy.ma (~10 ms), which the waist path avoids."""
    recording = "tests/data/mobilised/HA_001_TimeMeasure1_Test5_Trial1.csv.gz"
    if not (ROOT / recording).exists():
        pytest.skip(f"{recording} is absent")
    args = ("gait", "imu", recording, "--placement", "waist", "--acc-unit", "g", "--gyr-unit", "deg/s")
    unwanted = ("pydantic_settings", "retrowalk.settings", "numpy.ma")
    probe = _invoke(*args, "--format", "json") + (
        f"import sys\nprint(sorted(m for m in {unwanted!r} if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "args",
    [
        ("score", "koos", "examples/koos_answers.json", "--format", "json"),
        ("assess", "examples/intake.yaml", "--format", "json"),
        ("next", "examples/sessions.yaml", "--format", "json"),
    ],
    ids=["score-koos", "assess", "next"],
)
def test_json_output_imports_no_rich(args: tuple[str, ...]) -> None:
    """Rich is for people: ``--format json`` never loads it (the console is made on first print)."""
    listing = "import sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n"
    probe = _invoke(*args) + listing
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def _command_modules() -> list[str]:
    return [
        info.name
        for info in pkgutil.iter_modules(cli_pkg.__path__)
        if not info.name.startswith("_") and info.name != "main"
    ]


def test_every_command_module_is_in_exactly_one_registry() -> None:
    listed = set(COMMANDS.values()) | set(SUBCOMMANDS.values())
    with_register = {
        m
        for m in _command_modules()
        if hasattr(importlib.import_module(f"{cli_pkg.__name__}.{m}"), "register")
    }
    assert with_register == listed
    assert not set(COMMANDS.values()) & set(SUBCOMMANDS.values())


@pytest.mark.parametrize("registry", [COMMANDS, SUBCOMMANDS], ids=["retrowalk", "retrowalk gait"])
def test_registry_names_what_each_module_registers(registry: dict[str, str]) -> None:
    for module in set(registry.values()):
        expected = {name for name, owner in registry.items() if owner == module}
        assert set(registered_commands(module)) == expected, module


@pytest.mark.parametrize("group", [(), ("gait",)], ids=["retrowalk", "retrowalk gait"])
def test_the_help_list_reads_as_the_commands_own_help(
    monkeypatch: pytest.MonkeyPatch, group: tuple[str, ...]
) -> None:
    """`retrowalk --help` and `retrowalk gait --help` list the commands from their help tables
    without importing them; each list reads exactly as when every command's own help is loaded."""
    from typer.testing import CliRunner

    from retrowalk.cli.gait import SUBCOMMAND_HELP, gait_app
    from retrowalk.cli.main import COMMAND_HELP, app

    assert set(COMMAND_HELP) == set(COMMANDS) and set(SUBCOMMAND_HELP) == set(SUBCOMMANDS)
    runner = CliRunner()
    listed = runner.invoke(app, [*group, "--help"], terminal_width=100)
    assert listed.exit_code == 0, listed.output
    owner = gait_app if group else app
    monkeypatch.setattr(owner.info.cls, "lazy_help", {})  # list from the commands themselves
    loaded = runner.invoke(app, [*group, "--help"], terminal_width=100)
    assert loaded.exit_code == 0, loaded.output
    assert listed.output == loaded.output


@pytest.mark.parametrize("group", [(), ("gait",)], ids=["retrowalk", "retrowalk gait"])
def test_help_imports_no_command_module(group: tuple[str, ...]) -> None:
    allowed = ("retrowalk.cli.main", "retrowalk.cli._lazy", *(f"retrowalk.cli.{g}" for g in group))
    probe = _invoke(*group, "--help") + (
        "import sys\n"
        "print(sorted(m for m in sys.modules if m.startswith('retrowalk.') and m.split('.')[1] not in "
        "('cli', 'errors')) + sorted(m for m in sys.modules if m.startswith('retrowalk.cli.') and "
        f"m not in {allowed!r}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"
