"""The one-page client handout: rasterised and checked for one page, pictures, text and a QR code."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from PIL import Image
from web_helpers import require_tool

from retrowalk.core.assessment import Intake
from retrowalk.core.exercises import Dose, load_library
from retrowalk.core.prescription import assess_and_prescribe
from retrowalk.core.progression import load_config
from retrowalk.reports.handout import (
    LAYOUTS,
    HandoutData,
    handout_from_programme,
    pain_rule,
    plain_dose,
    render_html,
    render_pdf,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
URL = "https://clinic.example/clients/42/log"


def _programme() -> HandoutData:
    raw = yaml.safe_load((ROOT / "examples" / "intake.yaml").read_text(encoding="utf-8"))
    report = assess_and_prescribe(Intake.model_validate(raw))
    assert len(report.programme.items) >= 10  # a realistic, full programme
    return handout_from_programme(
        [(i.exercise_id, i.dose) for i in report.programme.items],
        client_name="Ann Example",
        day=date(2026, 12, 1),
        trainer_name="Sam Trainer",
        trainer_contact="sam@clinic.example · 0123 456 789",
        log_url=URL,
    )


def _words(text: str) -> str:
    """Text with line breaks undone (a break after a hyphen leaves no space)."""
    return re.sub(r"\s+", " ", re.sub(r"-\s+", "-", text))


@pytest.mark.parametrize("page", ["A4", "Letter"])
def test_handout_is_one_readable_page_with_pictures_and_a_working_qr_code(page: Any, tmp_path: Path) -> None:
    pdftoppm, pdftotext = require_tool("pdftoppm"), require_tool("pdftotext")
    data = _programme()
    pdf = tmp_path / "handout.pdf"
    pdf.write_bytes(render_pdf(data, page=page))
    subprocess.run([pdftoppm, "-r", "110", "-png", str(pdf), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == 1
    img = Image.open(pages[0]).convert("RGB")
    width_in = img.size[0] / 110
    assert abs(width_in - (8.27 if page == "A4" else 8.5)) < 0.05
    ARTIFACTS.mkdir(exist_ok=True)
    img.save(ARTIFACTS / f"handout-{page}.png")

    text = _words(
        subprocess.run([pdftotext, str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    )
    assert "Ann Example" in text and "Sam Trainer" in text and "sam@clinic.example" in text
    assert f"Pain up to {load_config().pain_during_max:g}/10" in text
    for item in data.items:  # columns interleave lines in extracted text: look for every word
        assert all(word in text for word in item.name.split()), item.name
        assert all(word in text for word in item.dose.split()), item.dose

    px = np.asarray(img, dtype=np.int16)
    # Black and white: nothing carries meaning in colour (every pixel is a grey).
    assert int((px.max(axis=2) - px.min(axis=2)).max()) < 40
    # Pictures are drawn: the grey of the far-side limbs and plenty of black line work.
    grey = (np.abs(px - 138) <= 25).all(axis=2).sum()
    assert grey > 2000
    assert (px.max(axis=2) < 80).mean() > 0.03

    import cv2

    h, w = img.size[1], img.size[0]
    corner = img.crop((w // 2, 0, w, h // 6))  # the code sits in the header, top right
    big = corner.resize((corner.size[0] * 3, corner.size[1] * 3), Image.Resampling.NEAREST)
    decoded, _, _ = cv2.QRCodeDetector().detectAndDecode(np.asarray(big.convert("L")))
    assert decoded == URL


def _section_fragments(doc: Any) -> int:
    count = 0
    for page in doc.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if getattr(box, "element_tag", None) == "section":
                count += 1
                continue
            stack.extend(getattr(box, "children", []))
    return count


def test_an_exercise_is_never_split_across_pages() -> None:
    from weasyprint import HTML

    lib = load_library()
    data = handout_from_programme(
        [(ex.id, ex.dose) for ex in lib.exercises.values()],  # far more than one page holds
        client_name="B",
        day=date(2026, 12, 1),
        trainer_name="T",
        trainer_contact="t@x",
        log_url=URL,
    )
    doc = HTML(string=render_html(data, layout=LAYOUTS[1])).render()
    assert len(doc.pages) > 1
    assert _section_fragments(doc) == len(data.items)  # a split card would show up twice


def test_plain_dose_reads_like_speech() -> None:
    assert plain_dose(Dose(sets=2, reps=10, per_side=True)) == "2 sets of 10, on each side"
    assert plain_dose(Dose(sets=3, hold_s=30)) == "3 holds of 30 seconds"
    assert plain_dose(Dose(sets=3, minutes=2, per_side=True)) == "3 × 2 minutes, on each side"
    walk = Dose(minutes=5, speed_kmh=2.0, handrails="both", safety_key=True, sessions_per_week=3)
    assert (
        plain_dose(walk) == "5 minutes, at 2 km/h, holding both rails, safety key clipped on, 3 times a week"
    )
    assert plain_dose(Dose(sets=2, reps=10, hold_s=5)) == "2 sets of 10, each with a 5-second hold"


def test_pain_rule_takes_its_numbers_from_the_progression_config() -> None:
    config = load_config().model_copy(update={"pain_during_max": 4, "stop_pain_at_least": 7})
    text = pain_rule(config)
    assert "Pain up to 4/10" in text and "reaches 7/10" in text
    assert f"{load_config().pain_during_max:g}/10" in pain_rule()


def test_html_escapes_user_text() -> None:
    data = _programme().model_copy(update={"client_name": "<script>x</script>"})
    html = render_html(data)
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert html.count('role="img"') >= sum(len(i.poses) for i in data.items)


def test_clinician_report_shows_the_key_poses_beside_each_programme_row() -> None:
    from web_report_fixtures import sample_report

    from retrowalk.reports.pdf import render_html as report_html

    data = sample_report()
    html = report_html(data)
    assert html.count('class="rw-strip"') == len([p for p in data.programme if p.exercise_id])
    unknown = data.model_copy(
        update={"programme": [data.programme[0].model_copy(update={"exercise_id": "not_in_library"})]}
    )
    assert 'class="rw-strip"' not in report_html(unknown)  # a custom exercise simply has no figure


def test_handout_data_comes_from_the_current_programme(tmp_path: Path) -> None:
    from tests.api.api_support import assess_and_prescribe as assess_and_store
    from tests.api.api_support import trainer_and_client

    from retrowalk.app.handouts import client_handout
    from retrowalk.storage import crud
    from retrowalk.storage.db import Database

    database = Database(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    database.upgrade()
    with database.transaction() as db:
        trainer, client = trainer_and_client(db, "Grace Hopper-Handout")
        a, prescribed = assess_and_store(
            db,
            client,
            trainer,
            {
                "pain_at_rest_nprs": 2,
                "pain_activity_nprs": 4,
                "measurements": [{"test_id": "knee_extension_deficit", "side": "left", "value": 7}],
            },
            pain=4,
        )
        # the trainer adds a custom exercise: the handout follows this newer version
        content = prescribed.content.model_dump()
        content["items"].append(
            {"exercise_id": "aqua_jogging", "name": "Aqua jogging", "dose": {"minutes": 20}}
        )
        crud.add_programme(
            db, client.id, content=content, assessment_id=a.id, pain_nprs=4, goals=[], by=trainer
        )
        data = client_handout(db, trainer, client, log_url=URL, day=date(2026, 12, 1))
    assert data.client_name == "Grace Hopper-Handout" and data.trainer_name == "Tom Trainer"
    names = [i.name for i in data.items]
    assert names[-1] == "Aqua jogging" and data.items[-1].poses == [] and data.items[-1].dose == "20 minutes"
    assert all(item.poses for item in data.items[:-1])  # every library exercise has its pictures
    assert any("retro" in n.lower() for n in names)
