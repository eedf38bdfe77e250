"""A real hub serving the home site (home.attach), a small building of two kiosks synced to
it, and a device paired for a resident (as the hub learns it from an accepted
``device.paired``), with its session opened the way the site's script opens it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from http.cookiejar import CookieJar

from device_keys import Device
from sync_fixtures import Hub, make_hub, sync_until_quiet

import home
from home import sessions
from kiosk import store
from kiosk.ledger import exchanges
from kiosk.residents import residents
from sync.hub import home_requests

BUILDING = "Résidence des Tilleuls"
PIN = "2580"


def start_home_hub(request, tmp_path, store: str = "sqlite") -> Hub:
    """A hub serving the home site, started: on a SQLite file or, with ``store``
    "postgresql", two apps on one PostgreSQL database (tests/sync_fixtures.py ``make_hub``)."""
    running = make_hub(request, tmp_path, store, extensions=(home.attach,))
    running.start()
    return running


def small_building(a, b):
    """Jeanne pays Paul 90 minutes at kiosk a; both kiosks synced: (jeanne, paul)."""
    jeanne = residents.register(a.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(a.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        a.db, a.config, payer_id=jeanne.id, payee_id=paul.id, description="Étagère", minutes=90
    )
    sync_until_quiet([a, b])
    return jeanne, paul


def feed(hub, event_type: str, payload: dict, building: str = BUILDING) -> None:
    """What the hub learns from an accepted ``device.paired`` / ``device.removed`` event."""
    db = hub.db
    try:
        with store.write(db):
            home_requests.note_events(
                db, [(None, None, 1, event_type, None, building)], {1: {"payload": payload}}, set()
            )
    finally:
        db.close()


def pair(hub, resident_id: str, device: Device | None = None) -> Device:
    device = device or Device()
    feed(
        hub,
        "device.paired",
        {
            "device_id": device.id,
            "resident_id": resident_id,
            "public_key": device.public_key,
            "label": device.label,
        },
    )
    return device


def remove(hub, device: Device, resident_id: str) -> None:
    feed(hub, "device.removed", {"device_id": device.id, "resident_id": resident_id})


def plain(page: str) -> str:
    """A page with its no-break spaces as plain ones (amounts are written with them)."""
    return page.replace("\u202f", " ").replace("\xa0", " ")


class Browser:
    """A plain HTTP client with cookies, as a phone's browser without script."""

    def __init__(self, hub, language: str = "fr") -> None:
        self.hub = hub
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.language = language

    def get(self, path: str) -> tuple[int, str]:
        request = urllib.request.Request(
            self.hub.url + path, headers={"Accept-Language": self.language}
        )
        try:
            with self.opener.open(request, timeout=10) as answer:
                return answer.status, plain(answer.read().decode())
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, plain(exc.read().decode())

    def post_json(self, path: str, data: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.hub.url + path,
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with self.opener.open(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, json.loads(exc.read())

    def nonce(self) -> str:
        return json.loads(self.get("/home/api/nonce")[1])["nonce"]

    def open_session(self, device: Device, *, nonce: str | None = None, signer=None) -> int:
        nonce = nonce or self.nonce()
        signature = (signer or device).sign(sessions.session_text(nonce, device.id))
        return self.post_json(
            "/home/api/session", {"nonce": nonce, "device": device.id, "signature": signature}
        )[0]

    def session_cookie(self) -> str | None:
        for cookie in self.cookies:
            if cookie.name == sessions.COOKIE:
                return cookie.value
        return None
