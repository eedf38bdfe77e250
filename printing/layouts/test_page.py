"""Test page (layout "test_page"): every French character, columns, a QR code and a barcode.

Payload (every key optional)::

    {"requested_at": "2026-11-23T10:00:00Z", "note": "Nouveau rouleau"}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header
from printing.settings import PrintSettings

ACCENTS_LOWER = "à â ä ç é è ê ë î ï ô ö ù û ü ÿ œ æ"
ACCENTS_UPPER = "À Â Ä Ç É È Ê Ë Î Ï Ô Ö Ù Û Ü Ÿ Œ Æ"
PUNCTUATION = "« guillemets » l’apostrophe – tiret … 12 € 3°"
TEST_QR = "https://example.org/kiosk/test?é=1"
TEST_BARCODE = "CEEC-TEST-0042"


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Test page"))
    header(document, settings, words, _("Test page"))
    document.columns(_("Printer profile"), settings.profile)
    document.columns(_("Paper width"), f"{settings.paper_width_mm} mm, {settings.dots} dots")
    document.columns(_("Characters per line"), str(settings.chars_per_line))
    if payload.get("requested_at"):
        document.columns(_("Date"), words.datetime(payload["requested_at"]))
    if payload.get("note"):
        document.text(payload["note"])
    document.separator()
    document.text(ACCENTS_LOWER)
    document.text(ACCENTS_UPPER)
    document.text(PUNCTUATION)
    document.text(_("Amount: %(amount)s", amount=words.amount(123456)))
    ruler = "".join(str(i % 10) for i in range(1, settings.chars_per_line + 1))
    document.text(ruler)
    document.text(_("Bold text"), bold=True)
    document.text(_("Big text"), double=True)
    document.text(_("Centred"), align="center")
    document.text(_("Right"), align="right")
    document.columns(_("Label"), _("value"))
    document.separator()
    document.qr(TEST_QR)
    document.barcode(TEST_BARCODE)
    document.separator()
    document.text(_("If every line above reads right, the printer is ready."), align="center")
    return footer_cut(document)
