"""Moving out: an admin closes the account of a resident who leaves the building.

In one transaction: the balance is settled to zero against the common fund (a transfer of kind
``settlement``: a credit goes to the fund, a debt is covered by it, or must be repaid first when
``[community] moving_out_settlement = "credit_only"``), the card is revoked (``card.revoked``:
a scan then says the card no longer works), their board posts and notices are withdrawn, and the
status becomes ``moved_out`` (they can no longer log in). Their history stays: transfers, posts,
vouches and votes are never deleted, and the departure (who closed it, the settled balance) is
kept in ``departures``. Vouchers they printed stay valid: a voucher belongs to its bearer.
Before all that, what they leave open (loans, orders, payment requests, memberships) is resolved
as ``kiosk.admin.departure_plan`` lists it, from the plan computed in the same transaction; a
"Leaving the building" slip (layout ``departure``) prints the final balance, how it was settled
and each item resolved.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import formatting, store
from kiosk.admin import departure_plan
from kiosk.admin.errors import (
    AlreadyMovedOut,
    CannotCloseOwnAccount,
    DebtMustBeRepaid,
    DeparturePlanChanged,
    NotMovedOut,
)
from kiosk.board import board
from kiosk.community import notices
from kiosk.config import Config
from kiosk.errors import PermissionDenied
from kiosk.ledger.transfers import COMMON_FUND_ACCOUNT, record_transfer
from kiosk.residents import residents
from kiosk.store import reads as core_reads
from kiosk.store.db import query_one
from printing import queue as print_queue


@dataclass(frozen=True)
class Departure:
    resident_id: str
    closed_by_name: str
    balance_left: int
    transfer_reference: str | None
    posts_withdrawn: int
    created_at: str


def withdraw_board_posts(
    db: Database, config: Config, resident_id: str, admin: residents.Resident
) -> int:
    """Withdraw the resident's active board posts (events, as any withdrawal); how many."""
    count = 0
    for post in board.posts_of(db, config, resident_id):
        if post.withdrawn_at is None and not post.is_remote:
            board.withdraw(db, config, post.id, actor=admin)
            count += 1
    return count


def settlement_preview(
    config: Config, resident: residents.Resident, balance: int | None = None
) -> str:
    """What will happen to the balance (``balance``: the final one, after the loan fees the
    plan pays; the resident's by default): "to_fund", "from_fund", "none" or "refused"."""
    balance = resident.balance if balance is None else balance
    if balance > 0:
        return "to_fund"
    if balance < 0:
        return (
            "from_fund"
            if config["community"]["moving_out_settlement"] == "common_fund"
            else "refused"
        )
    return "none"


def close_resident(
    db: Database,
    config: Config,
    *,
    resident_id: str,
    admin_id: str,
    expected_plan: str | None = None,
) -> Departure:
    """Resolve what is left open, settle, revoke, withdraw and close, all or nothing.
    ``expected_plan``: the fingerprint of the plan the volunteer was shown; refused
    (``DeparturePlanChanged``) if the plan is no longer that one."""
    admin = residents.get(db, admin_id)
    if not admin.is_admin:
        raise PermissionDenied()
    if admin_id == resident_id:
        raise CannotCloseOwnAccount()
    with store.write(db):
        leaver = residents.get(db, resident_id)
        if leaver.moved_out:
            raise AlreadyMovedOut(name=leaver.name)
        plan = departure_plan.plan_for(db, config, leaver)
        if expected_plan is not None and plan.fingerprint() != expected_plan:
            raise DeparturePlanChanged(name=leaver.name)
        balance = plan.final_balance
        settlement = settlement_preview(config, leaver, balance)
        if settlement == "refused":
            raise DebtMustBeRepaid(name=leaver.name, amount=formatting.ceec_for(config, -balance))
        departure_plan.carry_out(db, config, plan, leaver, admin)
        transfer_id = _settle_with_fund(
            db, config, leaver, balance, admin, f"Moving out: {leaver.name} ({leaver.apartment})"
        )
        store.record(db, "card.revoked", {"resident_id": leaver.id})
        withdrawn = withdraw_board_posts(db, config, leaver.id, admin)
        for notice in notices.notices_by(db, leaver.id):
            notices.withdraw_notice(db, notice.id, actor_id=admin.id)
            withdrawn += 1
        store.record(
            db,
            "resident.moved_out",
            {
                "resident_id": leaver.id,
                "closed_by": admin.id,
                "balance_left": balance,
                "transfer_id": transfer_id,
                "posts_withdrawn": withdrawn,
            },
        )
        core_reads.clear_login_guard(db, leaver.id)
        _queue_slip(db, config, leaver, admin, plan, settlement, withdrawn)
    result = departure(db, resident_id)
    assert result is not None
    return result


def _settle_with_fund(
    db: Database,
    config: Config,
    leaver: residents.Resident,
    balance: int,
    admin: residents.Resident,
    description: str,
) -> str | None:
    """Bring ``balance`` to zero against the common fund (a credit goes to it, a debt is covered
    by it), through the one write path for money; the transfer's id, None when nothing moves."""
    if not balance:
        return None
    debit, credit = (
        (leaver.account_id, COMMON_FUND_ACCOUNT)
        if balance > 0
        else (COMMON_FUND_ACCOUNT, leaver.account_id)
    )
    event = record_transfer(
        db,
        config,
        kind="settlement",
        debit_account=debit,
        credit_account=credit,
        amount=abs(balance),
        description=description,
        recorded_by=admin.id,
    )
    return event.id


def settle_after_departure(
    db: Database, config: Config, *, resident_id: str, admin_id: str
) -> str | None:
    """Settle what reached a closed account after its departure, as the move-out did (a
    request accepted or an exchange recorded at a kiosk of the building that had not heard of
    the departure yet, synced since). The transfer's id; None when the balance is zero."""
    admin = residents.get(db, admin_id)
    if not admin.is_admin:
        raise PermissionDenied()
    with store.write(db):
        leaver = residents.get(db, resident_id)
        if not leaver.moved_out:
            raise NotMovedOut(name=leaver.name)
        if settlement_preview(config, leaver) == "refused":
            raise DebtMustBeRepaid(
                name=leaver.name, amount=formatting.ceec_for(config, -leaver.balance)
            )
        return _settle_with_fund(
            db,
            config,
            leaver,
            leaver.balance,
            admin,
            f"After moving out: {leaver.name} ({leaver.apartment})",
        )


def _queue_slip(
    db: Database,
    config: Config,
    leaver: residents.Resident,
    admin: residents.Resident,
    plan: departure_plan.Plan,
    settlement: str,
    withdrawn: int,
) -> None:
    """Queue the "Leaving the building" slip (printing/layouts/departure.py)."""
    row = _departure_row(db, leaver.id)
    translate = departure_plan.paper_translate(config)
    items = []
    for item in plan.items:
        kind, outcome = departure_plan.describe(item, translate)
        items.append(
            {"kind": kind, "what": item.what, "neighbour": item.neighbour, "outcome": outcome}
        )
    payload = {
        "reference": row["transfer_reference"],
        "created_at": row["created_at"],
        "resident": {"name": leaver.name, "apartment": leaver.apartment},
        "closed_by": admin.name,
        "balance_before": plan.balance_now,
        "fees_paid": plan.fees_paid,
        "final_balance": plan.final_balance,
        "settlement": settlement,
        "posts_withdrawn": withdrawn,
        "items": items,
    }
    print_queue.enqueue(db, "departure", payload, reference=row["transfer_reference"])


def departure(db: Database, resident_id: str) -> Departure | None:
    """The resident's current departure (None: not moved out, or brought back since)."""
    row = _departure_row(db, resident_id)
    if row is None:
        return None
    return Departure(
        resident_id=row["resident_id"],
        closed_by_name=row["closed_by_name"],
        balance_left=row["balance_left"],
        transfer_reference=row["transfer_reference"],
        posts_withdrawn=row["posts_withdrawn"],
        created_at=row["created_at"],
    )


def _departure_row(db: Database, resident_id: str) -> sqlite3.Row | None:
    return query_one(
        db,
        "SELECT d.*, r.name AS closed_by_name, t.reference AS transfer_reference FROM departures d "
        "JOIN residents r ON r.id = d.closed_by LEFT JOIN transfers t ON t.id = d.transfer_id "
        "WHERE d.resident_id = ? AND d.returned_at IS NULL "  # the departure not undone
        "ORDER BY d.created_at DESC, d.rowid DESC LIMIT 1",
        (resident_id,),
    )
