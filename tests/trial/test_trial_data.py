"""Bad data files fail with an error naming the CSV line; good ones keep adherence and withdrawals."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrowalk.errors import InputError
from retrowalk.io.trial import load_data
from retrowalk.trial.definition import TrialDefinition

HEADER = "participant,arm,sex,visit,day,outcome,value,sessions_done,sessions_prescribed,deviation,withdrawn"
GOOD = [
    "P1,A,M,v0,0,pain,7,,,,",
    "P1,A,M,v1,7,pain,6,5,6,,",
    "P1,A,M,v2,21,pain,4,10,12,,",
    "P2,B,F,v0,0,pain,6.5,,,,",
    "P2,B,F,v1,8,pain,4,3,6,,yes",
]


def _write(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "data.csv"
    path.write_text("# SIMULATED test data\n" + header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_file_is_read_with_visit_level_details(tmp_path: Path, definition: TrialDefinition) -> None:
    data = load_data(_write(tmp_path, GOOD), definition)
    assert len(data.observations) == 5
    assert data.observations[0].line == 3  # the comment and header lines count
    p1, p2 = data.participants
    assert (p1.sessions_done, p1.sessions_prescribed, p1.adherence) == (15, 18, pytest.approx(15 / 18))
    assert p2.withdrawn and p2.withdrawn_after == "v1"
    assert p1.strata == {"sex": "M"}


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("P3,C,M,v0,0,pain,5,,,,", "arm", "unknown arm 'C'"),
        ("P3,A,M,v1,12,pain,5,,,,", "day", "outside the window of visit v1"),
        ("P3,A,M,v9,0,pain,5,,,,", "visit", "unknown visit"),
        ("P3,A,M,v0,0,pain,five,,,,", "value", "'five' is not a number"),
        ("P3,A,M,v0,0,pain,11,,,,", "value", "outside the range"),
        (
            "P1,A,M,v2,21,pain,3,,,,",
            "outcome",
            "duplicate row for participant P1, visit v2, outcome pain (first on line 5)",
        ),
        ("P1,B,M,v3,0,pain,3,,,,", "visit", "unknown visit"),
        ("P1,B,M,v0,0,pain,3,,,,", "arm", "different arm than on line 3"),
        ("P3,A,X,v0,0,pain,3,,,,", "sex", "'X' is not a level of sex"),
        ("P3,A,M,v1,7,pain,3,7,6,,", "sessions_done", "exceeds 6 prescribed"),
        ("P3,A,M,v1,7,pain,3,2.5,6,,", "sessions_done", "not a whole number"),
        ("P3,A,M,v1,7,pain,3,,,,maybe", "withdrawn", "not yes/no"),
        ("P3,A,M,v0,0,weight,3,,,,", "outcome", "unknown outcome"),
    ],
)
def test_bad_rows_name_the_line(
    tmp_path: Path, definition: TrialDefinition, line: str, column: str, message: str
) -> None:
    path = _write(tmp_path, [*GOOD, line])
    with pytest.raises(InputError) as err:
        load_data(path, definition)
    assert err.value.field == f"data.csv line 8, column {column}"
    assert message in err.value.message
    assert err.value.hint


def test_conflicting_visit_details_and_bad_headers(tmp_path: Path, definition: TrialDefinition) -> None:
    two_outcomes = definition.model_copy(
        update={"outcomes": [*definition.outcomes, definition.outcomes[0].model_copy(update={"id": "rom"})]}
    )
    path = _write(tmp_path, ["P1,A,M,v1,7,pain,5,4,6,,", "P1,A,M,v1,8,rom,5,4,6,,"])
    with pytest.raises(InputError, match="differ from line 3") as err:
        load_data(path, two_outcomes)
    assert err.value.field.startswith("data.csv line 4")
    with pytest.raises(InputError, match="missing column"):
        load_data(_write(tmp_path, GOOD, header=HEADER.replace("sex,", "")), definition)
    with pytest.raises(InputError, match=r"unknown column.*sesions"):
        load_data(_write(tmp_path, GOOD, header=HEADER.replace("sessions_done", "sesions_done")), definition)
    with pytest.raises(InputError, match=r"line 3") as err2:
        load_data(_write(tmp_path, ["P1,A,M,v0,0,pain,7"]), definition)
    assert "cells" in err2.value.message


def test_missing_values_are_skipped_not_invented(tmp_path: Path, definition: TrialDefinition) -> None:
    data = load_data(_write(tmp_path, [*GOOD, "P3,A,F,v0,0,pain,NA,,,,"]), definition)
    assert len(data.observations) == 5
    assert [p.id for p in data.participants] == ["P1", "P2", "P3"]
