"""The `retrowalk trial` commands end to end (real files in tmp_path)."""

from __future__ import annotations

import json
from pathlib import Path

from trial_helpers import EXAMPLES
from typer.testing import CliRunner

from retrowalk.cli.main import app

runner = CliRunner()


def _flat(text: str) -> str:
    """Rich wraps long messages at the terminal width; compare text with whitespace collapsed."""
    return " ".join(text.split())


TRIAL = str(EXAMPLES / "article-trial.yaml")
DATA = str(EXAMPLES / "simulated-data.csv")


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_randomise_reveal_list_keeps_the_list_concealed(tmp_path: Path) -> None:
    sealed = tmp_path / "alloc.json"
    made = _json(
        ["trial", "randomise", TRIAL, "--n", "30", "--seed", "7", "--out", str(sealed), "--by", "stat"]
    )
    assert "slots" not in made and '"arm"' not in json.dumps(made)  # only counts, no sequence
    assert all(n == 0 for s in made["strata"] for n in s["revealed_per_arm"].values())
    assert {s["stratum"] for s in made["strata"]} == {"sex=M", "sex=F"}
    assert sealed.stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["trial", "randomise", TRIAL, "--seed", "7", "--out", str(sealed)])
    assert again.exit_code == 2 and "refusing to overwrite" in _flat(again.output)
    first = _json(
        ["trial", "reveal", str(sealed), "--trial", TRIAL, "-p", "P001", "-s", "sex=F", "--by", "nurse"]
    )
    assert first["arm"] in {"conventional", "retro_walking"} and first["sequence"] == 1
    view = _json(["trial", "list", str(sealed)])
    assert [a["participant"] for a in view["allocations"]] == ["P001"]
    assert [e["action"] for e in view["audit"]] == ["generate", "reveal"]
    bad = runner.invoke(app, ["trial", "reveal", str(sealed), "--trial", TRIAL, "-p", "P002", "-s", "sex"])
    assert bad.exit_code == 2 and "FACTOR=LEVEL" in _flat(bad.output)


def test_sample_size_json() -> None:
    out = _json(["trial", "sample-size", "--difference", "8", "--sd", "12", "--n-per-arm", "15"])
    assert out["required"]["n_per_arm"] == [37, 37]
    assert out["with_n_per_arm"]["n_per_arm"] == [15, 15]
    assert 0 < out["with_n_per_arm"]["power_for_difference"] < 0.8


def test_analyse_writes_json_csv_and_plot(tmp_path: Path) -> None:
    csv_out, png = tmp_path / "res.csv", tmp_path / "means.png"
    out = _json(["trial", "analyse", TRIAL, DATA, "--csv", str(csv_out), "--plot", str(png)])
    assert out["population"] == "itt" and len(out["outcomes"]) == 5
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    header = csv_out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("population,outcome,analysis,arm,visit,n,estimate")
    pp = _json(["trial", "analyse", TRIAL, DATA, "--per-protocol"])
    assert pp["population"] == "per-protocol"
    text = runner.invoke(app, ["trial", "analyse", TRIAL, DATA])
    assert text.exit_code == 0 and "ANCOVA" in text.stdout


def test_analyse_bad_data_exits_2_naming_the_line(tmp_path: Path) -> None:
    lines = (EXAMPLES / "simulated-data.csv").read_text(encoding="utf-8").splitlines()
    lines[10] = lines[10].replace("retro_walking", "retro").replace("conventional", "retro")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["trial", "analyse", TRIAL, str(bad), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    err = _flat(result.stderr)
    assert "bad.csv line 11, column arm" in err and "unknown arm 'retro'" in err


def test_simulate_command_labels_output(tmp_path: Path) -> None:
    out = tmp_path / "sim.csv"
    res = _json(
        ["trial", "simulate", TRIAL, str(EXAMPLES / "simulation.yaml"), "--out", str(out), "--seed", "3"]
    )
    assert res["seed"] == 3 and out.read_text(encoding="utf-8").startswith("# SIMULATED DATA")
