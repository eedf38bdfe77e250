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


def queue_receipt(db: Database, config: Config, transfer_id: str) -> None:
    """Queue the receipt of a transfer, in the transfer's own transaction."""

    row = reads.transfer(db, transfer_id)
    show = config["receipts"]["show_balances"]
    gettext = i18n.gettext_for(config.language)

    def party(prefix: str, account: str) -> dict:
        side = "debit" if prefix == "payer" else "credit"
        return {
            "apartment": row[f"{prefix}_apartment"] or "",
            "name": account_name(account, row[f"{prefix}_name"] or row[f"{side}_label"], gettext),
            "balance_after": reads.account_balance(db, account) if show else None,
        }

    payload = {
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
    print_queue.enqueue(db, "receipt", payload, reference=row["reference"])
