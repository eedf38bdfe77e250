"""The ledger's event types: accounts opened and transfers recorded (``building`` scope).

Only a kiosk of the building whose ledger it is records them: the entity is the account (a
transfer is about the account it debits). Like every projector, these trust their event and
never read the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import (
    BUILDING,
    MAYBE_TEXT,
    About,
    Authority,
    Creates,
    NoneType,
    event_type,
)


@event_type(
    "account.opened",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("account", "account_id"),
    fields={"account_id": str, "label": str},
    tables=("accounts",),
    creates=(Creates("account", "account_id"),),
)
def _account_opened(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        # Two kiosks of a building may both open a system account while apart: the second
        # opening changes nothing (kiosk/ledger/transfers.py, open_system_account).
        "INSERT INTO accounts (id, kind, resident_id, label, balance) VALUES (?, 'system', NULL, ?, 0) "
        "ON CONFLICT (id) DO NOTHING",
        [p["account_id"], p["label"]],
    )


def _moves_money(p: Mapping[str, Any]) -> bool:
    """A transfer moves a positive amount between two different accounts."""
    return p["amount"] > 0 and p["debit_account"] != p["credit_account"]


@event_type(
    "transfer.recorded",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("account", "debit_account"),
    fields={"kind": str, "debit_account": str, "credit_account": str, "amount": int},
    optional={
        "minutes": (int, NoneType),
        "description": str,
        "category": str,
        "reverses": MAYBE_TEXT,
        "recorded_by": MAYBE_TEXT,
        "post_id": MAYBE_TEXT,
    },
    valid=_moves_money,
    tables=("transfers", "accounts"),
)
def _transfer_recorded(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO transfers (id, reference, kind, debit_account, credit_account, amount, minutes, "
        "description, category, reverses, recorded_by, origin, created_at, post_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            p["kind"],
            p["debit_account"],
            p["credit_account"],
            p["amount"],
            p.get("minutes"),
            p.get("description", ""),
            p.get("category", "other"),
            p.get("reverses"),
            p.get("recorded_by"),
            event.origin,
            event.created_at,
            p.get("post_id"),
        ],
    )
    db.execute(
        "UPDATE accounts SET balance = balance - ? WHERE id = ?", [p["amount"], p["debit_account"]]
    )
    db.execute(
        "UPDATE accounts SET balance = balance + ? WHERE id = ?", [p["amount"], p["credit_account"]]
    )
