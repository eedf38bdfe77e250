"""Group purchases: pellets, heating oil, organic food or wine bought together, cheaper in bulk.

A project of kind "group_purchase" is opened by its organiser with a supplier, products (unit,
unit price in euro cents, whole units or not, optional stock limit and usual retail price), a
minimum total or quantity, an order deadline, a pick-up place and date, and the organiser's
CEEC fee (per participant or fixed, shown before ordering). Residents order until the deadline;
then the purchase closes itself (kiosk/background.py job, or lazily when read): confirmed if
the minimum is met, else cancelled. The organiser marks each household's euro payment and
pick-up, then marks the purchase distributed, which pays the fees as ledger transfers from the
participants to the organiser, all in one transaction.

Euros never touch the ledger: they are integer cents in the purchase tables. Quantities are
integer thousandths of the product's unit (1 kg = 1000, 0,5 kg = 500).

Orders: kiosk/projects/purchase_orders.py. Numbers: kiosk/projects/purchase_numbers.py.
Payments, pick-up and fees: kiosk/projects/purchase_distribution.py. Supplier order,
distribution list, savings and CSV: kiosk/projects/purchase_reports.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from kiosk import clock, formatting, ids, store
from kiosk.config import Config
from kiosk.errors import N_, InvalidAmount, InvalidInput
from kiosk.ledger.transfers import would_go_below_floor
from kiosk.projects import reads as preads
from kiosk.projects.errors import (
    DeadlineInPast,
    NotAPurchase,
    NotCoordinator,
    ProjectClosed,
    PurchaseAlreadyOpen,
    WholeUnitsOnly,
)
from kiosk.projects.projects import can_coordinate
from kiosk.projects.projects import get as get_project
from kiosk.projects.purchase_numbers import line_amount
from kiosk.residents.residents import get as get_resident
from kiosk.residents.residents import require_may_exchange
from kiosk.text import clean_text

FEE_KINDS = {
    "none": N_("no fee"),
    "per_participant": N_("per participant"),
    "fixed": N_("fixed, shared"),
}

MAX_PRODUCTS = 12
MAX_PRICE = 100_000_00  # cents
MAX_QUANTITY = 1_000_000  # thousandths: 1,000 units per line
NAME_MAX = 60


@dataclass(frozen=True)
class ProductDraft:
    name: str
    unit: str
    unit_price: int  # cents
    whole_units: bool = True
    stock_limit: int | None = None  # thousandths
    retail_price: int | None = None  # cents


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    unit: str
    unit_price: int
    whole_units: bool
    stock_limit: int | None
    retail_price: int | None
    ordered: int  # thousandths ordered by everyone

    @property
    def left(self) -> int | None:
        return None if self.stock_limit is None else max(0, self.stock_limit - self.ordered)


@dataclass(frozen=True)
class Purchase:
    project_id: str
    title: str
    organiser_id: str
    organiser_name: str
    organiser_apartment: str
    organiser_account: str
    supplier: str
    deadline: str
    pickup_place: str
    pickup_at: str
    minimum_total: int | None
    minimum_quantity: int | None
    fee_kind: str
    fee_amount: int
    state: str  # open, confirmed, cancelled, distributed
    closed_at: str | None
    order_total: int | None
    distributed_at: str | None
    products: list[Product]

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def deadline_passed(self) -> bool:
        return self.deadline <= clock.now_iso()


def _clean_words(text: str | None, *, maximum: int, empty: str) -> str:
    return clean_text(text, maximum=maximum, empty=empty)


# --------------------------------------------------------------------------- reading


def _product(row, ordered: int) -> Product:
    return Product(
        row["id"],
        row["name"],
        row["unit"],
        row["unit_price"],
        bool(row["whole_units"]),
        row["stock_limit"],
        row["retail_price"],
        ordered,
    )


def _load(db: Database, project_id: str) -> Purchase:
    row = preads.purchase(db, project_id or "")
    if row is None:
        raise NotAPurchase()
    project = get_project(db, project_id)
    products = [
        _product(p, preads.ordered_quantity(db, p["id"])) for p in preads.products(db, project_id)
    ]
    return Purchase(
        project_id=project_id,
        title=project.title,
        organiser_id=row["organiser_id"],
        organiser_name=row["organiser_name"],
        organiser_apartment=row["organiser_apartment"],
        organiser_account=row["organiser_account"],
        supplier=row["supplier"],
        deadline=row["deadline"],
        pickup_place=row["pickup_place"],
        pickup_at=row["pickup_at"],
        minimum_total=row["minimum_total"],
        minimum_quantity=row["minimum_quantity"],
        fee_kind=row["fee_kind"],
        fee_amount=row["fee_amount"],
        state=row["state"],
        closed_at=row["closed_at"],
        order_total=row["order_total"],
        distributed_at=row["distributed_at"],
        products=products,
    )


def get_purchase(db: Database, project_id: str) -> Purchase:
    """The purchase, closed first if its deadline has passed (the job may not have run yet)."""
    row = preads.purchase(db, project_id or "")
    if row is None:
        raise NotAPurchase()
    if row["state"] == "open" and row["deadline"] <= clock.now_iso():
        close_if_due(db, project_id)
    return _load(db, project_id)


def has_purchase(db: Database, project_id: str) -> bool:
    return preads.purchase(db, project_id) is not None


def order_of(db: Database, project_id: str, resident_id: str) -> dict[str, int]:
    """{product_id: thousandths} of a resident's current order."""
    return {
        row["product_id"]: row["quantity"]
        for row in preads.order_lines(db, project_id)
        if row["resident_id"] == resident_id
    }


def totals(db: Database, project_id: str) -> tuple[int, int]:
    """(euro cents, thousandths) ordered so far, as sums of lines."""
    lines = preads.order_lines(db, project_id)
    return (
        sum(line_amount(row["quantity"], row["unit_price"]) for row in lines),
        sum(row["quantity"] for row in lines),
    )


def minimum_met(purchase: Purchase, total: int, quantity: int) -> bool:
    if total <= 0:
        return False
    if purchase.minimum_total is not None and total < purchase.minimum_total:
        return False
    return purchase.minimum_quantity is None or quantity >= purchase.minimum_quantity


def can_manage(db: Database, purchase: Purchase, resident) -> bool:
    return resident.id == purchase.organiser_id or can_coordinate(db, purchase.project_id, resident)


def _require_manager(db: Database, purchase: Purchase, resident_id: str) -> None:
    if not can_manage(db, purchase, get_resident(db, resident_id)):
        raise NotCoordinator()


# --------------------------------------------------------------------------- fees


def fee_shares(
    fee_kind: str, fee_amount: int, organiser_id: str, participant_ids
) -> dict[str, int]:
    """{resident_id: hundredths} each paying participant owes the organiser.

    The organiser pays no fee to themself. A fixed fee is shared in integer hundredths, the
    remainder going one by one to the participants in id order; shares add up to the fee.
    """
    payers = sorted(set(participant_ids) - {organiser_id})
    if fee_kind == "per_participant":
        return {payer: fee_amount for payer in payers}
    if fee_kind == "fixed" and payers:
        base, rest = divmod(fee_amount, len(payers))
        return {payer: base + (1 if index < rest else 0) for index, payer in enumerate(payers)}
    return {}


def fee_for(db: Database, purchase: Purchase, resident_id: str) -> int:
    """The fee this resident would owe if the purchase were distributed with them in it."""
    participants = set(preads.participant_ids(db, purchase.project_id)) | {resident_id}
    return fee_shares(
        purchase.fee_kind, purchase.fee_amount, purchase.organiser_id, participants
    ).get(resident_id, 0)


def fee_would_break_floor(
    db: Database, config: Config, purchase: Purchase, resident_id: str
) -> bool:
    fee = fee_for(db, purchase, resident_id)
    account = get_resident(db, resident_id).account_id
    return fee > 0 and would_go_below_floor(db, config, account, fee)


# --------------------------------------------------------------------------- opening


def _clean_products(products: list[ProductDraft]) -> list[dict]:
    if not products:
        raise InvalidInput(N_("Add at least one product."))
    if len(products) > MAX_PRODUCTS:
        raise InvalidInput(N_("A purchase has at most %(max)d products."), max=MAX_PRODUCTS)
    cleaned = []
    for draft in products:
        name = _clean_words(draft.name, maximum=NAME_MAX, empty=N_("Give each product a name."))
        unit = _clean_words(
            draft.unit, maximum=20, empty=N_("Give each product a unit (kg, bag, bottle...).")
        )
        for price in (draft.unit_price, draft.retail_price):
            if price is not None and (not isinstance(price, int) or not 0 < price <= MAX_PRICE):
                raise InvalidInput(N_("A price must be above zero: %(what)s."), what=name)
        if draft.stock_limit is not None:
            if draft.stock_limit <= 0:
                raise InvalidInput(N_("A stock limit must be above zero: %(what)s."), what=name)
            if draft.whole_units and draft.stock_limit % 1000:
                raise WholeUnitsOnly(product=name, unit=unit)
        cleaned.append(
            {
                "product_id": ids.uuid7(),
                "name": name,
                "unit": unit,
                "unit_price": draft.unit_price,
                "whole_units": bool(draft.whole_units),
                "stock_limit": draft.stock_limit,
                "retail_price": draft.retail_price,
            }
        )
    return cleaned


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def open_purchase(
    db: Database,
    config: Config,
    project_id: str,
    *,
    by: str,
    supplier: str,
    deadline: datetime,
    pickup_place: str,
    pickup_at: datetime,
    products: list[ProductDraft],
    minimum_total: int | None = None,
    minimum_quantity: int | None = None,
    fee_kind: str = "none",
    fee_amount: int = 0,
) -> Purchase:
    """The organiser (a coordinator of the group-purchase project) opens it for orders."""
    supplier = _clean_words(supplier, maximum=NAME_MAX, empty=N_("Name the supplier."))
    pickup_place = _clean_words(
        pickup_place, maximum=NAME_MAX, empty=N_("Say where to pick up the order.")
    )
    deadline_iso, pickup_iso = _utc_iso(deadline), _utc_iso(pickup_at)
    if deadline_iso <= clock.now_iso():
        raise DeadlineInPast()
    if pickup_iso < deadline_iso:
        raise InvalidInput(N_("The pick-up must come after the order deadline."))
    if fee_kind not in FEE_KINDS:
        raise InvalidInput(N_("Choose how the organiser is paid."))
    if fee_kind == "none":
        fee_amount = 0
    elif not isinstance(fee_amount, int) or fee_amount <= 0:
        raise InvalidAmount()
    elif fee_amount > config.amount("max_exchange"):
        raise InvalidInput(
            N_("The organiser's fee is at most %(max)s."),
            max=formatting.ceec_for(config, config.amount("max_exchange")),
        )
    for minimum in (minimum_total, minimum_quantity):
        if minimum is not None and minimum <= 0:
            raise InvalidInput(N_("A minimum must be above zero, or left empty."))
    cleaned = _clean_products(products)
    with store.write(db):
        project = get_project(db, project_id)
        if project.kind != "group_purchase":
            raise NotAPurchase()
        if project.is_closed:
            raise ProjectClosed()
        organiser = get_resident(db, by)
        if not can_coordinate(db, project_id, organiser):
            raise NotCoordinator()
        require_may_exchange(organiser)
        if preads.purchase(db, project_id) is not None:
            raise PurchaseAlreadyOpen()
        store.record(
            db,
            "purchase.opened",
            {
                "project_id": project_id,
                "organiser_id": by,
                "supplier": supplier,
                "deadline": deadline_iso,
                "pickup_place": pickup_place,
                "pickup_at": pickup_iso,
                "minimum_total": minimum_total,
                "minimum_quantity": minimum_quantity,
                "fee_kind": fee_kind,
                "fee_amount": fee_amount,
                "products": cleaned,
            },
        )
    return _load(db, project_id)


# --------------------------------------------------------------------------- closing


def close_if_due(db: Database, project_id: str) -> str | None:
    """Close an open purchase whose deadline has passed; returns the outcome (or None).

    Idempotent: the state is checked again inside the write transaction.
    """
    with store.write(db):
        row = preads.purchase(db, project_id)
        if row is None or row["state"] != "open" or row["deadline"] > clock.now_iso():
            return None
        purchase = _load(db, project_id)
        total, quantity = totals(db, project_id)
        outcome = "confirmed" if minimum_met(purchase, total, quantity) else "cancelled"
        store.record(
            db,
            "purchase.closed",
            {"project_id": project_id, "outcome": outcome, "order_total": total},
        )
    return outcome


def close_due_purchases(db: Database) -> dict[str, str]:
    """Close every purchase past its deadline (the scheduled job); {project_id: outcome}."""
    closed = {}
    for project_id in preads.purchases_due(db, clock.now_iso()):
        outcome = close_if_due(db, project_id)
        if outcome:
            closed[project_id] = outcome
    return closed
