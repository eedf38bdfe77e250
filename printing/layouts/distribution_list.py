"""A group purchase's distribution list (layout "distribution_list"): per apartment, the items,
the euros owed, and boxes to tick at the pick-up.

Payload: the purchase fields of "purchase_order" (title, supplier, deadline, pickup_place,
pickup_at, organiser, printed_at) and::

    {"households": [{"apartment": "B-204", "names": ["Jeanne Martin"], "owed": 2447,  # cents
                     "paid_method": None | "cash" | "cheque", "picked_up": False,
                     "items": [{"product": "Sac 15 kg", "unit": "sac", "quantity": "3",
                                "amount": 1797}]}],
     "total": 3645}
"""

from __future__ import annotations

from kiosk.i18n import quantity_of
from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    methods = {"cash": _("paid in cash"), "cheque": _("paid by cheque")}
    document = Document(title=_("Distribution list: %(title)s", title=payload["title"]))
    header(document, settings, words, _("Distribution list"))
    document.text(payload["title"], bold=True, align="center")
    document.columns(
        _("Pick-up"), f"{payload['pickup_place']}, {words.datetime(payload['pickup_at'])}"
    )
    document.separator("=")
    for household in payload["households"]:
        document.text(_("Apartment %(apartment)s", apartment=household["apartment"]), bold=True)
        document.text(", ".join(household["names"]))
        for item in household["items"]:
            document.columns(
                f"  {quantity_of(item['quantity'], item['unit'], words.language)} {item['product']}",
                words.euros(item["amount"]),
            )
        document.columns(_("To pay"), words.euros(household["owed"]), bold=True)
        paid = methods.get(household.get("paid_method") or "", "[ ] " + _("paid"))
        picked = "[x] " + _("picked up") if household.get("picked_up") else "[ ] " + _("picked up")
        document.text(f"{paid}   {picked}")
        document.separator()
    document.columns(_("Total"), words.euros(payload["total"]), bold=True)
    document.text(
        _("Printed on %(date)s", date=words.datetime(payload["printed_at"])), align="center"
    )
    return footer_cut(document)
