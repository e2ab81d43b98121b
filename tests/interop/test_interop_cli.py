"""`retrowalk fhir import --dry-run` and `retrowalk export csv|parquet --bundle` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from interop_strategies import sample_record
from typer.testing import CliRunner

from retrowalk.cli.main import app
from retrowalk.interop.fhir_export import export_bundle
from retrowalk.interop.research import KEY_ENV

runner = CliRunner()
KEY = "cli-test-secret-0123456789abcdef"


@pytest.fixture
def bundle_file(tmp_path: Path) -> Path:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(export_bundle(sample_record())), encoding="utf-8")
    return path


def test_fhir_import_dry_run_json(bundle_file: Path) -> None:
    result = runner.invoke(app, ["fhir", "import", str(bundle_file), "--dry-run", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["imported"] is False and data["dry_run"] is True
    assert (data["koos"], data["pain"], data["measurements"], data["gait"], data["sessions"]) == (
        1,
        2,
        4,
        3,
        1,
    )


def test_fhir_import_rejects_bad_bundle_with_exit_2(bundle_file: Path) -> None:
    bundle = json.loads(bundle_file.read_text())
    obs = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "nprs-p0")
    obs["subject"] = {"reference": "Patient/ghost"}
    bundle_file.write_text(json.dumps(bundle))
    result = runner.invoke(app, ["fhir", "import", str(bundle_file), "--dry-run", "--format", "json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["imported"] is False
    assert data["issues"][0]["resource"] == "Observation/nprs-p0"
    assert "Observation/nprs-p0.subject.reference" in result.stderr


def test_export_csv_and_parquet_from_bundles(
    bundle_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    for kind in ("csv", "parquet"):
        out = tmp_path / kind
        result = runner.invoke(
            app, ["export", kind, "--out", str(out), "--bundle", str(bundle_file), "--format", "json"]
        )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["clients"] == 1
        assert str(out / f"outcomes.{kind}") in data["files"]
    csv = pd.read_csv(tmp_path / "csv" / "outcomes.csv")
    parquet = pd.read_parquet(tmp_path / "parquet" / "outcomes.parquet")
    assert list(csv["pid"].unique()) == list(parquet["pid"].unique())
    assert "client-7f3a" not in (tmp_path / "csv" / "outcomes.csv").read_text()


def test_export_refuses_without_key(
    bundle_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    result = runner.invoke(app, ["export", "csv", "--out", str(tmp_path / "o"), "--bundle", str(bundle_file)])
    assert result.exit_code == 2
    assert "pseudonym key" in result.stderr and KEY_ENV in result.stderr
    assert not (tmp_path / "o").exists()


def test_export_with_key_file(bundle_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(KEY)
    result = runner.invoke(
        app,
        [
            "export",
            "csv",
            "--out",
            str(tmp_path / "o"),
            "--bundle",
            str(bundle_file),
            "--key-file",
            str(key_file),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "data_dictionary.csv").exists()
