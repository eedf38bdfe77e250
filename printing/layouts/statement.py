"""Resident's statement (layout "statement"): one month, or the whole history.

Payload (built by ``kiosk.ledger.statements.statement_payload``, the one place that makes it)::

    {"name": "Jeanne Martin", "apartment": "B-204",
     "month": "2026-11" | None,             # the month covered; None: the whole history
     "opening_balance": 500,                # hundredths, before the first printed line
     "lines": [{"created_at": "2026-11-23T10:00:00Z", "reference": "RJGPEP-42",
                "counterparty": "Loïc Béranger (A-12)" | "Bons en circulation",  # print language
                "description": "Réparer un robinet", "amount": -1500}],  # signed, oldest first
     "earlier_lines": 0,                    # older lines of the period left off the paper
     "total_in": 2000, "total_out": 1500,   # of the whole period, hundredths
     "closing_balance": -1000,              # at the end of the month (the history: now)
     "printed_at": "2026-12-01T08:00:00Z" | None}

``counterparty``, ``earlier_lines``, ``total_in`` and ``total_out`` may be missing (a job
queued before they existed).
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    monthly = bool(payload.get("month"))
    period = words.month(payload["month"]) if monthly else _("Whole history")
    document = Document(
        title=_("Statement %(month)s, %(name)s", month=period, name=payload["name"])
    )
    header(document, settings, words, _("Statement"))
    document.text(period, bold=True, align="center")
    document.text(person(payload), align="center")
    document.separator()
    earlier = payload.get("earlier_lines") or 0
    if earlier:
        document.text(
            words.ngettext(
                "%(num)d earlier line is not printed: see the kiosk's screen.",
                "%(num)d earlier lines are not printed: see the kiosk's screen.",
                earlier,
            )
        )
    opening = _("Opening balance") if monthly and not earlier else _("Balance before these lines")
    if monthly or earlier:
        document.columns(opening, words.amount(payload["opening_balance"]), bold=True)
        document.separator()
    lines = payload["lines"]
    if not lines:
        document.text(
            _("No exchange this month.") if monthly else _("No exchange yet."), align="center"
        )
    for line in lines:
        document.text(f"{words.date(line['created_at'])}  {line['reference']}")
        if line.get("counterparty"):
            document.text(line["counterparty"])
        document.columns(line.get("description") or "-", words.amount(line["amount"], signed=True))
    document.separator()
    if "total_in" in payload:
        document.columns(_("Received"), words.amount(payload["total_in"]))
        document.columns(_("Paid"), words.amount(-payload["total_out"]))
    closing = _("Closing balance") if monthly else _("Balance today")
    document.columns(closing, words.amount(payload["closing_balance"]), bold=True)
    document.separator()
    if payload.get("printed_at"):
        document.text(
            _("Printed on %(date)s", date=words.datetime(payload["printed_at"])), align="center"
        )
    return footer_cut(document)
