"""What a resident may change of their own account from home (kiosk/home_requests.py): how
they are told (the same choice as the kiosk's "Être prévenu" page, through the same function)."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from kiosk.config import Config
from kiosk.errors import N_
from kiosk.home_requests import home_action
from kiosk.residents import contact


@home_action(
    "contact.set",
    fields={"email": str, "urgent": bool, "digest": bool, "language": str},
    optional={"phone": str, "sms": bool, "answers": bool},
    summary=N_("How you are told: e-mail, urgent alerts, weekly digest"),
)
def set_contact(
    db: Database, config: Config, resident_id: str, fields: dict[str, Any], *, request_id: str
) -> None:
    """The whole choice, as the kiosk's page records it: an empty address stops the e-mails,
    no number stops the SMS (the home site sends what it shows, so nothing is lost)."""
    contact.set_contact(
        db,
        resident_id,
        email=fields["email"],
        urgent=fields["urgent"],
        digest=fields["digest"],
        language=fields["language"],
        phone=fields.get("phone"),
        sms=fields.get("sms", False),
        answers=fields.get("answers"),
    )
