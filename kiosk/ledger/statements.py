"""Printed statements: a resident's month, or their whole history, queued for the printer.

``statement_payload`` is the one builder of the "statement" layout's payload (documented in
printing/layouts/statement.py): names already in the print language, balances in hundredths.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import clock, i18n, store
from kiosk.config import Config
from kiosk.ledger import ledger
from kiosk.ledger.transfers import account_name
from printing import queue as print_queue

MAX_PRINTED_LINES = 60


def statement_payload(db: Database, config: Config, resident_id: str, *, month: str | None) -> dict:
    """The statement of ``month`` ("2026-11", in the building's time zone), or of the whole
    history (``None``: its newest ``MAX_PRINTED_LINES`` lines, the older ones counted)."""
    history = ledger.statement(db, config, resident_id, month=None)  # newest first
    gettext = i18n.gettext_for(config.language)
    balance = history.resident.balance
    if month:
        later = [
            line
            for line in history.lines
            if ledger.local_month(config, line.transfer.created_at) > month
        ]
        closing = balance - sum(line.signed_amount for line in later)
        chosen = [
            line
            for line in history.lines
            if ledger.local_month(config, line.transfer.created_at) == month
        ]
    else:
        closing, chosen = balance, history.lines
    printed = chosen[:MAX_PRINTED_LINES]
    opening = closing - sum(line.signed_amount for line in printed)
    return {
        "name": history.resident.name,
        "apartment": history.resident.apartment,
        "month": month,
        "opening_balance": opening,
        "lines": [
            {
                "created_at": line.transfer.created_at,
                "reference": line.transfer.reference,
                "counterparty": " ".join(
                    part
                    for part in (
                        account_name(line.counterparty_account, line.counterparty_name, gettext),
                        f"({line.counterparty_apartment})" if line.counterparty_apartment else "",
                    )
                    if part
                ),
                "description": line.transfer.description,
                "amount": line.signed_amount,
            }
            for line in reversed(printed)  # oldest first, as a statement reads
        ],
        "earlier_lines": len(chosen) - len(printed),
        "total_in": sum(line.signed_amount for line in chosen if line.signed_amount > 0),
        "total_out": -sum(line.signed_amount for line in chosen if line.signed_amount < 0),
        "closing_balance": closing,
        "printed_at": clock.now_iso(),
    }


def queue_statement(db: Database, config: Config, resident_id: str, *, month: str | None) -> int:
    """Queue a printed statement; returns the print job id."""

    payload = statement_payload(db, config, resident_id, month=month)
    with store.write(db):
        return print_queue.enqueue(db, "statement", payload, reference=None)
