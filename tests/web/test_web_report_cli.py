"""``retrowalk report`` reads a client from storage and writes the PDF; bad ids fail cleanly."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.api.api_support import assess_and_prescribe, trainer_and_client
from typer.testing import CliRunner
from web_helpers import require_tool

from retrowalk.cli.main import app
from retrowalk.settings import get_settings
from retrowalk.storage import crud
from retrowalk.storage.db import Database


@pytest.fixture()
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("RETROWALK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RETROWALK_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _seed(url: str) -> int:
    database = Database(url)
    database.upgrade()
    with database.transaction() as db:
        trainer, client = trainer_and_client(db, "Grace Hopper-Report")
        _a, prog = assess_and_prescribe(
            db,
            client,
            trainer,
            {
                "pain_at_rest_nprs": 2,
                "pain_activity_nprs": 5,
                "measurements": [
                    {"test_id": "knee_extension_deficit", "side": "left", "value": 7},
                    {"test_id": "knee_extension_deficit", "side": "right", "value": 1},
                    {"test_id": "knee_flexion_rom", "side": "left", "value": 118},
                ],
            },
            pain=5,
            goals=["stairs"],
        )
        today = datetime.now(UTC).date()
        for i in range(4):
            crud.add_session_log(
                db,
                client.id,
                programme_id=prog.id,
                by=trainer,
                session_date=today - timedelta(days=8 - 2 * i),
                exercise_id="retro_walk_1",
                minutes=5 + i,
                speed_kmh=2.0,
                incline_pct=0,
                handrails="both",
                pain_during=6 - i,
                pain_after=5 - i,
                pain_next_morning=3 - 0.5 * i,
            )
        client_id = client.id
    database.dispose()
    return client_id


def test_report_cli_writes_pdf_with_client_and_charts(data_dir: Path) -> None:
    client_id = _seed(get_settings().resolved_database_url)
    out = data_dir / "out" / "report.pdf"
    result = CliRunner().invoke(app, ["report", str(client_id), "--out", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["client"] == "Grace Hopper-Report" and summary["bytes"] == out.stat().st_size
    text = subprocess.run(
        [require_tool("pdftotext"), str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Grace Hopper-Report" in text
    assert "Knee extension deficit" in text  # findings table
    assert "Pain during session" in text  # outcomes table from the logged sessions
    assert "Retro-walking dose per session" in text  # chart title (SVG text kept as text)


def test_report_cli_unknown_client_exits_2(data_dir: Path) -> None:
    _seed(get_settings().resolved_database_url)
    result = CliRunner().invoke(app, ["report", "999", "--out", str(data_dir / "x.pdf")])
    assert result.exit_code == 2
    assert "client_id" in result.output
    assert not (data_dir / "x.pdf").exists()
