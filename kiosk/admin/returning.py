"""Bringing back a resident who moved out: the one way a closed account reopens.

Moving out (kiosk/admin/moving_out.py) is final for every ordinary edit: the admin's form, a
suspension or a verification never change a ``moved_out`` status (kiosk/residents/residents.py
refuses, the projectors ignore such a change from any kiosk). A volunteer who brings a resident
back does it on purpose, with a reason, in one transaction: the event ``resident.returned``
(kiosk/admin/projections.py: the status becomes ``verified``, the departure's row keeps when, by
whom and why), a new PIN and a new member card to print (the old card was revoked at the
departure and stays refused). The account starts from zero: the departure settled it, and a
closed account may only move towards zero (kiosk/ledger/transfers.py); a balance that is not
zero is refused rather than carried into the new start.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import formatting, store
from kiosk.admin.errors import BalanceNotSettled, NotMovedOut
from kiosk.config import Config
from kiosk.errors import N_, PermissionDenied
from kiosk.residents import residents
from kiosk.store import reads as core_reads
from kiosk.text import clean_text

REASON_MAX = 200


def clean_reason(text: str | None) -> str:
    return clean_text(
        text,
        maximum=REASON_MAX,
        empty=N_("Say why the resident comes back."),
        too_long=N_("The reason is at most %(max)d characters."),
    )


def bring_back(
    db: Database,
    config: Config,
    *,
    resident_id: str,
    admin_id: str,
    reason: str | None,
    pin: str | None,
    print_card: bool = True,
) -> residents.Resident:
    """Reopen a moved-out resident's account, with a new PIN and a new card; all or nothing.

    Refuses (changing nothing) a non-admin, an empty reason, a bad PIN, a resident who is not
    moved out (``NotMovedOut``: brought back already, by a double tap or another volunteer)
    and a balance that is not zero (``BalanceNotSettled``)."""
    admin = residents.get(db, admin_id)
    if not admin.is_admin:
        raise PermissionDenied()
    reason = clean_reason(reason)
    pin_hash = residents.hash_pin(db, residents.clean_pin(pin))  # slow: before the lock
    with store.write(db):
        person = residents.get(db, resident_id)
        if not person.moved_out:
            raise NotMovedOut(name=person.name)
        if person.balance != 0:
            raise BalanceNotSettled(
                name=person.name, amount=formatting.ceec_for(config, person.balance)
            )
        store.record(
            db,
            "resident.returned",
            {"resident_id": person.id, "returned_by": admin.id, "reason": reason},
        )
        store.record(db, "resident.pin_set", {"resident_id": person.id, "pin_hash": pin_hash})
        core_reads.clear_login_guard(db, person.id)
        residents.issue_card(
            db, person.id, print_it=print_card, building=config["building"]["name"]
        )
        back = residents.get(db, person.id)
        assert back.status == residents.VERIFIED and back.balance == 0, back
    return back
