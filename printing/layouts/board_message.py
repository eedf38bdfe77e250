"""A message left on the board (layout "board_message"): "I'm interested" in a post, printed
for the poster who wants it on paper.

Payload::

    {"post_title": "Cours de guitare",
     "sender": {"name": "Paul Durand", "apartment": "A-101"},
     "recipient": {"name": "Jeanne Martin", "apartment": "B-204"},
     "body": "Je suis libre le samedi" | "",
     "created_at": "2026-11-23T10:00:00Z"}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Message about %(title)s", title=payload["post_title"]))
    header(document, settings, words, _("A neighbour is interested"))
    document.columns(_("Date"), words.datetime(payload["created_at"]))
    document.text(_("About your post"), bold=True)
    document.text(payload["post_title"])
    document.separator()
    document.text(_("From"), bold=True)
    document.text(person(payload["sender"]))
    document.text(_("For"), bold=True)
    document.text(person(payload["recipient"]))
    if payload.get("body"):
        document.separator()
        for line in payload["body"].splitlines():
            document.text(line)
    document.separator()
    document.text(_("Answer at the kiosk in the lobby."), align="center")
    return footer_cut(document)
