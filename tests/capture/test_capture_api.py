"""Capture API: chunks of devicemotion samples (sent twice, out of order, resumed) → one
Recording, analysed by a job: the steps and direction of the synthetic walk they came from."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.api.api_support import World

from retrowalk.gait.imu.synthetic import SyntheticWalk, make_walk
from retrowalk.storage.captures import Capture


def motion_rows(w: SyntheticWalk) -> list[list[float]]:
    """The walk as a browser reports it: ms timestamps, m/s² with gravity, rotation rate in deg/s."""
    rec = w.recording
    t = np.arange(rec.n_samples) / rec.sampling_rate_hz * 1000.0
    assert rec.gyr is not None
    gyr = np.degrees(rec.gyr)
    return [[float(t[i]), *map(float, rec.acc[i]), *map(float, gyr[i])] for i in range(rec.n_samples)]


def _base(world: World) -> str:
    return f"/api/v1/clients/{world.ids['client_a']}/captures"


def test_motion_capture_becomes_an_analysed_recording(world: World) -> None:
    walk = make_walk(placement="thigh", direction="backward", walk_s=40, stand_s=3, fs=100, seed=5)
    rows = motion_rows(walk)
    chunks = [rows[i : i + 200] for i in range(0, len(rows), 200)]
    h = world.headers["client_a"]
    r = world.http.post(_base(world), json={"kind": "imu", "placement": "thigh"}, headers=h)
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    url = f"{_base(world)}/{token}"
    order = list(range(len(chunks)))
    order = order[1::2] + order[0::2] + [0, 3]  # out of order, two sent twice (a retried request)
    for n in order[:-4]:
        assert world.http.put(f"{url}/chunks/{n}", json={"samples": chunks[n]}, headers=h).status_code == 200
    # the page reloads: it asks what arrived and sends the rest
    received = set(world.http.get(url, headers=h).json()["received"])
    for n in order:
        if n not in received or n in (0, 3):
            assert (
                world.http.put(f"{url}/chunks/{n}", json={"samples": chunks[n]}, headers=h).status_code == 200
            )
    assert world.http.get(url, headers=h).json()["received"] == list(range(len(chunks)))

    r = world.http.post(f"{url}/finish", json={"chunks": len(chunks)}, headers=h)
    assert r.status_code == 201, r.text
    rec_id = r.json()["id"]
    again = world.http.post(f"{url}/finish", json={"chunks": len(chunks)}, headers=h)
    assert again.status_code == 200 and again.json()["id"] == rec_id  # a retried finish: same recording
    rec = world.http.get(f"/api/v1/clients/{world.ids['client_a']}/recordings/{rec_id}", headers=h).json()
    assert rec["status"] == "analysed", rec["error"]
    m = rec["metrics"]
    q = rec["quality"]
    assert q["ok"] and q["measures"]["achieved_rate_hz"] == pytest.approx(100, rel=0.01)
    assert rec["gait"]["direction"] == "backward"
    assert m["bouts"] and {b["direction"] for b in m["bouts"]} == {"backward"}
    assert abs(m["steps"] - (len(walk.initial_contacts_s))) <= 3
    assert world.http.put(f"{url}/chunks/0", json={"samples": chunks[0]}, headers=h).status_code == 409


def test_missing_chunk_and_bad_samples_are_named(world: World) -> None:
    h = world.headers["client_a"]
    token = world.http.post(_base(world), json={"kind": "imu"}, headers=h).json()["token"]
    url = f"{_base(world)}/{token}"
    rows = [[i * 10.0, 0.0, 0.0, 9.8] for i in range(100)]
    assert world.http.put(f"{url}/chunks/1", json={"samples": rows}, headers=h).status_code == 200
    r = world.http.post(f"{url}/finish", json={"chunks": 2}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "chunks"]
    bad = world.http.put(f"{url}/chunks/0", json={"samples": [[0, 1, "x", 3]]}, headers=h)
    assert bad.status_code == 422
    nan = world.http.put(f"{url}/chunks/0", content=json.dumps({"samples": [[0, 1, 2]]}), headers=h)
    assert nan.status_code == 422 and nan.json()["detail"][0]["loc"] == ["body", "samples", "0"]
    unknown = world.http.post(_base(world), json={"kind": "imu", "colour": "red"}, headers=h)
    assert unknown.status_code == 422


def test_another_clients_capture_is_not_found(world: World) -> None:
    token = world.http.post(_base(world), json={"kind": "imu"}, headers=world.headers["client_a"]).json()[
        "token"
    ]
    other = f"/api/v1/clients/{world.ids['client_b']}/captures/{token}"
    assert world.http.get(other, headers=world.headers["client_b"]).status_code == 404
    with world.app.state.db.transaction() as db:
        assert db.query(Capture).filter_by(token=token).one().client_id == world.ids["client_a"]
