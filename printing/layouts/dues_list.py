"""Who has paid a shared equipment's recurring contribution (layout "dues_list").

Payload::

    {"title": "Wifi partagé", "period": "2026-11", "currency": "eur" | "ceec",
     "total": 3000,                                 # cents (eur) or hundredths (ceec)
     "payee": None | {"name": "Paul Durand", "apartment": "A-101"},   # who pays the bill
     "members": [{"name": "Jeanne Martin", "apartment": "B-204", "amount": 1000, "paid": True}],
     "printed_at": "2026-11-23T10:00:00Z"}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._

    def money(value: int) -> str:
        return words.euros(value) if payload["currency"] == "eur" else words.amount(value)

    document = Document(
        title=_(
            "Contributions %(period)s: %(title)s", period=payload["period"], title=payload["title"]
        )
    )
    header(document, settings, words, _("Contributions"))
    document.text(payload["title"], bold=True, align="center")
    document.columns(_("Period"), payload["period"])
    document.columns(_("Total"), money(payload["total"]))
    if payload.get("payee"):
        document.columns(_("Paid to"), person(payload["payee"]))
    document.separator()
    for member in payload["members"]:
        box = "[x]" if member["paid"] else "[ ]"
        document.columns(f"{box} {person(member)}", money(member["amount"]))
    document.separator()
    paid = sum(m["amount"] for m in payload["members"] if m["paid"])
    document.columns(_("Paid so far"), money(paid), bold=True)
    document.text(
        _("Printed on %(date)s", date=words.datetime(payload["printed_at"])), align="center"
    )
    return footer_cut(document)
