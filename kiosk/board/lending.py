"""The lending register: an item lent (what, from whom, to whom, since, until when), marked
returned by the lender. A loan past its due date is overdue (decided when read, against the
building's date). An optional CEEC rate per day or per loan becomes, at the return, a payment
request to the borrower, who accepts it with their PIN like any other request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.board import board, payment_requests
from kiosk.board import reads as board_reads
from kiosk.board.errors import EndDateInPast, LoanAlreadyReturned, LoanNotFound, NotTheLender
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, SelfPayment
from kiosk.residents.residents import Resident, require_may_exchange
from kiosk.residents.residents import get as get_resident
from kiosk.text import clean_text

ITEM_MAX = 80
RATE_MODES: dict[str, str] = {
    "none": N_("Free loan"),
    "per_day": N_("CEEC per day"),
    "per_loan": N_("CEEC for the loan"),
}
DUE_CHOICES = (3, 7, 14, 30)  # days, offered as big buttons; or no due date


@dataclass(frozen=True)
class Loan:
    id: str
    reference: str
    lender_id: str
    lender_name: str
    lender_apartment: str
    borrower_id: str
    borrower_name: str
    borrower_apartment: str
    item: str
    post_id: str | None
    due_on: str | None
    rate_mode: str
    rate: int | None
    created_at: str
    returned_at: str | None
    request_id: str | None
    request_reference: str | None
    request_amount: int | None
    overdue: bool

    @classmethod
    def from_row(cls, row, *, today: str) -> Loan:
        values = {name: row[name] for name in cls.__dataclass_fields__ if name != "overdue"}
        overdue = row["returned_at"] is None and row["due_on"] is not None and row["due_on"] < today
        return cls(**values, overdue=overdue)


def _today(config: Config) -> str:
    return board.today(config).isoformat()


def due_date(config: Config, days: str | int | None) -> date | None:
    """ "in N days" from the buttons; empty means no due date."""
    if days is None or str(days).strip() in ("", "none"):
        return None
    try:
        number = int(str(days).strip())
    except ValueError:
        raise InvalidInput(N_("Choose when the item comes back.")) from None
    if not 0 <= number <= 366:
        raise InvalidInput(N_("Choose when the item comes back."))
    return board.today(config) + timedelta(days=number)


def lend(
    db: Database,
    config: Config,
    *,
    lender_id: str,
    borrower_id: str,
    item: str,
    due_on: date | None = None,
    rate_mode: str = "none",
    rate: int | None = None,
    post_id: str | None = None,
    recorded_by: str | None = None,
) -> Loan:
    """Write a loan in the register."""
    if lender_id == borrower_id:
        raise SelfPayment(N_("You cannot lend to yourself: choose another neighbour."))
    item = clean_text(
        item,
        maximum=ITEM_MAX,
        empty=N_("Say what you lend."),
        too_long=N_("What you lend is at most %(max)d characters."),
    )
    if rate_mode not in RATE_MODES:
        raise InvalidInput(N_("Choose whether the loan is free or has a rate."))
    if rate_mode == "none":
        rate = None
    elif rate is None or rate <= 0 or rate > config.amount("max_exchange"):
        raise InvalidInput(
            N_("A price is at most %(max)d CEEC."), max=config["currency"]["max_exchange"]
        )
    if due_on is not None and due_on < board.today(config):
        raise EndDateInPast()
    with store.write(db):
        for person in (get_resident(db, lender_id), get_resident(db, borrower_id)):
            require_may_exchange(person)
        event = store.record(
            db,
            "loan.recorded",
            {
                "lender_id": lender_id,
                "borrower_id": borrower_id,
                "item": item,
                "post_id": post_id,
                "due_on": due_on.isoformat() if due_on else None,
                "rate_mode": rate_mode,
                "rate": rate,
                "recorded_by": recorded_by,
            },
        )
    return get_loan(db, config, event.id)


def get_loan(db: Database, config: Config, loan_id: str) -> Loan:
    row = board_reads.loan(db, loan_id or "")
    if row is None:
        raise LoanNotFound()
    return Loan.from_row(row, today=_today(config))


def loans_of(db: Database, config: Config, resident_id: str) -> list[Loan]:
    today = _today(config)
    return [Loan.from_row(row, today=today) for row in board_reads.loans_of(db, resident_id)]


def overdue(db: Database, config: Config, resident_id: str | None = None) -> list[Loan]:
    """Overdue loans (of one resident, as lender or borrower, or of the whole building)."""
    today = _today(config)
    return [
        Loan.from_row(row, today=today) for row in board_reads.overdue_loans(db, today, resident_id)
    ]


def open_loans(db: Database, config: Config) -> list[Loan]:
    today = _today(config)
    return [Loan.from_row(row, today=today) for row in board_reads.open_loans(db)]


def amount_due(config: Config, loan: Loan) -> int | None:
    """What the rate comes to at the return (days started count; capped at max_exchange)."""
    if loan.rate_mode == "none" or not loan.rate:
        return None
    if loan.rate_mode == "per_loan":
        amount = loan.rate
    else:
        since = clock.parse_iso(loan.created_at).astimezone(config.timezone).date()
        days = max(1, (board.today(config) - since).days)
        amount = loan.rate * days
    return min(amount, config.amount("max_exchange"))


def mark_returned(db: Database, config: Config, loan_id: str, *, actor: Resident) -> Loan:
    """The lender gets the item back; with a rate, a payment request goes to the borrower."""
    loan = get_loan(db, config, loan_id)
    if actor.id != loan.lender_id and not actor.is_admin:
        raise NotTheLender()
    if loan.returned_at is not None:
        raise LoanAlreadyReturned()
    due = amount_due(config, loan)
    with store.write(db):
        if board_reads.loan(db, loan.id)["returned_at"] is not None:
            raise LoanAlreadyReturned()
        store.record(db, "loan.returned", {"loan_id": loan.id})
        if due:
            payment_requests.request_payment(
                db,
                config,
                provider_id=loan.lender_id,
                payer_id=loan.borrower_id,
                description=loan.item[:ITEM_MAX],
                category="other",
                amount=due,
                post_id=loan.post_id,
                loan_id=loan.id,
                created_by=actor.id,
            )
    return get_loan(db, config, loan.id)
