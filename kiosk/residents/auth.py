"""Logging in at the kiosk: a scanned card (or apartment and name) then a PIN.

Wrong PINs are counted per resident on this kiosk; ``pin_max_attempts`` wrong PINs in a row
lock the account for ``pin_lockout_minutes``. Across all accounts, ``kiosk_max_wrong_pins``
wrong PINs within ``kiosk_wrong_pin_window_minutes`` pause PIN entry on the whole kiosk for
``kiosk_pin_pause_minutes`` (administrators may still try, under their own lock, so the
volunteer can log in and resume it). Counters are device state (not events): they protect
this kiosk's keypad and mean nothing to the rest of the network.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from kiosk import clock, pin_hashing, store
from kiosk.config import Config
from kiosk.errors import (
    AccountLocked,
    CardRevoked,
    KioskError,
    NeighbourLocked,
    NeighbourWrongPin,
    NoPin,
    PinEntryPaused,
    PinToSetAgain,
    UnknownCard,
    WrongPin,
)
from kiosk.residents import reads as residents_reads
from kiosk.residents import residents
from kiosk.residents.errors import AccountMovedOut, AccountSuspended
from kiosk.residents.residents import CARD_PREFIX, Resident, hash_card_token
from kiosk.store import reads


def normalise_scan(code: str | None) -> str:
    """What a scanner typed, cleaned: upper case, no spaces or stray control characters."""
    return "".join((code or "").split()).upper()


def is_card_code(code: str) -> bool:
    return code.startswith(CARD_PREFIX)


def resident_for_card(db: Database, code: str | None, config: Config | None = None) -> Resident:
    """The resident whose current card carries ``code``; refuses unknown and replaced cards,
    and the card of a resident who moved out with the closing words (``AccountMovedOut``)."""
    token = normalise_scan(code)
    if not token or len(token) > 64:
        raise UnknownCard()
    token_hash = hash_card_token(token)
    row = reads.resident_by_card_hash(db, token_hash)
    if row is None:
        owner = residents_reads.revoked_card_owner(db, token_hash)
        if owner is not None:
            refuse_closed_account(db, config, residents.get(db, owner))  # moved out: since when
            raise CardRevoked()
        raise UnknownCard()
    return Resident.from_row(row)


def refuse_closed_account(db: Database, config: Config | None, resident: Resident) -> None:
    """``AccountMovedOut`` (with the day of the departure, in the building's time zone; UTC
    without a config) for a resident who moved out."""
    if resident.moved_out:
        left_at = residents_reads.last_departure_at(db, resident.id)
        zone = config.timezone if config is not None else UTC
        day = clock.parse_iso(left_at).astimezone(zone).date() if left_at else ""
        raise AccountMovedOut(date=day)


def refuse_unless_may_log_in(db: Database, config: Config, resident: Resident) -> None:
    """Before asking a PIN: a moved-out resident is told the account is closed and since when,
    a suspended one that it is suspended."""
    refuse_closed_account(db, config, resident)
    if resident.status not in residents.ACTIVE_STATUSES:
        raise AccountSuspended()


def locked_until(db: Database, resident_id: str) -> datetime | None:
    """When the lock ends, if the resident is locked out now."""
    return _until(reads.login_guard(db, resident_id), clock.now())


def _until(guard, now: datetime) -> datetime | None:
    if guard is None or not guard["locked_until"]:
        return None
    until = clock.parse_iso(guard["locked_until"])
    return until if until > now else None


def pin_entry_paused_until(db: Database) -> datetime | None:
    """When the kiosk-wide pause of PIN entry ends, if PIN entry is paused now."""
    return _paused_until(db, clock.now())


def verify_pin(
    db: Database,
    config: Config,
    resident_id: str,
    pin: str | None,
    *,
    asked_by: str | None = None,
) -> None:
    """Check a PIN; raises ``WrongPin`` (with tries left), ``AccountLocked``, ``PinEntryPaused``,
    ``NoPin`` or, for a resident who moved out, ``AccountMovedOut`` (no PIN opens a closed
    account, and no guess at it is counted). ``asked_by``: who is logged in, when the PIN asked is a neighbour's (the
    payer of an "earned" exchange): the refusals then name whose PIN it was.

    One write transaction (BEGIN IMMEDIATE) holds the whole step: the lock is read, the hash
    checked and the counter written with no other PIN check in between, so simultaneous wrong
    PINs each count and none writes a lock away. A wrong PIN is committed before the refusal
    is raised.
    """
    security = config["security"]
    pin = (pin or "").strip()
    neighbour = asked_by is not None and asked_by != resident_id
    with store.write(db):
        now = clock.now()
        resident = residents.get(db, resident_id)
        refuse_closed_account(db, config, resident)  # an old PIN never opens a closed account
        name = {"name": resident.name} if neighbour else {}
        until = _until(reads.login_guard(db, resident_id), now)
        if until is not None:
            raise (NeighbourLocked if neighbour else AccountLocked)(until=until, **name)
        paused = _paused_until(db, now)
        if paused is not None and not resident.is_admin:
            raise PinEntryPaused(until=paused)
        pin_hash = reads.pin_hash(db, resident_id)
        if not pin_hash:
            raise NoPin()
        verdict = pin_hashing.check(db, pin_hash, pin) if pin and len(pin) <= 12 else "empty"
        if verdict == pin_hashing.OTHER_PEPPER:  # restored without its pepper: not a guess
            raise PinToSetAgain()
        if verdict == pin_hashing.MATCH:
            reads.clear_login_guard(db, resident_id)
            if pin_hashing.needs_upgrade(pin_hash):  # an old hash: peppered from now on
                new_hash = pin_hashing.hash_pin(db, pin)
                store.record(
                    db, "resident.pin_set", {"resident_id": resident_id, "pin_hash": new_hash}
                )
            return
        refusal = _count_failure(db, security, resident_id, asked_by, now)
    if isinstance(refusal, WrongPin) and neighbour:
        refusal = NeighbourWrongPin(left=refusal.params["left"], **name)
    elif isinstance(refusal, AccountLocked) and neighbour:
        refusal = NeighbourLocked(until=refusal.params["until"], **name)
    raise refusal


def _paused_until(db: Database, now: datetime) -> datetime | None:
    value = reads.pin_pause(db)
    if not value:
        return None
    until = clock.parse_iso(value)
    return until if until > now else None


def _count_failure(db, security, resident_id: str, asked_by, now: datetime) -> KioskError:
    """Record one wrong PIN (the account's counter and the kiosk-wide log) inside the caller's
    transaction; returns the refusal to raise once it is committed."""
    guard = reads.login_guard(db, resident_id)
    failures = (guard["failures"] if guard else 0) + 1
    stamp = now.isoformat(timespec="seconds")
    reads.add_pin_failure(db, stamp, resident_id, asked_by)
    window_start = now - timedelta(minutes=security["kiosk_wrong_pin_window_minutes"])
    recent = reads.pin_failures_since(db, window_start.isoformat(timespec="seconds"))
    if recent >= security["kiosk_max_wrong_pins"]:
        pause = now + timedelta(minutes=security["kiosk_pin_pause_minutes"])
        reads.set_pin_pause(db, pause.isoformat(timespec="seconds"))
    if failures >= security["pin_max_attempts"]:
        until = now + timedelta(minutes=security["pin_lockout_minutes"])
        reads.set_login_guard(db, resident_id, 0, until.isoformat(timespec="seconds"))
        return AccountLocked(until=until)
    reads.set_login_guard(db, resident_id, failures, None)
    return WrongPin(left=security["pin_max_attempts"] - failures)


def unlock(db: Database, resident_id: str) -> None:
    """An admin lifts a lockout."""
    with store.write(db):
        reads.clear_login_guard(db, resident_id)


def resume_pin_entry(db: Database) -> None:
    """The volunteer lifts the kiosk-wide pause (the wrong PINs stay on record, but no longer
    count towards the next pause)."""
    with store.write(db):
        reads.lift_pin_pause(db, clock.now().isoformat(timespec="seconds"))


def locked_residents(db: Database) -> list[Resident]:
    return [
        Resident.from_row(row)
        for row in reads.locked_residents(db, clock.now().isoformat(timespec="seconds"))
    ]
