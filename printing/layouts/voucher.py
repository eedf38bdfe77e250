"""CEEC voucher (layout "voucher"): paper money of the building, verifiable by its QR code.

Payload::

    {"serial": "V-0042",                   # printed big and in the barcode
     "amount": 1000,                       # hundredths
     "issued_at": "2026-11-23T10:00:00Z",  # UTC
     "expires_at": "2027-11-23T10:00:00Z" | None,
     "qr": "CEEC1:V-0042:1000:...",        # the signed voucher, as scanned at a kiosk
     "check_code": "7KQ2-M9XD",            # typed by hand when the QR will not scan
     "issued_to": "Jeanne Martin" | None}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import Words
from printing.layouts.common import footer_cut, header
from printing.settings import PrintSettings


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Voucher %(serial)s", serial=payload["serial"]))
    header(document, settings, words, _("Voucher"))
    document.feed()
    document.text(words.amount(payload["amount"]), bold=True, double=True, align="center")
    document.feed()
    document.columns(_("Serial number"), payload["serial"], bold=True)
    document.columns(_("Issued on"), words.date(payload["issued_at"]))
    if payload.get("expires_at"):
        document.columns(_("Valid until"), words.date(payload["expires_at"]), bold=True)
    else:
        document.columns(_("Valid until"), _("no expiry"))
    if payload.get("issued_to"):
        document.columns(_("Issued to"), payload["issued_to"])
    document.feed()
    document.qr(payload["qr"], module_dots=5 if settings.dots > 400 else 4)
    document.text(_("Check code"), align="center")
    document.text(payload["check_code"], bold=True, double=True, align="center")
    document.separator()
    document.text(
        _("Scan this voucher at the kiosk to credit your account. It can be redeemed once."),
        align="center",
    )
    footer_cut(document)
    return document
