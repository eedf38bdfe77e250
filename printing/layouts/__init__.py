"""Layouts: a job's payload (plain JSON from the queue) -> a ``Document`` in the print language.

Each layout module has ``build(payload, settings, words) -> Document`` and documents its payload
in its docstring. ``build_document`` is the one entry point.
"""

from __future__ import annotations

from typing import Any

from printing.document import Document
from printing.i18n import Words
from printing.layouts import (
    alert,
    board_message,
    board_sheet,
    departure,
    distribution_list,
    dues_list,
    mailbox_slip,
    member_card,
    notice,
    payment_request,
    poll_results,
    project_sheet,
    purchase_order,
    receipt,
    statement,
    test_page,
    voucher,
)
from printing.layouts.common import copy_banner
from printing.settings import PrintSettings

LAYOUTS = {
    "receipt": receipt.build,
    "voucher": voucher.build,
    "member_card": member_card.build,
    "statement": statement.build,
    "board_sheet": board_sheet.build,
    "board_message": board_message.build,
    "payment_request": payment_request.build,
    "mailbox_slip": mailbox_slip.build,
    "test_page": test_page.build,
    "project_sheet": project_sheet.build,
    "purchase_order": purchase_order.build,
    "distribution_list": distribution_list.build,
    "dues_list": dues_list.build,
    "alert": alert.build,
    "notice": notice.build,
    "poll_results": poll_results.build,
    "departure": departure.build,
}


class LayoutError(ValueError):
    """The payload cannot make this layout (unknown layout, missing or wrong field)."""


def build_document(
    layout: str, payload: dict[str, Any], settings: PrintSettings, *, is_copy: bool = False
) -> Document:
    """The document for one job. A copy carries a "COPY" banner at its top and bottom."""
    try:
        build = LAYOUTS[layout]
    except KeyError:
        raise LayoutError(f"unknown layout {layout!r}") from None
    words = Words(settings.language, settings.timezone, settings.currency_name)
    try:
        document = build(payload, settings, words)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LayoutError(f"{layout}: bad payload ({type(exc).__name__}: {exc})") from exc
    if is_copy:
        document = copy_banner(document, words)
    return document
