"""The slip of a resident's move-out (layout "departure", "Leaving the building"), printed when
the volunteer closes the account (kiosk/admin/moving_out.py).

Payload::

    {"reference": "RJGPEP-42" | None,             # the settlement transfer, if any
     "created_at": "2026-11-23T10:00:00Z",         # UTC
     "resident": {"name": "Paul Durand", "apartment": "A-101"},
     "closed_by": "Claire Petit",
     "balance_before": 1500,                       # hundredths, before the loan fees
     "fees_paid": 200,                             # loan fees paid by the leaver to lenders
     "final_balance": 1300,                        # settled to zero against the common fund
     "settlement": "to_fund" | "from_fund" | "none",
     "posts_withdrawn": 2,
     "items": [{"kind": "Prêt emprunté", "what": "Perceuse", "neighbour": "Jeanne Martin (B-204)"
                | None, "outcome": "Clos ; ..."}]}  # kind and outcome in the print language

Built by ``kiosk.admin.moving_out``. Not a generic receipt: it says the account is closed, how
the balance was settled and what became of each thing left open.
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    resident = payload["resident"]
    document = Document(title=_("Leaving the building: %(name)s", name=resident["name"]))
    header(document, settings, words, _("Leaving the building"))
    document.text(person(resident), bold=True, align="center")
    document.columns(_("Date"), words.datetime(payload["created_at"]))
    document.columns(_("Closed by"), payload["closed_by"])
    document.text(_("This account is closed. Its history is kept."), align="center")
    document.separator()
    document.columns(_("Balance"), words.amount(payload["balance_before"], signed=True))
    if payload.get("fees_paid"):
        document.columns(_("Loan fees paid"), words.amount(-payload["fees_paid"], signed=True))
    final = payload["final_balance"]
    document.columns(_("Final balance"), words.amount(final, signed=True), bold=True)
    if payload["settlement"] == "to_fund":
        document.text(_("Paid to the common fund: %(amount)s", amount=words.amount(final)))
    elif payload["settlement"] == "from_fund":
        document.text(_("Covered by the common fund: %(amount)s", amount=words.amount(-final)))
    else:
        document.text(_("Nothing to settle."))
    document.columns(_("Balance now"), words.amount(0), bold=True)
    if payload.get("reference"):
        document.columns(_("Reference"), payload["reference"])
    document.separator()
    items = payload.get("items") or []
    if items:
        document.text(_("What was left open"), bold=True)
        for item in items:
            document.text(
                _("- %(kind)s: %(what)s", kind=item["kind"], what=item["what"]), bold=True
            )
            if item.get("neighbour"):
                document.text(f"  {item['neighbour']}")
            document.text(f"  {item['outcome']}")
    else:
        document.text(_("Nothing was left open."))
    if payload.get("posts_withdrawn"):
        document.text(
            words.ngettext(
                "%(num)d offer or notice withdrawn.",
                "%(num)d offers or notices withdrawn.",
                payload["posts_withdrawn"],
            )
        )
    document.separator()
    if payload.get("reference"):
        document.barcode(payload["reference"])
    document.text(_("Thank you for all you gave to the building!"), align="center")
    return footer_cut(document)
