"""Trainers' own exercise media end to end (no browser): upload through the editor, each refusal
named on its field, who may see it, removal with the item and by the trainer, the phone card,
the handout and the REST routes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.api.api_support import PASSWORD, World, build_world, make_settings, photo_bytes

from retrowalk.app import handouts, media
from retrowalk.app.access import AuditEntry, Client
from retrowalk.http.security import CSRF_COOKIE
from retrowalk.storage.models import ExerciseMedia

PHOTO_LIMIT = 200_000


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 'web.sqlite3'}", media_max_photo_bytes=PHOTO_LIMIT
    )
    from retrowalk.api.app import create_app

    app = create_app(settings)
    try:
        yield build_world(app)
    finally:
        app.state.db.dispose()


def _browser(world: World, role: str) -> TestClient:
    http = TestClient(world.app, follow_redirects=False)
    r = http.post("/login", data={"username": world.usernames[role], "password": PASSWORD})
    assert r.status_code == 303
    return http


def _upload(
    http: TestClient,
    world: World,
    data: bytes,
    *,
    name: str = "p.jpg",
    eid: str = "glute_bridge",
    scope: str = "client",
) -> Any:
    return http.post(
        f"/clients/{world.ids['client_a']}/programme/media",
        data={"exercise_id": eid, "scope": scope, "csrf_token": http.cookies.get(CSRF_COOKIE) or ""},
        files={"file": (name, data, "application/octet-stream")},
    )


def _rows(world: World, **where: Any) -> list[ExerciseMedia]:
    with world.app.state.db.transaction() as db:
        return list(db.query(ExerciseMedia).filter_by(**where).order_by(ExerciseMedia.id))


def _data_dir(world: World) -> Path:
    return Path(world.app.state.settings.data_dir)


def _video(path: Path, fourcc: str) -> bytes:
    cv2 = pytest.importorskip("cv2")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10.0, (96, 64))
    if not writer.isOpened():
        pytest.skip(f"this OpenCV cannot write {fourcc}")
    for i in range(20):
        frame = np.zeros((64, 96, 3), np.uint8)
        frame[:, : 4 * i] = (0, 160, 0)
        writer.write(frame)
    writer.release()
    return path.read_bytes()


def test_photo_upload_is_reencoded_stored_audited_and_shown_before_the_figure(world: World) -> None:
    http = _browser(world, "trainer_a")
    raw = photo_bytes((900, 600), (30, 90, 200))
    r = _upload(http, world, raw, name="bridge.jpg")
    assert r.status_code == 303 and r.headers["location"].endswith("?media=saved#media-glute_bridge")
    (row,) = _rows(world, client_id=world.ids["client_a"], exercise_id="glute_bridge")  # replaced the old
    stored = _data_dir(world) / row.path
    assert stored.is_file() and stored.read_bytes() != raw and row.kind == "photo"
    assert Image.open(stored).size == (900, 600) == (row.width, row.height)
    with world.app.state.db.transaction() as db:
        audit = db.query(AuditEntry).filter_by(resource="exercise_media", resource_id=str(row.id)).one()
        assert (audit.action, audit.client_id) == ("create", world.ids["client_a"])
    editor = http.get(f"/clients/{world.ids['client_a']}/programme/edit?media=saved")
    assert "Photo or video saved." in editor.text and f'/media/{row.id}/poster"' in editor.text

    phone = _browser(world, "client_a")
    page = phone.get(f"/clients/{world.ids['client_a']}/log").text
    card = page[page.index('data-exercise="4"') :]  # glute bridge is the fifth item
    assert card.index(f'<img src="/media/{row.id}"') < card.index('class="rw-fig"')
    got = phone.get(f"/media/{row.id}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.content == stored.read_bytes() and "no-cache" in got.headers["cache-control"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (photo_bytes((1200, 900)) + b"\x00" * PHOTO_LIMIT, "big.jpg", "the photo is 0."),
        (b"GIF89a" + b"\x00" * 40, "anim.gif", "not a readable photo"),
        (b"%PDF-1.7 not a picture", "notes.pdf", "not a readable photo"),
        (photo_bytes((300, 200))[:200], "cut.jpg", "not a readable photo"),
    ],
    ids=["too-big", "gif", "wrong-type", "corrupt"],
)
def test_refused_files_name_the_field_and_store_nothing(
    world: World, data: bytes, name: str, message: str
) -> None:
    http = _browser(world, "trainer_a")
    before = _rows(world)
    files_before = sorted((_data_dir(world) / "media").iterdir())
    r = _upload(http, world, data, name=name)
    assert r.status_code == 422
    assert 'id="media-error-glute_bridge" aria-live="polite">Photo or video: ' in r.text
    assert message in r.text
    assert [m.id for m in _rows(world)] == [m.id for m in before]
    assert sorted((_data_dir(world) / "media").iterdir()) == files_before


def test_video_with_a_codec_phones_may_not_play_is_refused(world: World, tmp_path: Path) -> None:
    http = _browser(world, "trainer_a")
    r = _upload(http, world, _video(tmp_path / "clip.mp4", "mp4v"), name="clip.mp4")
    assert r.status_code == 422 and "Photo or video: the mp4 video uses codec" in r.text
    assert not [p for p in (_data_dir(world) / "media").iterdir() if p.suffix in (".mp4", ".part")]


def test_webm_video_is_stored_with_a_poster_and_played_with_controls(world: World, tmp_path: Path) -> None:
    http = _browser(world, "trainer_a")
    r = _upload(http, world, _video(tmp_path / "clip.webm", "VP80"), name="clip.webm", eid="vmo_tke")
    assert r.status_code == 303
    (row,) = _rows(world, client_id=world.ids["client_a"], exercise_id="vmo_tke")
    assert row.kind == "video" and row.mime == "video/webm" and row.duration_s == pytest.approx(2.0, abs=0.2)
    assert (_data_dir(world) / row.path).is_file() and (_data_dir(world) / (row.poster_path or "")).is_file()
    page = _browser(world, "client_a").get(f"/clients/{world.ids['client_a']}/log").text
    video = page[page.index(f'id="own-media-{row.id}"') :].split("</video>")[0]
    assert f'poster="/media/{row.id}/poster"' in video and " controls " in video
    assert "autoplay" not in video and "loop" not in video  # never moves by itself: reduced motion
    poster = http.get(f"/media/{row.id}/poster")
    assert poster.status_code == 200 and Image.open(io.BytesIO(poster.content)).size == (96, 64)


def test_who_may_see_which_media(world: World) -> None:
    """A client item's media: that client and their trainer. A trainer-wide medium: that trainer
    and their clients. Everyone else: 404 (administrators: 403)."""
    item, wide = world.ids["media_a"], world.ids["media_wide_a"]
    expected = {
        "trainer_a": (200, 200),
        "client_a": (200, 200),
        "trainer_b": (404, 404),
        "client_b": (404, 404),
        "admin": (403, 403),
    }
    for role, codes in expected.items():
        http = _browser(world, role)
        assert (http.get(f"/media/{item}").status_code, http.get(f"/media/{wide}").status_code) == codes, role
    anonymous = TestClient(world.app, follow_redirects=False).get(f"/media/{item}")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_a_trainer_sharing_the_client_sees_the_cards_media(world: World) -> None:
    """Trainer B, once linked to client A, sees A's cards: trainer A's media for all clients too."""
    from retrowalk.storage import crud

    trainer_b = _browser(world, "trainer_b")
    assert trainer_b.get(f"/media/{world.ids['media_wide_a']}").status_code == 404
    with world.app.state.db.transaction() as db:
        client = db.get(Client, world.ids["client_a"])
        other = crud.get_user(db, world.ids["user_trainer_b"])
        assert client is not None and other is not None
        crud.link_trainer(db, client, other)
    page = trainer_b.get(f"/clients/{world.ids['client_a']}/log").text
    assert f'<img src="/media/{world.ids["media_a"]}"' in page  # the item's own, before the trainer's
    assert trainer_b.get(f"/media/{world.ids['media_wide_a']}").status_code == 200
    assert _browser(world, "client_b").get(f"/media/{world.ids['media_wide_a']}").status_code == 404


def test_client_item_media_go_with_the_item(world: World) -> None:
    http = _browser(world, "trainer_a")
    (row,) = _rows(world, id=world.ids["media_del_a"])
    path = _data_dir(world) / row.path
    assert path.is_file()
    r = http.post(
        f"/clients/{world.ids['client_a']}/programme/edit",
        data={
            "n": "1",
            "it0.exercise_id": "forward_walk",
            "it0.minutes": "10",
            "reason": "bridges later",
            "op": "save",
            "csrf_token": http.cookies.get(CSRF_COOKIE) or "",
        },
    )
    assert r.status_code == 303
    assert _rows(world, id=row.id) == [] and not path.exists()
    assert _rows(world, id=world.ids["media_a"])  # forward walking stayed, and its photo with it
    assert _rows(world, id=world.ids["media_wide_del_a"])  # the trainer's own for all clients stays
    with world.app.state.db.transaction() as db:
        gone = db.query(AuditEntry).filter_by(resource="exercise_media", resource_id=str(row.id)).all()
        assert [a.action for a in gone] == ["create", "delete"] and "with the programme item" in gone[
            1
        ].detail


def test_trainer_removes_their_media_and_the_file_goes(world: World) -> None:
    http = _browser(world, "trainer_a")
    (row,) = _rows(world, id=world.ids["media_wide_del_a"])
    path = _data_dir(world) / row.path
    other = _browser(world, "trainer_b")
    url = f"/clients/{world.ids['client_a']}/programme/media/{row.id}/remove"
    csrf = other.cookies.get(CSRF_COOKIE) or ""
    assert other.post(url, data={"scope": "trainer", "csrf_token": csrf}).status_code == 404
    r = http.post(url, data={"scope": "trainer", "csrf_token": http.cookies.get(CSRF_COOKIE) or ""})
    assert r.status_code == 303 and r.headers["location"].endswith("?media=removed#media-vmo_tke")
    assert _rows(world, id=row.id) == [] and not path.exists()


def test_a_rolled_back_upload_leaves_no_file(world: World) -> None:
    folder = _data_dir(world) / "media"
    before = set(folder.iterdir())
    with pytest.raises(RuntimeError), world.app.state.db.transaction() as db:
        client = db.get(Client, world.ids["client_a"])
        assert client is not None
        up = media.MediaUpload("p.jpg", io.BytesIO(photo_bytes()))
        row = media.upload(db, client.trainers[0], "ankle_df_mobilisation", up)
        assert (_data_dir(world) / row.path).is_file()
        raise RuntimeError("the request failed after the upload")
    assert set(folder.iterdir()) == before
    assert not _rows(world, exercise_id="ankle_df_mobilisation")


def test_handout_prints_the_trainers_photo_and_contact(world: World) -> None:
    http = _browser(world, "trainer_a")
    csrf = http.cookies.get(CSRF_COOKIE) or ""
    bad = http.post("/account", data={"contact_phone": "call me", "contact_email": "x@", "csrf_token": csrf})
    assert bad.status_code == 422
    assert 'id="contact_phone-error" aria-live="polite">Phone: not a phone number' in bad.text
    assert 'id="contact_email-error" aria-live="polite">E-mail: not an e-mail address' in bad.text
    form = {"contact_phone": "+44 20 7946 0958", "contact_email": "sam@clinic.example", "csrf_token": csrf}
    assert http.post("/account", data=form).status_code == 303
    assert 'value="+44 20 7946 0958"' in http.get("/account").text
    with world.app.state.db.transaction() as db:
        client = db.get(Client, world.ids["client_a"])
        assert client is not None
        data = handouts.handout_data(db, client, log_url="https://clinic.example/log")
    assert data.trainer_contact == "+44 20 7946 0958 · sam@clinic.example"
    with_photo = [bool(i.photo) for i in data.items]
    # forward walking, knee extension and bridge have the world's media; retro walking and ankle not
    assert with_photo == [True, False, False, True, True]
    assert all(i.photo.startswith("data:image/jpeg;base64,") for i in data.items if i.photo)


def test_rest_routes_upload_list_and_remove(world: World) -> None:
    from tests.api.api_support import bearer, login

    api = TestClient(world.app)
    ta = bearer(login(api, world.usernames["trainer_a"]))
    ca = bearer(login(api, world.usernames["client_a"]))
    c = f"/api/v1/clients/{world.ids['client_a']}"
    r = api.post(
        f"{c}/media",
        headers=ta,
        data={"exercise_id": "retro_walk_1"},
        files={"file": ("p.jpg", photo_bytes())},
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["kind"] == "photo" and made["client_id"] == world.ids["client_a"]
    listed = {m["exercise_id"]: m for m in api.get(f"{c}/media", headers=ca).json()}
    assert listed["retro_walk_1"]["id"] == made["id"]
    assert listed["forward_walk"]["id"] == world.ids["media_a"]  # the item's own before the trainer's
    assert api.get(made["url"], headers=ca).status_code == 200
    refused = api.post(
        f"{c}/media",
        headers=ta,
        data={"exercise_id": "vmo_step_down"},
        files={"file": ("p.jpg", photo_bytes())},
    )
    assert refused.status_code == 422 and "exercise_id" in refused.text  # not in this client's programme
    assert api.delete(f"{c}/media/{made['id']}", headers=ta).status_code == 204
    assert api.get(made["url"], headers=ca).status_code == 404
