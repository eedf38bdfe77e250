"""The kiosk's inbox of requests from residents' own devices (kiosk/home_requests.py): after a
pull, ``SyncClient`` fetches what the hub kept for this kiosk (``GET /api/home-requests``,
signed like a pull) and takes each request in its own write transaction (``take``):

- already answered in the building (``home_requests_answered``, fed by either kiosk's
  ``home.request_answered``): nothing is done again; not this building's: left alone;
- a pairing: it must name this kiosk, be signed by the key it carries, and match one of this
  kiosk's offers (unused, unexpired, the proof made with its secret): then ``device.paired``
  (kiosk/residents/devices.py). One that matches nothing is *dismissed* at the hub with its
  words (``POST /api/home-requests/dismiss``), never recorded: a stranger's junk never enters
  the building's log;
- an action: the device is paired to that resident and not removed, the signature verifies
  with its key (so a request the hub altered, or another device claiming the resident, is
  refused), the resident is active, then the action's applier runs the kiosk's own domain
  function as the resident, in a savepoint.

Every request taken gets one ``home.request_answered`` ("applied", or "refused" with the
English msgid of the reason and its parameters), recorded in the transaction of its effect,
so a kill between them leaves neither. The answer travels to the hub at the push that follows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.errors import KioskError
from kiosk.home_requests import ACTIONS, PAIR, HomeRequest, RequestRefused, read_request, verify
from kiosk.residents import devices, residents
from kiosk.residents.errors import (
    BAD_SIGNATURE,
    NOT_PAIRED,
    UNKNOWN_ACTION,
    DevicesClosed,
    PairingRefused,
)
from sync import protocol
from sync.errors import HubRefused
from sync.session import HubSession

log = logging.getLogger(__name__)

LIMIT = 100


@dataclass
class Taken:
    """What one run of the inbox did: answers recorded, pairings dismissed at the hub."""

    applied: int = 0
    refused: int = 0
    dismissed: list[dict[str, str]] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return self.applied + self.refused


def fetch(session: HubSession) -> list[Any]:
    """The requests the hub hands this kiosk (claimed for it); [] from a hub without them."""
    try:
        answer = session.signed("GET", f"/api/home-requests?limit={LIMIT}")
    except HubRefused as exc:
        if exc.status == 404:  # a hub older than requests from home
            return []
        raise
    found = answer.get("requests") if isinstance(answer, dict) else None
    return found if isinstance(found, list) else []


def dismiss(session: HubSession, dismissed: list[dict[str, str]]) -> None:
    """Tell the hub the pairings this kiosk cannot match, each with its words."""
    if dismissed:
        body = protocol.encode_body({"answers": dismissed})
        session.signed("POST", "/api/home-requests/dismiss", body)


def run(session: HubSession) -> Taken:
    """Fetch, take each request, tell the hub of the dismissed pairings."""
    taken = take_all(session.db, session.config, fetch(session))
    dismiss(session, taken.dismissed)
    return taken


def take_all(db: Database, config: Config, wires: list[Any]) -> Taken:
    taken = Taken()
    for wire in wires:
        try:
            outcome = take(db, config, wire)
        except Exception:  # a bug must not hold the other requests back: this one waits
            log.exception("a request from home could not be taken")
            continue
        if outcome == "applied":
            taken.applied += 1
        elif outcome == "refused":
            taken.refused += 1
        elif isinstance(outcome, dict):
            taken.dismissed.append(outcome)
    return taken


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _refusal(exc: KioskError) -> tuple[str, dict[str, Any]]:
    """(msgid, params) of a refusal; a counted one carries its plural in ``_plural``."""
    params = {name: _json_value(value) for name, value in exc.params.items()}
    if isinstance(exc.msgid, tuple):
        params["_plural"] = exc.msgid[1]
        params["_count"] = exc.count_param
        return exc.msgid[0], params
    return exc.msgid, params


def take(db: Database, config: Config, wire: Any) -> str | dict[str, str] | None:
    """Take one request: "applied" or "refused" (answered by an event), a dismissal to send
    the hub ({"id", "message"}), "done" (answered before) or None (not this kiosk's to take)."""
    try:
        # An action this kiosk does not know (a home site newer than it) is refused in words.
        request = read_request(wire, known_action=False)
    except RequestRefused as exc:  # the hub checked the form: a hub that did not
        log.warning("a request from home this kiosk cannot read: %s", exc)
        return None
    if request.building != config["building"]["name"]:
        return None
    with store.write(db):
        if store.scalar(
            db, "SELECT 1 FROM home_requests_answered WHERE request_id = ?", [request.id]
        ):
            return "done"
        if request.kind == PAIR:
            return _take_pairing(db, request)
        return _take_action(db, config, request)


def _take_pairing(db: Database, request: HomeRequest) -> str | dict[str, str] | None:
    if request.body["kiosk"] != store.kiosk_id(db):
        return None  # another kiosk's code: that kiosk answers it
    try:
        verify(request.body["public_key"], request.text, request.signature)
        offer = devices.match_offer(db, request)
    except RequestRefused:
        return {"id": request.id, "message": PairingRefused.msgid}
    except PairingRefused as exc:
        return {"id": request.id, "message": str(exc.msgid)}
    try:
        with store.write(db):  # a savepoint: a refusal leaves nothing of it
            devices.accept_pairing(db, request, offer)
    except KioskError as exc:
        return _answer(db, request, offer.resident_id, exc)
    return _answer(db, request, offer.resident_id, None)


def _take_action(db: Database, config: Config, request: HomeRequest) -> str | None:
    resident_id = request.resident
    if not store.scalar(db, "SELECT 1 FROM residents WHERE id = ?", [resident_id]):
        return None  # not a resident of this building: nobody here to answer about
    device = devices.active_device(db, request.device)
    if device is None or device.resident_id != resident_id:
        return _answer(db, request, resident_id, KioskError(NOT_PAIRED))
    try:
        verify(devices.public_key_of(db, device.device_id), request.text, request.signature)
    except RequestRefused:
        return _answer(db, request, resident_id, KioskError(BAD_SIGNATURE))
    resident = residents.get(db, resident_id)
    action = ACTIONS.get(request.action)
    try:
        if resident.status not in residents.ACTIVE_STATUSES:
            raise DevicesClosed(name=resident.name, status=resident.status)
        if action is None or action.apply is None:
            raise KioskError(UNKNOWN_ACTION)
        with store.write(db):  # a savepoint: a refusal leaves nothing of the action
            action.apply(db, config, resident_id, dict(request.fields), request_id=request.id)
    except KioskError as exc:
        return _answer(db, request, resident_id, exc)
    return _answer(db, request, resident_id, None)


def _answer(
    db: Database, request: HomeRequest, resident_id: str, refusal: KioskError | None
) -> str:
    message, params = _refusal(refusal) if refusal is not None else ("", {})
    store.record(
        db,
        "home.request_answered",
        {
            "request_id": request.id,
            "resident_id": resident_id,
            "device_id": request.device or "",
            "action": PAIR if request.kind == PAIR else request.action or "",
            "outcome": "refused" if refusal is not None else "applied",
            "message": message,
            "params": params,
        },
    )
    return "refused" if refusal is not None else "applied"
