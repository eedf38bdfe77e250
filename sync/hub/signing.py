"""What the hub signs with its own Ed25519 key, and the key history it keeps of the kiosks.

The hub's private key lives beside its database (``<database>-key.pem``, mode 0600; move
both together), made on first use. Kiosks learn its public key at enrolment. It seals the
hub's own events (verdicts, ``append_hub_event``) and so vouches for the keys it introduces
(``introduce_key``: a kiosk enrolled, or a dead kiosk's id re-keyed at a restore, from a seq
above every seq the hub holds of it). ``kiosk_key_history`` also keeps the keys kiosks hand
over themselves (``note_rotations``), so the hub checks each pushed batch's seal
(``check_seal``) with the key valid for its seqs.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlite_utils import Database

from kiosk import ids
from kiosk.store import db as dbmod
from kiosk.store import keys
from kiosk.store.projections import KEY_INTRODUCED, KEY_ROTATED
from kiosk.store.registry import registry
from sync import protocol, seals
from sync.hub.db import files_prefix
from sync.hub.records import held_seq, now_iso
from sync.hub.refusals import BadRequest

_keys: dict[str, Ed25519PrivateKey] = {}
_keys_lock = threading.Lock()


def key_path(db: Database) -> Path:
    """The hub's private key file: beside its database file (``files_prefix``)."""
    return Path(files_prefix(db) + "-key.pem")


def hub_key(db: Database) -> Ed25519PrivateKey:
    path = str(key_path(db))
    with _keys_lock:
        if path not in _keys:
            _keys[path] = keys.load_or_create_key_file(Path(path))
        return _keys[path]


def hub_public_key_b64(db: Database) -> str:
    return keys.public_key_b64(hub_key(db))


def store_seal(db: Database, seal: dict[str, Any]) -> int:
    """Store a seal's wire form (inside the caller's write); its id."""
    return db.execute(
        "INSERT INTO seals (origin, first_seq, last_seq, body, received_at) VALUES (?, ?, ?, ?, ?) "
        "RETURNING id",
        [
            seal["origin"],
            seal["seqs"][0],
            seal["seqs"][-1],
            protocol.canonical_json(seal),
            now_iso(),
        ],
    ).fetchone()[0]


def append_hub_event(
    db: Database, event_type: str, payload: dict[str, Any], *, sealed: bool = True
) -> int:
    """One event of the hub's own, sealed with its key and stored like a kiosk's (its
    declared scope is ``network``: every kiosk pulls it), inside the caller's write; its
    hub_seq. ``sealed=False`` for a migration that runs before seals exist: ``prepare`` seals
    it at start-up."""
    declared = registry.get(event_type)
    origin = protocol.HUB_ORIGIN
    seq = held_seq(db, origin) + 1
    wire = {
        "id": ids.uuid7(),
        "origin": origin,
        "seq": seq,
        "type": event_type,
        "scope": declared.scope,
        "payload": payload,
        "created_at": now_iso(),
    }
    body = protocol.canonical_json(wire)
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    row = {
        "id": wire["id"],
        "origin": origin,
        "seq": seq,
        "type": event_type,
        "scope": declared.scope,
        "building": "",
        "body": body,
        "digest": digest.hex(),
        "received_at": wire["created_at"],
    }
    if sealed:
        row["seal_id"] = store_seal(db, seals.make_seal(hub_key(db), origin, [seq], [digest]))
    hub_seq = db.execute(
        f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) "  # noqa: S608 (fixed column names)
        "RETURNING hub_seq",
        list(row.values()),
    ).fetchone()[0]
    db.execute("UPDATE kiosks SET acked_seq = ? WHERE origin = ?", [seq, origin])
    return hub_seq


def introduce_key(
    db: Database, origin: str, public_key: str, from_seq: int, building: str, reason: str
) -> None:
    """The hub vouches for ``public_key`` of ``origin`` from ``from_seq`` (inside the
    caller's write): a ``kiosk.key_introduced`` event, and the key in the hub's history."""
    if dbmod.query_one(
        db,
        "SELECT 1 FROM kiosk_key_history WHERE origin = ? AND public_key = ? AND hub_seq IS NOT NULL",
        (origin, public_key),
    ):
        return  # already introduced
    hub_seq = append_hub_event(
        db,
        KEY_INTRODUCED,
        {
            "origin": origin,
            "public_key": public_key,
            "from_seq": from_seq,
            "building": building,
            "reason": reason,
        },
    )
    db.execute(
        "INSERT INTO kiosk_key_history (origin, public_key, from_seq, source, hub_seq) "
        "VALUES (?, ?, ?, 'hub', ?) ON CONFLICT (origin, public_key) DO UPDATE SET hub_seq = "
        "excluded.hub_seq",
        [origin, public_key, from_seq, hub_seq],
    )


def key_entries(db: Database, origin: str) -> list[tuple[int, str]]:
    return [
        (row[0], row[1])
        for row in db.execute(
            "SELECT from_seq, public_key FROM kiosk_key_history WHERE origin = ?", [origin]
        )
    ]


def note_rotations(db: Database, origin: str, rows: list[tuple]) -> None:
    """Keys handed over in a pushed batch (rows as ``store._batch_rows`` makes them), each
    checked against the key valid at the seq before. A rotation that does not check out hands
    over nothing: the event itself is judged like any other (the authority check refuses a
    malformed one; kiosks check the certificate again), and the rest of the batch goes in."""
    for row in rows:
        if row[3] != KEY_ROTATED:
            continue
        seq, payload = row[2], protocol.loads(row[6].encode("utf-8"))["payload"]
        if not isinstance(payload, dict):
            continue
        b64, certificate = payload.get("public_key"), payload.get("certificate")
        try:
            signature = base64.b64decode(certificate, validate=True)
            new_key = protocol.public_key_from_b64(b64)
        except (TypeError, ValueError, protocol.ProtocolError):
            continue
        if payload.get("from_seq") != seq or new_key is None:
            continue
        message = seals.rotation_message(origin, b64, seq)
        previous = seals.valid_keys(key_entries(db, origin), seq - 1, seq - 1)
        if not any(
            keys.verify(protocol.public_key_from_b64(k), signature, message) for k in previous
        ):
            continue
        db.execute(
            "INSERT INTO kiosk_key_history (origin, public_key, from_seq, source, "
            "hub_seq) VALUES (?, ?, ?, 'rotation', NULL) ON CONFLICT DO NOTHING",
            [origin, b64, seq],
        )


def check_seal(db: Database, origin: str, data: Any, rows: list[tuple]) -> dict[str, Any]:
    """The seal of a pushed batch, checked: it lists exactly the batch's events with their
    digests and verifies with the key of ``origin`` valid for their seqs; ``BadRequest`` if
    not. Returns its wire form."""
    try:
        seal = seals.read_seal(data)
    except protocol.ProtocolError as exc:
        raise BadRequest(str(exc)) from exc
    if seal.origin != origin or seal.seqs != [row[2] for row in rows]:
        raise BadRequest("a batch's seal lists exactly the batch's events")
    if seal.digests != b"".join(bytes.fromhex(row[7]) for row in rows):
        raise BadRequest("a batch's seal does not match its events")
    candidates = seals.valid_keys(key_entries(db, origin), seal.first, seal.last)
    for b64 in candidates:
        public = protocol.public_key_from_b64(b64)
        if seal.verifies(public, base64.b64decode(b64)):
            return data
    raise BadRequest(
        f"a batch's seal does not verify with the kiosk's key for {seal.first}-{seal.last}"
    )


def legacy_seal(db: Database, origin: str, rows: list[tuple[int, str]]) -> int:
    """A seal of the hub's key over ``origin``'s events (seq, digest hex) pushed without a seal
    (a kiosk not upgraded yet), inside the caller's write; its id."""
    seal = seals.make_seal(
        hub_key(db),
        seals.legacy_origin(origin),
        [seq for seq, _digest in rows],
        [bytes.fromhex(digest) for _seq, digest in rows],
    )
    return store_seal(db, seal)


def is_legacy_kiosk(db: Database, origin: str) -> bool:
    """Whether ``origin`` was enrolled before seals (its key came from before the history) and
    has never sealed a batch: the hub vouches for what it sends until it upgrades."""
    return (
        bool(
            db.execute(
                "SELECT 1 FROM kiosk_key_history WHERE origin = ? AND source = 'legacy'", [origin]
            ).fetchone()
        )
        and not db.execute("SELECT 1 FROM seals WHERE origin = ?", [origin]).fetchone()
    )


def _seal_legacy_events(db: Database) -> None:
    """The kiosks' events the hub held before seals existed get a seal of the hub's key (origin
    ``HUB:<kiosk>``, ``seals.legacy_origin``), so that every kiosk can still take them in: for
    that history kiosks trust the hub, as they did before; what comes after is sealed by each
    kiosk. A kiosk's own seal can never be added later (a seal is given once)."""
    unsealed = db.execute(
        "SELECT hub_seq, origin, seq, digest FROM events WHERE origin <> ? AND seal_id IS NULL "
        "ORDER BY origin, seq",
        [protocol.HUB_ORIGIN],
    ).fetchall()
    by_origin: dict[str, list] = {}
    for row in unsealed:
        by_origin.setdefault(row[1], []).append(row)
    for origin, rows in by_origin.items():
        for start in range(0, len(rows), seals.MAX_SEAL_EVENTS):
            chunk = rows[start : start + seals.MAX_SEAL_EVENTS]
            seal = seals.make_seal(
                hub_key(db),
                seals.legacy_origin(origin),
                [row[2] for row in chunk],
                [bytes.fromhex(row[3]) for row in chunk],
            )
            seal_id = store_seal(db, seal)
            db.conn.executemany(
                "UPDATE events SET seal_id = ? WHERE hub_seq = ?",
                [(seal_id, row[0]) for row in chunk],
            )


def prepare(db: Database) -> None:
    """At start-up: make the hub's key, seal the hub's own events from before seals, and
    introduce every kiosk's key enrolled before the key history (from seq 1)."""
    hub_key(db)
    with dbmod.write(db):
        for hub_seq, seq, digest in db.execute(
            "SELECT hub_seq, seq, digest FROM events WHERE origin = ? AND seal_id IS NULL",
            [protocol.HUB_ORIGIN],
        ).fetchall():
            seal = seals.make_seal(hub_key(db), protocol.HUB_ORIGIN, [seq], [bytes.fromhex(digest)])
            db.execute(
                "UPDATE events SET seal_id = ? WHERE hub_seq = ?", [store_seal(db, seal), hub_seq]
            )
        _seal_legacy_events(db)
        for origin, public_key, building in db.execute(
            "SELECT h.origin, h.public_key, k.building FROM kiosk_key_history h "
            "JOIN kiosks k USING (origin) WHERE h.hub_seq IS NULL AND h.source = 'legacy'"
        ).fetchall():
            introduce_key(db, origin, public_key, 1, building, "legacy")
