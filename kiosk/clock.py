"""Wall-clock time, in one place so tests can move it.

Times are stored as UTC ISO-8601 strings and shown in the building's time zone. The Pi has no
real-time clock: times are for display only, never for ordering or syncing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset_seconds: float = 0.0

# A clock outside these years is wrong (a Pi that lost its date boots in 1970): what would
# carry a wrong date on paper (a voucher's days since 2020 in two bytes) is refused meanwhile.
PLAUSIBLE_YEARS = range(2020, 2100)


def now() -> datetime:
    """The current time, aware, in UTC."""

    return datetime.now(UTC) + timedelta(seconds=_offset_seconds)


def now_iso() -> str:
    return now().isoformat(timespec="seconds").replace("+00:00", "Z")


def plausible() -> bool:
    """Whether the clock's year is one the kiosk can live in (2020 to 2099)."""
    return now().year in PLAUSIBLE_YEARS


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def shift(seconds: float) -> None:
    """Move the kiosk's notion of now (tests only; a real clock is set by the system)."""
    global _offset_seconds
    _offset_seconds += seconds


def reset() -> None:
    global _offset_seconds
    _offset_seconds = 0.0
