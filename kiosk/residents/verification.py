"""Neighbour verification: a newcomer is "pending" until the building knows they live here.

A pending resident may look around but not exchange, post, vote or vouch
(``residents.require_verified``). They become verified by any one of:

* ``vouch``: verified neighbours from other apartments vouch for them at the kiosk, each with
  their own PIN (``[community] vouches_needed``, 2 by default);
* ``enter_mailbox_code``: an admin prints a slip with a one-time code (``issue_mailbox_code``),
  folded so the code is hidden, and puts it in the apartment's mailbox; the newcomer types it.
  Only a hash of the code is kept (private event); the clear code lives in the print job, which
  the print queue scrubs once printed. It expires, and a few wrong tries close it;
* ``verify_with_proof``: an admin saw a proof of address: recorded with the admin's name, the
  kind of document and the day, never the document itself.

Each way records ``resident.verified`` with its method and who did it: the history is kept.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlite_utils import Database

from kiosk import clock, pin_hashing, store
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, PermissionDenied
from kiosk.residents import auth, reads, residents
from kiosk.residents.errors import (
    AlreadyVerified,
    AlreadyVouched,
    MailboxCodeUnusable,
    NameTakenAtApartment,
    PinsDiffer,
    ProofMissing,
    SameApartmentVouch,
    SelfRegistrationClosed,
    SelfVouch,
    TooManyJoins,
    TooManyPendingAtApartment,
    VoucherNotVerified,
    WrongMailboxCode,
)
from kiosk.residents.residents import Resident
from kiosk.text import fold
from printing import queue as print_queue

MAILBOX_CODE_DIGITS = 6
PROOF_KINDS: dict[str, str] = {
    "lease": N_("Lease"),
    "utility_bill": N_("Energy or water bill"),
    "tax_notice": N_("Tax notice"),
    "insurance": N_("Home insurance certificate"),
    "other": N_("Other proof of address"),
}
METHODS: dict[str, str] = {
    "vouches": N_("Vouched for by neighbours"),
    "mailbox_code": N_("Code from the mailbox"),
    "proof_of_address": N_("Proof of address seen by an administrator"),
}


@dataclass(frozen=True)
class VouchResult:
    vouches: int
    needed: int
    verified: bool


def register_self(
    db: Database, config: Config, *, apartment: str, name: str, pin: str, pin_again: str
) -> Resident:
    """A newcomer registers at the kiosk: apartment, name, PIN. They start pending."""
    if not config["community"]["self_registration"]:
        raise SelfRegistrationClosed()
    apartment = residents.clean_apartment(apartment)
    name = residents.clean_name(name)
    pin = residents.clean_pin(pin)
    if pin != (pin_again or "").strip():
        raise PinsDiffer()
    with store.write(db):  # the checks and the registration in one transaction: no race
        _check_join(db, config, apartment, name)
        return residents.register(db, apartment=apartment, name=name, pin=pin, status="pending")


def same_name(a: str, b: str) -> bool:
    """Two names a person would read as the same: case, accents and spaces aside."""

    return fold(a) == fold(b)


def _check_join(db: Database, config: Config, apartment: str, name: str) -> None:
    """A newcomer may not take a name already used at the apartment, nor join an apartment
    with enough newcomers waiting, nor join while this kiosk took enough newcomers this hour."""
    settings = config["community"]
    people = reads.residents_at_apartment(db, apartment)
    for person in people:
        if person["status"] != residents.MOVED_OUT and same_name(person["name"], name):
            raise NameTakenAtApartment(name=person["name"], apartment=apartment)
    waiting = sum(1 for person in people if person["status"] == "pending")
    if waiting >= settings["pending_per_apartment"]:
        raise TooManyPendingAtApartment(apartment=apartment, count=waiting)
    since = (clock.now() - timedelta(hours=1)).isoformat(timespec="seconds").replace("+00:00", "Z")
    if reads.newcomers_since(db, store.kiosk_id(db), since) >= settings["joins_per_hour"]:
        raise TooManyJoins()


def _pending(db: Database, resident_id: str) -> Resident:
    newcomer = residents.get(db, resident_id)
    if newcomer.may_exchange:
        raise AlreadyVerified(name=newcomer.name)
    if newcomer.status != "pending":
        raise InvalidInput(
            N_("%(name)s cannot be verified: the account is %(status)s."),
            name=newcomer.name,
            status=newcomer.status,
        )
    return newcomer


def _check_voucher(db: Database, newcomer: Resident, voucher: Resident) -> None:
    if voucher.id == newcomer.id:
        raise SelfVouch()
    if not voucher.may_exchange:
        raise VoucherNotVerified(name=voucher.name)
    if voucher.apartment == newcomer.apartment:
        raise SameApartmentVouch(apartment=newcomer.apartment)
    if reads.has_vouched(db, newcomer.id, voucher.id):
        raise AlreadyVouched(name=voucher.name)


def voucher_for(db: Database, *, newcomer_id: str, voucher_id: str) -> Resident:
    """The neighbour chosen to vouch, once checked that they may (before asking their PIN)."""
    newcomer = _pending(db, newcomer_id)
    voucher = residents.get(db, voucher_id)
    _check_voucher(db, newcomer, voucher)
    return voucher


def vouch(
    db: Database, config: Config, *, newcomer_id: str, voucher_id: str, pin: str | None
) -> VouchResult:
    """A verified neighbour vouches for a newcomer with their own PIN (checked, with lockout)."""
    newcomer = _pending(db, newcomer_id)
    voucher = residents.get(db, voucher_id)
    _check_voucher(db, newcomer, voucher)
    auth.verify_pin(db, config, voucher.id, pin, asked_by=newcomer.id)
    needed = config["community"]["vouches_needed"]
    with store.write(db):
        newcomer = _pending(db, newcomer_id)  # again, inside the lock: a race decides nothing twice
        _check_voucher(db, newcomer, residents.get(db, voucher_id))
        store.record(
            db,
            "resident.vouched",
            {"resident_id": newcomer.id, "voucher_id": voucher.id, "apartment": voucher.apartment},
        )
        by_ids = [row["voucher_id"] for row in reads.vouches_for(db, newcomer.id)]
        verified = len(by_ids) >= needed
        if verified:
            store.record(
                db,
                "resident.verified",
                {"resident_id": newcomer.id, "method": "vouches", "by_ids": by_ids},
            )
    return VouchResult(vouches=len(by_ids), needed=needed, verified=verified)


def _require_admin(db: Database, admin_id: str) -> Resident:
    admin = residents.get(db, admin_id)
    if not admin.is_admin:
        raise PermissionDenied()
    return admin


def issue_mailbox_code(db: Database, config: Config, *, apartment: str, admin_id: str) -> int:
    """Print a verification slip for ``apartment``; returns the print job's id.

    A new code supersedes the apartment's previous one. The clear code goes only into the print
    job (scrubbed by the queue once printed); the database keeps its hash.
    """

    admin = _require_admin(db, admin_id)
    apartment = residents.clean_apartment(apartment)
    code = "".join(secrets.choice("0123456789") for _ in range(MAILBOX_CODE_DIGITS))
    expires_at = clock.now() + timedelta(hours=config["community"]["mailbox_code_hours"])
    expires_iso = expires_at.isoformat(timespec="seconds").replace("+00:00", "Z")
    code_hash = residents.hash_pin(db, code)
    names = [
        person.name
        for person in residents.in_apartment(db, apartment)
        if person.status == "pending"
    ]
    with store.write(db):
        event = store.record(
            db,
            "mailbox_code.issued",
            {
                "apartment": apartment,
                "code_hash": code_hash,
                "expires_at": expires_iso,
                "issued_by": admin.id,
            },
        )
        return print_queue.enqueue(
            db,
            "mailbox_slip",
            {
                "apartment": apartment,
                "name": ", ".join(names) or None,
                "code": code,
                "expires_at": expires_iso,
            },
            reference=f"mailbox-{event.reference}",
        )


def enter_mailbox_code(db: Database, config: Config, *, resident_id: str, code: str | None) -> None:
    """The newcomer types the code found in their mailbox; right: verified, wrong: one try less."""
    newcomer = _pending(db, resident_id)
    row = reads.open_mailbox_code(db, newcomer.apartment)
    if row is None or clock.parse_iso(row["expires_at"]) <= clock.now():
        raise MailboxCodeUnusable(apartment=newcomer.apartment)
    code = "".join((code or "").split())
    good = (
        code.isdigit()
        and len(code) == MAILBOX_CODE_DIGITS
        and pin_hashing.check(db, row["code_hash"], code) == pin_hashing.MATCH
    )
    tries = config["community"]["mailbox_code_tries"]
    with store.write(db):
        current = reads.open_mailbox_code(db, newcomer.apartment)
        if current is None or current["id"] != row["id"]:
            raise MailboxCodeUnusable(apartment=newcomer.apartment)
        if good:
            store.record(
                db, "mailbox_code.used", {"code_id": row["id"], "resident_id": newcomer.id}
            )
            store.record(
                db,
                "resident.verified",
                {
                    "resident_id": newcomer.id,
                    "method": "mailbox_code",
                    "by_ids": [row["issued_by"]],
                },
            )
            return
        failures = current["failures"] + 1
        store.record(db, "mailbox_code.failed", {"code_id": row["id"], "closes": failures >= tries})
    if failures >= tries:
        raise MailboxCodeUnusable(apartment=newcomer.apartment)
    raise WrongMailboxCode(left=tries - failures, apartment=newcomer.apartment)


def verify_with_proof(
    db: Database, config: Config, *, resident_id: str, admin_id: str, proof_kind: str | None
) -> None:
    """An admin saw a proof of address: their name, the kind of proof and the day are kept."""
    admin = _require_admin(db, admin_id)
    if proof_kind not in PROOF_KINDS:
        raise ProofMissing()
    seen_on = clock.now().astimezone(config.timezone).date().isoformat()
    with store.write(db):
        newcomer = _pending(db, resident_id)
        store.record(
            db,
            "resident.verified",
            {
                "resident_id": newcomer.id,
                "method": "proof_of_address",
                "by_ids": [admin.id],
                "admin_name": admin.name,
                "proof_kind": proof_kind,
                "seen_on": seen_on,
            },
        )


def vouches_for(db: Database, resident_id: str) -> list:
    return reads.vouches_for(db, resident_id)


def verifications_of(db: Database, resident_id: str) -> list:
    return reads.verifications_of(db, resident_id)


def history(db: Database, limit: int = 50) -> list:
    """Who was verified, how and by whom, newest first."""
    return reads.verification_history(db, limit)


def pending_residents(db: Database) -> list[Resident]:
    return [Resident.from_row(row) for row in reads.residents_with_status(db, "pending")]


def waiting_newcomers(db: Database) -> list:
    """Who waits to be verified, with when they registered, for the administrator."""
    return reads.residents_with_status(db, "pending")


def possible_vouchers(db: Database, newcomer: Resident) -> list[Resident]:
    """Verified neighbours of other apartments who have not vouched for ``newcomer`` yet."""
    done = {row["voucher_id"] for row in reads.vouches_for(db, newcomer.id)}
    return [
        person
        for person in (
            Resident.from_row(row) for row in reads.residents_with_status(db, residents.VERIFIED)
        )
        if person.apartment != newcomer.apartment and person.id not in done
    ]


def mailbox_codes(db: Database, limit: int = 20) -> list:
    return reads.mailbox_codes(db, limit)
