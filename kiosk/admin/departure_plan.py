"""What a resident leaves open when they move out, and what the move-out does with each.

``plan_for`` lists it; the move-out page shows it before the volunteer confirms, and
``kiosk.admin.moving_out.close_resident`` computes it again inside its write transaction and
``carry_out`` resolves every item there, before the balance is settled: what was shown is what
is done, all or nothing. The decisions:

- **Loans** (lent and borrowed) are closed (``loan.returned``: the items go back at the move-out).
  A fee the leaver owes as borrower is paid to the lender from the leaver's account
  (``record_transfer``, kind ``settlement``), so it is part of the final balance the common
  fund settles; it is waived, saying why, when it would take the leaver below the credit floor
  or the lender above the ceiling. A fee owed *to* the leaver is waived: the borrower is never
  charged without their PIN, and the leaver's account closes.
- **Orders** in a purchase still open before its deadline are cancelled (an empty
  ``purchase.ordered``); after the deadline they are kept and settled at the distribution.
- **Payment requests** pending either way are cancelled (``payment.request_cancelled``) with a
  note the neighbour reads; accepting one afterwards is refused.
- **Project memberships** end (``project.member_left``); an unpaid share of the current
  period's dues is no longer asked of the leaver (the shares are divided among the members).
- **Vouches** given to newcomers still pending are kept: they were given while the leaver lived
  here (as their votes and history are kept), and the newcomer still needs the other vouches.
- **Vouchers** the leaver issued stay valid: a voucher belongs to its bearer.
- **Linked devices** (a phone, a computer at home) are removed (``device.removed``, reason
  ``moved_out``): nothing can act for the closed account from home.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlite_utils import Database

from kiosk import clock, formatting, i18n, store
from kiosk.board import lending, payment_requests
from kiosk.config import Config
from kiosk.errors import N_
from kiosk.ledger.transfers import credit_refusal, record_transfer
from kiosk.residents import devices
from kiosk.residents.residents import Resident
from kiosk.store.db import query
from kiosk.vouchers import reads as voucher_reads

KINDS = {
    "loan_lent": N_("Loan lent"),
    "loan_borrowed": N_("Loan borrowed"),
    "order": N_("Order in a group purchase"),
    "request_to_pay": N_("Payment request to pay"),
    "request_sent": N_("Payment request sent"),
    "membership": N_("Project membership"),
    "vouch": N_("Vouch for a newcomer"),
    "vouchers": N_("Vouchers in circulation"),
    "devices": N_("Linked devices"),
}


@dataclass(frozen=True)
class Item:
    """One thing left open: its kind (``KINDS``), what it is, the neighbour concerned, what
    the move-out does (``outcome``, an English msgid, filled with ``values``) and the action
    ``carry_out`` takes on ``ref_id`` (None: nothing to record)."""

    kind: str
    what: str
    neighbour: str | None
    outcome: str
    values: dict = field(default_factory=dict)
    action: str | None = None
    ref_id: str | None = None
    fee: int = 0  # a loan fee paid by the leaver, hundredths
    payee_account: str | None = None


@dataclass(frozen=True)
class Plan:
    items: list[Item]
    balance_now: int
    fees_paid: int

    @property
    def final_balance(self) -> int:
        """The balance the common fund settles, after the loan fees the leaver pays."""
        return self.balance_now - self.fees_paid

    def fingerprint(self) -> str:
        """A short digest of the plan: the page carries the one it showed, and the move-out
        is refused if the plan computed in its transaction differs (a request sent, an order
        placed, a payment made in between)."""
        rows = [
            [i.kind, i.what, i.neighbour, i.outcome, i.values, i.action, i.ref_id, i.fee]
            for i in self.items
        ]
        text = json.dumps([rows, self.balance_now, self.fees_paid], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


Translate = Callable[..., str]


def describe(item: Item, translate: Translate) -> tuple[str, str]:
    """(kind, outcome) of an item in words, through ``translate(msgid, **values)``."""
    return translate(KINDS[item.kind]), translate(item.outcome, **item.values)


def paper_translate(config: Config) -> Translate:
    """``translate`` in the kiosk's language, for the printed slip."""
    gettext = i18n.gettext_for(config.language)

    def translate(msgid: str, **values) -> str:
        return i18n.fill(gettext(msgid), values, config.language) if values else gettext(msgid)

    return translate


def _who(name: str, apartment: str) -> str:
    return f"{name} ({apartment})"


class _Fees:
    """The loan fees the leaver pays, in order: each must keep them above the credit floor
    (with the fees before it) and the lender below the ceiling, or it is waived."""

    def __init__(self, db: Database, config: Config, leaver: Resident) -> None:
        self.db, self.config, self.leaver, self.total = db, config, leaver, 0

    def outcome(self, due: int, lender_id: str, lender_name: str) -> tuple[str, dict, int]:
        """(outcome msgid, its values, the fee paid: 0 when waived)."""
        values = {"fee": formatting.ceec_for(self.config, due), "name": lender_name}
        if self.leaver.balance - self.total - due < self.config.amount("credit_floor"):
            return (
                N_(
                    "Closed; the fee of %(fee)s is waived: it would take the account below "
                    "the credit floor."
                ),
                values,
                0,
            )
        if credit_refusal(self.db, self.config, _account(lender_id), due, kind="settlement"):
            return (
                N_("Closed; the fee of %(fee)s is waived: %(name)s cannot receive it."),
                values,
                0,
            )
        self.total += due
        return (
            N_("Closed; the fee of %(fee)s is paid to %(name)s, in the final balance."),
            values,
            due,
        )


def _account(resident_id: str) -> str:
    return f"resident:{resident_id}"


def plan_for(db: Database, config: Config, leaver: Resident) -> Plan:
    """Everything ``leaver`` leaves open and what the move-out will do with each."""
    fees = _Fees(db, config, leaver)
    items = _loan_items(db, config, leaver, fees)
    items += _order_items(db, leaver)
    items += _request_items(db, config, leaver, fees)
    for row in _memberships_of(db, leaver.id):
        outcome = (
            N_("Ended; their share of the dues is divided among the other members.")
            if row["dues_currency"]
            else N_("Ended.")
        )
        items.append(Item("membership", row["title"], None, outcome, {}, "leave", row["id"]))
    for row in _vouches_for_pending(db, leaver.id):
        items.append(
            Item(
                "vouch",
                _who(row["name"], row["apartment"]),
                None,
                N_(
                    "Kept: it was given while they lived here; the newcomer still needs the "
                    "other vouches."
                ),
            )
        )
    for device in devices.devices_of(db, leaver.id):
        outcome = N_("Removed: it can no longer act for the account.")
        items.append(
            Item("devices", device.label, None, outcome, {}, "remove_device", device.device_id)
        )
    count, total = voucher_reads.outstanding_of_resident(db, leaver.id)
    if count:
        items.append(
            Item(
                "vouchers",
                formatting.ceec_for(config, total),
                None,
                N_(
                    "%(count)s still in circulation: they stay valid, a voucher belongs to its "
                    "bearer."
                ),
                {"count": count},
            )
        )
    return Plan(items=items, balance_now=leaver.balance, fees_paid=fees.total)


def _loan_items(db: Database, config: Config, leaver: Resident, fees: _Fees) -> list[Item]:
    items = []
    for loan in lending.loans_of(db, config, leaver.id):
        if loan.returned_at is not None:
            continue
        due = lending.amount_due(config, loan) or 0
        if loan.lender_id == leaver.id:
            who = _who(loan.borrower_name, loan.borrower_apartment)
            if due:
                outcome = N_("Closed: the item goes back to them; the fee of %(fee)s is waived.")
                values = {"fee": formatting.ceec_for(config, due)}
            else:
                outcome, values = N_("Closed: the item goes back to them."), {}
            items.append(Item("loan_lent", loan.item, who, outcome, values, "return", loan.id))
            continue
        if due:
            outcome, values, fee = fees.outcome(due, loan.lender_id, loan.lender_name)
        else:
            outcome, values, fee = N_("Closed: the item goes back to the lender."), {}, 0
        who = _who(loan.lender_name, loan.lender_apartment)
        payee = _account(loan.lender_id)
        items.append(
            Item("loan_borrowed", loan.item, who, outcome, values, "return", loan.id, fee, payee)
        )
    return items


def _order_items(db: Database, leaver: Resident) -> list[Item]:
    items = []
    now = clock.now_iso()
    for row in _orders_of(db, leaver.id):
        if row["state"] == "open" and row["deadline"] > now:
            outcome = N_("Cancelled: the orders are still open.")
            items.append(
                Item("order", row["title"], None, outcome, {}, "cancel_order", row["project_id"])
            )
        else:
            outcome = N_("Kept: orders are closed; it is settled at the distribution.")
            items.append(Item("order", row["title"], None, outcome))
    return items


def _request_items(db: Database, config: Config, leaver: Resident, fees: _Fees) -> list[Item]:
    """Pending requests both ways are cancelled, except the fee of a loan already returned
    that the leaver owes: it is paid as the fee of a loan still open would be."""
    items = []
    for request in payment_requests.requests_of(db, leaver.id):
        if request.status != "pending":
            continue
        to_pay = request.payer_id == leaver.id
        kind = "request_to_pay" if to_pay else "request_sent"
        what = f"{request.description} · {formatting.ceec_for(config, request.amount)}"
        if to_pay:
            who = _who(request.provider_name, request.provider_apartment)
        else:
            who = _who(request.payer_name, request.payer_apartment)
        if to_pay and request.loan_id:
            outcome, values, fee = fees.outcome(
                request.amount, request.provider_id, request.provider_name
            )
            action = "pay_request" if fee else "cancel_request"
            payee = _account(request.provider_id)
            items.append(Item(kind, what, who, outcome, values, action, request.id, fee, payee))
            continue
        items.append(
            Item(
                kind,
                what,
                who,
                N_("Cancelled, nothing is paid; the neighbour reads why."),
                {},
                "cancel_request",
                request.id,
            )
        )
    return items


def carry_out(db: Database, config: Config, plan: Plan, leaver: Resident, admin: Resident) -> None:
    """Resolve every item of ``plan`` (inside the move-out's write transaction)."""
    note = i18n.fill(
        i18n.gettext_for(config.language)(N_("%(name)s moved out of the building on %(date)s.")),
        {
            "name": leaver.name,
            "date": formatting.day(clock.now(), config.language, config.timezone),
        },
        config.language,
    )
    for item in plan.items:
        if item.action == "return":
            store.record(db, "loan.returned", {"loan_id": item.ref_id})
            if item.fee:
                record_transfer(
                    db,
                    config,
                    kind="settlement",
                    debit_account=leaver.account_id,
                    credit_account=item.payee_account,
                    amount=item.fee,
                    description=f"Loan fee: {item.what}"[:200],
                    recorded_by=admin.id,
                )
        elif item.action == "cancel_order":
            store.record(
                db,
                "purchase.ordered",
                {
                    "project_id": item.ref_id,
                    "resident_id": leaver.id,
                    "apartment": leaver.apartment,
                    "lines": [],
                },
            )
        elif item.action == "pay_request":
            transfer = record_transfer(
                db,
                config,
                kind="settlement",
                debit_account=leaver.account_id,
                credit_account=item.payee_account,
                amount=item.fee,
                description=f"Loan fee: {item.what}"[:200],
                recorded_by=admin.id,
            )
            payment_requests.paid_at_departure(db, item.ref_id, transfer_id=transfer.id)
        elif item.action == "cancel_request":
            payment_requests.cancel_at_departure(db, item.ref_id, note=note)
        elif item.action == "remove_device":
            store.record(
                db,
                "device.removed",
                {"device_id": item.ref_id, "resident_id": leaver.id, "reason": "moved_out"},
            )
        elif item.action == "leave":
            store.record(
                db, "project.member_left", {"project_id": item.ref_id, "resident_id": leaver.id}
            )


def _orders_of(db: Database, resident_id: str) -> list:
    return query(
        db,
        "SELECT DISTINCT o.project_id, p.title, pu.state, pu.deadline FROM purchase_orders o "
        "JOIN purchases pu ON pu.project_id = o.project_id JOIN projects p ON p.id = o.project_id "
        "WHERE o.resident_id = ? AND pu.state IN ('open', 'confirmed') ORDER BY pu.deadline",
        (resident_id,),
    )


def _memberships_of(db: Database, resident_id: str) -> list:
    return query(
        db,
        "SELECT p.id, p.title, p.dues_currency FROM project_members m "
        "JOIN projects p ON p.id = m.project_id "
        "WHERE m.resident_id = ? AND m.left_at IS NULL ORDER BY p.title",
        (resident_id,),
    )


def _vouches_for_pending(db: Database, voucher_id: str) -> list:
    return query(
        db,
        "SELECT r.name, r.apartment FROM vouches v JOIN residents r ON r.id = v.resident_id "
        "WHERE v.voucher_id = ? AND r.status = 'pending' ORDER BY r.name",
        (voucher_id,),
    )
