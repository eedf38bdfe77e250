"""A device's session on the home site: the device proves it holds its key by signing a
nonce the hub made (valid ``NONCE_SECONDS``, used once), and gets a cookie naming a row of
``home_sessions`` (its token's SHA-256 is the row's id). Plain Python on the hub's database.

A nonce is its expiry and random bytes under an HMAC of the hub's secret (the one beside its
database that signs the e-mails' stop links, with a purpose of its own): making one writes
nothing, so nobody fills the hub's database by asking for nonces. Only a nonce that opened a
session (a paired device's valid signature) is written down (``home_nonces``), so it opens no
second one; written-down nonces past their expiry are deleted then.

The signed text is ``session_text(nonce, device_id)``; the signature is WebCrypto's ECDSA
P-256 (kiosk/home_requests.verify) with the public key the hub holds for that device, so a
device that was never paired, or was removed, gets no session; nor does a signature made by
another device, or a nonce used before or too old.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.home_requests import RequestRefused, verify
from kiosk.secrets_file import load_or_create_secret_key
from sync.hub.home_requests import active_device
from sync.hub.mail_outbox import secret_path

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


def _nonce_mac(db: Database, text: str) -> str:
    secret = load_or_create_secret_key(secret_path(db))
    digest = hmac.new(secret, f"home-nonce.{text}".encode(), hashlib.sha256).hexdigest()
    return digest[:32]


def make_nonce(db: Database) -> str:
    """A fresh nonce: ``<expiry, seconds since 1970>.<random>.<mac>`` (nothing written)."""
    text = f"{int(clock.now().timestamp()) + NONCE_SECONDS}.{secrets.token_urlsafe(18)}"
    return f"{text}.{_nonce_mac(db, text)}"


def _nonce_expiry(db: Database, nonce: str) -> str | None:
    """When a nonce this hub made expires (ISO 8601), if it is one and has not; else None."""
    parts = nonce.split(".") if isinstance(nonce, str) and len(nonce) < 200 else []
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    text = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2].encode(), _nonce_mac(db, text).encode()):
        return None
    expiry = datetime.fromtimestamp(int(parts[0]), UTC)
    if expiry <= clock.now() or expiry > clock.now() + timedelta(seconds=NONCE_SECONDS):
        return None
    return expiry.isoformat(timespec="seconds").replace("+00:00", "Z")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(
    db: Database, *, nonce: str, device_id: str, signature: str
) -> tuple[str, Session]:
    """Check the proof and open a session: (the cookie's token, the session). A nonce opens
    one session; a proof that fails writes nothing. ``SessionRefused`` if the proof fails."""
    now = clock.now_iso()
    expires = _nonce_expiry(db, nonce)
    if expires is None:
        raise SessionRefused("nonce")
    paired = active_device(db, device_id)
    if paired is None:
        raise SessionRefused("device")
    try:
        verify(paired["public_key"], session_text(nonce, device_id), signature)
    except RequestRefused:
        raise SessionRefused("signature") from None
    with store.write(db):  # a nonce opens one session: written down once it did
        db.execute("DELETE FROM home_nonces WHERE expires_at <= ?", [now])
        used = db.execute(
            "INSERT INTO home_nonces (nonce, made_at, expires_at, used_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (nonce) DO NOTHING",
            [nonce, now, expires, now],
        ).rowcount
    if not used:
        raise SessionRefused("nonce")
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
