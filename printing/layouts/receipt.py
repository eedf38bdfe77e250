"""Exchange receipt (layout "receipt"), produced by the ledger for every transfer.

Payload::

    {"reference": "RJGPEP-42", "created_at": "2026-11-23T10:00:00Z",  # UTC
     "kind": "exchange" | "reversal" | "voucher_redeem" | "settlement" | ...,  # a transfer kind
     "reverses_reference": None | "RJGPEP-7",
     "payer": {"apartment": "B-204", "name": "Jeanne Martin", "balance_after": -1500 | None},
              # an account of the association: "apartment": "", its name in the print language
     "payee": {same}, "description": "Réparer un robinet",
     "category_label": "Bricolage et petite plomberie",  # already in the print language
     "minutes": 90 | None, "amount": 1500}                 # hundredths

Built by ``kiosk.ledger.receipts.receipt_payload``. The title says what the transfer is (an
exchange, a correction, a redeemed voucher, a move-out settlement...).
The reference is printed as text and as a Code128 barcode.
With ``[receipts] copies = 2`` the job prints one copy for each resident, each showing only its
holder's balance; with one copy, every balance the ledger did not set to None is shown.
``[receipts] show_balances = false`` hides balances altogether.
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import N_, Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings

TITLES = {
    "exchange": N_("Exchange receipt"),
    "reversal": N_("Correction"),
    "voucher_issue": N_("Voucher issued"),
    "voucher_redeem": N_("Voucher used"),
    "voucher_refund": N_("Voucher refunded"),
    "project_contribution": N_("Contribution to a project"),
    "project_payment": N_("Payment by a project"),
    "purchase_fee": N_("Group purchase fee"),
    "settlement": N_("Move-out settlement"),
}


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Receipt %(reference)s", reference=payload["reference"]))
    if settings.receipt_copies == 2:
        _one_copy(document, payload, settings, words, holder="payer")
        _one_copy(document, payload, settings, words, holder="payee")
    else:
        _one_copy(document, payload, settings, words, holder=None)
    return document


def _one_copy(
    document: Document, payload: dict, settings: PrintSettings, words: Words, holder: str | None
) -> None:
    _ = words._
    reversal = payload.get("kind") == "reversal"
    title = TITLES.get(payload.get("kind") or "exchange", N_("Receipt"))
    header(document, settings, words, _(title))
    if holder == "payer":
        document.text(_("Copy for the payer"), align="center")
    elif holder == "payee":
        document.text(_("Copy for the provider"), align="center")
    document.columns(_("Reference"), payload["reference"], bold=True)
    document.columns(_("Date"), words.datetime(payload["created_at"]))
    if reversal and payload.get("reverses_reference"):
        document.text(_("Cancels exchange %(reference)s", reference=payload["reverses_reference"]))
    document.separator()
    document.text(_("Paid by"), bold=True)
    document.text(person(payload["payer"]))
    document.text(_("Paid to"), bold=True)
    document.text(person(payload["payee"]))
    document.separator()
    if payload.get("description"):
        document.text(payload["description"])
    if payload.get("category_label"):
        document.columns(_("Category"), payload["category_label"])
    if payload.get("minutes"):
        document.columns(_("Duration"), words.duration(payload["minutes"]))
    document.feed()
    document.text(words.amount(payload["amount"]), bold=True, double=True, align="center")
    document.feed()
    if settings.show_balances:
        roles = [holder] if holder else ["payer", "payee"]
        shown = [(payload[role]["name"], payload[role].get("balance_after")) for role in roles]
        shown = [(name, balance) for name, balance in shown if balance is not None]
        if shown:
            document.separator()
            for name, balance in shown:
                document.columns(_("New balance of %(name)s", name=name), words.amount(balance))
    document.separator()
    # The reference as a Code128: the volunteer finds the transfer by scanning the paper.
    document.barcode(payload["reference"])
    document.text(_("Thank you for helping each other!"), align="center")
    footer_cut(document)
