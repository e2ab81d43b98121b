"""Trainers' own media in a real browser: the trainer uploads a photo of one exercise in the
programme editor (1366 px) and the client sees it on the phone (375 px) before the drawn figure;
the handout the client prints carries the photo and the trainer's contact on one page.

Screenshots go to test-artifacts/ (and, with RETROWALK_UPDATE_DOCS=1, to docs/img/).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from tests.web.test_web_e2e import ARTIFACTS, ROOT, _login, _pdf
from web_helpers import chromium, live_app, require_tool

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRAINER = ("media-trainer", "media-trainer-pass-1")
CLIENT = ("media-client", "media-client-pass-1")
EXERCISE = "retro_walk_1"
CONTACT = {"contact_phone": "+44 20 7946 0958", "contact_email": "sam@clinic.example"}


def trainer_photo() -> bytes:
    """A phone-camera-sized JPEG: someone walking backwards on a treadmill, holding both rails."""
    img = Image.new("RGB", (1200, 900), (214, 226, 236))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 640, 1200, 900), fill=(120, 120, 128))  # floor
    d.polygon([(180, 700), (1000, 640), (1040, 690), (220, 760)], fill=(40, 40, 44))  # belt
    d.line([(300, 700), (330, 380), (900, 360), (930, 650)], fill=(90, 90, 96), width=16)  # rails
    d.ellipse((560, 170, 660, 270), fill=(230, 190, 160))  # head
    d.line([(610, 270), (620, 500)], fill=(30, 90, 170), width=46)  # trunk
    d.line([(620, 500), (560, 680)], fill=(20, 20, 60), width=30)  # reaching leg, toe first
    d.line([(620, 500), (680, 680)], fill=(20, 20, 60), width=30)
    d.line([(612, 320), (420, 390)], fill=(230, 190, 160), width=20)  # hands on the rails
    d.line([(612, 320), (820, 372)], fill=(230, 190, 160), width=20)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def _webm(path: Path) -> bytes:
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), 10.0, (160, 120))
    if not writer.isOpened():
        pytest.skip("this OpenCV cannot write WebM")
    for i in range(30):
        frame = np.full((120, 160, 3), 235, np.uint8)
        frame[40:80, : 5 * i + 5] = (170, 90, 30)
        writer.write(frame)
    writer.release()
    return path.read_bytes()


def _shot(target: Any, name: str, docs: str | None = None) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    target.screenshot(path=str(path))
    if docs and os.environ.get("RETROWALK_UPDATE_DOCS") == "1":
        shutil.copyfile(path, ROOT / "docs" / "img" / docs)
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A live server, a trainer (with a contact) and a client with a login and a programme."""
    from tests.api.api_support import assessment_inputs

    data_dir = tmp_path_factory.mktemp("media-e2e")
    with (
        live_app(data_dir, (*TRAINER, "trainer", "Sam Trainer")) as base,
        httpx.Client(base_url=base + "/api/v1", timeout=30) as http,
    ):
        token = http.post("/auth/login", json={"username": TRAINER[0], "password": TRAINER[1]}).json()[
            "token"
        ]
        http.headers["Authorization"] = f"Bearer {token}"
        http.cookies.clear()
        assert http.put("/account/contact", json=CONTACT).status_code == 200
        client_id = http.post("/clients", json={"name": "Pat Phone"}).json()["id"]
        link = http.post(f"/clients/{client_id}/invite", json={"username": CLIENT[0]}).json()["link"]
        token = link.split("token=", 1)[1]
        assert http.post("/account/password", json={"token": token, "password": CLIENT[1]}).status_code < 300
        assert (
            http.post(f"/clients/{client_id}/assessments", json={"inputs": assessment_inputs()}).status_code
            == 201
        )
        assert http.post(f"/clients/{client_id}/programmes", json={"pain_nprs": 3}).status_code == 201
        yield base, client_id


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_trainer_uploads_a_photo_and_the_client_sees_it_first(
    world: tuple[str, int], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base, client_id = world
    photo = tmp_path / "retro-walk.jpg"
    photo.write_bytes(trainer_photo())

    desk = browser.new_context(viewport={"width": 1366, "height": 900})
    page = desk.new_page()
    _login(page, base, TRAINER)
    page.goto(f"{base}/clients/{client_id}/programme/edit#media")
    item = page.locator(f"#media-{EXERCISE}")
    # a wrong file first: the form says which field and what to do, and stores nothing
    bad = tmp_path / "notes.txt"
    bad.write_text("not a picture")
    item.locator("input[type=file]").set_input_files(str(bad))
    item.get_by_role("button", name="Upload").click()
    expect(page.locator(f"#media-error-{EXERCISE}")).to_contain_text("Photo or video: not a readable photo")
    item = page.locator(f"#media-{EXERCISE}")
    item.locator("input[type=file]").set_input_files(str(photo))
    item.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/programme/edit?media=saved*")
    expect(page.locator("#media .alert.ok")).to_contain_text("Photo or video saved.")
    thumb = page.locator(f"#media-{EXERCISE} .media-thumb img")
    expect(thumb).to_be_visible()
    assert page.evaluate("el => el.naturalWidth", thumb.element_handle()) > 0
    # a short video of the knee extension, for all the trainer's clients
    clip = tmp_path / "tke.webm"
    clip.write_bytes(_webm(tmp_path / "raw.webm"))
    video_item = page.locator("#media-vmo_tke")
    video_item.locator("input[type=file]").set_input_files(str(clip))
    video_item.get_by_label("all my clients").check()
    video_item.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/programme/edit?media=saved*")
    expect(page.locator("#media-vmo_tke .media-thumb")).to_contain_text("All my clients · video")
    page.evaluate("document.getElementById('media-h').scrollIntoView({block: 'start'})")
    _shot(page, "media-01-editor-1366px", docs="trainer-media-editor-1366px.png")
    desk.close()

    phone = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True, reduced_motion="reduce"
    )
    page = phone.new_page()
    _login(page, base, CLIENT)
    expect(page.get_by_role("heading", name="Today's session")).to_be_visible()
    card = page.locator("fieldset.exercise", has=page.locator("figure.rw-own img"))
    expect(card).to_have_count(1)
    own = card.locator("figure.rw-own img")
    expect(own).to_be_visible()
    own.scroll_into_view_if_needed()
    assert page.evaluate("el => el.complete && el.naturalWidth", own.element_handle()) == 1200
    own_box, fig_box = own.bounding_box(), card.locator("figure.rw-fig").bounding_box()
    assert own_box is not None and fig_box is not None and own_box["y"] + own_box["height"] <= fig_box["y"]
    assert own_box["width"] <= 375 and page.evaluate("document.documentElement.scrollWidth") <= 375
    # the card's top on the phone's screen: the trainer's photo, then the drawn figure
    page.evaluate("el => el.scrollIntoView({block: 'start'})", card.element_handle())
    _shot(page, "media-02-phone-card-375px", docs="client-trainer-photo-375px.png")

    # the video: poster frame shown, controls, and it does not start by itself
    video = page.locator("figure.rw-own video")
    expect(video).to_have_count(1)
    video.scroll_into_view_if_needed()
    state = page.evaluate(
        "v => [v.controls, v.autoplay, v.loop, v.paused, v.poster.endsWith('/poster')]",
        video.element_handle(),
    )
    assert state == [True, False, False, True, True]
    _shot(page, "media-02b-phone-video-375px")

    # the client's printed handout: one page, the photo and "Your trainer: name, contact"
    pdf = _pdf(page, f"{base}/clients/{client_id}/handout.pdf")  # a job: 202 until it is ready
    assert pdf.status == 200
    out = ARTIFACTS / "media-03-handout.pdf"
    out.write_bytes(pdf.body())
    phone.close()
    pdftoppm, pdftotext = require_tool("pdftoppm"), require_tool("pdftotext")
    text = subprocess.run([pdftotext, str(out), "-"], capture_output=True, text=True, check=True).stdout
    words = " ".join(text.split())
    assert "Your trainer: Sam Trainer, +44 20 7946 0958 · sam@clinic.example" in words
    assert "Your trainer's photo" in words and "From your trainer's video" in words  # the poster
    for old in ARTIFACTS.glob("media-03-handout*.png"):
        old.unlink()
    subprocess.run([pdftoppm, "-r", "60", "-png", str(out), str(ARTIFACTS / "media-03-handout")], check=True)
    pages = sorted(ARTIFACTS.glob("media-03-handout*.png"))
    assert len(pages) == 1, pages  # one page
    sheet = Image.open(pages[0]).convert("RGB")
    # the photo's blue shirt is printed (the drawn figures are black line work)
    assert any(b > 140 and r < 80 for r, g, b in sheet.get_flattened_data())
