"""Optional parts (pip extras): when one is not installed, the feature fails naming the extra.

Absence is made real by Python's own rule: a ``None`` entry in ``sys.modules`` makes the import
raise ``ModuleNotFoundError`` for that name, exactly as on a machine without the package.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from retrowalk.batch.gait_imu import run_batch
from retrowalk.cli.main import app
from retrowalk.extras import MODULES, MissingExtraError, require
from retrowalk.interop.fhir_export import export_bundle
from retrowalk.interop.research import KEY_ENV

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "interop"))
from interop_strategies import sample_record  # noqa: E402


def _absent(monkeypatch: pytest.MonkeyPatch, extra: str) -> None:
    monkeypatch.setitem(sys.modules, MODULES[extra], None)  # type: ignore[index]


def test_every_extra_named_in_code_exists_in_pyproject() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    for extra, module in MODULES.items():
        assert extra in extras
        assert any(module in req.lower() for req in extras[extra]), (extra, extras[extra])


@pytest.mark.parametrize("extra", sorted(MODULES))
def test_require_names_the_extra_when_absent(monkeypatch: pytest.MonkeyPatch, extra: str) -> None:
    _absent(monkeypatch, extra)
    with pytest.raises(MissingExtraError) as info:
        require(extra, "the feature")  # type: ignore[arg-type]
    assert info.value.field == "the feature"
    assert info.value.hint == f"pip install 'retrowalk[{extra}]'"


def test_parquet_export_without_pyarrow_exits_2_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(export_bundle(sample_record())), encoding="utf-8")
    monkeypatch.setenv(KEY_ENV, "extras-test-secret-0123456789abcdef")
    _absent(monkeypatch, "parquet")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["export", "parquet", "--out", str(out), "--bundle", str(bundle)])
    assert result.exit_code == 2
    assert "retrowalk[parquet]" in result.stderr
    assert not out.exists()


def test_pdf_report_without_weasyprint_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from retrowalk.reports.pdf import render_pdf

    _absent(monkeypatch, "pdf")
    with pytest.raises(MissingExtraError, match=r"retrowalk\[pdf\]"):
        render_pdf(None)  # type: ignore[arg-type]  # refused before the data is looked at


def test_cluster_batch_without_distributed_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _absent(monkeypatch, "cluster")
    with pytest.raises(MissingExtraError, match=r"retrowalk\[cluster\]") as info:
        run_batch([], scheduler="tcp://127.0.0.1:1", progress=False)
    assert info.value.field == "--scheduler"
