"""This kiosk's Ed25519 key pair, and the public keys of the network's kiosks.

The private key is made at ``kiosk init`` and kept in ``<data_dir>/kiosk_ed25519.pem`` with mode
0600; it never enters the database or the event log. The public key is published as a
``network`` event (``kiosk.key_published``), so every kiosk that syncs learns it and can check
vouchers and requests signed by this kiosk without a network.

Every key a kiosk ever had stays in ``kiosk_key_history`` with the seq from which it signs
(``key_history``): a voucher signed by any of them stays valid (``known_public_keys``). The
hub's own public key, learnt at enrolment (or at the first sync of a kiosk enrolled before),
verifies what the hub signs: its verdicts and the keys it introduces (``hub_public_key``).
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.store.restoring import restoring

KEY_FILE = "kiosk_ed25519.pem"


def key_path(config: Config) -> Path:
    return config.data_dir / KEY_FILE


def load_or_create_signing_key(config: Config) -> Ed25519PrivateKey:
    """This kiosk's private key, created (mode 0600) on first use."""
    return load_or_create_key_file(key_path(config))


def load_or_create_key_file(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file at ``path``, created (mode 0600) if missing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key") from None
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def publish_public_key(db: Database, config: Config) -> None:
    """Record this kiosk's public key in the log, once (and again if the key file changed).
    Not while a restore from the hub is under way: completing it publishes the key."""
    if restoring(db):
        return
    key = load_or_create_signing_key(config)
    b64 = public_key_b64(key)
    origin = store.kiosk_id(db)
    if known_public_key_b64(db, origin) == b64:
        return
    with store.write(db):
        store.record(
            db, "kiosk.key_published", {"public_key": b64, "building": config["building"]["name"]}
        )


def known_public_key_b64(db: Database, origin: str) -> str | None:
    return store.scalar(db, "SELECT public_key FROM kiosk_keys WHERE origin = ?", (origin,))


def known_public_key(db: Database, origin: str) -> Ed25519PublicKey | None:
    b64 = known_public_key_b64(db, origin)
    if b64 is None:
        return None
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64))


def known_public_keys(db: Database, origin: str) -> list[Ed25519PublicKey]:
    """Every key ``origin`` ever signed with (its history, and its current key), newest first."""
    rows = store.query(
        db,
        "SELECT public_key FROM kiosk_key_history WHERE origin = ? "
        "UNION SELECT public_key FROM kiosk_keys WHERE origin = ?",
        (origin, origin),
    )
    found = [row["public_key"] for row in rows]
    current = known_public_key_b64(db, origin)
    ordered = ([current] if current in found else []) + [k for k in found if k != current]
    return [Ed25519PublicKey.from_public_bytes(base64.b64decode(k)) for k in ordered]


def key_history(db: Database) -> list[dict]:
    """Every known key of every kiosk: origin, public_key, from_seq, source, event_id."""
    return [
        dict(row)
        for row in store.query(
            db, "SELECT * FROM kiosk_key_history ORDER BY origin, from_seq, public_key"
        )
    ]


HUB_KEY = "hub_public_key"  # kiosk_meta: the hub's public key (base64), learnt at enrolment


def hub_public_key_b64(db: Database) -> str | None:
    return store.get_meta(db, HUB_KEY)


def set_hub_public_key(db: Database, b64: str) -> None:
    """Remember the hub's public key (inside the caller's write or a write of its own)."""
    with store.write(db):
        store.set_meta(db, HUB_KEY, b64)


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    return key.sign(message)


def verify(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
