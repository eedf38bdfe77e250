"""CEEC voucher (layout "voucher"): paper money of the building, verifiable by its QR code.

Payload::

    {"serial": "V-0042",                   # printed big and in the barcode
     "amount": 1000,                       # hundredths
     "issued_at": "2026-11-23T10:00:00Z",  # UTC
     "expires_at": "2027-11-23T10:00:00Z" | None,
     "qr": "KV...",                        # the signed voucher and its secret, as scanned
     "check_code": "BCDFGH-42-K7N29-HX4FR-3PV2T",  # typed by hand when the QR will not scan

``qr`` and ``check_code`` carry the voucher's secret: the queue forgets them once the job has
printed (printing/queue.py), so a printed job is never drawn again.
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
    document.columns(_("Issued on"), words.date(payload["issued_at"]))
    if payload.get("expires_at"):
        document.columns(_("Valid until"), words.date(payload["expires_at"]), bold=True)
    else:
        document.columns(_("Valid until"), _("no expiry"))
    if payload.get("issued_to"):
        document.columns(_("Issued to"), payload["issued_to"])
    document.feed()
    if payload.get("qr") is None or payload.get("check_code") is None:
        # The number stays: it is what the resident's "My vouchers" page lists.
        document.columns(_("Serial number"), payload["serial"], bold=True)
        document.text(_("(the code is printed on the paper only)"), align="center")
        footer_cut(document)
        return document
    document.qr(payload["qr"], module_dots=5 if settings.dots > 400 else 4)
    # The same name as on the kiosk's redeem page ("Voucher code"): one name for one code.
    document.text(_("Voucher code"), bold=True, align="center")
    document.text(_("to type if the QR code will not scan"), align="center")
    # The voucher's number opens its code (the number "My vouchers" lists), printed once.
    number, _dash, secret = _split_code(payload["check_code"])
    document.text(number, bold=True, align="center")
    if secret:
        groups = secret.replace("-", " ")
        fits_double = 2 * len(groups) <= settings.chars_per_line
        document.text(groups, bold=True, double=fits_double, align="center")
    document.separator()
    document.text(
        _("Scan this voucher at the kiosk to credit your account. It can be redeemed once."),
        align="center",
    )
    footer_cut(document)
    return document


def _split_code(code: str) -> tuple[str, str, str]:
    """ "BCDFGH-42-K7N29-HX4FR-3PV2T" -> ("BCDFGH-42", "-", "K7N29-HX4FR-3PV2T"); a code of
    a voucher printed before secret codes ("BCDFGH-42-K") stays on one line."""
    parts = code.split("-", 2)
    if len(parts) < 3 or len(parts[2]) < 5:
        return code, "", ""
    return f"{parts[0]}-{parts[1]}", "-", parts[2]
