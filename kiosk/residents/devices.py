"""A resident's own devices (a phone, a computer at home): pairing one at the kiosk, listing and
removing them.

Pairing (the shared design of issue #20, kiosk/home_requests.py): a logged-in resident asks for
a *pairing offer* (``make_offer``): a row of this kiosk's ``pairing_offers`` (never an event:
its secret never leaves the kiosk but in the QR code), valid ``PAIRING_MINUTES``, used once.
The QR code holds ``pair_url``: the home site's address with the building, this kiosk's origin,
the offer's id and its secret in the fragment (which no browser sends to the hub). The phone
makes its key and sends a signed "pair" request through the hub; at its next sync this kiosk
takes it (``accept_pairing``, called by sync/home_inbox.py): the offer is this kiosk's, unused
and unexpired, the proof made with its secret matches, the resident may still use the kiosk,
and has fewer than ``MAX_DEVICES`` devices. Then ``device.paired`` is recorded and the offer
marked used, in one transaction.

Removing (``remove``, ``remove_all``): ``device.removed`` with who asked (the resident, the
volunteer) or why (a suspension, a move-out: kiosk/residents/residents.py and
kiosk/admin/departure_plan.py call ``remove_all`` in their own transaction).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from sqlite_utils import Database

from kiosk import clock, ids, store
from kiosk.config import Config
from kiosk.home_requests import PAIRING_MINUTES, HomeRequest, proof_matches
from kiosk.residents import residents
from kiosk.residents.errors import (
    PAIRING_EXPIRED,
    PAIRING_TAKEN,
    DeviceNotFound,
    DevicesClosed,
    PairingNeedsHub,
    PairingRefused,
    TooManyDevices,
)

MAX_DEVICES = 5


@dataclass(frozen=True)
class Device:
    device_id: str
    resident_id: str
    label: str
    paired_at: str
    removed_at: str | None = None
    removed_why: str | None = None


@dataclass(frozen=True)
class Offer:
    id: str
    resident_id: str
    secret: str
    made_at: str
    used_at: str | None
    device_id: str | None

    @property
    def expires_at(self) -> str:
        until = clock.parse_iso(self.made_at) + timedelta(minutes=PAIRING_MINUTES)
        return until.isoformat(timespec="seconds").replace("+00:00", "Z")

    def expired(self) -> bool:
        return clock.now() >= clock.parse_iso(self.expires_at)


def hub_enrolled(db: Database) -> bool:
    """Whether this kiosk has a hub (pairing and requests from home need one)."""
    row = store.query_one(db, "SELECT enrolled_at FROM sync_state WHERE id = 1")
    return row is not None and bool(row["enrolled_at"])


def building_id(db: Database, config: Config) -> str:
    """The building as the hub knows this kiosk (the configured name before enrolment)."""
    row = store.query_one(db, "SELECT building FROM sync_state WHERE id = 1")
    return (row["building"] if row is not None else "") or config["building"]["name"]


def home_url(db: Database, config: Config) -> str:
    """Where the home site is: ``[sync] home_url``, by default the hub's address."""
    row = store.query_one(db, "SELECT hub_url FROM sync_state WHERE id = 1")
    url = config["sync"].get("home_url") or config["sync"]["hub_url"]
    return (url or (row["hub_url"] if row is not None else "")).rstrip("/")


def pair_url(db: Database, config: Config, offer: Offer) -> str:
    """The address the QR code holds; everything after ``#`` stays in the phone."""
    parts = {
        "b": building_id(db, config),
        "k": store.kiosk_id(db),
        "p": offer.id,
        "s": offer.secret,
    }
    fragment = "&".join(f"{name}={quote(value, safe='')}" for name, value in parts.items())
    return f"{home_url(db, config)}/home/pair#{fragment}"


def devices_of(db: Database, resident_id: str) -> list[Device]:
    """The resident's paired devices, oldest first (removed ones left out)."""
    rows = store.query(
        db,
        "SELECT device_id, resident_id, label, paired_at, removed_at, removed_why FROM devices "
        "WHERE resident_id = ? AND removed_at IS NULL ORDER BY paired_at, device_id",
        [resident_id],
    )
    return [Device(**dict(row)) for row in rows]


def active_device(db: Database, device_id: str) -> Device | None:
    """A paired device not removed, or None."""
    row = store.query_one(
        db,
        "SELECT device_id, resident_id, label, paired_at, removed_at, removed_why FROM devices "
        "WHERE device_id = ? AND removed_at IS NULL",
        [device_id],
    )
    return Device(**dict(row)) if row is not None else None


def public_key_of(db: Database, device_id: str) -> str | None:
    return store.scalar(db, "SELECT public_key FROM devices WHERE device_id = ?", [device_id])


def _offer(row) -> Offer:
    return Offer(**dict(row))


def offer_of(db: Database, offer_id: str) -> Offer | None:
    row = store.query_one(db, "SELECT * FROM pairing_offers WHERE id = ?", [offer_id])
    return _offer(row) if row is not None else None


def require_active(resident: residents.Resident) -> None:
    """A resident who may log in at the kiosk (pending or verified) may have devices; a
    suspended or moved-out one may not (``DevicesClosed`` naming them)."""
    if resident.status not in residents.ACTIVE_STATUSES:
        raise DevicesClosed(name=resident.name, status=resident.status)


def _require_room(db: Database, resident_id: str) -> None:
    if len(devices_of(db, resident_id)) >= MAX_DEVICES:
        raise TooManyDevices(max=MAX_DEVICES)


def make_offer(db: Database, resident_id: str) -> Offer:
    """A new pairing offer for the resident: refused without a hub, for a resident who may not
    use the kiosk, or who already has ``MAX_DEVICES`` devices."""
    if not hub_enrolled(db):
        raise PairingNeedsHub()
    resident = residents.get(db, resident_id)
    require_active(resident)
    with store.write(db):
        _require_room(db, resident.id)
        offer = Offer(
            id=ids.uuid7(),
            resident_id=resident.id,
            secret=secrets.token_urlsafe(18),
            made_at=clock.now_iso(),
            used_at=None,
            device_id=None,
        )
        db.execute(
            "INSERT INTO pairing_offers (id, resident_id, secret, made_at) VALUES (?, ?, ?, ?)",
            [offer.id, offer.resident_id, offer.secret, offer.made_at],
        )
    return offer


def match_offer(db: Database, request: HomeRequest) -> Offer:
    """The offer of this kiosk a "pair" request answers: it names this kiosk, is unused and
    unexpired, and the proof made with its secret matches; else ``PairingRefused`` (with the
    words the hub takes for a pairing not answered by an event). The caller checked the
    request's signature with its own key."""
    body = request.body
    offer = offer_of(db, body["pairing"])
    if offer is None or body["kiosk"] != store.kiosk_id(db) or offer.used_at is not None:
        raise PairingRefused()
    if not proof_matches(offer.secret, offer.id, body["public_key"], body["proof"]):
        raise PairingRefused()
    if offer.expired():
        raise PairingRefused(PAIRING_EXPIRED)
    return offer


def accept_pairing(db: Database, request: HomeRequest, offer: Offer) -> Device:
    """Record the device of a "pair" request matched to ``offer`` (``match_offer``) and mark
    the offer used, inside the caller's write transaction; refused (a ``KioskError``, then
    answered by an event) if the resident may no longer use the kiosk, has ``MAX_DEVICES``
    devices, or the key is another resident's device."""
    body = request.body
    resident = residents.get(db, offer.resident_id)
    require_active(resident)
    device = request.device
    current = active_device(db, device)
    if current is not None and current.resident_id != resident.id:
        raise PairingRefused(PAIRING_TAKEN)
    if current is None:
        _require_room(db, resident.id)
    with store.write(db):
        store.record(
            db,
            "device.paired",
            {
                "device_id": device,
                "resident_id": resident.id,
                "public_key": body["public_key"],
                "label": body.get("label") or "",
                "request_id": request.id,
            },
        )
        db.execute(
            "UPDATE pairing_offers SET used_at = ?, device_id = ? WHERE id = ?",
            [clock.now_iso(), device, offer.id],
        )
        paired = active_device(db, device)
        if paired is None or paired.resident_id != resident.id:  # another resident's key
            raise PairingRefused(PAIRING_TAKEN)
    return paired


def remove(db: Database, resident_id: str, device_id: str, *, reason: str) -> Device:
    """Remove one of the resident's devices (``reason``: "resident" or "volunteer")."""
    with store.write(db):
        device = active_device(db, device_id)
        if device is None or device.resident_id != resident_id:
            raise DeviceNotFound()
        store.record(
            db,
            "device.removed",
            {"device_id": device_id, "resident_id": resident_id, "reason": reason},
        )
    return device


def remove_all(db: Database, resident_id: str, *, reason: str) -> int:
    """Remove every device of the resident (a suspension, a move-out: "suspended",
    "moved_out"); joins the caller's transaction. Returns how many."""
    with store.write(db):
        found = devices_of(db, resident_id)
        for device in found:
            store.record(
                db,
                "device.removed",
                {"device_id": device.device_id, "resident_id": resident_id, "reason": reason},
            )
    return len(found)
