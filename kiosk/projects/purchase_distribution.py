"""The pick-up of a group purchase: the organiser marks each household's euro payment (cash or
cheque) and pick-up, once each, then marks the purchase distributed, which pays the organiser's
CEEC fees from the participants in one transaction, each fee on its own: a fee the ledger
refuses (a participant who moved out...) is recorded with its reason and never blocks the others.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.errors import (
    N_,
    AboveCeiling,
    AccountClosed,
    BelowFloor,
    InvalidInput,
    KioskError,
    ResidentNotActive,
)
from kiosk.ledger.transfers import credit_refusal, debit_refusal, record_transfer
from kiosk.projects import reads as preads
from kiosk.projects.errors import (
    AlreadyDistributed,
    HouseholdAlreadyPaid,
    HouseholdAlreadyPickedUp,
    NoSuchHousehold,
    NotConfirmed,
)
from kiosk.projects.purchase_numbers import line_amount
from kiosk.projects.purchases import Purchase, _require_manager, fee_shares, get_purchase
from kiosk.residents.residents import get as get_resident

PAYMENT_METHODS = {"cash": N_("cash"), "cheque": N_("cheque")}


def household_amounts(db: Database, project_id: str) -> dict[str, int]:
    """{apartment: euro cents owed}, sums of the household's lines."""
    owed: dict[str, int] = {}
    for row in preads.order_lines(db, project_id):
        owed[row["apartment"]] = owed.get(row["apartment"], 0) + line_amount(
            row["quantity"], row["unit_price"]
        )
    return owed


def _require_after_closing(purchase: Purchase) -> None:
    if purchase.state not in ("confirmed", "distributed"):
        raise NotConfirmed()


def mark_paid(db: Database, project_id: str, apartment: str, *, method: str, by: str) -> None:
    """The organiser received a household's euros (cash or cheque). Once only."""
    if method not in PAYMENT_METHODS:
        raise InvalidInput(N_("Choose cash or cheque."))
    with store.write(db):
        purchase = get_purchase(db, project_id)
        _require_manager(db, purchase, by)
        _require_after_closing(purchase)
        owed = household_amounts(db, project_id)
        if apartment not in owed:
            raise NoSuchHousehold(apartment=apartment)
        row = preads.households(db, project_id).get(apartment)
        if row is not None and row["paid_amount"] is not None:
            raise HouseholdAlreadyPaid(apartment=apartment)
        store.record(
            db,
            "purchase.payment_marked",
            {
                "project_id": project_id,
                "apartment": apartment,
                "amount": owed[apartment],
                "method": method,
                "marked_by": by,
            },
        )


def mark_picked_up(db: Database, project_id: str, apartment: str, *, by: str) -> None:
    with store.write(db):
        purchase = get_purchase(db, project_id)
        _require_manager(db, purchase, by)
        _require_after_closing(purchase)
        if apartment not in household_amounts(db, project_id):
            raise NoSuchHousehold(apartment=apartment)
        row = preads.households(db, project_id).get(apartment)
        if row is not None and row["picked_up_at"] is not None:
            raise HouseholdAlreadyPickedUp(apartment=apartment)
        store.record(
            db,
            "purchase.pickup_marked",
            {"project_id": project_id, "apartment": apartment, "marked_by": by},
        )


# Why a participant's fee was not taken, as recorded in ``purchase.distributed`` (a code, so
# every kiosk shows it in its own language): the rule of kiosk/ledger/transfers.py it broke,
# on the participant's side or on the organiser's.
PARTICIPANT_REFUSALS: dict[type, str] = {
    AccountClosed: "moved_out",
    ResidentNotActive: "not_active",
    BelowFloor: "below_floor",
}
ORGANISER_REFUSALS: dict[type, str] = {
    AccountClosed: "organiser_inactive",
    ResidentNotActive: "organiser_inactive",
    AboveCeiling: "organiser_ceiling",
}
REFUSAL_WORDS = {
    "moved_out": N_("%(name)s has moved out: the account is closed, no fee was taken."),
    "not_active": N_("%(name)s's account was suspended or not yet verified: no fee was taken."),
    "below_floor": N_(
        "The fee would have taken %(name)s below the credit floor: it was not taken."
    ),
    "organiser_inactive": N_(
        "The organiser's account was closed or suspended: this fee was not taken."
    ),
    "organiser_ceiling": N_(
        "The organiser's account would have gone above the ceiling: this fee was not taken."
    ),
    "refused": N_("The fee was refused: it was not taken."),
}


def fee_refusal(
    db: Database, config: Config, purchase: Purchase, resident_id: str, amount: int
) -> tuple[KioskError, str] | None:
    """Why this participant's fee would be refused now (the ledger's own rules, the participant
    first, then the organiser), with the code of that reason; None if it would be taken."""
    if not amount:
        return None
    account = get_resident(db, resident_id).account_id
    error = debit_refusal(db, config, account, amount, kind="purchase_fee")
    if error is not None:
        return error, PARTICIPANT_REFUSALS.get(type(error), "refused")
    error = credit_refusal(db, config, purchase.organiser_account, amount, kind="purchase_fee")
    if error is not None:
        return error, ORGANISER_REFUSALS.get(type(error), "refused")
    return None


def mark_distributed(
    db: Database, config: Config, project_id: str, *, by: str
) -> dict[str, list[dict]]:
    """The goods were handed out: pay each participant's fee to the organiser, each on its own.

    A fee the ledger refuses (a participant who moved out, is suspended, or would cross the
    floor; the organiser at the ceiling) is not taken and is recorded with its reason; it
    never stops the others. Returns {"fees": [...paid], "refused": [...]}.
    """
    with store.write(db):
        purchase = get_purchase(db, project_id)
        _require_manager(db, purchase, by)
        if purchase.state == "distributed":
            raise AlreadyDistributed()
        if purchase.state != "confirmed":
            raise NotConfirmed()
        shares = fee_shares(
            purchase.fee_kind,
            purchase.fee_amount,
            purchase.organiser_id,
            preads.participant_ids(db, project_id),
        )
        fees, refused = [], []
        for resident_id, amount in shares.items():
            if not amount:
                continue
            refusal = fee_refusal(db, config, purchase, resident_id, amount)
            if refusal is not None:
                refused.append({"resident_id": resident_id, "amount": amount, "reason": refusal[1]})
                continue
            event = record_transfer(
                db,
                config,
                kind="purchase_fee",
                debit_account=get_resident(db, resident_id).account_id,
                credit_account=purchase.organiser_account,
                amount=amount,
                recorded_by=by,
                description=f"{purchase.title} ({purchase.supplier})",
            )
            fees.append({"resident_id": resident_id, "amount": amount, "transfer_id": event.id})
        payload = {"project_id": project_id, "marked_by": by, "fees": fees}
        if refused:
            payload["refused"] = refused
        store.record(db, "purchase.distributed", payload)
    return {"fees": fees, "refused": refused}
