"""A group purchase's order for the supplier (layout "purchase_order"): totals per product.

Payload::

    {"title": "Granulés de bois", "supplier": "Bois du Lyonnais",
     "deadline": "2026-11-30T19:00:00Z", "pickup_place": "Local vélos",
     "pickup_at": "2026-12-05T09:00:00Z",
     "organiser": {"name": "Jeanne Martin", "apartment": "B-204"},
     "products": [{"name": "Sac 15 kg", "unit": "sac", "quantity": "42",  # already formatted
                   "unit_price": 599, "amount": 25158}],                  # euro cents
     "total": 25158, "printed_at": "2026-12-01T08:00:00Z"}
"""

from __future__ import annotations

from kiosk.i18n import quantity_of
from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Supplier order: %(title)s", title=payload["title"]))
    header(document, settings, words, _("Supplier order"))
    document.text(payload["title"], bold=True, align="center")
    document.columns(_("Supplier"), payload["supplier"])
    document.columns(_("Organiser"), person(payload["organiser"]))
    document.columns(
        _("Pick-up"), f"{payload['pickup_place']}, {words.datetime(payload['pickup_at'])}"
    )
    document.separator()
    if not payload["products"]:
        document.text(_("Nothing was ordered."), align="center")
    for product in payload["products"]:
        document.text(product["name"], bold=True)
        document.columns(
            "  "
            + _(
                "%(quantity)s at %(price)s",
                quantity=quantity_of(product["quantity"], product["unit"], words.language),
                price=words.euros(product["unit_price"]),
            ),
            words.euros(product["amount"]),
        )
    document.separator("=")
    document.columns(_("Total"), words.euros(payload["total"]), bold=True)
    document.separator("=")
    document.text(
        _("Printed on %(date)s", date=words.datetime(payload["printed_at"])), align="center"
    )
    return footer_cut(document)
