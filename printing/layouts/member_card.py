"""Member QR card (layout "member_card"): fits a wallet, between two cut lines.

Payload::

    {"name": "Jeanne Martin", "apartment": "B-204",
     "card_token": "KCBFHJ..." | None,   # the QR content; None once printed (never kept)
     "card_number": 2, "issued_at": "2026-11-23T10:00:00Z"}

The queue overwrites ``card_token`` with None as soon as the job is done or cancelled; a
preview made afterwards shows a placeholder instead of the code. Copies are refused.
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Member card of %(name)s", name=payload["name"]))
    document.separator("-", _("cut here"))
    document.feed()
    if settings.building_name:
        document.text(settings.building_name, bold=True, align="center")
    document.text(_("Member card"), align="center")
    document.feed()
    document.text(payload["name"], bold=True, double=True, align="center")
    document.text(
        _("Apartment %(apartment)s", apartment=payload["apartment"]), bold=True, align="center"
    )
    document.feed()
    if payload.get("card_token"):
        document.qr(payload["card_token"], module_dots=5 if settings.dots > 400 else 4)
    else:
        document.text(_("(the code is printed on the paper only)"), align="center")
    document.text(
        _(
            "Card no. %(number)s, issued on %(date)s",
            number=payload["card_number"],
            date=words.date(payload["issued_at"]),
        ),
        align="center",
    )
    document.text(_("If found, please bring it to the building's kiosk."), align="center")
    document.feed()
    document.separator("-", _("cut here"))
    document.feed(2)
    return document.cut()
