"""Residents: who lives here, their role and status, their PIN and their QR member card.

Profiles are identified by apartment ("B-204"); several residents may share one apartment.
PINs are hashed with the kiosk's pepper (kiosk/pin_hashing.py); a card holds a random token of which only the SHA-256
is kept. Issuing a new card replaces the old token at once.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import ids, pin_hashing, store
from kiosk.errors import N_, InvalidInput, NotFound, NotVerified, ResidentNotActive
from kiosk.residents import sessions
from kiosk.residents.errors import StatusOfMovedOut
from kiosk.store import reads
from kiosk.text import clean_text
from printing import queue as print_queue

ROLES = ("resident", "admin")
VERIFIED = "verified"
MOVED_OUT = "moved_out"
STATUSES = ("pending", VERIFIED, "suspended", MOVED_OUT)
# What an ordinary edit may set: moving out and coming back are steps of their own
# (kiosk/admin/moving_out.py, kiosk/admin/returning.py), never a status in a form.
EDITABLE_STATUSES = ("pending", VERIFIED, "suspended")
# Statuses that may log in at the kiosk (a pending resident looks around, see require_verified).
ACTIVE_STATUSES = ("pending", VERIFIED)
CARD_PREFIX = "KC"
CARD_TOKEN_LETTERS = 24  # 19^24 ~ 2^102 possibilities
PIN_PATTERN = re.compile(r"^\d{4,6}$")
APARTMENT_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9 .\-/]{0,11}$")
NAME_MAX = 60


@dataclass(frozen=True)
class Resident:
    id: str
    apartment: str
    name: str
    role: str
    status: str
    account_id: str
    balance: int

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def may_exchange(self) -> bool:
        """Verified: may exchange, post, vote and vouch. A pending resident only looks around;
        a suspended or moved-out one does nothing."""
        return self.status == VERIFIED

    @property
    def moved_out(self) -> bool:
        """Left the building: the account is closed (its history stays)."""
        return self.status == MOVED_OUT

    @classmethod
    def from_row(cls, row) -> Resident:
        return cls(
            id=row["id"],
            apartment=row["apartment"],
            name=row["name"],
            role=row["role"],
            status=row["status"],
            account_id=row["account_id"],
            balance=row["balance"],
        )


def clean_apartment(text: str | None) -> str:
    value = unicodedata.normalize("NFKC", text or "").strip().upper()
    if not APARTMENT_PATTERN.match(value):
        raise InvalidInput(
            N_("An apartment is 1 to 12 letters and digits, e.g. B-204."), value=value[:20]
        )
    return value


def clean_name(text: str | None) -> str:
    value = clean_text(
        text,
        maximum=NAME_MAX,
        empty=N_("Enter a name."),
        too_long=N_("A name is at most %(max)d characters."),
    )
    # A name is stricter than other text: no invisible format character either.
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise InvalidInput(N_("A name cannot contain control characters."))
    return value


def clean_pin(pin: str | None) -> str:
    value = (pin or "").strip()
    if not PIN_PATTERN.match(value):
        raise InvalidInput(N_("A PIN is 4 to 6 digits."))
    return value


def hash_pin(db: Database, pin: str) -> str:
    """The peppered hash of a PIN (or a mailbox code): see kiosk/pin_hashing.py."""
    return pin_hashing.hash_pin(db, pin)


def hash_card_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def get(db: Database, resident_id: str) -> Resident:
    row = reads.resident(db, resident_id)
    if row is None:
        raise NotFound(N_("This resident does not exist."))
    return Resident.from_row(row)


def all_residents(db: Database) -> list[Resident]:
    return [Resident.from_row(row) for row in reads.residents(db)]


def verified_residents(db: Database) -> list[Resident]:
    """The residents who may exchange (the neighbours a form offers to choose from)."""
    return [resident for resident in all_residents(db) if resident.may_exchange]


def apartments(db: Database) -> list[str]:
    """Apartments with at least one resident who may log in, in building order."""
    return reads.apartments(db)


def in_apartment(db: Database, apartment: str) -> list[Resident]:
    return [Resident.from_row(row) for row in reads.residents_in_apartment(db, apartment)]


def card_number(db: Database, resident_id: str) -> int:
    """How many cards this resident has had (0: none yet)."""
    return reads.card_number(db, resident_id)


def register(
    db: Database,
    *,
    apartment: str,
    name: str,
    pin: str | None = None,
    role: str = "resident",
    status: str = "verified",
) -> Resident:
    """Add a resident with an account (and a PIN when given)."""
    apartment = clean_apartment(apartment)
    name = clean_name(name)
    if role not in ROLES:
        raise InvalidInput(N_("Unknown role."))
    if status not in EDITABLE_STATUSES:
        raise InvalidInput(N_("Unknown status."))
    pin_hash = hash_pin(db, clean_pin(pin)) if pin is not None else None
    resident_id = ids.uuid7()
    with store.write(db):
        store.record(
            db,
            "resident.registered",
            {
                "resident_id": resident_id,
                "apartment": apartment,
                "name": name,
                "role": role,
                "status": status,
            },
        )
        if pin_hash:
            store.record(db, "resident.pin_set", {"resident_id": resident_id, "pin_hash": pin_hash})
    return get(db, resident_id)


def update(
    db: Database,
    resident_id: str,
    *,
    apartment: str | None = None,
    name: str | None = None,
    role: str | None = None,
    status: str | None = None,
) -> Resident:
    """Change a resident's apartment, name, role or status (only what differs is recorded).

    A moved-out resident's status is not changed here (``StatusOfMovedOut``): their account
    stays closed until a volunteer brings them back on purpose."""
    current = get(db, resident_id)
    changes: dict[str, str] = {}
    if apartment is not None and clean_apartment(apartment) != current.apartment:
        changes["apartment"] = clean_apartment(apartment)
    if name is not None and clean_name(name) != current.name:
        changes["name"] = clean_name(name)
    if role is not None and role != current.role:
        if role not in ROLES:
            raise InvalidInput(N_("Unknown role."))
        changes["role"] = role
    if status is not None and status != current.status:
        if current.moved_out:
            raise StatusOfMovedOut(name=current.name)
        if status not in EDITABLE_STATUSES:  # moving out has its own step (kiosk/admin)
            raise InvalidInput(N_("Unknown status."))
        changes["status"] = status
    if changes:
        with store.write(db):
            store.record(db, "resident.updated", {"resident_id": resident_id, **changes})
            if changes.get("status") not in (None, *ACTIVE_STATUSES):
                sessions.end_all(db, resident_id, changes["status"])
                from kiosk.residents import devices  # noqa: PLC0415 (devices imports this module)

                devices.remove_all(db, resident_id, reason=changes["status"])
    return get(db, resident_id)


def set_pin(db: Database, resident_id: str, pin: str) -> None:
    get(db, resident_id)
    pin_hash = hash_pin(db, clean_pin(pin))
    with store.write(db):
        store.record(db, "resident.pin_set", {"resident_id": resident_id, "pin_hash": pin_hash})
        reads.clear_login_guard(db, resident_id)
        sessions.end_all(db, resident_id, "pin_reset")  # whoever used the old PIN is out


def issue_card(db: Database, resident_id: str, *, print_it: bool = True, building: str = "") -> str:
    """A new member card: returns the clear token (only ever shown on the card's QR code).

    The previous card stops working in the same transaction. The card's print job is queued
    in that transaction too; its clear token is wiped from the queue once printed.
    """

    resident = get(db, resident_id)
    token = ids.scan_token(CARD_TOKEN_LETTERS, prefix=CARD_PREFIX)
    with store.write(db):
        number = reads.card_number(db, resident_id) + 1
        event = store.record(
            db,
            "card.issued",
            {
                "resident_id": resident_id,
                "token_hash": hash_card_token(token),
                "card_number": number,
            },
        )
        if print_it:
            print_queue.enqueue(
                db,
                "member_card",
                {
                    "name": resident.name,
                    "apartment": resident.apartment,
                    "building": building,
                    "card_token": token,
                    "card_number": number,
                    "issued_at": event.created_at,
                },
                reference=f"card-{resident.apartment}-{number}",
            )
    return token


def require_verified(resident: Resident) -> None:
    """Refuse with ``NotVerified`` unless the resident is verified: a pending resident may
    browse, but not exchange, post, vote or vouch (used by the board, notices, polls...)."""
    if not resident.may_exchange:
        raise NotVerified()


def require_may_exchange(resident: Resident) -> None:
    """Refuse with ``ResidentNotActive`` naming the resident unless they may exchange (the
    other party of an exchange, a loan, a payment request; an organiser, a bearer...)."""
    if not resident.may_exchange:
        raise ResidentNotActive(name=resident.name, status=resident.status)
