"""Trials over the REST API, on SQLite and PostgreSQL: definition → sealed list → reveals →
CSV upload → analysis equal to the CLI's, plus access rules and all-or-nothing uploads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.api.api_support import World
from trial_helpers import EXAMPLES
from typer.testing import CliRunner

from retrowalk.cli.main import app as cli_app
from retrowalk.io.trial import load_definition
from retrowalk.trial.randomisation import generate

TRIAL_YAML = EXAMPLES / "article-trial.yaml"
DATA_CSV = EXAMPLES / "simulated-data.csv"
SEED = 20260105


def _cli_analysis(*extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli_app, ["trial", "analyse", str(TRIAL_YAML), str(DATA_CSV), *extra, "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def _create(world: World, role: str = "trainer_a", **body: Any) -> Any:
    payload = body or {"definition_yaml": TRIAL_YAML.read_text(encoding="utf-8")}
    return world.http.post("/api/v1/trials", json=payload, headers=world.headers[role])


def _upload(world: World, trial_id: int, data: bytes, name: str = "data.csv") -> Any:
    return world.http.post(
        f"/api/v1/trials/{trial_id}/observations",
        files={"file": (name, data, "text/csv")},
        headers=world.headers["trainer_a"],
    )


def test_create_randomise_reveal_upload_analyse(world: World) -> None:
    h = world.headers["trainer_a"]
    created = _create(world)
    assert created.status_code == 201, created.text
    trial = created.json()
    tid = trial["id"]
    assert trial["key"] == load_definition(TRIAL_YAML).id and not trial["randomised"]
    base = f"/api/v1/trials/{tid}"

    # Nothing to reveal before the list exists.
    early = world.http.post(
        f"{base}/allocations", json={"participant": "R1", "strata": {"sex": "F"}}, headers=h
    )
    assert early.status_code == 409

    made = world.http.post(f"{base}/randomise", json={"seed": SEED, "n": 30}, headers=h)
    assert made.status_code == 201, made.text
    view = made.json()
    # Same seed → the same list as the core (and the CLI) would seal; no arm is shown.
    definition = load_definition(TRIAL_YAML)
    expected = generate(
        definition, seed=SEED, capacity_per_stratum=30, created_at=datetime.now(UTC), created_by="x"
    )
    assert view["digest"] == expected.digest
    assert view["allocations"] == [] and "slots" not in view and "seed" not in view
    again = world.http.post(f"{base}/randomise", json={"seed": 1}, headers=h)
    assert again.status_code == 409

    # Reveals hand out the stratum's slots in order, one participant at a time.
    f_slots = [s for s in expected.slots if s.stratum == "sex=F"]
    first = world.http.post(
        f"{base}/allocations", json={"participant": "R1", "strata": {"sex": "F"}}, headers=h
    )
    assert first.status_code == 201, first.text
    assert (first.json()["arm"], first.json()["sequence"]) == (f_slots[0].arm, 1)
    second = world.http.post(
        f"{base}/allocations", json={"participant": "R2", "strata": {"sex": "F"}}, headers=h
    )
    assert (second.json()["arm"], second.json()["sequence"]) == (f_slots[1].arm, 2)
    repeat = world.http.post(
        f"{base}/allocations", json={"participant": "R1", "strata": {"sex": "F"}}, headers=h
    )
    assert repeat.status_code == 200 and repeat.json()["already_allocated"] is True
    assert (repeat.json()["arm"], repeat.json()["sequence"]) == (f_slots[0].arm, 1)
    wrong = world.http.post(
        f"{base}/allocations", json={"participant": "R3", "strata": {"sex": "X"}}, headers=h
    )
    assert wrong.status_code == 422 and "sex" in json.dumps(wrong.json())

    listed = world.http.get(f"{base}/allocations", headers=h).json()
    assert [(a["participant"], a["sequence"]) for a in listed["allocations"]] == [("R1", 1), ("R2", 2)]
    assert [e["action"] for e in listed["audit"]] == ["generate", "reveal", "reveal", "lookup"]
    assert {e["by"] for e in listed["audit"]} == {world.usernames["trainer_a"]}
    f_status = next(s for s in listed["strata"] if s["stratum"] == "sex=F")
    assert f_status["revealed"] == 2 and f_status["remaining"] == len(f_slots) - 2
    # Only the two revealed arms are anywhere in the answer: no other slot's arm or sequence.
    assert "slots" not in listed and sum(f_status["revealed_per_arm"].values()) == 2
    summary = world.http.get(base, headers=h).json()
    assert summary["revealed"] == 2 and "seed" not in summary

    no_data = world.http.get(f"{base}/analysis", headers=h)
    assert no_data.status_code == 409
    up = _upload(world, tid, DATA_CSV.read_bytes(), "simulated-data.csv")
    assert up.status_code == 201, up.text
    lines = [x for x in DATA_CSV.read_text(encoding="utf-8").splitlines() if x and not x.startswith("#")]
    assert up.json()["rows"] == up.json()["total_rows"] == len(lines) - 1  # all but the header
    assert up.json()["participants"] == 30

    itt = world.http.get(f"{base}/analysis", headers=h)
    assert itt.status_code == 200, itt.text
    assert itt.json() == _cli_analysis()
    pp = world.http.get(f"{base}/analysis?per_protocol=true", headers=h)
    assert pp.json() == _cli_analysis("--per-protocol")
    assert pp.json()["population"] == "per-protocol"

    # The same file again duplicates every participant-visit-outcome row: refused, nothing added.
    dup = _upload(world, tid, DATA_CSV.read_bytes(), "again.csv")
    assert dup.status_code == 422 and "duplicate" in dup.text
    assert world.http.get(base, headers=h).json()["observations"] == up.json()["total_rows"]


def test_bad_csv_is_refused_naming_the_row_and_nothing_is_stored(world: World) -> None:
    tid = _create(world).json()["id"]
    lines = DATA_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    # Line 11 of the file (comments count): an unknown arm.
    assert lines[10].split(",")[1] in {"conventional", "retro_walking"}
    cells = lines[10].split(",")
    cells[1] = "retro"
    bad = "".join([*lines[:10], ",".join(cells), *lines[11:]]).encode()
    r = _upload(world, tid, bad, "bad.csv")
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["body", "file", "bad.csv line 11, column arm"] and "'retro'" in detail["msg"]
    assert (
        world.http.get(f"/api/v1/trials/{tid}", headers=world.headers["trainer_a"]).json()["observations"]
        == 0
    )

    text = _upload(
        world,
        tid,
        b"participant,arm,sex,visit,outcome,value\nP1,conventional,F,baseline,vas_pain,abc\n",
        "v.csv",
    )
    assert text.status_code == 422 and "v.csv line 2, column value" in json.dumps(text.json())
    binary = _upload(world, tid, b"\xff\xfe\x00garbage", "x.csv")
    assert binary.status_code == 422
    assert (
        world.http.get(f"/api/v1/trials/{tid}", headers=world.headers["trainer_a"]).json()["observations"]
        == 0
    )


def test_data_must_match_revealed_allocation(world: World) -> None:
    h = world.headers["trainer_a"]
    tid = _create(world).json()["id"]
    world.http.post(f"/api/v1/trials/{tid}/randomise", json={"seed": 3}, headers=h)
    arm = world.http.post(
        f"/api/v1/trials/{tid}/allocations", json={"participant": "Q1", "strata": {"sex": "M"}}, headers=h
    ).json()["arm"]
    other = "conventional" if arm == "retro_walking" else "retro_walking"
    csv = f"participant,arm,sex,visit,outcome,value\nQ1,{other},M,baseline,vas_pain,5\n".encode()
    r = _upload(world, tid, csv, "q.csv")
    assert r.status_code == 422 and "q.csv line 2, column arm" in r.text
    ok = _upload(world, tid, csv.replace(other.encode(), arm.encode()), "q.csv")
    assert ok.status_code == 201 and ok.json()["total_rows"] == 1


def test_definitions_are_validated_naming_the_field(world: World) -> None:
    raw = load_definition(TRIAL_YAML).model_dump(mode="json")
    raw["arms"][0]["id"] = "no spaces allowed"
    r = _create(world, definition=raw)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][:5] == ["body", "definition", "arms", 0, "id"]
    r = _create(world, definition_yaml="id: x\narms: [")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "definition_yaml"]
    both = _create(world, definition={"id": "x"}, definition_yaml="id: x")
    assert both.status_code == 422
    ok = _create(world)
    assert ok.status_code == 201
    assert _create(world).status_code == 409  # the same trial id twice for one owner


def test_trials_are_private_to_their_owner(world: World) -> None:
    tid = _create(world).json()["id"]
    for role, code in (("trainer_b", 404), ("admin", 404), ("client_a", 403), ("anonymous", 401)):
        assert world.http.get(f"/api/v1/trials/{tid}", headers=world.headers[role]).status_code == code
        assert (
            world.http.get(f"/api/v1/trials/{tid}/analysis", headers=world.headers[role]).status_code == code
        )
    assert world.http.get("/api/v1/trials", headers=world.headers["client_a"]).status_code == 403
    admin_trial = _create(world, "admin")
    assert admin_trial.status_code == 201  # admins may run their own trials
    mine = {t["id"] for t in world.http.get("/api/v1/trials", headers=world.headers["trainer_a"]).json()}
    assert tid in mine and admin_trial.json()["id"] not in mine
    assert (
        world.http.get(
            f"/api/v1/trials/{admin_trial.json()['id']}", headers=world.headers["trainer_a"]
        ).status_code
        == 404
    )


def test_trial_pages_show_the_flow_and_the_analysis(world: World) -> None:
    h = world.headers["trainer_a"]
    tid = _create(world).json()["id"]
    assert 'href="/trials"' in world.http.get("/", headers=h).text  # linked from the dashboard
    empty = world.http.get(f"/trials/{tid}", headers=h)
    assert (
        empty.status_code == 200 and "No data uploaded yet" in empty.text and "not randomised" in empty.text
    )
    assert _upload(world, tid, DATA_CSV.read_bytes()).status_code == 201
    listing = world.http.get("/trials", headers=h)
    assert listing.status_code == 200 and f'href="/trials/{tid}"' in listing.text

    expected = _cli_analysis()
    page = world.http.get(f"/trials/{tid}", headers=h)
    assert page.status_code == 200
    assert f"Enrolled: {expected['flow']['enrolled']}." in page.text
    for arm in expected["flow"]["arms"]:
        assert f'<th scope="col">{arm["arm"]}</th>' in page.text
    first = expected["outcomes"][0]["ancova"][0]["difference"]
    shown = f"{first['estimate']:.2f} ({first['ci_low']:.2f} to {first['ci_high']:.2f})"
    assert shown in page.text
    pp = world.http.get(f"/trials/{tid}?population=per-protocol", headers=h)
    assert "Population: per protocol" in pp.text

    assert world.http.get(f"/trials/{tid}", headers=world.headers["trainer_b"]).status_code == 404
    assert world.http.get("/trials", headers=world.headers["client_a"]).status_code == 403
