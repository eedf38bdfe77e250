"""What a group purchase's organiser prints and exports: the supplier order (totals per
product), the distribution list (per apartment: items and euros owed, paid, picked up), the
savings against usual retail prices, and the CSV for the association's accounts.

Every euro figure is a sum of order lines (``group_purchases.line_amount``), so the
households' amounts add up to the supplier order total exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from kiosk import clock, formatting
from kiosk.config import Config
from kiosk.i18n import quantity_of
from kiosk.projects import reads as preads
from kiosk.projects.purchase_numbers import line_amount
from kiosk.projects.purchases import Purchase
from kiosk.spreadsheets import amount_cell, csv_text, local_time_cell


@dataclass(frozen=True)
class ProductTotal:
    product_id: str
    name: str
    unit: str
    unit_price: int
    quantity: int  # thousandths
    amount: int  # cents


@dataclass(frozen=True)
class Item:
    resident_name: str
    product_name: str
    unit: str
    quantity: int
    unit_price: int
    amount: int
    saving: int  # cents against the retail price (0 when none given)


@dataclass
class Household:
    apartment: str
    names: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    paid_amount: int | None = None
    paid_method: str | None = None
    paid_at: str | None = None
    picked_up_at: str | None = None

    @property
    def owed(self) -> int:
        return sum(item.amount for item in self.items)

    @property
    def saving(self) -> int:
        return sum(item.saving for item in self.items)

    @property
    def is_paid(self) -> bool:
        return self.paid_amount is not None


def supplier_order(db: Database, purchase: Purchase) -> list[ProductTotal]:
    """One line per product ordered: total quantity and euros (sum of the order lines)."""
    result = []
    lines = preads.order_lines(db, purchase.project_id)
    for product in purchase.products:
        mine = [row for row in lines if row["product_id"] == product.id]
        if mine:
            result.append(
                ProductTotal(
                    product.id,
                    product.name,
                    product.unit,
                    product.unit_price,
                    sum(row["quantity"] for row in mine),
                    sum(line_amount(row["quantity"], row["unit_price"]) for row in mine),
                )
            )
    return result


def households(db: Database, purchase: Purchase) -> list[Household]:
    """Per apartment: who ordered, the items, euros owed and what the organiser marked."""
    marks = preads.households(db, purchase.project_id)
    result: dict[str, Household] = {}
    for row in preads.order_lines(db, purchase.project_id):
        household = result.setdefault(row["apartment"], Household(row["apartment"]))
        if row["resident_name"] not in household.names:
            household.names.append(row["resident_name"])
        amount = line_amount(row["quantity"], row["unit_price"])
        saving = 0
        if row["retail_price"] and row["retail_price"] > row["unit_price"]:
            saving = line_amount(row["quantity"], row["retail_price"]) - amount
        household.items.append(
            Item(
                row["resident_name"],
                row["product_name"],
                row["unit"],
                row["quantity"],
                row["unit_price"],
                amount,
                saving,
            )
        )
    for apartment, household in result.items():
        mark = marks.get(apartment)
        if mark is not None:
            household.paid_amount, household.paid_method = mark["paid_amount"], mark["paid_method"]
            household.paid_at, household.picked_up_at = mark["paid_at"], mark["picked_up_at"]
    return list(result.values())


def order_total(db: Database, purchase: Purchase) -> int:
    return sum(product.amount for product in supplier_order(db, purchase))


def has_retail_prices(purchase: Purchase) -> bool:
    return any(product.retail_price for product in purchase.products)


def savings(db: Database, purchase: Purchase) -> tuple[list[tuple[str, int]], int]:
    """([(apartment, cents saved)], total cents saved) against the usual retail prices."""
    per_household = [(h.apartment, h.saving) for h in households(db, purchase)]
    return per_household, sum(saving for _apartment, saving in per_household)


# --------------------------------------------------------------------------- printing


def _common(purchase: Purchase) -> dict:
    return {
        "title": purchase.title,
        "supplier": purchase.supplier,
        "deadline": purchase.deadline,
        "pickup_place": purchase.pickup_place,
        "pickup_at": purchase.pickup_at,
        "organiser": {"name": purchase.organiser_name, "apartment": purchase.organiser_apartment},
        "printed_at": clock.now_iso(),
    }


def supplier_order_payload(db: Database, config: Config, purchase: Purchase) -> dict:
    """Layout "purchase_order": totals per product for the supplier."""
    lines = supplier_order(db, purchase)
    return {
        **_common(purchase),
        "products": [
            {
                "name": p.name,
                "unit": p.unit,
                "quantity": formatting.quantity(p.quantity, config.language),
                "unit_price": p.unit_price,
                "amount": p.amount,
            }
            for p in lines
        ],
        "total": sum(p.amount for p in lines),
    }


def distribution_payload(db: Database, config: Config, purchase: Purchase) -> dict:
    """Layout "distribution_list": per apartment, items and euros owed, paid, picked up."""
    result = households(db, purchase)
    return {
        **_common(purchase),
        "households": [
            {
                "apartment": h.apartment,
                "names": h.names,
                "owed": h.owed,
                "paid_method": h.paid_method,
                "picked_up": h.picked_up_at is not None,
                "items": [
                    {
                        "product": i.product_name,
                        "unit": i.unit,
                        "quantity": formatting.quantity(i.quantity, config.language),
                        "amount": i.amount,
                    }
                    for i in h.items
                ],
            }
            for h in result
        ],
        "total": sum(h.owed for h in result),
    }


# --------------------------------------------------------------------------- CSV


def purchase_csv(db: Database, config: Config, purchase: Purchase) -> str:
    """One row per household (euros owed and paid), then a TOTAL row, for the accounts."""
    rows = []
    result = households(db, purchase)
    for h in result:
        items = " | ".join(
            f"{quantity_of(formatting.quantity(i.quantity, config.language), i.unit, config.language)} "
            f"{i.product_name}"
            for i in h.items
        )
        rows.append(
            [
                purchase.title,
                purchase.supplier,
                h.apartment,
                ", ".join(h.names),
                items,
                amount_cell(config, h.owed),
                amount_cell(config, h.paid_amount or 0),
                h.paid_method or "",
                local_time_cell(config, h.paid_at) if h.paid_at else "",
                "yes" if h.picked_up_at else "no",
            ]
        )
    total = sum(h.owed for h in result)
    paid = sum(h.paid_amount or 0 for h in result)
    rows.append(
        [
            purchase.title,
            purchase.supplier,
            "TOTAL",
            "",
            "",
            amount_cell(config, total),
            amount_cell(config, paid),
            "",
            "",
            "",
        ]
    )
    return csv_text(
        config,
        [
            "purchase",
            "supplier",
            "apartment",
            "names",
            "items",
            "owed_eur",
            "paid_eur",
            "method",
            "paid_at",
            "picked_up",
        ],
        rows,
    )
