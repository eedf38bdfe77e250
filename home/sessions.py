"""A device's session on the home site: the device proves it holds its key by signing a
nonce the hub made (valid ``NONCE_SECONDS``, used once), and gets a cookie naming a row of
``home_sessions`` (its token's SHA-256 is the row's id). Plain Python on the hub's database.

The signed text is ``session_text(nonce, device_id)``; the signature is WebCrypto's ECDSA
P-256 (kiosk/home_requests.verify) with the public key the hub holds for that device, so a
device that was never paired, or was removed, gets no session; nor does a signature made by
another device, or a nonce used before or too old.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.home_requests import RequestRefused, verify
from sync.hub.home_requests import active_device

NONCE_SECONDS = 120
SESSION_DAYS = 90
COOKIE = "home_session"


@dataclass(frozen=True)
class Session:
    id: str
    device_id: str
    resident_id: str
    building: str


class SessionRefused(ValueError):
    """``code``: nonce (unknown, used or too old), device (not paired or removed), signature."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def session_text(nonce: str, device_id: str) -> str:
    """What a device signs to open a session (the purpose named, so no other signed text of
    the device, a home request, can serve as one)."""
    return f"building-kiosk home session\n{nonce}\n{device_id}"


def _later(seconds: int) -> str:
    moment = clock.now() + timedelta(seconds=seconds)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def make_nonce(db: Database) -> str:
    nonce = secrets.token_urlsafe(24)
    with store.write(db):
        db.execute(
            "INSERT INTO home_nonces (nonce, made_at, expires_at) VALUES (?, ?, ?)",
            [nonce, clock.now_iso(), _later(NONCE_SECONDS)],
        )
    return nonce


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    db: Database, *, nonce: str, device_id: str, signature: str
) -> tuple[str, Session]:
    """Check the proof and open a session: (the cookie's token, the session). The nonce is
    used up by this call whatever its outcome. ``SessionRefused`` if the proof fails."""
    now = clock.now_iso()
    with store.write(db):
        row = store.query_one(db, "SELECT * FROM home_nonces WHERE nonce = ?", (nonce,))
        if row is None or row["used_at"] is not None or row["expires_at"] <= now:
            raise SessionRefused("nonce")
        db.execute("UPDATE home_nonces SET used_at = ? WHERE nonce = ?", [now, nonce])
    paired = active_device(db, device_id)
    if paired is None:
        raise SessionRefused("device")
    try:
        verify(paired["public_key"], session_text(nonce, device_id), signature)
    except RequestRefused:
        raise SessionRefused("signature") from None
    token = secrets.token_urlsafe(32)
    session = Session(_digest(token), device_id, paired["resident_id"], paired["building"])
    with store.write(db):
        db.execute(
            "INSERT INTO home_sessions (id, device_id, resident_id, building, made_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                session.id,
                device_id,
                session.resident_id,
                session.building,
                now,
                _later(SESSION_DAYS * 86400),
            ],
        )
    return token, session


def current(db: Database, token: str | None) -> tuple[Session | None, str | None]:
    """The session a cookie names, if still open and its device still paired: (session, None);
    else (None, why): None (no session), "ended", or "removed" (its device was removed since:
    the session is ended now)."""
    if not token or len(token) > 100:
        return None, None
    row = store.query_one(db, "SELECT * FROM home_sessions WHERE id = ?", (_digest(token),))
    if row is None or row["expires_at"] <= clock.now_iso():
        return None, None
    if row["ended_at"] is not None:
        return None, "removed" if row["ended_why"] == "removed" else None
    if active_device(db, row["device_id"]) is None:
        end(db, row["id"], "removed")
        return None, "removed"
    return Session(row["id"], row["device_id"], row["resident_id"], row["building"]), None


def end(db: Database, session_id: str, why: str = "logout") -> None:
    with store.write(db):
        db.execute(
            "UPDATE home_sessions SET ended_at = ?, ended_why = ? WHERE id = ? AND ended_at IS NULL",
            [clock.now_iso(), why, session_id],
        )
