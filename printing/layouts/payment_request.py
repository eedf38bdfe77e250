"""A payment request and its outcome (layout "payment_request"), printed on request.

Payload::

    {"reference": "RJGPEP-42", "created_at": "2026-11-23T10:00:00Z",
     "status": "pending" | "accepted" | "declined" | "withdrawn" | "expired" | "closed",
     "decided_at": "2026-11-24T09:00:00Z" | None,
     "provider": {"name": "Jeanne Martin", "apartment": "B-204"},
     "payer": {"name": "Paul Durand", "apartment": "A-101"},
     "description": "Ourlet", "category_label": "Couture",   # already in the print language
     "minutes": 45 | None, "amount": 750,                      # hundredths
     "reason": "Pas encore fait" | None,           # when declined (or the note, withdrawn)
     "transfer_reference": "RJGPEP-43" | None,                 # when accepted
     "expires_at": "2026-12-07T10:00:00Z"}
"""

from __future__ import annotations

from printing.document import Document
from printing.i18n import N_, Words
from printing.layouts.common import footer_cut, header, person
from printing.settings import PrintSettings

OUTCOMES = {
    "pending": N_("Waiting for an answer"),
    "accepted": N_("Accepted and paid"),
    "declined": N_("Declined"),
    "expired": N_("Expired"),
    "withdrawn": N_("Withdrawn by the neighbour who sent it"),
    "closed": N_("Closed: a neighbour moved out"),
}


def build(payload: dict, settings: PrintSettings, words: Words) -> Document:
    _ = words._
    document = Document(title=_("Payment request %(reference)s", reference=payload["reference"]))
    header(document, settings, words, _("Payment request"))
    document.columns(_("Reference"), payload["reference"], bold=True)
    document.columns(_("Date"), words.datetime(payload["created_at"]))
    document.separator()
    document.text(_("Asked by"), bold=True)
    document.text(person(payload["provider"]))
    document.text(_("To be paid by"), bold=True)
    document.text(person(payload["payer"]))
    document.separator()
    document.text(payload["description"])
    if payload.get("category_label"):
        document.columns(_("Category"), payload["category_label"])
    if payload.get("minutes"):
        document.columns(_("Duration"), words.duration(payload["minutes"]))
    document.text(words.amount(payload["amount"]), bold=True, double=True, align="center")
    document.separator()
    outcome = OUTCOMES.get(payload["status"], OUTCOMES["expired"])
    document.text(_(outcome), bold=True, align="center")
    if payload.get("decided_at"):
        document.columns(_("Answered on"), words.datetime(payload["decided_at"]))
    if payload["status"] == "pending" and payload.get("expires_at"):
        document.columns(_("Expires on"), words.date(payload["expires_at"]))
    if payload.get("reason") and payload["status"] == "withdrawn":
        document.text(_("Note from the sender: %(note)s", note=payload["reason"]))
    elif payload.get("reason"):
        document.text(_("Reason: %(reason)s", reason=payload["reason"]))
    if payload.get("transfer_reference"):
        document.columns(_("Exchange"), payload["transfer_reference"])
    return footer_cut(document)
