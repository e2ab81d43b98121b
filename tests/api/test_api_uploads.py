"""Recording uploads: size limit (413), format check (415/422), storage, and rollback of files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.api_support import World, build_world, make_settings, walking_csv

from retrowalk.api.app import create_app

CSV = walking_csv()


def _upload(world: World, name: str, content: bytes, kind: str = "imu", role: str = "client_a") -> object:
    url = f"/api/v1/clients/{world.ids['client_a']}/recordings"
    return world.http.post(
        url,
        headers=world.headers[role],
        files={"file": (name, content, "application/octet-stream")},
        data={"kind": kind},
    )


def _stored_files(world: World) -> list[Path]:
    root = Path(world.app.state.settings.data_dir) / "uploads"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_is_stored_with_checksum(world: World) -> None:
    r = _upload(world, "walk.csv", CSV)
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert body["sha256"] == hashlib.sha256(CSV).hexdigest() and body["size_bytes"] == len(CSV)
    assert body["status"] in ("queued", "analysed")  # answered before or after the job ran
    body = world.http.get(
        f"/api/v1/clients/{world.ids['client_a']}/recordings/{body['id']}", headers=world.headers["client_a"]
    ).json()
    assert body["status"] == "analysed" and body["error"] is None
    assert body["quality"]["ok"] is True
    assert body["metrics"]["steps"] > 5 and 60 < body["metrics"]["cadence_spm"] < 140
    files = _stored_files(world)
    assert len(files) == 1 and files[0].read_bytes() == CSV
    listed = world.http.get(
        f"/api/v1/clients/{world.ids['client_a']}/recordings", headers=world.headers["trainer_a"]
    )
    assert body["id"] in [x["id"] for x in listed.json()]


@pytest.mark.parametrize(
    ("name", "content", "kind", "status"),
    [
        ("walk.exe", CSV, "imu", 415),
        ("walk", CSV, "imu", 415),
        ("points.json", b'{"a": 1}', "imu", 415),
        ("walk.csv", b"\x00\x01\x02binary", "imu", 422),
        ("walk.csv", b"just one column\nno delimiter\n", "imu", 422),
        ("walk.csv", b"", "imu", 422),
        ("pose.json", b"not json at all", "pose", 422),
        ("pose.json", b'{"frames": [1, 2,', "pose", 422),  # passes the head check, fails full parse
        ("pose.npy", b"PK\x03\x04 not npy", "pose", 422),
    ],
)
def test_format_checks(world: World, name: str, content: bytes, kind: str, status: int) -> None:
    r = _upload(world, name, content, kind)
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert _stored_files(world) == []  # nothing left behind, even when the file was already written


def test_unknown_kind_is_422(world: World) -> None:
    r = _upload(world, "walk.csv", CSV, kind="ecg")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "kind"]  # type: ignore[attr-defined]


def test_upload_size_limit(tmp_path: Path) -> None:
    app = create_app(
        make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'x.sqlite3'}", upload_limit_bytes=len(CSV))
    )
    world = build_world(app)
    assert _upload(world, "walk.csv", CSV).status_code == 201  # type: ignore[attr-defined]
    r = _upload(world, "walk.csv", CSV + b"0")
    assert r.status_code == 413  # type: ignore[attr-defined]
    # Far over the limit: refused from Content-Length before the body is read.
    r = _upload(world, "walk.csv", CSV * 100)
    assert r.status_code == 413  # type: ignore[attr-defined]
    assert len(_stored_files(world)) == 1
    app.state.db.dispose()


def test_oversized_json_body_is_413(world: World) -> None:
    r = world.http.post(
        "/api/v1/clients",
        headers={**world.headers["trainer_a"], "content-type": "application/json"},
        content=b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}',
    )
    assert r.status_code == 413


def test_streamed_body_without_length_is_limited(tmp_path: Path) -> None:
    app = create_app(
        make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'x.sqlite3'}", upload_limit_bytes=1024)
    )
    world = build_world(app)

    def chunks() -> object:
        yield b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        for _ in range(200):
            yield b"1,2\n" * 256

    http = TestClient(app)
    r = http.post(
        f"/api/v1/clients/{world.ids['client_a']}/recordings",
        headers={**world.headers["client_a"], "content-type": "multipart/form-data; boundary=zz"},
        content=chunks(),
    )  # type: ignore[arg-type]
    assert r.status_code == 413, r.text
    app.state.db.dispose()


def test_failed_upload_writes_no_row_and_no_audit(world: World) -> None:
    before = world.http.get("/api/v1/audit?limit=5000", headers=world.headers["admin"]).json()
    assert _upload(world, "pose.json", b'{"truncated": [', "pose").status_code == 422  # type: ignore[attr-defined]
    after = world.http.get("/api/v1/audit?limit=5000", headers=world.headers["admin"]).json()
    assert [r for r in after if r["resource"] == "recording"] == [
        r for r in before if r["resource"] == "recording"
    ]
    listed = world.http.get(
        f"/api/v1/clients/{world.ids['client_a']}/recordings", headers=world.headers["client_a"]
    )
    assert [x["original_name"] for x in listed.json()] == ["x.csv"]  # only the fixture's row


def test_pose_upload_is_analysed_by_the_pose_engine(world: World) -> None:
    sample = Path(__file__).resolve().parents[1] / "data" / "pose" / "backward_walk_generic.csv"
    content = sample.read_bytes()
    r = _upload(world, "side_view.csv", content, "pose")
    assert r.status_code == 201, r.text  # type: ignore[attr-defined]
    rec_id = r.json()["id"]  # type: ignore[attr-defined]
    body = world.http.get(
        f"/api/v1/clients/{world.ids['client_a']}/recordings/{rec_id}", headers=world.headers["client_a"]
    ).json()
    assert body["status"] == "analysed", body["error"]
    assert body["metrics"]["direction"] == "backward"
    assert 40 < body["metrics"]["cadence_spm"] < 160


POSE_DATA = Path(__file__).resolve().parents[1] / "data" / "pose"


@pytest.mark.parametrize("name", ["coco17_small.npy", "bad_missing_knee.csv"])  # too short; no knee
def test_unreadable_pose_upload_is_422_inside_file(world: World, name: str) -> None:
    r = _upload(world, name, (POSE_DATA / name).read_bytes(), "pose")
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    assert r.json()["detail"][0]["loc"][:2] == ["body", "file"]  # type: ignore[attr-defined]
    assert _stored_files(world) == []


def test_an_unreadable_upload_is_named_as_the_uploader_named_it(world: World) -> None:
    r = _upload(world, "my walk.json", b'{"frames": [1, 2,', "pose")
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    message = r.json()["detail"][0]["msg"]  # type: ignore[attr-defined]
    assert "my walk.json" in message and ".json is not valid JSON" in message
