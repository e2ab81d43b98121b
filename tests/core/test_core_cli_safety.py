"""CLI contract of issue #13: strict input, `next` with an intake and clearances, `score womac`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.core.cli_support import EXAMPLES, run_cli

from retrowalk.core.scores.koos import answers_from_pairs
from retrowalk.core.scores.mcid import change_flags
from retrowalk.core.scores.womac import score_womac
from retrowalk.errors import InputError


def _example(name: str = "sessions.yaml") -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: Any, name: str = "in.yaml") -> Path:
    f = tmp_path / name
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return f


# ---- 6. strict input -------------------------------------------------------------------------------------
def _misspelt_sessions(d: dict[str, Any]) -> None:
    d["sesions"] = d.pop("sessions")


def _misspelt_dose(d: dict[str, Any]) -> None:
    d["programme"][0]["dosage"] = d["programme"][0].pop("dose")


def _misspelt_pain(d: dict[str, Any]) -> None:
    d["sessions"][0]["pian_after"] = 9


def _nine_kmh(d: dict[str, Any]) -> None:
    d["programme"][1]["dose"]["speed_kmh"] = 9


def _steep(d: dict[str, Any]) -> None:
    d["programme"][1]["dose"]["incline_pct"] = 15


def _key_off(d: dict[str, Any]) -> None:
    d["programme"][1]["dose"]["safety_key"] = False


def _hands_free_stage_1(d: dict[str, Any]) -> None:
    d["programme"][1]["dose"]["handrails"] = "none"


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (_misspelt_sessions, "sesions", "unknown key"),
        (_misspelt_dose, "programme[0].dosage", "unknown key"),
        (_misspelt_pain, "sessions[0].pian_after", "unknown key"),
        (_nine_kmh, "programme[1].dose", "speed_kmh must be 2-3 km/h"),
        (_steep, "programme[1].dose", "incline_pct must be at most"),
        (_key_off, "programme[1].dose", "safety_key must be true"),
        (_hands_free_stage_1, "programme[1].dose", "hands-free"),
    ],
)
def test_next_refuses_bad_input_naming_the_field(tmp_path: Path, mutate: Any, field: str, words: str) -> None:
    data = _example()
    mutate(data)
    code, out, err = run_cli("next", str(_write(tmp_path, data)), "--format", "json")
    assert code == 2 and out == ""
    assert field in err and words in err


def test_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("programme: []\n# caf\xe9\n".encode("latin-1"))
    code, out, err = run_cli("next", str(f), "--format", "json")
    assert code == 2 and out == "" and "not UTF-8" in err and "Traceback" not in err
    g = tmp_path / "latin1.json"
    g.write_bytes(b'{"P1": 1, "note": "\xe9"}')
    code, _, err = run_cli("score", "koos", str(g))
    assert code == 2 and "not UTF-8" in err


def test_duplicate_koos_answers_keep_the_more_severe(tmp_path: Path) -> None:
    f = tmp_path / "dup.json"
    f.write_text('{"Q1": 1, "Q2": 1, "Q3": 1, "Q4": 1, "Q1": 4, "Q2": null}', encoding="utf-8")
    code, out, _ = run_cli("score", "koos", str(f), "--format", "json")
    assert code == 0
    assert json.loads(out)["qol"] == pytest.approx(100 - (4 + 1 + 1 + 1) / 4 * 25)
    y = tmp_path / "dup.yaml"
    y.write_text("Q1: 3\nQ2: 1\nQ3: 1\nQ4: 1\nQ1: 0\n", encoding="utf-8")
    code, out, _ = run_cli("score", "koos", str(y), "--format", "json")
    assert code == 0 and json.loads(out)["qol"] == pytest.approx(100 - 6 / 4 * 25)
    assert answers_from_pairs([("P1", None), ("P1", 2), ("P1", 1)]) == {"P1": 2}
    with pytest.raises(InputError) as exc:
        answers_from_pairs([("P1", 2), ("P1", "three")])
    assert exc.value.field == "P1"


# ---- 1, 2, 5: next with an intake, clearances and judged_through -----------------------------------------
def test_next_with_intake_and_clearance_and_feedback_is_unchanged(tmp_path: Path) -> None:
    code, out, err = run_cli("next", str(EXAMPLES / "next_with_intake.yaml"), "--format", "json")
    assert code == 0, err
    first = json.loads(out)
    assert first["judged_through"] == first["programme"]["judged_through"] == "2026-03-05"
    assert not first["stop"] and first["can_log_exercise"]
    ids = [i["exercise_id"] for i in first["programme"]["items"]]
    assert "decline_squat_90" not in ids and "retro_walk_3" not in ids
    data = _example("next_with_intake.yaml")
    data["programme"] = first["programme"]
    code, out, err = run_cli("next", str(_write(tmp_path, data)), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["programme"] == first["programme"]
    # without the clearance the DVT flag of the first session is still in force
    del data["red_flags_cleared"]
    code, out, _ = run_cli("next", str(_write(tmp_path, data)), "--format", "json")
    stopped = json.loads(out)
    assert stopped["stop"] and not stopped["can_log_exercise"]
    assert [f["flag_id"] for f in stopped["red_flags_in_force"]] == ["signs_of_dvt"]


def test_next_intake_uses_the_assess_schema(tmp_path: Path) -> None:
    data = _example()
    data["intake"] = {"age": 70, "pain_at_rest_nprs": 2, "measurments": []}
    code, out, err = run_cli("next", str(_write(tmp_path, data)), "--format", "json")
    assert code == 2 and out == "" and "intake.measurments" in err and "unknown key" in err
    data["intake"] = {"age": 70}
    code, _, err = run_cli("next", str(_write(tmp_path, data)), "--format", "json")
    assert code == 2 and "intake.pain_at_rest_nprs" in err


def test_bad_clearance_is_named(tmp_path: Path) -> None:
    data = _example()
    data["red_flags_cleared"] = [{"flag_id": "signs_of_dvt", "cleared_by": "x", "cleared_on": "2026-03-09"}]
    code, _, err = run_cli("next", str(_write(tmp_path, data)), "--format", "json")
    assert code == 2 and "red_flags_cleared[0].reason" in err


def test_programme_from_assess_output_is_accepted(tmp_path: Path) -> None:
    code, out, _ = run_cli("assess", str(EXAMPLES / "intake.yaml"), "--format", "json")
    assert code == 0
    data = _example()
    data["programme"] = json.loads(out)["programme"]  # carries output-only dose_text
    data["intake"] = _example("intake.yaml")
    code, out, err = run_cli("next", str(_write(tmp_path, data)), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["judged_through"] == "2026-03-04"


# ---- 11. WOMAC, VAS and their MCIDs ----------------------------------------------------------------------
def test_score_womac_json_is_exact() -> None:
    code, out, _ = run_cli("score", "womac", str(EXAMPLES / "koos_answers.json"), "--format", "json")
    assert code == 0
    data = json.loads(out)
    answers = json.loads((EXAMPLES / "koos_answers.json").read_text(encoding="utf-8"))
    assert data["pain"] == sum(answers[f"P{i}"] for i in range(5, 10))
    assert data["stiffness"] == answers["S6"] + answers["S7"]
    assert data["function"] == sum(answers[f"A{i}"] for i in range(1, 18))
    assert data["total"] == data["pain"] + data["stiffness"] + data["function"]
    assert data["derived_from"] == "KOOS" and "Whitehouse" in data["missing_rules"]["function"]


def test_womac_missing_item_rule() -> None:
    full = {f"P{i}": 2 for i in range(5, 10)} | {"S6": 1, "S7": 3} | {f"A{i}": 1 for i in range(1, 18)}
    assert score_womac(full).total == 10 + 4 + 17
    one_pain = {**full, "P9": None}
    assert score_womac(one_pain).pain == 10  # mean of the four answered, times five
    assert score_womac({**one_pain, "P8": None}).pain is None
    assert score_womac({**one_pain, "P8": None}).total is None
    assert score_womac({**full, "S6": None, "S7": None}).stiffness is None
    three = {**full, "A1": None, "A2": None, "A3": None}
    assert score_womac(three).function == 17
    assert score_womac({**three, "A4": None}).function is None
    assert score_womac({"P5": 4, "P6": 4, "P7": 4, "P8": 4, "P9": 4}).pain == 20


def test_vas_and_womac_mcids_come_from_the_facts_file() -> None:
    (vas,) = change_flags("vas", 6.0, 4.0)
    assert vas.threshold_absolute == 1.75 and vas.improved and "PMC7990728" in vas.source
    assert not change_flags("vas", 6.0, 4.5)[0].improved
    (womac,) = change_flags("womac", 50, 44)
    assert womac.threshold_percent == 12 and womac.improved
    assert not change_flags("womac", 50, 45)[0].improved
    with pytest.raises(InputError):
        change_flags("vas", 11, 2)


def test_intake_records_vas_pain(tmp_path: Path) -> None:
    data = _example("intake.yaml") | {"pain_vas_cm": 4.2}
    code, out, _ = run_cli("assess", str(_write(tmp_path, data)), "--format", "json")
    assert code == 0 and json.loads(out)["assessment"]["pain_vas_cm"] == 4.2
    code, _, err = run_cli("assess", str(_write(tmp_path, data | {"pain_vas_cm": 12})), "--format", "json")
    assert code == 2 and "pain_vas_cm" in err
