"""A notice to pin on the paper board (layout "notice").

Payload::

    {"title": "Coupure d'eau mardi", "body": "De 9 h à 12 h...", "official": true,
     "category_label": "Travaux et coupures", "starts_on": "2026-11-23", "ends_on": "2026-11-25",
     "author": "Jeanne Martin, B-204" | None,   # None for an official notice
     "building": "Résidence des Tilleuls"}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=payload["title"])
    header(
        document, settings, words, _("Official notice") if payload.get("official") else _("Notice")
    )
    document.text(payload["category_label"], align="center")
    document.feed()
    document.text(payload["title"], bold=True, double=True)
    document.feed()
    for line in (payload.get("body") or "").splitlines():
        document.text(line)
    document.feed()
    if payload["starts_on"] == payload["ends_on"]:
        document.text(_("On %(date)s", date=words.date(payload["starts_on"])), bold=True)
    else:
        document.text(
            _(
                "From %(start)s to %(end)s",
                start=words.date(payload["starts_on"]),
                end=words.date(payload["ends_on"]),
            ),
            bold=True,
        )
    if payload.get("author"):
        document.text(_("Posted by %(author)s", author=payload["author"]))
    document.separator()
    document.text(_("More notices at the kiosk in the lobby."), align="center")
    return footer_cut(document)
