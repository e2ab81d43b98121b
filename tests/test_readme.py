"""The README's command-line tour runs as shown (each `$ retrowalk ...` line of a console block)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tour_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    return [
        line[2:].strip() for block in blocks for line in block.splitlines() if line.startswith("$ retrowalk ")
    ]


def test_readme_has_a_tour() -> None:
    assert len(_tour_commands()) >= 5


@pytest.mark.parametrize("command", _tour_commands())
def test_readme_command_runs(command: str, tmp_path: Path) -> None:
    argv = shlex.split(command)
    env = {**os.environ, "RETROWALK_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "120"}
    proc = subprocess.run(
        [sys.executable, "-m", "retrowalk", *argv[1:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip(), "the command printed nothing"
    if "--format" in argv and argv[argv.index("--format") + 1] == "json":
        json.loads(proc.stdout)
