"""Ledger transfers that are not exchanges: to and from system accounts (a project's fund, the
association's common fund) and fees between residents, with the exchange's floor and ceiling.

``record_transfer`` checks every rule inside the write transaction that records the
``transfer.recorded`` event, like ``ledger.record_exchange``; called inside a caller's
transaction it joins it (a savepoint), so several transfers commit or fail together.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import formatting, store
from kiosk.config import Config
from kiosk.errors import N_, AboveCeiling, BelowFloor, InvalidAmount, NotFound, ResidentNotActive
from kiosk.projects.errors import ProjectFundsTooLow
from kiosk.store import Event

# Kinds this module may record (the transfers table's CHECK lists them, m008_projects).
KINDS = ("project_contribution", "project_payment", "purchase_fee")


def _account(db: Database, account_id: str):
    row = store.query_one(
        db,
        "SELECT a.id, a.kind, a.label, a.balance, r.name, r.status FROM accounts a "
        "LEFT JOIN residents r ON r.id = a.resident_id WHERE a.id = ?",
        (account_id,),
    )
    if row is None:
        raise NotFound(N_("This account does not exist."))
    return row


def check_debit(
    db: Database, config: Config, account_id: str, amount: int, *, may_go_negative: bool = False
) -> None:
    """Refuse if taking ``amount`` from the account breaks a rule (floor, empty fund)."""
    account = _account(db, account_id)
    if account["kind"] == "resident":
        if account["status"] != "verified":
            raise ResidentNotActive(name=account["name"], status=account["status"])
        floor = config.amount("credit_floor")
        if account["balance"] - amount < floor:
            raise BelowFloor(name=account["name"], floor=formatting.ceec_for(config, floor))
    elif not may_go_negative and account["balance"] - amount < 0:
        raise ProjectFundsTooLow(
            label=account["label"],
            balance=formatting.ceec_for(config, account["balance"]),
            amount=formatting.ceec_for(config, amount),
        )


def check_credit(db: Database, config: Config, account_id: str, amount: int) -> None:
    """Refuse if giving ``amount`` to a resident's account takes it above the ceiling."""
    account = _account(db, account_id)
    if account["kind"] == "resident":
        if account["status"] != "verified":
            raise ResidentNotActive(name=account["name"], status=account["status"])
        ceiling = config.amount("credit_ceiling")
        if account["balance"] + amount > ceiling:
            raise AboveCeiling(name=account["name"], ceiling=formatting.ceec_for(config, ceiling))


def record_transfer(
    db: Database,
    config: Config,
    *,
    kind: str,
    debit_account: str,
    credit_account: str,
    amount: int,
    description: str,
    recorded_by: str | None = None,
    minutes: int | None = None,
    debit_may_go_negative: bool = False,
) -> Event:
    """Move ``amount`` hundredths between two accounts; returns the transfer's event.

    A resident's account keeps to the floor and ceiling and must be verified; a system
    account cannot go below zero unless ``debit_may_go_negative`` (the association's fund).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown transfer kind {kind!r}")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount()
    if debit_account == credit_account:
        raise ValueError("a transfer needs two different accounts")
    with store.write(db):
        check_debit(db, config, debit_account, amount, may_go_negative=debit_may_go_negative)
        check_credit(db, config, credit_account, amount)
        return store.record(
            db,
            "transfer.recorded",
            {
                "kind": kind,
                "debit_account": debit_account,
                "credit_account": credit_account,
                "amount": amount,
                "minutes": minutes,
                "description": description[:200],
                "category": "other",
                "recorded_by": recorded_by,
            },
        )


def ensure_system_account(db: Database, account_id: str, label: str) -> None:
    """Open a system account once (inside the caller's write transaction)."""
    if store.scalar(db, "SELECT 1 FROM accounts WHERE id = ?", (account_id,)) is None:
        store.record(db, "account.opened", {"account_id": account_id, "label": label})
