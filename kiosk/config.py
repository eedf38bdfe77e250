"""The kiosk's configuration: one TOML file, a default for every key.

``load_config(path)`` reads the file named by ``path``, ``$KIOSK_CONFIG`` or nothing at all
(the embedded defaults), checks every key against ``DEFAULTS`` and returns a ``Config``.
A wrong key or value raises ``ConfigError`` naming the key and what is wrong with it.
"""

from __future__ import annotations

import copy
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def default_data_dir() -> Path:
    """Where the kiosk keeps its database, secret key and previews when no config says."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "building-kiosk"


# Every key the kiosk knows, with its default. config.example.toml documents each one and a test
# checks that the two agree.
DEFAULTS: dict[str, dict[str, Any]] = {
    "building": {
        "name": "Résidence des Tilleuls",
        "address": "12 rue des Tilleuls, 69003 Lyon",
    },
    "kiosk": {
        "language": "fr",
        "timezone": "Europe/Paris",
        "idle_timeout_seconds": 60,
        "idle_warning_seconds": 20,
        "host": "127.0.0.1",
        "port": 8080,
    },
    "storage": {
        "data_dir": "",  # empty: $XDG_DATA_HOME/building-kiosk
        "database": "",  # empty: <data_dir>/kiosk.sqlite3
        "busy_timeout_ms": 5000,
    },
    "currency": {
        "name": "CEEC",
        "units_per_hour": 10,
        "credit_floor": -100,
        "credit_ceiling": 300,
        "max_exchange": 200,
    },
    "security": {
        "pin_max_attempts": 5,
        "pin_lockout_minutes": 15,
        "kiosk_max_wrong_pins": 10,  # across all accounts: see config.example.toml
        "kiosk_wrong_pin_window_minutes": 10,
        "kiosk_pin_pause_minutes": 15,
    },
    "receipts": {
        "show_balances": True,
        "copies": 1,
    },
    "printer": {
        "kind": "preview",
        "profile": "TM-T20II",
        "paper_width_mm": 80,
        "preview_dir": "",  # empty: <data_dir>/previews
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
        "read_status": True,  # ask DLE EOT status (paper out...); false for printers that never answer
    },
    "backup": {
        "dir": "",  # empty: <data_dir>/backups
        "hour": 3,  # local hour of the nightly backup, 0-23
        "keep_daily": 7,
        "keep_weekly": 4,
        "usb_copy": True,  # also copy to a mounted USB stick with a building-kiosk-backups folder
    },
    "sync": {
        "hub_url": "",  # empty: the URL given to `kiosk enrol` (kept in the database)
        "home_url": "",  # the residents' home site (a phone's QR code); empty: the hub's URL
        "ca_bundle": "",  # empty: the system's certificate authorities
        "interval_minutes": 5,
        "batch_size": 500,
        "timeout_seconds": 20,
        "backoff_max_seconds": 1800,
        "voucher_conflict_policy": "reverse",  # or "loss_fund"
        "hub_database": "",  # `kiosk hub serve` only; empty: <data_dir>/hub.sqlite3
        "hub_host": "127.0.0.1",
        "hub_port": 8470,
    },
    # `kiosk hub serve`: database "" = [sync] hub_database, or "postgresql://..." (sync/cli.py);
    # [hub.mail], its SMTP relay (sync/hub/mail.py); [hub.sms], its SMS gateway (sync/hub/sms.py)
    "hub": {"database": "", "mail": {}, "sms": {}},
    "vouchers": {
        "denominations": [5, 10, 20],  # whole CEEC
        "validity_days": 365,
        "allow_credit": False,  # false: vouchers only from a positive balance
        "max_outstanding_count": 10,  # per resident
        "max_outstanding_amount": 100,  # whole CEEC, per resident
        "expired_policy": "issuer",  # preselected for expired vouchers: issuer or common_fund
    },
    "board": {
        "categories": [  # keys of kiosk/categories.py offered on the board, in this order
            "diy",
            "sewing",
            "haircut",
            "school",
            "moving",
            "computer",
            "childcare",
            "pets",
            "plants",
            "cooking",
            "transport",
            "other",
        ],
        "page_size": 8,  # posts per page of the board
        "request_expiry_days": 14,  # a payment request not answered by then expires
        "sheet_day": "mon",  # weekly board sheet: mon, tue, wed, thu, fri, sat, sun or "" (off)
        "sheet_hour": 8,  # local hour of the weekly board sheet, 0-23
        "sheet_max_posts": 15,  # most offers (and most requests) on the sheet
    },
    "projects": {
        "deadline_check_minutes": 5,  # how often group purchases past their deadline are closed
        "default_order_days": 7,  # a new group purchase's deadline is proposed this many days ahead
    },
    "community": {
        "self_registration": True,  # newcomers may register at the kiosk (they start pending)
        "vouches_needed": 2,  # verified neighbours of other apartments who make a newcomer verified
        "joins_per_hour": 5,  # self-registrations this kiosk takes per hour (all apartments)
        "pending_per_apartment": 2,  # newcomers of one apartment waiting to be verified at once
        "mailbox_code_hours": 72,  # a mailbox verification code expires after this many hours
        "mailbox_code_tries": 5,  # wrong codes before a mailbox code stops working
        "residents_may_raise_alerts": False,  # false: only admins raise urgent alerts
        "notice_max_days": 60,  # longest time a notice stays on the board
        "polls_closing_soon_days": 3,  # the idle screen shows polls closing within these days
        "idle_rotate_seconds": 8,  # seconds each item stays on the idle screen's rotating panel
        "moving_out_settlement": "common_fund",  # or "credit_only"
    },
}

LANGUAGES = ("fr", "en")
PRINTER_KINDS = ("preview", "network", "usb", "serial", "file", "cups")
SYNC_CONFLICT_POLICIES = ("reverse", "loss_fund")
VOUCHER_POLICIES = ("issuer", "common_fund")
SHEET_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SETTLEMENTS = ("common_fund", "credit_only")


class ConfigError(ValueError):
    """A config file that cannot be used; the message names the key and the problem."""


@dataclass(frozen=True)
class Config:
    """The loaded configuration: ``config.section["key"]`` or the helpers below."""

    values: dict[str, dict[str, Any]]
    source: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.values[section]

    @property
    def data_dir(self) -> Path:
        value = self.values["storage"]["data_dir"]
        return Path(value).expanduser() if value else default_data_dir()

    @property
    def database_path(self) -> Path:
        value = self.values["storage"]["database"]
        return Path(value).expanduser() if value else self.data_dir / "kiosk.sqlite3"

    @property
    def preview_dir(self) -> Path:
        value = self.values["printer"]["preview_dir"]
        return Path(value).expanduser() if value else self.data_dir / "previews"

    @property
    def secret_key_path(self) -> Path:
        return self.data_dir / "secret_key"

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.values["kiosk"]["timezone"])

    @property
    def language(self) -> str:
        return self.values["kiosk"]["language"]

    @property
    def hundredths_per_hour(self) -> int:
        return self.values["currency"]["units_per_hour"] * 100

    def amount(self, key: str) -> int:
        """A currency setting (whole CEEC in the file) in hundredths."""
        return int(self.values["currency"][key]) * 100


def _check_type(section: str, key: str, value: Any, default: Any) -> Any:
    where = f"[{section}] {key}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {value!r}")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a text in quotes, not {value!r}")
    elif isinstance(default, dict) and not isinstance(value, dict):  # a table: [hub.mail]
        raise ConfigError(f"[{section}.{key}] must be a table of keys")
    elif isinstance(default, list) and default and isinstance(default[0], str):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(
                f'{where} must be a list of texts in quotes, e.g. ["diy", "other"], not {value!r}'
            )
        value = list(value)
    elif isinstance(default, list):
        if not isinstance(value, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in value
        ):
            raise ConfigError(
                f"{where} must be a list of whole numbers, e.g. [5, 10, 20], not {value!r}"
            )
        value = list(value)
    return value


def _validate(values: dict[str, dict[str, Any]]) -> None:
    kiosk = values["kiosk"]
    if kiosk["language"] not in LANGUAGES:
        raise ConfigError(
            f"[kiosk] language must be one of {', '.join(LANGUAGES)}, not {kiosk['language']!r}"
        )
    try:
        ZoneInfo(kiosk["timezone"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"[kiosk] timezone {kiosk['timezone']!r} is not a known time zone (e.g. Europe/Paris)"
        ) from exc
    if kiosk["idle_timeout_seconds"] < 20:
        raise ConfigError("[kiosk] idle_timeout_seconds must be at least 20")
    if not 5 <= kiosk["idle_warning_seconds"] < kiosk["idle_timeout_seconds"]:
        raise ConfigError(
            "[kiosk] idle_warning_seconds must be at least 5 and below idle_timeout_seconds"
        )
    cur = values["currency"]
    if cur["units_per_hour"] <= 0:
        raise ConfigError("[currency] units_per_hour must be above 0")
    if cur["credit_floor"] > 0:
        raise ConfigError("[currency] credit_floor must be 0 or below (e.g. -100)")
    if cur["credit_ceiling"] <= 0:
        raise ConfigError("[currency] credit_ceiling must be above 0")
    if cur["max_exchange"] <= 0:
        raise ConfigError("[currency] max_exchange must be above 0")
    sec = values["security"]
    for key in sec:  # every [security] value is a count or minutes
        if sec[key] < 1:
            raise ConfigError(f"[security] {key} must be at least 1")
    if values["receipts"]["copies"] not in (1, 2):
        raise ConfigError("[receipts] copies must be 1 or 2")
    printer = values["printer"]
    if printer["kind"] not in PRINTER_KINDS:
        raise ConfigError(
            f"[printer] kind must be one of {', '.join(PRINTER_KINDS)}, not {printer['kind']!r}"
        )
    if printer["paper_width_mm"] not in (58, 80):
        raise ConfigError("[printer] paper_width_mm must be 58 or 80")
    if printer["timeout_seconds"] <= 0:
        raise ConfigError("[printer] timeout_seconds must be above 0")
    backup = values["backup"]
    if backup["keep_daily"] < 1:
        raise ConfigError("[backup] keep_daily must be at least 1")
    if backup["keep_weekly"] < 0:
        raise ConfigError("[backup] keep_weekly must be 0 or more")
    sync = values["sync"]
    for name in ("hub_url", "home_url"):
        if sync[name] and not sync[name].startswith(("http://", "https://")):
            raise ConfigError(f"[sync] {name} must start with https:// (or http:// on a LAN)")
    if sync["interval_minutes"] < 1:
        raise ConfigError("[sync] interval_minutes must be at least 1")
    if sync["timeout_seconds"] <= 0 or sync["backoff_max_seconds"] <= 0:
        raise ConfigError("[sync] timeout_seconds and backoff_max_seconds must be above 0")
    if sync["voucher_conflict_policy"] not in SYNC_CONFLICT_POLICIES:
        raise ConfigError(
            f"[sync] voucher_conflict_policy must be one of {', '.join(SYNC_CONFLICT_POLICIES)}"
        )
    _validate_vouchers(values["vouchers"])
    _validate_ranges(values)
    _validate_community(values["community"])
    _validate_board(values["board"])


def _validate_vouchers(vouchers: dict[str, Any]) -> None:
    values = vouchers["denominations"]
    if not values or len(values) > 6 or len(set(values)) != len(values):
        raise ConfigError(
            "[vouchers] denominations must list 1 to 6 different values, e.g. [5, 10, 20]"
        )
    if not all(1 <= value <= 1000 for value in values):
        raise ConfigError("[vouchers] denominations must be between 1 and 1000 CEEC")
    if vouchers["validity_days"] < 1:
        raise ConfigError("[vouchers] validity_days must be at least 1")
    if vouchers["max_outstanding_count"] < 1:
        raise ConfigError("[vouchers] max_outstanding_count must be at least 1")
    if vouchers["max_outstanding_amount"] < 1:
        raise ConfigError("[vouchers] max_outstanding_amount must be at least 1")
    if vouchers["expired_policy"] not in VOUCHER_POLICIES:
        raise ConfigError(f"[vouchers] expired_policy must be one of {', '.join(VOUCHER_POLICIES)}")


def _validate_board(board: dict[str, Any]) -> None:
    try:
        from kiosk.categories import CATEGORIES  # noqa: PLC0415 (see the except)
    except ImportError:  # install.sh loads this file alone (no package): the kiosk checks at start
        CATEGORIES = {key: key for key in board["categories"]}

    categories = board["categories"]
    unknown = [key for key in categories if key not in CATEGORIES]
    if not categories or unknown or len(set(categories)) != len(categories):
        raise ConfigError(
            f"[board] categories must list different known categories ({', '.join(CATEGORIES)})"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    if board["request_expiry_days"] < 1:
        raise ConfigError("[board] request_expiry_days must be at least 1")
    if board["sheet_day"] and board["sheet_day"] not in SHEET_DAYS:
        raise ConfigError(
            f'[board] sheet_day must be one of {", ".join(SHEET_DAYS)} or "" (no sheet)'
        )


# Whole numbers that must lie in a range: (section, key) -> (lowest, highest).
_RANGES = {
    ("kiosk", "port"): (1, 65535),
    ("backup", "hour"): (0, 23),
    ("sync", "batch_size"): (1, 5000),
    ("sync", "hub_port"): (1, 65535),
    ("projects", "deadline_check_minutes"): (1, 1440),
    ("projects", "default_order_days"): (1, 90),
    ("board", "page_size"): (3, 50),
    ("board", "sheet_hour"): (0, 23),
    ("board", "sheet_max_posts"): (1, 100),
    ("community", "vouches_needed"): (1, 5),
    ("community", "joins_per_hour"): (1, 100),
    ("community", "pending_per_apartment"): (1, 10),
    ("community", "mailbox_code_hours"): (1, 24 * 60),  # 60 days
    ("community", "mailbox_code_tries"): (1, 20),
    ("community", "notice_max_days"): (1, 366),
    ("community", "polls_closing_soon_days"): (0, 60),
    ("community", "idle_rotate_seconds"): (3, 120),
}


def _validate_ranges(values: dict[str, dict[str, Any]]) -> None:
    for (section, key), (lowest, highest) in _RANGES.items():
        if not lowest <= values[section][key] <= highest:
            raise ConfigError(f"[{section}] {key} must be between {lowest} and {highest}")


def _validate_community(community: dict[str, Any]) -> None:
    if community["moving_out_settlement"] not in SETTLEMENTS:
        raise ConfigError(
            f"[community] moving_out_settlement must be one of {', '.join(SETTLEMENTS)}"
        )


def make_config(
    overrides: dict[str, dict[str, Any]] | None = None, source: str | None = None
) -> Config:
    """Defaults merged with ``overrides`` (a parsed TOML document), checked key by key."""
    values = copy.deepcopy(DEFAULTS)
    for section, keys in (overrides or {}).items():
        if section not in DEFAULTS:
            raise ConfigError(f"unknown section [{section}] (known: {', '.join(DEFAULTS)})")
        if not isinstance(keys, dict):
            raise ConfigError(f"[{section}] must be a table of keys")
        for key, value in keys.items():
            if key not in DEFAULTS[section]:
                raise ConfigError(f"unknown key {key!r} in [{section}]")
            values[section][key] = _check_type(section, key, value, DEFAULTS[section][key])
    _validate(values)
    return Config(values=values, source=source)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load ``path``, else ``$KIOSK_CONFIG``, else the embedded defaults."""
    path = path or os.environ.get("KIOSK_CONFIG") or None
    if path is None:
        return make_config()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    try:
        return make_config(data, source=str(path))
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
