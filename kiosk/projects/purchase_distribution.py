"""The pick-up of a group purchase: the organiser marks each household's euro payment (cash or
cheque) and pick-up, once each, then marks the purchase distributed, which pays the organiser's
CEEC fees from every participant in one transaction (all or nothing).
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import formatting, store
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput
from kiosk.ledger.transfers import credit_refusal, debit_refusal, record_transfer
from kiosk.projects import reads as preads
from kiosk.projects.errors import (
    AlreadyDistributed,
    FeesBlocked,
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


def mark_distributed(db: Database, config: Config, project_id: str, *, by: str) -> list[str]:
    """The goods were handed out: pay every participant's fee to the organiser, all or nothing.

    If any participant would cross the floor now, nothing moves and the error names them all.
    Returns the fee transfers' ids.
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
        blocked = []
        for resident_id, amount in shares.items():
            resident = get_resident(db, resident_id)
            if amount and debit_refusal(
                db, config, resident.account_id, amount, kind="purchase_fee"
            ):
                blocked.append(f"{resident.name} ({resident.apartment})")
        if blocked:
            raise FeesBlocked(
                names=", ".join(blocked),
                floor=formatting.ceec_for(config, config.amount("credit_floor")),
                currency=config["currency"]["name"],
            )
        total = sum(shares.values())
        error = total and credit_refusal(
            db, config, purchase.organiser_account, total, kind="purchase_fee"
        )
        if error:
            raise error
        fees = []
        for resident_id, amount in shares.items():
            if not amount:
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
        store.record(
            db, "purchase.distributed", {"project_id": project_id, "marked_by": by, "fees": fees}
        )
    return [fee["transfer_id"] for fee in fees]
