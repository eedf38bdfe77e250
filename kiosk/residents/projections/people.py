"""The residents' event types: registration and changes, PINs and cards, neighbour verification.

A projector trusts its event: the domain checked the rules before recording it, and a replayed
log must give the same rows whatever the config says today. Projectors never read the clock.

Registration, changes, vouches and verifications are ``building`` events a kiosk of the
resident's building emits; PINs, cards and mailbox codes are ``private`` (never leave the kiosk).
How a resident asked to be told (``resident.contact_set``: an e-mail address for urgent alerts,
a mobile number for urgent alerts by SMS) is ``building`` too: the hub sends the e-mails and
SMS (sync/hub/mail.py, sync/hub/sms.py); when a resident stops the e-mails from a message's
link, the hub says so with an event of its own (``resident.contact_stopped``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import (
    BUILDING,
    NETWORK,
    PRIVATE,
    About,
    Authority,
    Creates,
    NoneType,
    event_type,
)

RESIDENT = About("resident", "resident_id")


def resident_account_id(resident_id: str) -> str:
    return f"resident:{resident_id}"


@event_type(
    "resident.registered",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={"resident_id": str, "apartment": str, "name": str, "role": str, "status": str},
    tables=("residents", "accounts", "credentials"),
    creates=(Creates("resident", "resident_id"), Creates("account", "resident_id", "resident:")),
)
def _resident_registered(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO residents (id, apartment, name, role, status, home_origin, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            p["resident_id"],
            p["apartment"],
            p["name"],
            p["role"],
            p["status"],
            event.origin,
            event.created_at,
            event.created_at,
        ],
    )
    db.execute(
        "INSERT INTO accounts (id, kind, resident_id, label, balance) VALUES (?, 'resident', ?, ?, 0)",
        [resident_account_id(p["resident_id"]), p["resident_id"], p["apartment"]],
    )
    db.execute("INSERT INTO credentials (resident_id) VALUES (?)", [p["resident_id"]])


_RESIDENT_FIELDS = ("apartment", "name", "role", "status")
# A moved-out resident's status is changed by no ordinary event: only ``resident.returned``
# (kiosk/admin/projections.py) reopens the account. A change of status that reaches a closed
# account (a forged or stale event of another kiosk of the building) leaves it closed, here and
# at every replay, whatever order the kiosks applied the events in.
_ASSIGN = {"status": "status = CASE WHEN status = 'moved_out' THEN status ELSE ? END"}


@event_type(
    "resident.updated",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={"resident_id": str},
    optional=dict.fromkeys(_RESIDENT_FIELDS, str),
    tables=("residents", "accounts"),
    bulk=True,
)
def _residents_updated(db: Database, events: Sequence[Event]) -> None:
    """Each event sets the fields its payload names. Consecutive events naming the same fields
    (a page of renames) share one ``executemany``, in log order."""
    conn = db.conn
    shape: tuple[str, ...] = ()
    rows: list[tuple] = []
    labels: list[tuple[str, str]] = []

    def flush() -> None:
        if rows:
            assignments = ", ".join(_ASSIGN.get(name, f"{name} = ?") for name in shape)
            conn.executemany(
                f"UPDATE residents SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608 (column names from _RESIDENT_FIELDS)
                rows,
            )
            rows.clear()

    for event in events:
        p = event.payload
        fields = tuple(name for name in _RESIDENT_FIELDS if name in p)
        if not fields:
            continue
        if fields != shape:
            flush()
            shape = fields
        rows.append((*(p[name] for name in fields), event.created_at, p["resident_id"]))
        if "apartment" in p:
            labels.append((p["apartment"], p["resident_id"]))
    flush()
    if labels:  # the account's label follows the apartment (another table: order kept within it)
        conn.executemany("UPDATE accounts SET label = ? WHERE resident_id = ?", labels)


@event_type(
    "resident.pin_set",
    scope=PRIVATE,
    authority=Authority.THIS_KIOSK,
    about=RESIDENT,
    fields={"resident_id": str, "pin_hash": str},
    tables=("credentials",),
)
def _pin_set(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE credentials SET pin_hash = ? WHERE resident_id = ?",
        [p["pin_hash"], p["resident_id"]],
    )


def _retire_current_card(db: Database, resident_id: str, revoked_at: str) -> None:
    """Keep the hash of a resident's current card as revoked (a scan then says "replaced")."""
    db.execute(
        "INSERT OR IGNORE INTO revoked_cards (token_hash, resident_id, revoked_at) "
        "SELECT card_token_hash, resident_id, ? FROM credentials "
        "WHERE resident_id = ? AND card_token_hash IS NOT NULL",
        [revoked_at, resident_id],
    )


@event_type(
    "card.issued",
    scope=PRIVATE,
    authority=Authority.THIS_KIOSK,
    about=RESIDENT,
    fields={"resident_id": str, "token_hash": str, "card_number": int},
    tables=("credentials", "revoked_cards"),
)
def _card_issued(db: Database, event: Event) -> None:
    p = event.payload
    _retire_current_card(db, p["resident_id"], event.created_at)
    db.execute(
        "UPDATE credentials SET card_token_hash = ?, card_number = ?, card_issued_at = ? "
        "WHERE resident_id = ?",
        [p["token_hash"], p["card_number"], event.created_at, p["resident_id"]],
    )


@event_type(
    "card.revoked",
    scope=PRIVATE,
    authority=Authority.THIS_KIOSK,
    about=RESIDENT,
    fields={"resident_id": str},
    tables=("credentials", "revoked_cards"),
)
def _card_revoked(db: Database, event: Event) -> None:
    """The card stops working; its hash stays known so a scan says it was revoked."""
    p = event.payload
    _retire_current_card(db, p["resident_id"], event.created_at)
    db.execute(
        "UPDATE credentials SET card_token_hash = NULL WHERE resident_id = ?", [p["resident_id"]]
    )


# --------------------------------------------------------------------------- verification


@event_type(
    "resident.vouched",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={"resident_id": str, "voucher_id": str, "apartment": str},
    tables=("vouches",),
)
def _resident_vouched(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO vouches (resident_id, voucher_id, apartment, event_id, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [p["resident_id"], p["voucher_id"], p["apartment"], event.id, event.created_at],
    )


@event_type(
    "resident.verified",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={"resident_id": str, "method": str},
    optional={
        "by_ids": list,
        "admin_name": (str, NoneType),
        "proof_kind": (str, NoneType),
        "seen_on": (str, NoneType),
    },
    tables=("verifications", "residents"),
)
def _resident_verified(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO verifications (event_id, resident_id, method, by_ids, admin_name, proof_kind, "
        "seen_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            p["resident_id"],
            p["method"],
            json.dumps(p.get("by_ids", [])),
            p.get("admin_name"),
            p.get("proof_kind"),
            p.get("seen_on"),
            event.created_at,
        ],
    )
    db.execute(  # never reopens a moved-out account (see _ASSIGN)
        "UPDATE residents SET status = 'verified', updated_at = ? "
        "WHERE id = ? AND status <> 'moved_out'",
        [event.created_at, p["resident_id"]],
    )


MAILBOX_CODE = About("mailbox_code", "code_id")


@event_type(
    "mailbox_code.issued",
    scope=PRIVATE,
    authority=Authority.THIS_KIOSK,
    about=About("apartment", "apartment"),
    fields={"apartment": str, "code_hash": str, "expires_at": str},
    optional={"issued_by": (str, NoneType)},
    tables=("mailbox_codes",),
)
def _mailbox_code_issued(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE mailbox_codes SET closed_at = ?, closed_why = 'superseded' "
        "WHERE apartment = ? AND closed_at IS NULL",
        [event.created_at, p["apartment"]],
    )
    db.execute(
        "INSERT INTO mailbox_codes (id, apartment, code_hash, expires_at, issued_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            event.id,
            p["apartment"],
            p["code_hash"],
            p["expires_at"],
            p.get("issued_by"),
            event.created_at,
        ],
    )


@event_type(
    "mailbox_code.failed",
    scope=PRIVATE,
    authority=Authority.THIS_KIOSK,
    about=MAILBOX_CODE,
    fields={"code_id": str},
    optional={"closes": bool},
    tables=("mailbox_codes",),
)
def _mailbox_code_failed(db: Database, event: Event) -> None:
    p = event.payload
    db.execute("UPDATE mailbox_codes SET failures = failures + 1 WHERE id = ?", [p["code_id"]])
    if p.get("closes"):
        db.execute(
            "UPDATE mailbox_codes SET closed_at = ?, closed_why = 'tries' WHERE id = ?",
            [event.created_at, p["code_id"]],
        )


@event_type(
    "mailbox_code.used",
    scope=PRIVATE,
    authority=Authority.THIS_KIOSK,
    about=MAILBOX_CODE,
    fields={"code_id": str, "resident_id": str},
    tables=("mailbox_codes",),
)
def _mailbox_code_used(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE mailbox_codes SET used_by = ?, closed_at = ?, closed_why = 'used' WHERE id = ?",
        [p["resident_id"], event.created_at, p["code_id"]],
    )


# --------------------------------------------------------------------------- being told


EMAIL_MAX = 254
_EMAIL = re.compile(
    r"[^@\s<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def plausible_email(text: str) -> bool:
    """One address (no name, no list), printable, at most 254 characters, a domain with a dot:
    nothing a mail header could be split on."""
    return len(text) <= EMAIL_MAX and text.isprintable() and _EMAIL.fullmatch(text) is not None


PHONE_MAX = 16  # "+" and at most 15 digits (E.164)
_PHONE = re.compile(r"\+[1-9][0-9]{7,14}")


def plausible_phone(text: str) -> bool:
    """A mobile number in E.164 (``+33612345678``): "+", a country code and at most 15 digits;
    a French one (+33) has exactly nine digits after its country code."""
    if _PHONE.fullmatch(text) is None:
        return False
    return not text.startswith("+33") or re.fullmatch(r"\+33[1-9][0-9]{8}", text) is not None


def plausible_contact(payload) -> bool:
    """the address must be empty or a plausible e-mail address of at most 254 characters, the
    phone (if any) empty or a number in E.164 (+33612345678), the language fr or en"""
    phone = payload.get("phone", "")
    return (
        payload["language"] in ("fr", "en")
        and (payload["email"] == "" or plausible_email(payload["email"]))
        and (phone == "" or plausible_phone(phone))
    )


@event_type(
    "resident.contact_set",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={
        "resident_id": str,
        "email": str,
        "urgent": bool,
        "digest": bool,
        "language": str,
    },
    # Added later (older events stay valid): a mobile number for urgent alerts by SMS, and
    # whether an answer to one's post is told (absent: told if urgent or digest was chosen).
    optional={"phone": str, "sms_urgent": bool, "answers": bool},
    valid=plausible_contact,
    tables=("resident_contacts",),
)
def _contact_set(db: Database, event: Event) -> None:
    p = event.payload
    phone = p.get("phone", "")
    answers = p.get("answers")
    db.execute(
        "INSERT INTO resident_contacts (resident_id, email, urgent, digest, language, updated_at, "
        "phone, sms_urgent, answers, event_id, stopped_at, stopped_channel) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL) ON CONFLICT (resident_id) DO UPDATE "
        "SET email = excluded.email, urgent = excluded.urgent, digest = excluded.digest, "
        "language = excluded.language, updated_at = excluded.updated_at, phone = excluded.phone, "
        "sms_urgent = excluded.sms_urgent, answers = excluded.answers, "
        "event_id = excluded.event_id, stopped_at = NULL, stopped_channel = NULL",
        [
            p["resident_id"],
            p["email"],
            int(p["urgent"] and bool(p["email"])),
            int(p["digest"] and bool(p["email"])),
            p["language"],
            event.created_at,
            phone,
            int(bool(p.get("sms_urgent")) and bool(phone)),
            None if answers is None else int(answers and bool(p["email"])),
            event.id,
        ],
    )


@event_type(
    "resident.contact_stopped",
    scope=NETWORK,
    authority=Authority.HUB,
    about=RESIDENT,
    fields={"resident_id": str, "contact_event_id": str, "channel": str},
    tables=("resident_contacts",),
)
def _contact_stopped(db: Database, event: Event) -> None:
    """The hub's word: the resident stopped the messages of that channel (``email``) from a
    message's link. It counts only for the choice it names: a newer choice at a kiosk wins."""
    p = event.payload
    db.execute(
        "UPDATE resident_contacts SET stopped_at = ?, stopped_channel = ? "
        "WHERE resident_id = ? AND event_id = ?",
        [event.created_at, p["channel"], p["resident_id"], p["contact_event_id"]],
    )
