"""CLI: the documented examples run, JSON output is exact, bad input -> stderr, exit 2, empty stdout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.core.cli_support import EXAMPLES, run_cli


def test_score_koos_json_is_exact() -> None:
    code, out, _ = run_cli("score", "koos", str(EXAMPLES / "koos_answers.json"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"pain", "symptoms", "adl", "sport_rec", "qol"}
    # Sport/Rec: SP1=3, SP4=3, SP5=4 answered (3 of 5, the 2012 minimum) -> 100 - (10/3)*25
    assert data["sport_rec"] == pytest.approx(16.67)


def test_score_koos_null_when_too_many_missing(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"Q1": 1, "Q2": 1, "P1": 0}), encoding="utf-8")
    code, out, _ = run_cli("score", "koos", str(f), "--format", "json")
    assert code == 0
    assert json.loads(out) == {"pain": None, "symptoms": None, "adl": None, "sport_rec": None, "qol": 75.0}


def test_text_output_runs() -> None:
    code, out, _ = run_cli("score", "koos", str(EXAMPLES / "koos_answers.json"))
    assert code == 0 and "Sport/Rec" in out


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ({"P99": 1}, "P99"),
        ({"P1": 5}, "P1"),
        ({"P1": "two"}, "P1"),
        ([1, 2, 3], "ANSWERS"),
    ],
)
def test_score_bad_input(tmp_path: Path, content: object, field: str) -> None:
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(content), encoding="utf-8")
    code, out, err = run_cli("score", "koos", str(f), "--format", "json")
    assert code == 2 and out == ""
    assert field in err


def test_missing_file_and_broken_json(tmp_path: Path) -> None:
    code, out, err = run_cli("score", "koos", str(tmp_path / "nope.json"), "--format", "json")
    assert code == 2 and out == "" and "does not exist" in err and "ANSWERS" in err
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    code, out, err = run_cli("score", "koos", str(bad), "--format", "json")
    assert code == 2 and out == "" and "not valid" in err


def test_assess_example() -> None:
    code, out, _ = run_cli("assess", str(EXAMPLES / "intake.yaml"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["assessment"]["stop"] is False
    ids = [i["exercise_id"] for i in data["programme"]["items"]]
    assert ids[0] == "forward_walk" and "retro_walk_1" in ids
    ankle = next(i for i in data["programme"]["items"] if i["exercise_id"] == "ankle_df_mobilisation")
    assert "6 cm < 10 cm cut-off → ankle mobility" in ankle["reason"]
    code, out, _ = run_cli("assess", str(EXAMPLES / "intake.yaml"))
    assert code == 0 and "Programme" in out


def test_assess_bad_measurement(tmp_path: Path) -> None:
    f = tmp_path / "intake.yaml"
    f.write_text(
        "age: 60\npain_at_rest_nprs: 2\n"
        "measurements:\n  - {test_id: knee_to_wall, side: left, value: 6, unit: mm}\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("assess", str(f), "--format", "json")
    assert code == 2 and out == "" and "measurements[0].unit" in err
    f.write_text("age: old\n", encoding="utf-8")
    code, out, err = run_cli("assess", str(f), "--format", "json")
    assert code == 2 and out == "" and "age" in err


def test_next_example_and_roundtrip_from_assess(tmp_path: Path) -> None:
    code, out, _ = run_cli("next", str(EXAMPLES / "sessions.yaml"), "--format", "json")
    assert code == 0
    decisions = {d["exercise_id"]: d for d in json.loads(out)["decisions"]}
    assert decisions["retro_walk_1"]["decision"] == "progress"
    assert decisions["retro_walk_1"]["next_exercise_id"] == "retro_walk_2"
    assert decisions["glute_bridge"]["decision"] == "regress"
    # The programme printed by `assess` can be fed to `next` as is.
    _, assess_out, _ = run_cli("assess", str(EXAMPLES / "intake.yaml"), "--format", "json")
    f = tmp_path / "s.json"
    f.write_text(
        json.dumps({"programme": json.loads(assess_out)["programme"], "sessions": []}), encoding="utf-8"
    )
    code, out, _ = run_cli("next", str(f), "--format", "json")
    assert code == 0 and all(d["decision"] == "hold" for d in json.loads(out)["decisions"])


def test_next_bad_session(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(
        "programme: [{exercise_id: glute_bridge}]\n"
        "sessions:\n  - {date: 2026-03-01, pain_during: 11, pain_after: 2,\n"
        "     exercises: [{exercise_id: glute_bridge}]}\n",
        encoding="utf-8",
    )
    code, out, err = run_cli("next", str(f), "--format", "json")
    assert code == 2 and out == "" and "sessions[0].pain_during" in err
