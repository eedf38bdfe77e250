"""The printed receipt of a transfer (an exchange, a reversal, a redeemed voucher, a move-out
settlement), queued in the transfer's own transaction."""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import i18n
from kiosk.categories import CATEGORIES
from kiosk.config import Config
from kiosk.ledger.transfers import account_name
from kiosk.store import reads
from printing import queue as print_queue


def receipt_payload(db: Database, config: Config, transfer_id: str) -> dict:
    """The "receipt" layout's payload (printing/layouts/receipt.py) for a transfer: the one
    place that builds it. An account of the association is named in words in the kiosk's
    language and shows no balance (its balance is no resident's)."""

    row = reads.transfer(db, transfer_id)
    show = config["receipts"]["show_balances"]
    gettext = i18n.gettext_for(config.language)

    def party(prefix: str, account: str) -> dict:
        side = "debit" if prefix == "payer" else "credit"
        resident = row[f"{prefix}_id"] is not None
        return {
            "apartment": row[f"{prefix}_apartment"] or "",
            "name": account_name(account, row[f"{prefix}_name"] or row[f"{side}_label"], gettext),
            "balance_after": reads.account_balance(db, account) if show and resident else None,
        }

    return {
        "reference": row["reference"],
        "created_at": row["created_at"],
        "kind": row["kind"],
        "reverses_reference": row["reverses_reference"],
        "payer": party("payer", row["debit_account"]),
        "payee": party("payee", row["credit_account"]),
        "description": row["description"],
        "category_label": gettext(CATEGORIES.get(row["category"], CATEGORIES["other"])),
        "minutes": row["minutes"],
        "amount": row["amount"],
    }


def queue_receipt(db: Database, config: Config, transfer_id: str) -> None:
    """Queue the receipt of a transfer, in the transfer's own transaction."""

    payload = receipt_payload(db, config, transfer_id)
    print_queue.enqueue(db, "receipt", payload, reference=payload["reference"])
