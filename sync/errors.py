"""What can go wrong when a kiosk syncs, each as an exception the admin page can tell apart."""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """Sync could not be done; the message says why in plain words."""


class HubUnreachable(SyncError):
    """No answer, a cut answer or a 5xx: try again later (with back-off)."""


class HubRefused(SyncError):
    """A 4xx answer: the hub refused this request and would refuse it again."""

    def __init__(self, status: int, answer: dict[str, Any]) -> None:
        self.status = status
        self.code = str(answer.get("error", "refused"))
        self.answer = answer
        super().__init__(f"hub refused ({status} {self.code}): {answer.get('message', '')}")


class EventNotApplicable(SyncError):
    """A pulled event that this kiosk's projections refuse (e.g. a voucher settled twice):
    the page is rolled back and the cursor stays before it, so nothing is skipped."""


class BackupTooOld(SyncError):
    """Restored from a backup while the hub was out of reach, and the hub holds more events of
    this kiosk than the numbering jump left room for: an administrator must act."""


class NotEnrolled(SyncError):
    """This kiosk has no hub yet: `kiosk enrol URL CODE`."""


def error_kind(exc: SyncError) -> str:
    """What the admin page says about a failed sync: ``unreachable`` (it retries by itself),
    ``refused`` (the hub said no: its administrator can tell why), ``backup_too_old`` or
    ``not_applicable`` (someone must act on this kiosk)."""
    if isinstance(exc, BackupTooOld):
        return "backup_too_old"
    if isinstance(exc, EventNotApplicable):
        return "not_applicable"
    if isinstance(exc, HubRefused):
        return "refused"
    return "unreachable"
