"""A resident's order in a group purchase: placed, changed or cancelled until the deadline
(one ``purchase.ordered`` event holds the whole order; an empty one cancels it).
The purchase itself: kiosk/projects/purchases.py."""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import clock, formatting, store
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, NotFound
from kiosk.i18n import quantity_of
from kiosk.projects import reads as preads
from kiosk.projects.errors import BeyondStock, FeeBelowFloor, OrdersClosed, WholeUnitsOnly
from kiosk.projects.purchases import (
    MAX_QUANTITY,
    fee_for,
    fee_would_break_floor,
    get_purchase,
    order_of,
)
from kiosk.residents.residents import get as get_resident
from kiosk.residents.residents import require_may_exchange


def place_order(
    db: Database, config: Config, project_id: str, resident_id: str, quantities: dict[str, int]
) -> dict[str, int]:
    """A resident's whole order ({product_id: thousandths}; zeros dropped; empty cancels).

    Refused after the deadline, beyond a stock limit, in fractions of a whole unit, and when
    the organiser's fee would take the resident below the credit floor.
    """
    lines = []
    for product_id, quantity in quantities.items():
        if not isinstance(quantity, int) or quantity < 0:
            raise InvalidInput(N_("A quantity cannot be negative."))
        if quantity > MAX_QUANTITY:
            raise InvalidInput(N_("That is too large a quantity."))
        if quantity:
            lines.append({"product_id": product_id, "quantity": quantity})
    with store.write(db):
        purchase = get_purchase(db, project_id)
        if not purchase.is_open or purchase.deadline_passed():
            raise OrdersClosed(deadline=clock.parse_iso(purchase.deadline))
        resident = get_resident(db, resident_id)
        require_may_exchange(resident)
        products = {product.id: product for product in purchase.products}
        for line in lines:
            product = products.get(line["product_id"])
            if product is None:
                raise NotFound(N_("This product is not in the purchase."))
            if product.whole_units and line["quantity"] % 1000:
                raise WholeUnitsOnly(product=product.name, unit=product.unit)
            if product.stock_limit is not None:
                others = preads.ordered_quantity(db, product.id, except_resident=resident_id)
                if others + line["quantity"] > product.stock_limit:
                    left = max(0, product.stock_limit - others)
                    raise BeyondStock(
                        product=product.name,
                        left=quantity_of(
                            formatting.quantity(left, config.language),
                            product.unit,
                            config.language,
                        ),
                    )
        if lines and fee_would_break_floor(db, config, purchase, resident_id):
            raise FeeBelowFloor(
                name=resident.name,
                fee=formatting.ceec_for(config, fee_for(db, purchase, resident_id)),
                floor=formatting.ceec_for(config, config.amount("credit_floor")),
            )
        if not lines and not order_of(db, project_id, resident_id):
            return {}
        store.record(
            db,
            "purchase.ordered",
            {
                "project_id": project_id,
                "resident_id": resident_id,
                "apartment": resident.apartment,
                "lines": sorted(lines, key=lambda line: line["product_id"]),
            },
        )
    return order_of(db, project_id, resident_id)


def cancel_order(db: Database, config: Config, project_id: str, resident_id: str) -> None:
    place_order(db, config, project_id, resident_id, {})
