"""The one-page client handout's data: the current programme with pictures, audited as a read.

``reports.handout`` renders it; this use case reads storage (the edges call it, e.g. a future
``GET /clients/{id}/handout.pdf`` after the same access check as the client page).
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from sqlalchemy.orm import Session

from retrowalk.app import media
from retrowalk.app.accounts import contact_text
from retrowalk.app.records import programme_items
from retrowalk.core.exercises import Dose, load_library
from retrowalk.reports.handout import HandoutData, HandoutItem, handout_item, pain_rule, plain_dose
from retrowalk.storage import crud
from retrowalk.storage.models import Client, User


def handout_data(
    db: Session, client: Client, *, log_url: str, day: date | None = None, trainer_contact: str = ""
) -> HandoutData:
    """Handout data for a stored client's current programme.

    Items of exercises outside the library (or with an unreadable stored dose) keep their name and
    dose text but get no pictures. A trainer's own photo (or video poster) of an exercise is
    printed before its key poses; the trainers' contact ("phone · e-mail") after their names
    unless ``trainer_contact`` is given.
    """
    programme = crud.current_programme(db, client.id)
    lib = load_library()
    items: list[HandoutItem] = []
    entries = programme_items(programme.content if programme else None)
    own = media.for_client(db, client, [e["exercise_id"] for e in entries])
    for entry in entries:
        try:
            dose: Dose | None = Dose.model_validate(entry["dose"])
        except ValidationError:
            dose = None
        if entry["exercise_id"] in lib.exercises and dose is not None:
            items.append(handout_item(entry["exercise_id"], dose, library=lib, name=entry["name"]))
        else:
            text = plain_dose(dose) if dose is not None else entry["dose_text"]
            items.append(HandoutItem(name=entry["name"], dose=text, cues=entry["cues"]))
        medium = own.get(entry["exercise_id"])
        picture = media.picture_of(db, medium) if medium is not None else None
        if medium is not None and picture is not None:
            items[-1].photo = picture
            items[-1].photo_caption = (
                "From your trainer's video" if medium.kind == "video" else "Your trainer's photo"
            )
    trainers = ", ".join(t.display_name or t.username for t in client.trainers)
    contact = trainer_contact or "; ".join(c for c in (contact_text(t) for t in client.trainers) if c)
    return HandoutData(
        client_name=client.name,
        day=day or date.today(),
        items=items,
        trainer_name=trainers or "your trainer",
        trainer_contact=contact,
        log_url=log_url,
        pain_rule=pain_rule(),
    )


def client_handout(
    db: Session,
    user: User,
    client: Client,
    *,
    log_url: str,
    day: date | None = None,
    trainer_contact: str = "",
) -> HandoutData:
    """The handout's data, audited as a read (call after the client-page access check)."""
    data = handout_data(db, client, log_url=log_url, day=day, trainer_contact=trainer_contact)
    crud.audit(db, user, "read", "handout", resource_id=client.id, client_id=client.id)
    return data
