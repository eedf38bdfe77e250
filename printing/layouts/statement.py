"""Resident's monthly statement (layout "statement").

Payload::

    {"name": "Jeanne Martin", "apartment": "B-204",
     "month": "2026-11",                    # the month covered
     "opening_balance": 500,                # hundredths, at the start of the month
     "lines": [{"created_at": "2026-11-23T10:00:00Z", "reference": "RJGPEP-42",
                "description": "Réparer un robinet", "amount": -1500}],  # signed
     "closing_balance": -1000,
     "printed_at": "2026-12-01T08:00:00Z" | None}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    month = words.month(payload["month"])
    document = Document(title=_("Statement %(month)s, %(name)s", month=month, name=payload["name"]))
    header(document, settings, words, _("Statement"))
    document.text(month, bold=True, align="center")
    document.text(person(payload), align="center")
    document.separator()
    document.columns(_("Opening balance"), words.amount(payload["opening_balance"]), bold=True)
    document.separator()
    lines = payload["lines"]
    if not lines:
        document.text(_("No exchange this month."), align="center")
    for line in lines:
        document.text(f"{words.date(line['created_at'])}  {line['reference']}")
        document.columns(line.get("description") or "-", words.amount(line["amount"], signed=True))
    document.separator()
    document.columns(_("Closing balance"), words.amount(payload["closing_balance"]), bold=True)
    document.separator()
    if payload.get("printed_at"):
        document.text(
            _("Printed on %(date)s", date=words.datetime(payload["printed_at"])), align="center"
        )
    return footer_cut(document)
