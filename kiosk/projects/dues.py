"""Recurring contributions of shared equipment and subscriptions (wifi, composter).

A coordinator sets the whole amount per period (month, quarter or year) and its currency:
euros reimburse the member who pays the bill (``payee``), CEEC go to the project's account.
Each current member's share is the amount divided among the members in integer cents (or
hundredths), the remainder going one by one to the earliest members, so the shares always add
up to the bill. A CEEC share is paid by the member at the kiosk (a ledger transfer); a euro
share is marked paid by the payee or a coordinator. Each is recorded once per member and period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, NotFound
from kiosk.ledger.transfers import record_transfer
from kiosk.projects import reads as preads
from kiosk.projects.errors import DuesAlreadyPaid, DuesNotSet, NotMember
from kiosk.projects.projects import Person, check_open, get, members, require_coordinator
from kiosk.residents.residents import get as get_resident

PERIODS = {"month": N_("per month"), "quarter": N_("per quarter"), "year": N_("per year")}
CURRENCIES = ("eur", "ceec")
MAX_AMOUNT = 10_000_00


@dataclass(frozen=True)
class Share:
    member: Person
    amount: int
    paid: bool
    paid_at: str | None


def split(total: int, count: int) -> list[int]:
    """``total`` in ``count`` integer shares that add up to it, the larger ones first."""
    if count <= 0:
        return []
    base, rest = divmod(total, count)
    return [base + (1 if index < rest else 0) for index in range(count)]


def period_of(period_kind: str, moment: datetime) -> str:
    """The period containing ``moment`` (building time): "2026-11", "2026-Q4", "2026"."""
    if period_kind == "month":
        return moment.strftime("%Y-%m")
    if period_kind == "quarter":
        return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"
    return str(moment.year)


def current_period(config: Config, period_kind: str) -> str:
    return period_of(period_kind, clock.now().astimezone(config.timezone))


def set_dues(
    db: Database,
    project_id: str,
    *,
    by: str,
    currency: str,
    amount: int,
    period: str,
    payee_id: str | None,
) -> None:
    """Set (or change) the recurring contribution; the euro payee must be a member."""
    if currency not in CURRENCIES:
        raise InvalidInput(N_("Choose euros or CEEC."))
    if period not in PERIODS:
        raise InvalidInput(N_("Choose how often the contribution is due."))
    if not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidInput(N_("Enter an amount above zero."))
    with store.write(db):
        require_coordinator(db, project_id, by)
        check_open(get(db, project_id))
        if currency == "eur":
            if not payee_id or not preads.is_member(db, project_id, payee_id):
                raise InvalidInput(N_("Choose the member who pays the bill."))
        else:
            payee_id = None
        store.record(
            db,
            "project.dues_set",
            {
                "project_id": project_id,
                "currency": currency,
                "amount": amount,
                "period": period,
                "payee_id": payee_id,
            },
        )


def shares(db: Database, project_id: str, period: str) -> list[Share]:
    """Each current member's share of the period's contribution, and whether it is paid."""
    project = get(db, project_id)
    if project.dues_currency is None:
        return []
    people = members(db, project_id)
    paid = preads.dues_paid(db, project_id, period)
    result = []
    for person, amount in zip(people, split(project.dues_amount, len(people)), strict=True):
        row = paid.get(person.id)
        result.append(
            Share(
                person,
                row["amount"] if row else amount,
                row is not None,
                row["paid_at"] if row else None,
            )
        )
    return result


def share_of(db: Database, project_id: str, period: str, resident_id: str) -> Share | None:
    return next(
        (share for share in shares(db, project_id, period) if share.member.id == resident_id), None
    )


def pay_ceec_share(db: Database, config: Config, project_id: str, resident_id: str) -> str:
    """A member pays this period's CEEC share to the project's account; returns the transfer id."""
    with store.write(db):
        project = get(db, project_id)
        check_open(project)
        if project.dues_currency != "ceec":
            raise DuesNotSet()
        period = current_period(config, project.dues_period)
        share = share_of(db, project_id, period, resident_id)
        resident = get_resident(db, resident_id)
        if share is None:
            raise NotMember()
        if share.paid:
            raise DuesAlreadyPaid(name=resident.name, period=period)
        event = record_transfer(
            db,
            config,
            kind="project_contribution",
            debit_account=resident.account_id,
            credit_account=project.account_id,
            amount=share.amount,
            recorded_by=resident_id,
            description=f"{project.title} ({period})",
        )
        store.record(
            db,
            "project.dues_paid",
            {
                "project_id": project_id,
                "period": period,
                "resident_id": resident_id,
                "currency": "ceec",
                "amount": share.amount,
                "transfer_id": event.id,
                "marked_by": resident_id,
            },
        )
    return event.id


def mark_euro_share_paid(
    db: Database,
    config: Config,
    project_id: str,
    resident_id: str,
    *,
    by: str,
    period: str | None = None,
) -> None:
    """The bill's payer (or a coordinator) marks a member's euro share as received."""
    with store.write(db):
        project = get(db, project_id)
        if project.dues_currency != "eur":
            raise DuesNotSet()
        marker = get_resident(db, by)
        if by != project.dues_payee_id:
            require_coordinator(db, project_id, by)
        period = period or current_period(config, project.dues_period)
        share = share_of(db, project_id, period, resident_id)
        if share is None:
            raise NotFound(N_("This resident is not a member of the project."))
        if share.paid:
            raise DuesAlreadyPaid(name=share.member.name, period=period)
        store.record(
            db,
            "project.dues_paid",
            {
                "project_id": project_id,
                "period": period,
                "resident_id": resident_id,
                "currency": "eur",
                "amount": share.amount,
                "transfer_id": None,
                "marked_by": marker.id,
            },
        )


def paid_list_payload(
    db: Database, config: Config, project_id: str, period: str | None = None
) -> dict:
    """The print payload of the "who has paid" list (layout "dues_list")."""
    project = get(db, project_id)
    if project.dues_currency is None:
        raise DuesNotSet()
    period = period or current_period(config, project.dues_period)
    payee = get_resident(db, project.dues_payee_id) if project.dues_payee_id else None
    return {
        "title": project.title,
        "period": period,
        "currency": project.dues_currency,
        "total": project.dues_amount,
        "payee": {"name": payee.name, "apartment": payee.apartment} if payee else None,
        "members": [
            {
                "name": s.member.name,
                "apartment": s.member.apartment,
                "amount": s.amount,
                "paid": s.paid,
            }
            for s in shares(db, project_id, period)
        ],
        "printed_at": clock.now_iso(),
    }
