"""How a resident asked to be told: an e-mail address, urgent alerts yes or no, the weekly
digest yes or no, an answer to one's post yes or no, and a mobile number for urgent alerts by
SMS (for a resident with only a basic mobile phone), in the resident's language.

The choice is the ``building`` event ``resident.contact_set`` (kiosk/residents/projections.py),
so the hub learns it with the building's other events and sends the urgent alerts by e-mail
(sync/hub/mail.py) and SMS (sync/hub/sms.py), the weekly digest and the answers to one's posts
(sync/hub/mail_news.py). An empty address means no e-mail, an empty number no SMS; "Stop the
e-mails" and "Stop the SMS" are such events. When the resident stops the e-mails from a
message's link, the hub's ``resident.contact_stopped`` reaches the kiosk: ``stopped_on``.
Nothing here sends anything: the kiosk may have no network at all.

A French number is typed as it is written (``06 12 34 56 78``) and kept in E.164
(``+33612345678``); a foreign one with its country code (``+32 470 12 34 56`` or ``0032...``,
since the kiosk's digit pad has no "+").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import store
from kiosk.errors import N_, InvalidInput
from kiosk.residents import residents
from kiosk.residents.projections import EMAIL_MAX, plausible_email, plausible_phone


@dataclass(frozen=True)
class Contact:
    email: str = ""
    urgent: bool = False
    digest: bool = False
    phone: str = ""
    sms: bool = False
    answers: bool | None = None  # None: as before the choice existed (urgent or digest)
    stopped_on: str | None = None  # when the e-mails were stopped from a message's link

    @property
    def any(self) -> bool:
        return self.emails_active or bool(self.phone and self.sms)

    @property
    def emails_active(self) -> bool:
        return bool(self.email) and self.stopped_on is None

    @property
    def told_of_answers(self) -> bool:
        return (self.urgent or self.digest) if self.answers is None else self.answers


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


_SEPARATORS = re.compile(r"[\s.\-/()]")


def clean_phone(text: str | None) -> str:
    """A mobile number as typed, in E.164, or "": ``06 12 34 56 78`` -> ``+33612345678``,
    ``0032 470...`` or ``+32 470...`` kept as the foreign number it is."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))
    if not value:
        return ""
    if value.startswith("00"):
        value = "+" + value[2:]
    elif re.fullmatch(r"0[1-9][0-9]{8}", value):
        value = "+33" + value[1:]
    if not plausible_phone(value):
        raise InvalidInput(
            N_(
                "This does not look like a mobile number (e.g. 06 12 34 56 78, or 0032 for Belgium)."
            )
        )
    return value


def contact_of(db: Database, resident_id: str) -> Contact:
    row = store.query_one(
        db,
        "SELECT email, urgent, digest, phone, sms_urgent, answers, stopped_at, stopped_channel "
        "FROM resident_contacts WHERE resident_id = ?",
        [resident_id],
    )
    if row is None:
        return Contact()
    return Contact(
        email=row["email"],
        urgent=bool(row["urgent"]),
        digest=bool(row["digest"]),
        phone=row["phone"],
        sms=bool(row["sms_urgent"]),
        answers=None if row["answers"] is None else bool(row["answers"]),
        stopped_on=row["stopped_at"] if row["stopped_channel"] == "email" else None,
    )


def set_contact(
    db: Database,
    resident_id: str,
    *,
    email: str | None,
    urgent: bool,
    digest: bool,
    language: str,
    phone: str | None = None,
    sms: bool = False,
    answers: bool | None = None,
) -> Contact:
    """Record how ``resident_id`` wants to be told (an empty address: no e-mail, an empty
    number: no SMS). ``answers`` None: as before (told of answers if urgent or digest)."""
    resident = residents.get(db, resident_id)
    email = clean_email(email)
    phone = clean_phone(phone)
    if phone and not email:
        urgent = digest = False  # the e-mail choices mean nothing without an address
        answers = None
    if email and not (urgent or digest or answers):
        raise InvalidInput(N_("Choose what to receive, or stop the e-mails."))
    if not email and (urgent or digest or answers):
        raise InvalidInput(N_("Type the e-mail address the messages go to."))
    if sms and not phone:
        raise InvalidInput(N_("Type the mobile number the SMS go to."))
    if phone and not sms:
        raise InvalidInput(N_("Say yes to urgent alerts by SMS, or leave the number empty."))
    payload = {
        "resident_id": resident.id,
        "email": email,
        "urgent": bool(urgent),
        "digest": bool(digest),
        "language": language if language in ("fr", "en") else "fr",
    }
    if phone:
        payload.update(phone=phone, sms_urgent=True)
    if answers is not None:
        payload["answers"] = bool(answers)
    with store.write(db):
        store.record(db, "resident.contact_set", payload)
    return contact_of(db, resident.id)


def _stop(db: Database, resident_id: str, language: str, *, keep_email: bool) -> Contact:
    now = contact_of(db, resident_id)
    email = now.email if keep_email and now.emails_active else ""
    phone = "" if keep_email else now.phone
    return set_contact(
        db,
        resident_id,
        email=email,
        urgent=now.urgent and bool(email),
        digest=now.digest and bool(email),
        answers=now.answers if email else None,
        phone=phone,
        sms=bool(phone) and now.sms,
        language=language,
    )


def stop_emails(db: Database, resident_id: str, *, language: str) -> Contact:
    """ "Stop the e-mails": one touch, the address forgotten (the SMS go on)."""
    return _stop(db, resident_id, language, keep_email=False)


def stop_sms(db: Database, resident_id: str, *, language: str) -> Contact:
    """ "Stop the SMS": one touch, the number forgotten (the e-mails go on)."""
    return _stop(db, resident_id, language, keep_email=True)
