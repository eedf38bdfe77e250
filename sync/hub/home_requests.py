"""Requests from residents' own devices, at the hub: kept as received, handed to one kiosk of
their building, answered by it (kiosk/home_requests.py says the wire form, sync/home_inbox.py
what the kiosk does with them).

The hub is a letter box here, never an authority: it checks a request's shape and signature
only to keep junk out of the building's kiosks (an action must be signed by a device its
building's kiosk paired; a pairing by the key it brings), stores the text as signed, and lets
the kiosk decide. It holds no key of any device's: it cannot write a request, and a request it
alters no longer verifies at the kiosk.

- ``home_devices`` is what the building's kiosks recorded: fed, as a batch is stored
  (``sync.hub.store.accept_batch``, same transaction), by the accepted ``device.paired`` and
  ``device.removed`` events; ``home.request_answered`` answers the request it names.
- ``claim_for``: a kiosk's signed ``GET /api/home-requests`` takes the building's unanswered
  requests no other kiosk took (a pairing only to the kiosk that showed its code, a vote only
  to the kiosk that opened the poll: it alone holds a secret ballot's salt), claimed
  in the same transaction as its request counter. A request is never handed to a second
  kiosk: two kiosks never both apply it; the one that took it gets it again until it answers
  (after a restore too).
- ``dismiss``: a pairing the kiosk cannot match (no such code on it, expired, used, a wrong
  proof) is answered by the kiosk's word, not by an event: a stranger's junk never reaches the
  building's history. At most ``PENDING_PAIRINGS`` pairings wait per kiosk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlite_utils import Database

from kiosk import clock
from kiosk import home_requests as hr
from kiosk.store import db as dbmod
from sync.hub.kiosks import Kiosk, use_counter
from sync.hub.records import now_iso
from sync.hub.refusals import BadRequest, Conflict, NotFound, TooMany, Unauthenticated

HOME_TYPES = ("device.paired", "device.removed", "home.request_answered")
PENDING_PAIRINGS = 20  # unanswered pairings per kiosk: a stranger cannot flood a kiosk
# A pairing no kiosk answered within twice a code's life is told expired: the code it carries
# expired at the kiosk meanwhile (the phone stops waiting; the kiosk would dismiss it anyway).
PAIRING_WAIT = timedelta(minutes=2 * hr.PAIRING_MINUTES)
EXPIRED = "This pairing code has expired: make a new one at the kiosk."
CLAIM_LIMIT = 100
DISMISS_MESSAGES = frozenset({"This pairing code is unknown or was already used.", EXPIRED})


# --- Fed by accepted events -------------------------------------------------------------------


def note_events(
    db: Database, rows: Sequence[tuple], sent: Mapping[int, dict], refused_seqs: set[int]
) -> None:
    """Inside a batch's write: learn devices and answers from the accepted events (``rows``:
    the stored rows, seq at [2], type at [3], building at [5]; ``sent``: events by seq)."""
    for row in rows:
        if row[3] not in HOME_TYPES or row[2] in refused_seqs:
            continue
        payload, building = sent[row[2]]["payload"], row[5]
        if row[3] == "device.paired":
            db.execute(
                "INSERT INTO home_devices (device_id, resident_id, building, public_key, label, "
                "paired_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO NOTHING",
                [
                    payload["device_id"],
                    payload["resident_id"],
                    building,
                    payload["public_key"],
                    payload.get("label") or "",
                    now_iso(),
                ],
            )
        elif row[3] == "device.removed":
            db.execute(
                "UPDATE home_devices SET removed_at = COALESCE(removed_at, ?) "
                "WHERE device_id = ? AND resident_id = ?",
                [now_iso(), payload["device_id"], payload["resident_id"]],
            )
        else:
            _answer(db, building, payload)


def _answer(db: Database, building: str, payload: Mapping[str, Any]) -> None:
    """The request's outcome from its kiosk's answer event; the first answer stays."""
    db.execute(
        "UPDATE home_requests SET answered_at = ?, outcome = ?, message = ?, params = ? "
        "WHERE id = ? AND building = ? AND answered_at IS NULL",
        [
            now_iso(),
            payload["outcome"],
            payload.get("message") or "",
            json.dumps(payload.get("params") or {}, ensure_ascii=False),
            payload["request_id"],
            building,
        ],
    )


# --- Devices ----------------------------------------------------------------------------------


def active_device(db: Database, device_id: str) -> dict | None:
    """The device's row (resident_id, building, public_key, label...) if a kiosk paired it and
    none removed it since; else None."""
    return dbmod.query_one(
        db,
        "SELECT * FROM home_devices WHERE device_id = ? AND removed_at IS NULL",
        [device_id],
    )


def building_known(db: Database, building: str) -> bool:
    return (
        dbmod.scalar(db, "SELECT 1 FROM kiosks WHERE building = ? AND revoked = 0", [building])
        is not None
    )


# --- Receiving a request from a device --------------------------------------------------------


def receive(db: Database, data: Any) -> dict[str, str]:
    """Store a device's request (its wire form, see kiosk/home_requests.py) after checking
    its shape and signature; the same request again is answered the same (a phone that lost
    the answer sends again). JSON 4xx refusals: ``BadRequest`` (shape), ``Unauthenticated``
    (signature, device not paired or removed), ``NotFound`` (building or kiosk unknown here),
    ``Conflict`` (an id already used by another request), ``TooMany`` (pairings waiting)."""
    try:
        request = hr.read_request(data)
    except hr.RequestRefused as exc:
        raise BadRequest(str(exc), reason=exc.code) from None
    held = dbmod.query_one(
        db, "SELECT text, signature FROM home_requests WHERE id = ?", [request.id]
    )
    if held is not None:
        if held["text"] != request.text:
            raise Conflict("this request id is already used by another request")
        return {"id": request.id, "status": status_of(db, request.id)["status"]}
    if not building_known(db, request.building):
        raise NotFound("no kiosk of this building is known here")
    if request.kind == hr.PAIR:
        key, kiosk = request.body["public_key"], request.body["kiosk"]
        named = dbmod.query_one(
            db, "SELECT building, revoked FROM kiosks WHERE origin = ?", [kiosk]
        )
        if named is None or named["revoked"] or named["building"] != request.building:
            raise NotFound("the kiosk this code names is not a kiosk of this building")
    else:
        device = active_device(db, request.body["device"])
        if (
            device is None
            or device["resident_id"] != request.resident
            or device["building"] != request.building
        ):
            raise Unauthenticated("this device is not paired with this resident's building")
        key, kiosk = device["public_key"], _kiosk_for(db, request)
    try:
        hr.verify(key, request.text, request.signature)
    except hr.RequestRefused as exc:
        raise Unauthenticated(str(exc), reason=exc.code) from None
    with dbmod.write(db):
        if kiosk is not None:
            waiting = dbmod.scalar(
                db,
                "SELECT COUNT(*) FROM home_requests WHERE kind = 'pair' AND kiosk = ? "
                "AND answered_at IS NULL AND received_at > ?",
                [kiosk, _pairings_since()],
            )
            if waiting >= PENDING_PAIRINGS:
                raise TooMany("too many pairings wait for this kiosk: try again later")
        db.execute(
            "INSERT INTO home_requests (id, building, kind, kiosk, device_id, resident_id, "
            "action, text, signature, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            [
                request.id,
                request.building,
                request.kind,
                kiosk,
                request.device,
                request.resident,
                request.action or hr.PAIR,
                request.text,
                request.signature,
                now_iso(),
            ],
        )
    return {"id": request.id, "status": "waiting"}


def _kiosk_for(db: Database, request: hr.HomeRequest) -> str | None:
    """The one kiosk that can apply an action, if only one can: a vote in a poll goes to the
    kiosk that opened it (a secret ballot's salt never leaves that kiosk, kiosk/community/
    polls.py); None: any kiosk of the building."""
    if request.action != "poll.vote":
        return None
    return dbmod.scalar(
        db,
        "SELECT origin FROM events WHERE id = ? AND type = 'poll.opened' AND building = ?",
        [request.fields.get("poll_id"), request.building],
    )


def status_of(db: Database, request_id: str) -> dict[str, Any]:
    """{"status": waiting|applied|refused, "message": English msgid, "params": {...},
    "received_at", "answered_at"}; ``NotFound`` for an unknown id."""
    row = dbmod.query_one(db, "SELECT * FROM home_requests WHERE id = ?", [request_id])
    if row is None:
        raise NotFound("no such request")
    return _status(row)


def _pairings_since() -> str:
    """Pairings received before this are past waiting for (``PAIRING_WAIT``)."""
    return (clock.now() - PAIRING_WAIT).isoformat(timespec="seconds").replace("+00:00", "Z")


def _status(row: Mapping[str, Any]) -> dict[str, Any]:
    if row["kind"] == "pair" and row["outcome"] is None and row["received_at"] <= _pairings_since():
        return {
            "id": row["id"],
            "action": row["action"],
            "status": "refused",
            "message": EXPIRED,
            "params": {},
            "received_at": row["received_at"],
            "answered_at": None,
        }
    return {
        "id": row["id"],
        "action": row["action"],
        "status": row["outcome"] or "waiting",
        "message": row["message"] or "",
        "params": json.loads(row["params"]) if row["params"] else {},
        "received_at": row["received_at"],
        "answered_at": row["answered_at"],
    }


def requests_of(db: Database, resident_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """A resident's latest requests, newest first, each as ``status_of`` says it (with
    ``fields``: what was asked)."""
    rows = dbmod.query(
        db,
        "SELECT * FROM home_requests WHERE resident_id = ? AND kind = 'action' "
        "ORDER BY received_at DESC, id LIMIT ?",
        [resident_id, limit],
    )
    found = []
    for row in rows:
        status = _status(row)
        status["fields"] = json.loads(row["text"]).get("fields") or {}
        found.append(status)
    return found


# --- Handing requests to kiosks ---------------------------------------------------------------


def claim_for(db: Database, kiosk: Kiosk, counter: int, limit: int = CLAIM_LIMIT) -> list[dict]:
    """The unanswered requests of ``kiosk``'s building it may take (none another kiosk took; a
    pairing only if it names this kiosk), claimed for it in the transaction that uses up the
    request's ``counter``; oldest first, at most ``limit``. Wire forms."""
    limit = max(1, min(limit, CLAIM_LIMIT))
    with dbmod.write(db):
        use_counter(db, kiosk, counter)
        rows = dbmod.query(
            db,
            "SELECT id, text, signature, claimed_by FROM home_requests "
            "WHERE building = ? AND answered_at IS NULL "
            "AND (claimed_by IS NULL OR claimed_by = ?) "
            "AND (kiosk IS NULL OR kiosk = ?) ORDER BY received_at, id LIMIT ?",
            [kiosk.building, kiosk.origin, kiosk.origin, limit],
        )
        new = [row["id"] for row in rows if row["claimed_by"] is None]
        if new:
            now = now_iso()
            db.conn.executemany(
                "UPDATE home_requests SET claimed_by = ?, claimed_at = ? "
                "WHERE id = ? AND claimed_by IS NULL",
                [(kiosk.origin, now, request_id) for request_id in new],
            )
    return [{"request": row["text"], "signature": row["signature"]} for row in rows]


def dismiss(db: Database, kiosk: Kiosk, counter: int, answers: Any) -> int:
    """A kiosk's word on pairings it cannot match (``answers``: [{"id", "message"}], message
    one of ``DISMISS_MESSAGES``): only pairings that name this kiosk and wait; how many
    were answered. The counter is used up in the same transaction."""
    if not isinstance(answers, list) or len(answers) > CLAIM_LIMIT:
        raise BadRequest(f"answers: a list of at most {CLAIM_LIMIT}")
    for answer in answers:
        if (
            not isinstance(answer, dict)
            or not isinstance(answer.get("id"), str)
            or answer.get("message") not in DISMISS_MESSAGES
        ):
            raise BadRequest("each answer needs a request id and a known message")
    done = 0
    with dbmod.write(db):
        use_counter(db, kiosk, counter)
        now = now_iso()
        for answer in answers:
            done += db.conn.execute(
                "UPDATE home_requests SET answered_at = ?, outcome = 'refused', message = ?, "
                "params = '{}' WHERE id = ? AND kind = 'pair' AND kiosk = ? "
                "AND answered_at IS NULL",
                (now, answer["message"], answer["id"], kiosk.origin),
            ).rowcount
    return done


def last_sync_of(db: Database, building: str) -> str | None:
    """When a kiosk of ``building`` last spoke to the hub (the hub's clock), or None."""
    return dbmod.scalar(
        db, "SELECT MAX(last_contact_at) FROM kiosks WHERE building = ?", [building]
    )
