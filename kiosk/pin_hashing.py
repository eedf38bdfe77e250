"""PIN hashes: HMAC-SHA256 with the kiosk's pepper, then scrypt at a cost a touchscreen can wait.

A 4-digit PIN has 10,000 values: no slowness of a hash protects it from whoever holds the hash.
What protects it is the **pepper**, 256 random bits in the file ``pin_pepper`` beside the
database (by default in the data folder, beside ``secret_key``), never in the database and so
never in its backups: without it a copied database or backup stick cannot test one guess. scrypt
(``COST``, about 30 ms here) only adds salt and some cost on top.

Stored forms (``credentials.pin_hash``, ``resident.pin_set`` events, mailbox codes):

- ``pin2$<pepper id>$<cost>$<salt>$<hash>``: scrypt(HMAC-SHA256(pepper, pin), salt);
- ``pinw$<pepper id>$<werkzeug method>$<salt>$<hmac>``: a hash from before the pepper,
  wrapped by migration m016 as HMAC-SHA256(pepper, werkzeug hash); upgraded at the next login;
- a bare werkzeug hash (``scrypt:...``): only in a database not yet migrated.

The pepper id (8 hex digits of HMAC(pepper, "pepper id")) tells a hash made under another
pepper (a backup restored without its pepper file) from a wrong PIN: such a PIN must be set
again. A database in memory gets a pepper of its own for the life of the process.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from sqlite_utils import Database
from werkzeug.security import _hash_internal, check_password_hash

from kiosk.secrets_file import load_or_create_secret_key

PEPPER_FILE = "pin_pepper"
COST = 2**12  # scrypt N (r=8, p=1): 4 MiB, ~30 ms on the kiosk; bench/bench_pin.py
CURRENT = "pin2"
WRAPPED = "pinw"

MATCH, MISMATCH, OTHER_PEPPER = "match", "mismatch", "other_pepper"

_peppers: dict[str, bytes] = {}


def database_file(db: Database) -> str:
    """The main database's file ('' for a database in memory)."""
    for row in db.conn.execute("PRAGMA database_list").fetchall():
        if row[1] == "main":
            return row[2] or ""
    return ""


def pepper_path(database_path: str | Path) -> Path:
    return Path(database_path).parent / PEPPER_FILE


def pepper(db: Database) -> bytes:
    """This database's pepper, made on first use (mode 0600) and kept for the process."""
    file = database_file(db)
    key = file or f"memory:{id(db.conn)}"
    if key not in _peppers:
        _peppers[key] = (
            load_or_create_secret_key(pepper_path(file)) if file else os.urandom(32).hex().encode()
        )
    return _peppers[key]


def pepper_id(secret: bytes) -> str:
    return hmac.new(secret, b"pepper id", hashlib.sha256).hexdigest()[:8]


def _scrypt(secret: bytes, pin: str, salt: bytes, cost: int) -> str:
    keyed = hmac.new(secret, pin.encode("utf-8"), hashlib.sha256).digest()
    return hashlib.scrypt(keyed, salt=salt, n=cost, r=8, p=1, maxmem=64 << 20, dklen=32).hex()


def hash_pin(db: Database, pin: str) -> str:
    secret = pepper(db)
    salt = os.urandom(16)
    digest = _scrypt(secret, pin, salt, COST)
    return f"{CURRENT}${pepper_id(secret)}${COST}${salt.hex()}${digest}"


def wrap_legacy(db: Database, legacy: str) -> str:
    """A werkzeug hash made before the pepper, made useless without it (verifiable still)."""
    secret = pepper(db)
    method, salt, digest = legacy.split("$", 2)
    wrapped = hmac.new(secret, digest.encode("ascii"), hashlib.sha256).hexdigest()
    return f"{WRAPPED}${pepper_id(secret)}${method}${salt}${wrapped}"


def is_legacy(stored: str) -> bool:
    """A werkzeug hash, readable without the pepper (to wrap)."""
    return not stored.startswith((CURRENT + "$", WRAPPED + "$")) and stored.count("$") == 2


def needs_upgrade(stored: str) -> bool:
    """Not in the current form at the current cost: rehash at the next good PIN."""
    parts = stored.split("$")
    return parts[0] != CURRENT or parts[2] != str(COST)


def check(db: Database, stored: str, pin: str) -> str:
    """``MATCH``, ``MISMATCH`` or ``OTHER_PEPPER`` (made under a pepper this kiosk lacks)."""
    secret = pepper(db)
    if is_legacy(stored):
        return MATCH if check_password_hash(stored, pin) else MISMATCH
    kind, pid, method, salt, digest = stored.split("$")
    if not hmac.compare_digest(pid, pepper_id(secret)):
        return OTHER_PEPPER
    if kind == CURRENT:
        computed = _scrypt(secret, pin, bytes.fromhex(salt), int(method))
    else:  # the werkzeug hash of this PIN, then the wrapping HMAC
        legacy = _hash_internal(method, salt, pin)[0]  # what check_password_hash computes
        computed = hmac.new(secret, legacy.encode("ascii"), hashlib.sha256).hexdigest()
    return MATCH if hmac.compare_digest(computed, digest) else MISMATCH
