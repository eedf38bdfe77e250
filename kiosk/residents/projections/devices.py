"""A resident's own devices (a phone, a computer at home) and the answers to what they asked.

``device.paired`` records a device's public key (ECDSA P-256, SPKI base64url) for a resident;
its id is derived from that key, so nobody picks it. ``device.removed`` ends it (the resident,
the volunteer, a suspension or a move-out). ``home.request_answered`` is the one answer a
request from home gets, recorded in the transaction of its effect (sync/home_inbox.py):
``home_requests_answered`` then tells every kiosk of the building that it is done, so a request
is applied once per building. All three are ``building`` events about the resident: only a
kiosk of the resident's building may emit them, and the hub reads them by name
(sync/hub/home_requests.py).
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from kiosk.home_requests import LABEL_MAX, RequestRefused, device_id
from kiosk.residents.projections.people import RESIDENT
from kiosk.store.events import Event
from kiosk.store.registry import BUILDING, Authority, event_type

REMOVAL_REASONS = ("resident", "volunteer", "suspended", "moved_out")
OUTCOMES = ("applied", "refused")


def device_matches_key(payload) -> bool:
    """the device id must be the one derived from its public key, the label at most 60
    characters"""
    try:
        derived = device_id(payload["public_key"])
    except RequestRefused:
        return False
    return derived == payload["device_id"] and len(payload["label"]) <= LABEL_MAX


@event_type(
    "device.paired",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={
        "device_id": str,
        "resident_id": str,
        "public_key": str,
        "label": str,
        "request_id": str,
    },
    valid=device_matches_key,
    tables=("devices",),
)
def _device_paired(db: Database, event: Event) -> None:
    """A device paired again after its removal (the same key) is a device again; the first
    pairing of a key to a resident stays theirs (another resident's event changes nothing)."""
    p = event.payload
    db.execute(
        "INSERT INTO devices (device_id, resident_id, public_key, label, request_id, paired_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET "
        "label = excluded.label, request_id = excluded.request_id, "
        "paired_at = excluded.paired_at, removed_at = NULL, removed_why = NULL "
        "WHERE devices.resident_id = excluded.resident_id AND devices.removed_at IS NOT NULL",
        [
            p["device_id"],
            p["resident_id"],
            p["public_key"],
            p["label"],
            p["request_id"],
            event.created_at,
        ],
    )


def known_reason(payload) -> bool:
    """the reason must be resident, volunteer, suspended or moved_out"""
    return payload["reason"] in REMOVAL_REASONS


@event_type(
    "device.removed",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={"device_id": str, "resident_id": str, "reason": str},
    valid=known_reason,
    tables=("devices",),
)
def _device_removed(db: Database, event: Event) -> None:
    """Only the resident's own device, and only once (the first removal is the one kept)."""
    p = event.payload
    db.execute(
        "UPDATE devices SET removed_at = ?, removed_why = ? "
        "WHERE device_id = ? AND resident_id = ? AND removed_at IS NULL",
        [event.created_at, p["reason"], p["device_id"], p["resident_id"]],
    )


def plain_answer(payload) -> bool:
    """the outcome must be applied (with no message) or refused (with one)"""
    if payload["outcome"] not in OUTCOMES:
        return False
    return (payload["outcome"] == "applied") == (payload["message"] == "")


@event_type(
    "home.request_answered",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={
        "request_id": str,
        "resident_id": str,
        "device_id": str,
        "action": str,
        "outcome": str,
        "message": str,
        "params": dict,
    },
    valid=plain_answer,
    tables=("home_requests_answered",),
)
def _request_answered(db: Database, event: Event) -> None:
    """The first answer is the answer (two kiosks cut off from each other cannot both take
    one request: the hub hands it to one; a replayed event changes nothing)."""
    p = event.payload
    db.execute(
        "INSERT OR IGNORE INTO home_requests_answered (request_id, resident_id, device_id, "
        "action, outcome, message, params, answered_at, answered_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            p["request_id"],
            p["resident_id"],
            p["device_id"],
            p["action"],
            p["outcome"],
            p["message"],
            json.dumps(p["params"], ensure_ascii=False, sort_keys=True),
            event.created_at,
            event.origin,
        ],
    )
