"""How a resident asked to be told: an e-mail address, urgent alerts yes or no, the weekly
digest yes or no, in the resident's language (an address given for either also brings an
e-mail when a neighbour answers one of the resident's posts).

The choice is the ``building`` event ``resident.contact_set`` (kiosk/residents/projections.py),
so the hub learns it with the building's other events and sends the urgent alerts
(sync/hub/mail.py), the weekly digest and the answers to one's posts (sync/hub/mail_news.py).
An empty address means nothing is sent; "Stop the e-mails" is one such event. Nothing here
sends anything: the kiosk may have no network at all.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import store
from kiosk.errors import N_, InvalidInput
from kiosk.residents import residents
from kiosk.residents.projections import EMAIL_MAX, plausible_email


@dataclass(frozen=True)
class Contact:
    email: str = ""
    urgent: bool = False
    digest: bool = False

    @property
    def any(self) -> bool:
        return bool(self.email) and (self.urgent or self.digest)


def clean_email(text: str | None) -> str:
    """An address as typed (spaces around it and a capitalised domain forgiven), or ""."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        return ""
    local, _, domain = value.rpartition("@")
    value = f"{local}@{domain.lower()}" if local else value
    if len(value) > EMAIL_MAX:
        raise InvalidInput(N_("An e-mail address is at most %(max)d characters."), max=EMAIL_MAX)
    if not plausible_email(value):
        raise InvalidInput(
            N_("This does not look like an e-mail address (e.g. jeanne@example.org).")
        )
    return value


def contact_of(db: Database, resident_id: str) -> Contact:
    row = store.query_one(
        db,
        "SELECT email, urgent, digest FROM resident_contacts WHERE resident_id = ?",
        [resident_id],
    )
    if row is None:
        return Contact()
    return Contact(email=row["email"], urgent=bool(row["urgent"]), digest=bool(row["digest"]))


def set_contact(
    db: Database,
    resident_id: str,
    *,
    email: str | None,
    urgent: bool,
    digest: bool,
    language: str,
) -> Contact:
    """Record how ``resident_id`` wants to be told (an empty address: nothing)."""
    resident = residents.get(db, resident_id)
    email = clean_email(email)
    if email and not (urgent or digest):
        raise InvalidInput(N_("Choose what to receive, or stop the e-mails."))
    if not email and (urgent or digest):
        raise InvalidInput(N_("Type the e-mail address the messages go to."))
    with store.write(db):
        store.record(
            db,
            "resident.contact_set",
            {
                "resident_id": resident.id,
                "email": email,
                "urgent": bool(urgent),
                "digest": bool(digest),
                "language": language if language in ("fr", "en") else "fr",
            },
        )
    return contact_of(db, resident.id)


def stop_emails(db: Database, resident_id: str, *, language: str) -> Contact:
    """ "Stop the e-mails": one touch, the address forgotten."""
    return set_contact(db, resident_id, email="", urgent=False, digest=False, language=language)
