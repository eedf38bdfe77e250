"""Logging in at the kiosk: a scanned card (or apartment and name) then a PIN.

Wrong PINs are counted per resident on this kiosk; ``pin_max_attempts`` wrong PINs in a row
lock the account for ``pin_lockout_minutes``. The counter is device state (not an event): it
protects this kiosk's keypad and means nothing to the rest of the network.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlite_utils import Database
from werkzeug.security import check_password_hash

from kiosk import clock, store
from kiosk.config import Config
from kiosk.errors import AccountLocked, CardRevoked, NoPin, UnknownCard, WrongPin
from kiosk.residents.residents import CARD_PREFIX, Resident, hash_card_token
from kiosk.store import reads


def normalise_scan(code: str | None) -> str:
    """What a scanner typed, cleaned: upper case, no spaces or stray control characters."""
    return "".join((code or "").split()).upper()


def is_card_code(code: str) -> bool:
    return code.startswith(CARD_PREFIX)


def resident_for_card(db: Database, code: str | None) -> Resident:
    """The resident whose current card carries ``code``; refuses unknown and replaced cards."""
    token = normalise_scan(code)
    if not token or len(token) > 64:
        raise UnknownCard()
    token_hash = hash_card_token(token)
    row = reads.resident_by_card_hash(db, token_hash)
    if row is None:
        if reads.card_was_revoked(db, token_hash):
            raise CardRevoked()
        raise UnknownCard()
    return Resident.from_row(row)


def locked_until(db: Database, resident_id: str) -> datetime | None:
    """When the lock ends, if the resident is locked out now."""
    guard = reads.login_guard(db, resident_id)
    if guard is None or not guard["locked_until"]:
        return None
    until = clock.parse_iso(guard["locked_until"])
    return until if until > clock.now() else None


def verify_pin(db: Database, config: Config, resident_id: str, pin: str | None) -> None:
    """Check a PIN; raises ``WrongPin`` (with tries left), ``AccountLocked`` or ``NoPin``.

    The failure counter is committed before the error is raised.
    """
    until = locked_until(db, resident_id)
    if until is not None:
        raise AccountLocked(until=until)
    pin_hash = reads.pin_hash(db, resident_id)
    if not pin_hash:
        raise NoPin()
    pin = (pin or "").strip()
    # The slow KDF runs outside the write lock.
    good = bool(pin) and len(pin) <= 12 and check_password_hash(pin_hash, pin)
    max_attempts = config["security"]["pin_max_attempts"]
    with store.write(db):
        guard = reads.login_guard(db, resident_id)
        if good:
            if guard is not None:
                reads.clear_login_guard(db, resident_id)
            return
        failures = (guard["failures"] if guard else 0) + 1
        if failures >= max_attempts:
            until = clock.now() + timedelta(minutes=config["security"]["pin_lockout_minutes"])
            reads.set_login_guard(db, resident_id, 0, until.isoformat(timespec="seconds"))
        else:
            reads.set_login_guard(db, resident_id, failures, None)
    if failures >= max_attempts:
        raise AccountLocked(until=until)
    raise WrongPin(left=max_attempts - failures)


def unlock(db: Database, resident_id: str) -> None:
    """An admin lifts a lockout."""
    with store.write(db):
        reads.clear_login_guard(db, resident_id)


def locked_residents(db: Database) -> list[Resident]:
    return [
        Resident.from_row(row)
        for row in reads.locked_residents(db, clock.now().isoformat(timespec="seconds"))
    ]
