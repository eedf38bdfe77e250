"""Mailbox verification slip (layout "mailbox_slip"): proves a resident lives at an apartment.

Printed at the kiosk by an admin and put in the apartment's mailbox, folded twice along the
dotted lines: the code sits on the inner panel, behind a printed mask, so it cannot be read
through the paper or without unfolding it. Copies are refused (a new code must be issued).

Payload::

    {"apartment": "B-204", "name": "Jeanne Martin" | None,
     "code": "482913",                      # the one-time code, typed at the kiosk
     "expires_at": "2026-11-30T10:00:00Z" | None}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.settings import PrintSettings

PANEL_LINES = 6


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    chars = settings.chars_per_line
    document = Document(title=_("Mailbox slip for %(apartment)s", apartment=payload["apartment"]))
    # Outer panel: the address side.
    if settings.building_name:
        document.text(settings.building_name, bold=True, align="center")
    document.text(
        _("Apartment %(apartment)s", apartment=payload["apartment"]),
        bold=True,
        double=True,
        align="center",
    )
    if payload.get("name"):
        document.text(payload["name"], align="center")
    document.text(_("Confidential: open it yourself."), align="center")
    document.feed(PANEL_LINES - 4)
    document.separator(".", _("fold here"))
    # Middle panel: a mask that hides the code when the slip is folded.
    for row in range(PANEL_LINES):
        document.text(("#X" if row % 2 else "X#") * (chars // 2))
    document.separator(".", _("fold here"))
    # Inner panel: the code.
    document.text(_("Your verification code"), align="center")
    if payload.get("code"):
        document.text(payload["code"], bold=True, double=True, align="center")
    else:
        document.text(_("(the code is printed on the paper only)"), align="center")
    document.text(
        _("Type it at the kiosk in the lobby to confirm that you live here."), align="center"
    )
    if payload.get("expires_at"):
        document.text(
            _("Valid until %(date)s", date=words.datetime(payload["expires_at"])), align="center"
        )
    document.feed(2)
    return document.cut()
