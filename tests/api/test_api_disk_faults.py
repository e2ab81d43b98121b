"""A disk that really fills up or is read-only (a small tmpfs in a private mount namespace, see
``disk_fault_scenario.py``): an upload that cannot be written is 503 saying so, leaves no file
behind and /health reports it; a page read that cannot write its audit row is an HTML 503; once
space is back, uploads work again; start-up on a full or read-only data directory is one line and
exit 2. Skipped where this machine lets no process mount a tmpfs (no user namespaces)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCENARIO = Path(__file__).with_name("disk_fault_scenario.py")


@pytest.fixture(scope="module")
def outcome() -> dict[str, Any]:
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("util-linux unshare is not installed")
    namespace = [unshare, "--user", "--map-root-user", "--mount"]
    probe = subprocess.run(
        [*namespace, "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {probe.stderr.decode().strip()}")
    result = subprocess.run(
        [*namespace, sys.executable, str(SCENARIO)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_an_upload_on_a_full_disk_is_503_and_leaves_nothing(outcome: dict[str, Any]) -> None:
    code, body = outcome["upload_full"]
    assert code == 503 and "the disk is full" in body and "nothing was saved" in body
    assert outcome["upload_files_left"] == []
    code, body = outcome["health_full"]
    assert code == 503 and "the disk is full" in body


def test_a_page_on_a_full_disk_is_an_html_503(outcome: dict[str, Any]) -> None:
    code, content_type, text = outcome["page_full"]
    assert code == 503 and content_type.startswith("text/html") and "disk is full" in text


def test_uploads_work_again_once_there_is_space(outcome: dict[str, Any]) -> None:
    code, _body = outcome["upload_after"]
    assert code in (201, 202)


@pytest.mark.parametrize(
    ("case", "meaning"), [("serve_full", "disk is full"), ("serve_read_only", "read-only")]
)
def test_start_up_on_a_full_or_read_only_data_directory(
    outcome: dict[str, Any], case: str, meaning: str
) -> None:
    rc, stderr = outcome[case]["rc"], outcome[case]["stderr"]
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert rc == 2 and lines[0].startswith("error: data_dir:") and meaning in lines[0], stderr
    assert len(lines) <= 2 and "Traceback" not in stderr  # the one line and its hint
