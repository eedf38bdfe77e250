"""A kiosk hands over to a new signing key (``rotate_key``), signed by its previous key.

The rotation is an event, ``kiosk.key_rotated`` at seq S, carrying the new public key, S (the
first seq the new key signs) and a certificate: the previous key's signature over both. Every
kiosk checks the certificate before it trusts the new key (``sync.event_signatures``), the hub
too (``sync.hub.signing.note_rotations``). The new key becomes the kiosk's key file at once;
the previous one stays beside it (``kiosk_ed25519.previous.pem``) only until the hub has
acknowledged S: until then requests are signed with it (the hub knows no other key yet), and
so is any batch below S. Nothing shared may wait to be sent when a rotation starts, so every
seq below S is already at the hub under the previous key.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.store import events as eventlog
from kiosk.store import keys
from kiosk.store.projections import KEY_ROTATED
from sync import seals
from sync.errors import SyncError
from sync.state import pending_count, state

PREVIOUS_KEY_FILE = "kiosk_ed25519.previous.pem"


def previous_key_path(config: Config) -> Path:
    return config.data_dir / PREVIOUS_KEY_FILE


def _write_key(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def rotate_key(db: Database, config: Config) -> int:
    """Hand over to a new key from the next seq; returns that seq. ``SyncError`` while a
    shared event waits to be sent or a rotation is still unacknowledged (sync first)."""
    if pending_count(db) or previous_key_path(config).exists():
        raise SyncError("sync with the hub first: a key changes only once everything is sent")
    old = keys.load_or_create_signing_key(config)
    new = Ed25519PrivateKey.generate()
    new_b64 = keys.public_key_b64(new)
    origin = store.kiosk_id(db)
    _write_key(previous_key_path(config), old)
    with store.write(db):
        seq = eventlog.last_seq(db, origin) + 1
        certificate = old.sign(seals.rotation_message(origin, new_b64, seq))
        store.record(
            db,
            KEY_ROTATED,
            {
                "public_key": new_b64,
                "from_seq": seq,
                "certificate": base64.b64encode(certificate).decode("ascii"),
            },
        )
        _write_key(keys.key_path(config), new)  # committed with the event, or neither stays
    return seq


def pending_rotation(db: Database, config: Config) -> tuple[Ed25519PrivateKey, int] | None:
    """(previous key, first seq of the new one) while the hub has not acknowledged the
    rotation; the previous key file is removed once it has (or if no rotation was recorded)."""
    path = previous_key_path(config)
    if not path.exists():
        return None
    current = keys.public_key_b64(keys.load_or_create_signing_key(config))
    seq = store.scalar(
        db,
        "SELECT seq FROM events WHERE origin = ? AND type = ? "
        "AND json_extract(payload, '$.public_key') = ? ORDER BY seq DESC LIMIT 1",
        (store.kiosk_id(db), KEY_ROTATED, current),
    )
    if seq is None or state(db)["acked_seq"] >= seq:
        if seq is None:  # stopped before the rotation was recorded: the previous key stays
            os.replace(path, keys.key_path(config))
        else:
            path.unlink()
        return None
    return keys.load_or_create_key_file(path), seq
