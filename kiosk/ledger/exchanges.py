"""Exchanges: the payer received a service or good from a neighbour and pays it in CEEC.

``record_exchange`` checks what an exchange asks for (a description, a category, an amount
within the maximum for one exchange, two different residents), then records the transfer
through the one write path (kiosk/ledger/transfers.py: who may exchange, floor and ceiling) and
queues the receipt, in one transaction.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import formatting, store
from kiosk.categories import CATEGORIES
from kiosk.config import Config
from kiosk.errors import N_, AmountTooLarge, InvalidAmount, InvalidInput, SelfPayment
from kiosk.ledger.ledger import Transfer, get_transfer
from kiosk.ledger.receipts import queue_receipt
from kiosk.ledger.transfers import DESCRIPTION_MAX, record_transfer
from kiosk.money import minutes_to_amount
from kiosk.residents.residents import get as get_resident
from kiosk.text import clean_text


def clean_description(text: str | None) -> str:
    return clean_text(
        text,
        maximum=DESCRIPTION_MAX,
        empty=N_("Say in a few words what the exchange was."),
        too_long=N_("The description is at most %(max)d characters."),
    )


def exchange_amount(config: Config, *, minutes: int | None, amount: int | None) -> int:
    """The CEEC of an exchange given as a duration or as a direct amount (hundredths)."""
    if minutes is not None:
        if minutes <= 0:
            raise InvalidAmount()
        amount = minutes_to_amount(minutes, config["currency"]["units_per_hour"])
    if amount is None or amount <= 0:
        raise InvalidAmount()
    maximum = config.amount("max_exchange")
    if amount > maximum:
        raise AmountTooLarge(max=formatting.ceec_for(config, maximum))
    return amount


def record_exchange(
    db: Database,
    config: Config,
    *,
    payer_id: str,
    payee_id: str,
    description: str,
    category: str = "other",
    minutes: int | None = None,
    amount: int | None = None,
    recorded_by: str | None = None,
    post_id: str | None = None,
) -> Transfer:
    """The payer received a service or good from the payee: move its CEEC, queue a receipt.

    ``post_id`` names the board post the exchange came from (kept on the transfer).
    """
    if payer_id == payee_id:
        raise SelfPayment()
    description = clean_description(description)
    if category not in CATEGORIES:
        raise InvalidInput(N_("Choose a category from the list."))
    amount = exchange_amount(config, minutes=minutes, amount=amount)
    with store.write(db):
        event = record_transfer(
            db,
            config,
            kind="exchange",
            debit_account=get_resident(db, payer_id).account_id,
            credit_account=get_resident(db, payee_id).account_id,
            amount=amount,
            minutes=minutes,
            description=description,
            category=category,
            recorded_by=recorded_by,
            post_id=post_id,
        )
        queue_receipt(db, config, event.id)
    return get_transfer(db, event.id)
