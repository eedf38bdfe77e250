"""Printer settings as plain values, taken from the kiosk's config dict.

``printing`` sits below the app and never imports ``kiosk``: the app passes ``Config.values``
(a dict of sections) and the preview folder, and gets a frozen ``PrintSettings`` back.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Dot width of the printable area for each paper width (203 dpi print heads).
DOTS_BY_PAPER_MM = {58: 384, 80: 576}
# Font A is 12 x 24 dots on these printers: 32 characters on 58 mm paper, 48 on 80 mm.
FONT_A_DOTS = 12

_PRINTER_DEFAULTS: dict[str, Any] = {
    "kind": "preview",
    "profile": "TM-T20II",
    "paper_width_mm": 80,
    "preview_dir": "",
    "host": "127.0.0.1",
    "port": 9100,
    "timeout_seconds": 10,
    "usb_vendor_id": 0,
    "usb_product_id": 0,
    "serial_device": "/dev/ttyUSB0",
    "serial_baudrate": 9600,
    "file_path": "/dev/usb/lp0",
    "cups_queue": "",
    "retry_max_seconds": 300,
    "logo": "",
    "read_status": True,
}


def load_profile(name: str):
    """The python-escpos (escpos-printer-db) profile called ``name``; unknown names raise."""
    with warnings.catch_warnings():
        # escpos' capabilities module may warn about its cache on first use.
        warnings.simplefilter("ignore")
        from escpos.capabilities import get_profile  # noqa: PLC0415 (its import warns)

        try:
            return get_profile(name)
        except KeyError as exc:
            raise ValueError(f"unknown printer profile {name!r} (see escpos-printer-db)") from exc


@dataclass(frozen=True)
class PrintSettings:
    """Everything the printing package needs to know about the printer and the building."""

    kind: str = "preview"
    profile: str = "TM-T20II"
    paper_width_mm: int = 80
    preview_dir: Path = Path("previews")
    host: str = "127.0.0.1"
    port: int = 9100
    timeout_seconds: float = 10
    usb_vendor_id: int = 0
    usb_product_id: int = 0
    serial_device: str = "/dev/ttyUSB0"
    serial_baudrate: int = 9600
    file_path: str = "/dev/usb/lp0"
    cups_queue: str = ""
    retry_max_seconds: int = 300
    logo: str = ""
    read_status: bool = True
    building_name: str = ""
    building_address: str = ""
    language: str = "fr"
    timezone: str = "Europe/Paris"
    currency_name: str = "CEEC"
    receipt_copies: int = 1
    show_balances: bool = True

    @classmethod
    def from_config(cls, values: dict[str, dict[str, Any]], preview_dir: Path) -> PrintSettings:
        """Build settings from the whole config dict (``Config.values``)."""
        printer = {**_PRINTER_DEFAULTS, **values.get("printer", {})}
        building = values.get("building", {})
        kiosk = values.get("kiosk", {})
        receipts = values.get("receipts", {})
        return cls(
            kind=printer["kind"],
            profile=printer["profile"],
            paper_width_mm=int(printer["paper_width_mm"]),
            preview_dir=Path(preview_dir),
            host=printer["host"],
            port=int(printer["port"]),
            timeout_seconds=printer["timeout_seconds"],
            usb_vendor_id=int(printer["usb_vendor_id"]),
            usb_product_id=int(printer["usb_product_id"]),
            serial_device=printer["serial_device"],
            serial_baudrate=int(printer["serial_baudrate"]),
            file_path=printer["file_path"],
            cups_queue=printer["cups_queue"],
            retry_max_seconds=int(printer["retry_max_seconds"]),
            logo=printer["logo"],
            read_status=bool(printer["read_status"]),
            building_name=building.get("name", ""),
            building_address=building.get("address", ""),
            language=kiosk.get("language", "fr"),
            timezone=kiosk.get("timezone", "Europe/Paris"),
            currency_name=values.get("currency", {}).get("name", "CEEC"),
            receipt_copies=int(receipts.get("copies", 1)),
            show_balances=bool(receipts.get("show_balances", True)),
        )

    @property
    def dots(self) -> int:
        """Printable width in dots: 384 for 58 mm paper, 576 for 80 mm."""
        return DOTS_BY_PAPER_MM.get(self.paper_width_mm, 576)

    @property
    def chars_per_line(self) -> int:
        """Font A characters per line, from the profile when it matches the paper width."""
        media = load_profile(self.profile).profile_data.get("media", {}).get("width", {})
        columns = load_profile(self.profile).profile_data.get("fonts", {}).get("0", {})
        if media.get("pixels") == self.dots and isinstance(columns.get("columns"), int):
            return columns["columns"]
        return self.dots // FONT_A_DOTS
