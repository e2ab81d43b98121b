"""One-page client handout: today's exercises with key-pose pictures, the pain rule and a QR code.

Built from a plain :class:`HandoutData` (typed inputs, no storage) and rendered with WeasyPrint.
The page must stay one sheet: the layout tightens (two columns, smaller pictures) until it fits,
and an exercise card is never split across pages. Black on white, so it photocopies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Any, Literal

import qrcode
import qrcode.image.svg
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, Field

from retrowalk.core.exercises import Dose, ExerciseLibrary, load_library
from retrowalk.core.illustration import cues_per_pose, load_illustrations
from retrowalk.core.progression import ProgressionConfig, load_config
from retrowalk.illustrations.svg import pose_svgs

PageSize = Literal["A4", "Letter"]
#: Layouts from roomy to tight; the first that fits on one page is used.
LAYOUTS: tuple[dict[str, Any], ...] = (
    {"name": "roomy", "columns": 1, "figure_mm": 30, "font_pt": 9.5, "cue_pt": 8.5, "labels": True},
    {"name": "two-column", "columns": 2, "figure_mm": 22, "font_pt": 8.5, "cue_pt": 7.2, "labels": True},
    {"name": "compact", "columns": 2, "figure_mm": 16, "font_pt": 7.8, "cue_pt": 6.5, "labels": True},
    {"name": "tight", "columns": 3, "figure_mm": 14, "font_pt": 7.2, "cue_pt": 6.2, "labels": True},
    # the tightest drops a pose's label where the pose has cues of its own
    {"name": "tightest", "columns": 3, "figure_mm": 13, "font_pt": 7.0, "cue_pt": 6.0, "labels": False},
)


class HandoutPose(BaseModel):
    """One key pose: its picture (SVG markup from the illustration renderer), label and cues."""

    svg: str
    label: str
    cues: list[str] = Field(default_factory=list)


class HandoutItem(BaseModel):
    name: str
    dose: str = Field(description="the dose in plain words")
    poses: list[HandoutPose] = Field(default_factory=list)
    cues: list[str] = Field(default_factory=list, description="cues not tied to a pose")
    photo: str = Field(
        default="",
        description="the trainer's own photo (or video poster) as a data: URI, printed before the poses",
        pattern=r"^(data:image/(jpeg|png);base64,[A-Za-z0-9+/=]+)?$",
    )
    photo_caption: str = Field(default="Your trainer's photo", max_length=100)


class HandoutData(BaseModel):
    client_name: str
    day: date
    items: list[HandoutItem]
    trainer_name: str
    trainer_contact: str = ""
    log_url: str
    pain_rule: str


def plain_dose(dose: Dose) -> str:
    """The dose as a client would say it: '2 sets of 10, on each side, 3 times a week'."""
    parts: list[str] = []
    hold = f"{dose.hold_s:g}-second hold" if dose.hold_s else ""
    if dose.sets and dose.reps:
        parts.append(f"{dose.sets} sets of {dose.reps}" + (f", each with a {hold}" if hold else ""))
    elif dose.sets and dose.hold_s:
        parts.append(f"{dose.sets} holds of {dose.hold_s:g} seconds")
    elif dose.reps:
        parts.append(f"{dose.reps} times" + (f", each with a {hold}" if hold else ""))
    if dose.minutes:
        mins = f"{dose.minutes:g} minute" + ("" if dose.minutes == 1 else "s")
        parts.append(f"{dose.sets} × {mins}" if dose.sets and not dose.reps and not dose.hold_s else mins)
    return ", ".join([*parts, *dose.setting_parts(plain=True)])


def pain_rule(config: ProgressionConfig | None = None) -> str:
    """The pain-monitoring rule in plain words, with the limits from progression.yaml."""
    c = load_config() if config is None else config
    settle = (
        "settles back to your usual level by the next morning"
        if c.next_morning_max_over_baseline == 0
        else f"is at most {c.next_morning_max_over_baseline:g} points above your usual level next morning"
    )
    return (
        f"Pain up to {c.pain_during_max:g}/10 during the exercises is fine if it {settle}. "
        f"If it goes above {c.pain_during_max:g}/10, or is worse the next morning, do less next time and "
        f"tell your trainer. Stop and contact your trainer if pain reaches {c.stop_pain_at_least:g}/10."
    )


def handout_item(
    exercise_id: str, dose: Dose, *, library: ExerciseLibrary | None = None, name: str | None = None
) -> HandoutItem:
    """A handout card for one programme item: library name and cues, pose pictures, plain dose."""
    lib = load_library() if library is None else library
    ex = lib.get(exercise_id)
    ill = load_illustrations().illustrations[exercise_id]
    svgs = pose_svgs(exercise_id, ex.name, ex.cues)
    poses = [
        HandoutPose(svg=svg, label=pose.label, cues=cues)
        for svg, pose, cues in zip(svgs, ill.poses, cues_per_pose(ill, ex.cues), strict=True)
    ]
    return HandoutItem(name=name or ex.name, dose=plain_dose(dose), poses=poses)


def qr_svg(url: str) -> str:
    """The URL as a QR code, pure-Python SVG (black modules, no fill behind)."""
    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    text = img.to_string(encoding="unicode")
    assert isinstance(text, str)
    return text[text.index("<svg") :]


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("retrowalk.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(data: HandoutData, *, page: PageSize = "A4", layout: dict[str, Any] | None = None) -> str:
    """The handout as standalone HTML (also a print preview in a browser)."""
    lay = LAYOUTS[1] if layout is None else layout
    items = [
        {
            "name": it.name,
            "dose": it.dose,
            "cues": it.cues,
            "poses": [{"svg": Markup(p.svg), "label": p.label, "cues": p.cues} for p in it.poses],
            "photo": it.photo,
            "photo_caption": it.photo_caption,
        }
        for it in data.items
    ]
    return (
        _env()
        .get_template("handout.html")
        .render(data=data, items=items, page=page, layout=lay, qr=Markup(qr_svg(data.log_url)))
    )


def _fit(data: HandoutData, page: PageSize) -> tuple[Any, dict[str, Any]]:
    from retrowalk.extras import require

    HTML = require("pdf", "PDF handout").HTML
    n = len(data.items)
    start = 0 if n <= 3 else 1 if n <= 7 else 2 if n <= 10 else 3  # skip layouts that cannot fit
    doc: Any = None
    lay: dict[str, Any] = LAYOUTS[start]
    for lay in LAYOUTS[start:]:
        doc = HTML(string=render_html(data, page=page, layout=lay), base_url=".").render()
        if len(doc.pages) == 1:
            break
    return doc, lay


def render_pdf(data: HandoutData, *, page: PageSize = "A4") -> bytes:
    """The handout as PDF bytes, in the roomiest layout that fits on one page."""
    doc, _ = _fit(data, page)
    pdf = doc.write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def layout_used(data: HandoutData, page: PageSize = "A4") -> str:
    """Name of the layout :func:`render_pdf` picks (for tests and previews)."""
    return str(_fit(data, page)[1]["name"])


def handout_from_programme(
    items: Sequence[tuple[str, Dose]],
    *,
    client_name: str,
    day: date,
    trainer_name: str,
    trainer_contact: str = "",
    log_url: str,
) -> HandoutData:
    """Handout data for (exercise id, dose) pairs, e.g. a stored programme's items."""
    return HandoutData(
        client_name=client_name,
        day=day,
        items=[handout_item(ex_id, dose) for ex_id, dose in items],
        trainer_name=trainer_name,
        trainer_contact=trainer_contact,
        log_url=log_url,
        pain_rule=pain_rule(),
    )
