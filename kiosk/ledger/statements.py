"""Printed statements: a resident's month (or latest lines) queued for the printer."""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import i18n, store
from kiosk.config import Config
from kiosk.ledger import ledger
from kiosk.ledger.transfers import account_name
from printing import queue as print_queue

MAX_PRINTED_LINES = 60


def statement_payload(db: Database, config: Config, resident_id: str, *, month: str | None) -> dict:
    st = ledger.statement(db, config, resident_id, month=month)
    gettext = i18n.gettext_for(config.language)
    return {
        "resident": {"name": st.resident.name, "apartment": st.resident.apartment},
        "month": month,
        "balance": st.balance,
        "total_in": st.total_in,
        "total_out": st.total_out,
        "lines": [
            {
                "created_at": line.transfer.created_at,
                "reference": line.transfer.reference,
                "counterparty": " ".join(
                    part
                    for part in (
                        line.counterparty_apartment,
                        account_name(line.counterparty_account, line.counterparty_name, gettext),
                    )
                    if part
                ),
                "description": line.transfer.description,
                "amount": line.signed_amount,
            }
            for line in st.lines[:MAX_PRINTED_LINES]
        ],
        "truncated": len(st.lines) > MAX_PRINTED_LINES,
    }


def queue_statement(db: Database, config: Config, resident_id: str, *, month: str | None) -> int:
    """Queue a printed statement; returns the print job id."""

    payload = statement_payload(db, config, resident_id, month=month)
    with store.write(db):
        return print_queue.enqueue(db, "statement", payload, reference=None)
