"""Urgent alert (layout "alert"): printed once, automatically, when an alert is raised.

Payload::

    {"kind_label": "Dégât des eaux", "text": "Fuite au 3e étage, eau coupée",
     "raised_at": "2026-11-23T10:00:00Z", "raised_by": "Claire Petit"}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Urgent alert: %(kind)s", kind=payload["kind_label"]))
    header(document, settings, words, _("URGENT ALERT"))
    document.text(payload["kind_label"], bold=True, double=True, align="center")
    document.feed()
    document.text(payload["text"], bold=True)
    document.feed()
    document.text(
        _(
            "Raised on %(when)s by %(name)s",
            when=words.datetime(payload["raised_at"]),
            name=payload["raised_by"],
        )
    )
    document.separator()
    document.text(_("Follow the instructions of the building. Emergency: 112."), align="center")
    return footer_cut(document)
