"""Printer status: an explicit state with a translated label, read with ``DLE EOT`` where the
transport can read (network, USB, serial)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from printing.i18n import N_, translations

# DLE EOT n: real-time status requests (answered even while the printer is busy).
STATUS_PRINTER = b"\x10\x04\x01"
STATUS_PAPER = b"\x10\x04\x04"
PRINTER_OFFLINE_BIT = 0x08
PAPER_NEAR_END_BITS = 0x0C
PAPER_OUT_BITS = 0x60


class PrinterState(enum.Enum):
    ONLINE = "online"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"

    @property
    def msgid(self) -> str:
        return _LABELS[self]

    def label(self, language: str) -> str:
        """The state in words for the status bar and the admin page."""
        return translations(language).gettext(_LABELS[self])


_LABELS = {
    PrinterState.ONLINE: N_("Printer ready"),
    PrinterState.PAPER_NEAR_END: N_("Paper running low"),
    PrinterState.PAPER_OUT: N_("Printer out of paper"),
    PrinterState.OFFLINE: N_("Printer offline"),
    PrinterState.UNKNOWN: N_("Printer status unknown"),
}


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer last said, and when (UTC); ``detail`` is for the admin (English)."""

    state: PrinterState
    detail: str = ""
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def label(self, language: str) -> str:
        return self.state.label(language)

    @property
    def can_print(self) -> bool:
        return self.state in (
            PrinterState.ONLINE,
            PrinterState.PAPER_NEAR_END,
            PrinterState.UNKNOWN,
        )


def status_from_bytes(printer_byte: int, paper_byte: int) -> PrinterStatus:
    """Decode the answers to ``DLE EOT 1`` and ``DLE EOT 4``."""
    if paper_byte & PAPER_OUT_BITS == PAPER_OUT_BITS:
        return PrinterStatus(PrinterState.PAPER_OUT, "paper roll sensor: paper end")
    if printer_byte & PRINTER_OFFLINE_BIT:
        return PrinterStatus(PrinterState.OFFLINE, "printer reports off-line (cover open?)")
    if paper_byte & PAPER_NEAR_END_BITS == PAPER_NEAR_END_BITS:
        return PrinterStatus(PrinterState.PAPER_NEAR_END, "paper roll sensor: near end")
    return PrinterStatus(PrinterState.ONLINE)


def printer_ready_for_vouchers(status: PrinterStatus | None) -> bool:
    """May a voucher be issued now? Never while the printer reports paper out or offline.

    A printer whose status cannot be read (file, CUPS) or is not known yet is trusted: the
    voucher's job waits in the queue like any other.
    """
    if status is None:
        return True
    return status.can_print
