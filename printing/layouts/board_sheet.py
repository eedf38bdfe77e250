"""Weekly board sheet (layout "board_sheet"): offers and requests to pin on the notice board.

Payload::

    {"week_of": "2026-11-23",              # the Monday of the week
     "offers": [{"title": "Cours de guitare", "apartment": "A-12",
                 "category_label": "Musique", "name": "Paul" | None}],
     "requests": [same shape],
     "kiosk_hint": "Rendez-vous à la borne du hall" | None}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header
from printing.settings import PrintSettings


def _entries(document: Document, entries: list[dict], words: Words, empty: str) -> None:
    if not entries:
        document.text(empty, align="center")
    for entry in entries:
        document.text(f"* {entry['title']}", bold=True)
        who = (
            entry["apartment"]
            if not entry.get("name")
            else f"{entry['name']}, {entry['apartment']}"
        )
        detail = (
            f"  {entry['category_label']} - {who}" if entry.get("category_label") else f"  {who}"
        )
        document.text(detail)


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    week = words.date(payload["week_of"])
    document = Document(title=_("Board sheet, week of %(date)s", date=week))
    header(document, settings, words, _("This week"))
    document.text(_("Week of %(date)s", date=week), align="center")
    document.feed()
    document.separator("=", _("Offers"))
    _entries(document, payload.get("offers", []), words, _("No offer this week."))
    document.feed()
    document.separator("=", _("Requests"))
    _entries(document, payload.get("requests", []), words, _("No request this week."))
    document.feed()
    document.separator()
    document.text(
        payload.get("kiosk_hint") or _("Answer at the kiosk in the lobby."), align="center"
    )
    return footer_cut(document)
