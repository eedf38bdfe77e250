"""Urgent alerts (theft, accident, flood, safety): a banner on every screen until resolved.

Admins raise them, and any verified resident when ``[community] residents_may_raise_alerts``
is true. Raising one prints it once, automatically: the print job is queued in the raising
transaction (a printed alert is never printed again unless an admin asks for a marked copy).
Who raised and who resolved it, and when, stay in the log and on the alerts page.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import i18n, store
from kiosk.community import reads
from kiosk.community.errors import AlertAlreadyResolved, AlertNotAllowed, AlertNotFound
from kiosk.community.notices import clean_text
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, PermissionDenied
from kiosk.residents import residents
from printing import queue as print_queue

KINDS: dict[str, str] = {
    "safety": N_("Safety"),
    "flood": N_("Flood or water leak"),
    "theft": N_("Theft or break-in"),
    "accident": N_("Accident"),
    "other": N_("Other"),
}
TEXT_MAX = 300


@dataclass(frozen=True)
class Alert:
    id: str
    reference: str
    kind: str
    text: str
    raised_at: str
    raised_by_name: str | None = None
    resolved_at: str | None = None
    resolved_by_name: str | None = None
    resolution: str | None = None

    @classmethod
    def from_row(cls, row) -> Alert:
        keys = row.keys()
        return cls(**{name: row[name] for name in cls.__dataclass_fields__ if name in keys})


def may_raise(config: Config, resident: residents.Resident) -> bool:
    if not resident.may_exchange:
        return False
    return resident.is_admin or config["community"]["residents_may_raise_alerts"]


def raise_alert(
    db: Database, config: Config, *, raiser_id: str, kind: str | None, text: str | None
) -> Alert:
    """Record an alert and queue its one automatic print, in one transaction."""

    raiser = residents.get(db, raiser_id)
    residents.require_verified(raiser)
    if not may_raise(config, raiser):
        raise AlertNotAllowed()
    if kind not in KINDS:
        raise InvalidInput(N_("Choose what kind of alert it is."))
    text = clean_text(text, maximum=TEXT_MAX, required=N_("Say in a few words what is happening."))
    gettext = i18n.gettext_for(config.language)
    with store.write(db):
        event = store.record(
            db, "alert.raised", {"kind": kind, "text": text, "raised_by": raiser.id}
        )
        print_queue.enqueue(
            db,
            "alert",
            {
                "kind_label": gettext(KINDS[kind]),
                "text": text,
                "raised_at": event.created_at,
                "raised_by": raiser.name,
            },
            reference=f"alert-{event.reference}",
        )
    return get_alert(db, event.id)


def get_alert(db: Database, alert_id: str) -> Alert:
    row = reads.alert(db, alert_id or "")
    if row is None:
        raise AlertNotFound()
    return Alert.from_row(row)


def resolve_alert(
    db: Database, alert_id: str, *, resolver_id: str, resolution: str | None = ""
) -> Alert:
    """An admin (or whoever raised it) says it is over: the banner goes away everywhere."""
    resolver = residents.get(db, resolver_id)
    resolution = clean_text(resolution, maximum=TEXT_MAX, required=None)
    with store.write(db):
        row = reads.alert(db, alert_id or "")
        if row is None:
            raise AlertNotFound()
        if row["resolved_at"] is not None:
            raise AlertAlreadyResolved()
        if not resolver.is_admin and resolver.id != row["raised_by"]:
            raise PermissionDenied()
        store.record(
            db,
            "alert.resolved",
            {"alert_id": row["id"], "resolved_by": resolver.id, "resolution": resolution},
        )
    return get_alert(db, alert_id)


def active_alerts(db: Database) -> list[Alert]:
    """Alerts not resolved yet, newest first (what every screen's banner shows)."""
    return [Alert.from_row(row) for row in reads.active_alerts(db)]


def recent_alerts(db: Database, limit: int = 20) -> list[Alert]:
    return [Alert.from_row(row) for row in reads.recent_alerts(db, limit)]
