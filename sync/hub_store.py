"""The hub's own SQLite store: enrolled kiosks, enrolment codes, every event received.

The hub numbers each event it accepts with ``hub_seq`` (AUTOINCREMENT: monotonic, never
reused); kiosks pull in that order. A kiosk's pushes must cover its seq numbers without a hole
(``from_seq`` = the hub's acknowledged seq + 1), so a lost or reordered batch is noticed and
re-sent instead of leaving a gap. Times here are the hub's own clock, for display only.

Vouchers: the hub is the judge of a voucher settled twice (redeemed at two kiosks while they
were offline, or redeemed at one and cancelled at another). ``voucher_registry`` keeps, per
serial, the first settlement event the hub committed; a later one, in the same transaction
that stores it, becomes a ``conflicts`` row (the dashboard lists them) and a verdict: an event
of the hub's own (origin ``HUB``, gapless seq, scope ``network``) of type
``voucher.settlement_rejected`` that every kiosk pulls like any other. The kiosks settle the
books from it (kiosk/voucher_conflicts.py); nothing the kiosks sent is ever changed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from kiosk import ids
from kiosk.store import db as dbmod
from kiosk.store.alter_table import check_list_as_comparisons
from sync import protocol

migrations = Migrations("hub")
MAX_BATCH_EVENTS = 5000
MAX_PAGE_EVENTS = 5000
ENROL_CODE_DAYS = 7


@migrations()
def m001_hub(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE kiosks (
            origin          TEXT PRIMARY KEY,
            building        TEXT NOT NULL,
            public_key      TEXT NOT NULL,              -- raw Ed25519, base64
            revoked         INTEGER NOT NULL DEFAULT 0,
            enrolled_at     TEXT NOT NULL,
            last_contact_at TEXT,
            last_counter    INTEGER NOT NULL DEFAULT 0, -- replay guard: only goes up
            acked_seq       INTEGER NOT NULL DEFAULT 0, -- the kiosk's seqs held up to here
            pull_cursor     INTEGER NOT NULL DEFAULT 0  -- the last hub_seq it asked after
        );
        CREATE TABLE enrol_codes (
            code_hash      TEXT PRIMARY KEY,            -- SHA-256 of the one-time code
            building       TEXT NOT NULL,
            restore_origin TEXT REFERENCES kiosks (origin),  -- set: re-key a dead kiosk
            created_at     TEXT NOT NULL,
            expires_at     TEXT NOT NULL,
            used_at        TEXT,
            used_by        TEXT
        );
        CREATE TABLE events (
            hub_seq     INTEGER PRIMARY KEY AUTOINCREMENT,
            id          TEXT NOT NULL UNIQUE,
            origin      TEXT NOT NULL REFERENCES kiosks (origin),
            seq         INTEGER NOT NULL CHECK (seq > 0),
            type        TEXT NOT NULL,
            scope       TEXT NOT NULL CHECK (scope IN ('building', 'network')),
            building    TEXT NOT NULL,
            body        TEXT NOT NULL,                  -- canonical JSON, served as is
            digest      TEXT NOT NULL,                  -- SHA-256 of body
            received_at TEXT NOT NULL,
            UNIQUE (origin, seq)
        );
        CREATE INDEX events_by_building ON events (building, hub_seq);
        CREATE TRIGGER hub_events_are_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER hub_events_are_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TABLE conflicts (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            kind       TEXT NOT NULL,                   -- fork, ...
            origin     TEXT,
            seq        INTEGER,
            detail     TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m002_voucher_registry(db: Database) -> None:
    db.executescript(
        """
        -- The settlement (redemption or cancellation) of each voucher that counts: the first
        -- one the hub committed. A later one for the same serial is rejected by a verdict.
        CREATE TABLE voucher_registry (
            serial    TEXT PRIMARY KEY,
            event_id  TEXT NOT NULL REFERENCES events (id),
            origin    TEXT NOT NULL,
            type      TEXT NOT NULL,
            hub_seq   INTEGER NOT NULL
        );
        """
    )
    # The hub writes events of its own (verdicts) under a pseudo-kiosk that can never sign in.
    db.execute(
        "INSERT OR IGNORE INTO kiosks (origin, building, public_key, revoked, enrolled_at) "
        "VALUES (?, '', '', 1, ?)",
        [protocol.HUB_ORIGIN, now_iso()],
    )
    _judge_settlements(db, after_hub_seq=0)  # settlements already held, in hub order


@migrations()
def m003_event_scope_check_as_comparisons(db: Database) -> None:
    check_list_as_comparisons(db, "events", "scope")  # the same rule, cheaper per pushed event


@migrations()
def m004_hub_settings(db: Database) -> None:
    db.executescript(
        """
        -- The hub administrator's settings (the dashboard's password hash, never the password).
        CREATE TABLE hub_settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations()
def m005_drop_unused_building_index(db: Database) -> None:
    # Pulls and the dashboard ask for "this building OR the network" after a hub_seq: SQLite
    # walks the primary key for that, never this index, which only made every insert dearer.
    db.execute("DROP INDEX IF EXISTS events_by_building")


@migrations()
def m006_conflict_facts(db: Database) -> None:
    # What the dashboard needs to tell a conflict in the administrator's language (JSON);
    # ``detail`` stays, in English, for older rows and for logs.
    db.execute("ALTER TABLE conflicts ADD COLUMN facts TEXT")


class HubRefusal(Exception):
    """A refused request: ``status`` (4xx), a machine ``code`` and a sentence."""

    status = 400
    code = "refused"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra

    def as_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": str(self), **self.extra}


class BadRequest(HubRefusal):
    status, code = 400, "bad_request"


class Unauthenticated(HubRefusal):
    status, code = 401, "unauthenticated"


class Replayed(HubRefusal):
    status, code = 401, "replayed"


class Revoked(HubRefusal):
    status, code = 403, "revoked"


class BadCode(HubRefusal):
    status, code = 403, "bad_code"


class Gap(HubRefusal):
    status, code = 409, "gap"


class Fork(HubRefusal):
    status, code = 409, "fork"


@dataclass(frozen=True)
class Kiosk:
    origin: str
    building: str
    public_key: str
    revoked: bool
    acked_seq: int


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def connect_hub(path: str | Path) -> Database:
    db = dbmod.connect(path, migrate=False)
    migrations.apply(db)
    return db


def open_hub(path: str | Path) -> Database:
    """The hub's database, already migrated (by ``create_hub_app``): one per request."""
    return dbmod.connect(path, migrate=False)


def _hash_code(code: str) -> str:
    normalised = code.replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(normalised.encode("ascii", "replace")).hexdigest()


def create_enrol_code(db: Database, building: str, *, restore_origin: str | None = None) -> str:
    """A one-time code that enrols one kiosk of ``building`` (or re-keys ``restore_origin``)."""
    building = building.strip()
    if restore_origin == protocol.HUB_ORIGIN:
        raise BadRequest("the hub's own origin is not a kiosk")
    if restore_origin is not None:
        row = dbmod.query_one(db, "SELECT building FROM kiosks WHERE origin = ?", (restore_origin,))
        if row is None:
            raise BadRequest(f"no kiosk {restore_origin} is enrolled")
        building = row["building"]
    if not building:
        raise BadRequest("a building name is needed")
    raw = ids.scan_token(12)
    code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    now = datetime.now(UTC)
    with dbmod.write(db):
        db.execute(
            "INSERT INTO enrol_codes (code_hash, building, restore_origin, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                _hash_code(code),
                building,
                restore_origin,
                now_iso(),
                (now + timedelta(days=ENROL_CODE_DAYS)).isoformat(timespec="seconds"),
            ],
        )
    return code


def enrol(db: Database, code: str, origin: str | None, public_key_b64: str) -> Kiosk:
    """Use a one-time code: a new kiosk (``origin``) or a restored one (the code's origin)."""
    protocol.public_key_from_b64(public_key_b64)
    with dbmod.write(db):
        row = dbmod.query_one(
            db,
            "SELECT * FROM enrol_codes WHERE code_hash = ? AND used_at IS NULL",
            (_hash_code(code),),
        )
        if row is None or datetime.fromisoformat(row["expires_at"]) < datetime.now(UTC):
            raise BadCode("this enrolment code is unknown, used or expired")
        if row["restore_origin"]:
            origin = row["restore_origin"]
            db.execute(
                "UPDATE kiosks SET public_key = ?, last_counter = 0, revoked = 0 WHERE origin = ?",
                [public_key_b64, origin],
            )
        else:
            if not origin or len(origin) > 40:
                raise BadRequest("a kiosk id is needed")
            if dbmod.query_one(db, "SELECT 1 FROM kiosks WHERE origin = ?", (origin,)) is not None:
                raise BadCode(f"kiosk {origin} is already enrolled; ask for a restore code")
            db.execute(
                "INSERT INTO kiosks (origin, building, public_key, enrolled_at) VALUES (?, ?, ?, ?)",
                [origin, row["building"], public_key_b64, now_iso()],
            )
        db.execute(
            "UPDATE enrol_codes SET used_at = ?, used_by = ? WHERE code_hash = ?",
            [now_iso(), origin, row["code_hash"]],
        )
    return get_kiosk(db, origin)


def get_kiosk(db: Database, origin: str) -> Kiosk | None:
    row = dbmod.query_one(db, "SELECT * FROM kiosks WHERE origin = ?", (origin,))
    if row is None:
        return None
    return Kiosk(
        row["origin"], row["building"], row["public_key"], bool(row["revoked"]), row["acked_seq"]
    )


def revoke(db: Database, origin: str) -> bool:
    with dbmod.write(db):
        return db.execute("UPDATE kiosks SET revoked = 1 WHERE origin = ?", [origin]).rowcount == 1


def verify_request(db: Database, method: str, path: str, body: bytes, headers) -> tuple[Kiosk, int]:
    """(kiosk, counter) of a request signed by an enrolled, non-revoked kiosk; nothing written
    yet: the counter is used up by ``use_counter``, in the request's own write transaction."""
    try:
        origin, counter, signature = protocol.read_signature_headers(headers)
    except protocol.SignatureError as exc:
        raise Unauthenticated(str(exc)) from exc
    kiosk = get_kiosk(db, origin)
    if kiosk is None or origin == protocol.HUB_ORIGIN:
        raise Unauthenticated("unknown kiosk")
    try:
        protocol.verify_signature(
            protocol.public_key_from_b64(kiosk.public_key),
            signature,
            method,
            path,
            body,
            origin,
            counter,
        )
    except protocol.SignatureError as exc:
        raise Unauthenticated(str(exc)) from exc
    if kiosk.revoked:
        raise Revoked("this kiosk was revoked by the hub's administrator")
    return kiosk, counter


def use_counter(db: Database, kiosk: Kiosk, counter: int, **also: Any) -> None:
    """Move the kiosk's request counter up to ``counter`` (and set the ``kiosks`` columns in
    ``also``), inside the caller's write transaction or its own; ``Replayed`` if the counter is
    not above the last one used."""
    sets = "".join(f", {name} = ?" for name in also)
    with dbmod.write(db):
        updated = db.conn.execute(
            f"UPDATE kiosks SET last_counter = ?, last_contact_at = ?{sets} "  # noqa: S608 (fixed names)
            "WHERE origin = ? AND last_counter < ?",
            (counter, now_iso(), *also.values(), kiosk.origin, counter),
        ).rowcount
        if not updated:
            last = dbmod.scalar(
                db, "SELECT last_counter FROM kiosks WHERE origin = ?", (kiosk.origin,)
            )
            raise Replayed("request counter already used", last_counter=last)


def authenticate(db: Database, method: str, path: str, body: bytes, headers) -> Kiosk:
    """The enrolled, non-revoked kiosk that signed this request; its counter moves up."""
    kiosk, counter = verify_request(db, method, path, body, headers)
    use_counter(db, kiosk, counter)
    return kiosk


def accept_batch(
    db: Database, kiosk: Kiosk, batch: Any, *, counter: int | None = None
) -> dict[str, int]:
    """Store a kiosk's batch covering its seqs ``from_seq``..``to_seq``; idempotent.

    Each event is checked, then encoded once in canonical form (its stored body, served as is
    to pullers) and hashed (``_batch_rows``). A batch that starts right after the acknowledged
    seq, above every seq held for the kiosk (every push but a re-sent one), goes in whole
    (``_insert_events``). Otherwise one query reads the digests already held in the range; a
    held seq sent with another digest (or left out), or a seq at or below the acknowledged one
    that the hub does not hold, is a fork, and only the events not held go in. The INSERT is
    plain, under the write lock: an event id used by another (origin, seq) is refused, not
    ignored.
    Settlements among the new events are judged (``_judge_settlements``) in the same transaction.

    ``counter``: the request's counter (``verify_request``), used up in the same transaction
    when the batch is stored, or on its own when the batch is refused.
    """
    try:
        return _accept_batch(db, kiosk, batch, counter)
    except HubRefusal as exc:
        if counter is not None and not isinstance(exc, Replayed):
            use_counter(db, kiosk, counter)  # a refused request is used up too (Replayed first)
        raise


def _accept_batch(db: Database, kiosk: Kiosk, batch: Any, counter: int | None) -> dict[str, int]:
    from_seq, to_seq, rows = _batch_rows(kiosk, batch, now_iso())
    try:
        with dbmod.write(db):
            if counter is not None:
                use_counter(db, kiosk, counter)
            conn = db.conn
            acked = conn.execute(
                "SELECT acked_seq FROM kiosks WHERE origin = ?", (kiosk.origin,)
            ).fetchone()[0]
            if from_seq > acked + 1:
                raise Gap(f"expected seq {acked + 1}, got {from_seq}", acked_seq=acked)
            held_top = held_seq(db, kiosk.origin)
            if from_seq > acked and from_seq > held_top:
                new = rows  # nothing of the range can be held yet
            else:
                new = _rows_not_held(conn, kiosk, from_seq, to_seq, acked, rows)
            before = conn.execute("SELECT COALESCE(MAX(hub_seq), 0) FROM events").fetchone()[0]
            _insert_events(conn, new)
            if any(row[3] in SETTLEMENT_TYPES for row in new):
                _judge_settlements(db, after_hub_seq=before)
            new_acked = max(acked, to_seq)
            conn.execute(
                "UPDATE kiosks SET acked_seq = ? WHERE origin = ?", (new_acked, kiosk.origin)
            )
    except sqlite3.IntegrityError as exc:  # an event id already used by another (origin, seq)
        raise BadRequest(f"event refused: {exc}") from exc
    except Fork as exc:
        with dbmod.write(db):
            _insert_conflict(db, "fork", kiosk.origin, exc.extra["seq"], str(exc), {})
        raise
    return {"acked_seq": new_acked, "accepted": len(new), "duplicates": len(rows) - len(new)}


_INSERT_HEAD = (
    "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, received_at)"
)
_ROWS_PER_INSERT = 256  # 9 parameters a row


def _insert_events(conn, rows: list[tuple]) -> None:
    """Insert ``rows`` (9 values each) in their order, with multi-row INSERTs: their hub_seq
    follow that order."""
    dbmod.insert_multi_row(
        conn,
        _INSERT_HEAD,
        [value for row in rows for value in row],
        9,
        rows_per_insert=_ROWS_PER_INSERT,
    )


def _rows_not_held(
    conn, kiosk: Kiosk, from_seq: int, to_seq: int, acked: int, rows: list[tuple]
) -> list[tuple]:
    """The rows of a re-sent range that the hub does not hold yet; ``Fork`` if a held event
    comes again different (or is left out), or a seq acknowledged without being held (private
    then) turns up now."""
    held = dict(
        conn.execute(
            "SELECT seq, digest FROM events WHERE origin = ? AND seq BETWEEN ? AND ?",
            (kiosk.origin, from_seq, to_seq),
        ).fetchall()
    )
    digests = {row[2]: row[7] for row in rows}
    bodies = {row[2]: row[6] for row in rows}
    forked = [
        seq
        for seq, digest in held.items()
        if digests.get(seq) != digest and not _same_as_legacy(bodies.get(seq), digest)
    ]
    forked += [seq for seq in digests if seq <= acked and seq not in held]
    if forked:
        seq = min(forked)
        raise Fork(f"kiosk {kiosk.origin} sent a different event {seq}", seq=seq)
    return [row for row in rows if row[2] not in held]


def _same_as_legacy(body: str | None, digest: str) -> bool:
    """Whether ``body`` is the event a hub before orjson stored with ``digest`` (its canonical
    text wrote some floats differently, e.g. 1e-07)."""
    if body is None:
        return False
    legacy = protocol.legacy_canonical_json(protocol.loads(body.encode("utf-8")))
    return hashlib.sha256(legacy.encode("utf-8")).hexdigest() == digest


SETTLEMENT_TYPES = ("voucher.redeemed", "voucher.cancelled")
VERDICT_TYPE = "voucher.settlement_rejected"


def _judge_settlements(db: Database, *, after_hub_seq: int) -> int:
    """Judge the settlements stored after ``after_hub_seq``, in hub order: the first one for
    a serial goes into the registry, any later one is a conflict answered by a verdict event.
    Runs inside the transaction that stored them; returns how many verdicts were written."""
    settlements = db.execute(
        "SELECT hub_seq, id, origin, seq, type, "
        "json_extract(body, '$.payload.serial') AS serial, "
        "json_extract(body, '$.payload.amount') AS amount FROM events "
        "WHERE hub_seq > ? AND type IN (?, ?) ORDER BY hub_seq",
        [after_hub_seq, *SETTLEMENT_TYPES],
    ).fetchall()
    verdicts = 0
    for hub_seq, event_id, origin, seq, event_type, serial, amount in settlements:
        if not isinstance(serial, str) or not serial:
            continue  # not a settlement this hub can read: nothing to judge
        inserted = db.execute(
            "INSERT OR IGNORE INTO voucher_registry (serial, event_id, origin, type, hub_seq) "
            "VALUES (?, ?, ?, ?, ?)",
            [serial, event_id, origin, event_type, hub_seq],
        ).rowcount
        if inserted:
            continue
        winner = db.execute(
            "SELECT event_id, origin, type FROM voucher_registry WHERE serial = ?", [serial]
        ).fetchone()
        _append_hub_event(
            db,
            VERDICT_TYPE,
            {
                "serial": serial,
                "amount": amount,
                "losing_event_id": event_id,
                "losing_origin": origin,
                "losing_type": event_type,
                "winning_event_id": winner[0],
                "winning_origin": winner[1],
                "winning_type": winner[2],
            },
        )
        _insert_conflict(
            db,
            "voucher",
            origin,
            seq,
            f"voucher {serial} settled twice: {event_type} {origin}-{seq} rejected, "
            f"{winner[2]} at {winner[1]} came first",
            {
                "serial": serial,
                "type": event_type,
                "winning_origin": winner[1],
                "winning_type": winner[2],
            },
        )
        verdicts += 1
    return verdicts


def held_seq(db: Database, origin: str) -> int:
    """The highest seq of ``origin``'s events the hub holds (0: none)."""
    return dbmod.scalar(db, "SELECT COALESCE(MAX(seq), 0) FROM events WHERE origin = ?", (origin,))


def _append_hub_event(db: Database, event_type: str, payload: dict[str, Any]) -> None:
    """One event of the hub's own, stored like a kiosk's (network scope: every kiosk pulls it)."""
    origin = protocol.HUB_ORIGIN
    seq = held_seq(db, origin) + 1
    wire = {
        "id": ids.uuid7(),
        "origin": origin,
        "seq": seq,
        "type": event_type,
        "scope": "network",
        "payload": payload,
        "created_at": now_iso(),
    }
    body = protocol.canonical_json(wire)
    db.execute(
        "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, received_at) "
        "VALUES (?, ?, ?, ?, 'network', '', ?, ?, ?)",
        [
            wire["id"],
            origin,
            seq,
            event_type,
            body,
            hashlib.sha256(body.encode("utf-8")).hexdigest(),
            wire["created_at"],
        ],
    )
    db.execute("UPDATE kiosks SET acked_seq = ? WHERE origin = ?", [seq, origin])


def _batch_rows(kiosk: Kiosk, batch: Any, received_at: str) -> tuple[int, int, list[tuple]]:
    """(from_seq, to_seq, rows to insert) of a batch, every event checked; ``BadRequest`` if not.

    One pass: each event is checked inline (the same rules as ``protocol.check_wire_event``, a
    kiosk's own shared events in seq order within the range), then its canonical body is written
    and hashed. The first event that fails goes through ``_refuse_event`` for the exact reason.
    """
    if not isinstance(batch, dict) or not isinstance(batch.get("events"), list):
        raise BadRequest("a batch is an object with from_seq, to_seq and events")
    from_seq, to_seq = batch.get("from_seq"), batch.get("to_seq")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (from_seq, to_seq)):
        raise BadRequest("from_seq and to_seq must be whole numbers")
    if not 1 <= from_seq <= to_seq:
        raise BadRequest("a batch covers 1 <= from_seq <= to_seq")
    events = batch["events"]
    if len(events) > MAX_BATCH_EVENTS:
        raise BadRequest(f"at most {MAX_BATCH_EVENTS} events per batch")
    previous = from_seq - 1
    origin, building = kiosk.origin, kiosk.building
    fields = protocol.EVENT_FIELD_SET
    shared = protocol.SHARED_SCOPES  # a tuple: an unhashable scope is simply not in it
    body_of = protocol.canonical_json
    sha256 = hashlib.sha256
    rows = []
    append = rows.append
    for data in events:
        if type(data) is not dict or data.keys() != fields:
            _refuse_event(kiosk, data, previous, to_seq)
        event_id, seq, event_type, scope, created_at = (
            data["id"],
            data["seq"],
            data["type"],
            data["scope"],
            data["created_at"],
        )
        if not (
            data["origin"] == origin
            and scope in shared
            and type(seq) is int
            and previous < seq <= to_seq
            and type(data["payload"]) is dict
            and type(event_id) is str
            and 0 < len(event_id) <= 200
            and type(event_type) is str
            and 0 < len(event_type) <= 200
            and type(created_at) is str
            and 0 < len(created_at) <= 200
        ):
            _refuse_event(kiosk, data, previous, to_seq)
        previous = seq
        body = body_of(data)
        append(
            (
                event_id,
                origin,
                seq,
                event_type,
                scope,
                building,
                body,
                sha256(body.encode("utf-8")).hexdigest(),
                received_at,
            )
        )
    return from_seq, to_seq, rows


def _refuse_event(kiosk: Kiosk, data: Any, previous: int, to_seq: int) -> None:
    """Raise ``BadRequest`` saying why ``data`` is not the next event of this kiosk's batch."""
    try:
        protocol.check_wire_event(data)
    except protocol.ProtocolError as exc:
        raise BadRequest(str(exc)) from exc
    if data["origin"] != kiosk.origin:
        raise BadRequest("a kiosk sends only its own events")
    if data["scope"] not in protocol.SHARED_SCOPES:
        raise BadRequest("private events never leave the kiosk")
    if not previous < data["seq"] <= to_seq:
        raise BadRequest("events must be in seq order within from_seq..to_seq")
    raise AssertionError(f"event refused by the fast check only: {data!r}")


def _insert_conflict(
    db: Database, kind: str, origin: str | None, seq: int | None, detail: str, facts: dict[str, Any]
) -> None:
    """One row for the dashboard: ``detail`` in English, ``facts`` to tell it in any language."""
    db.execute(
        "INSERT INTO conflicts (kind, origin, seq, detail, facts, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [kind, origin, seq, detail, protocol.canonical_json(facts), now_iso()],
    )


def page_sql(include_own: bool) -> str:
    """The query of a page: it walks the primary key from the cursor (no other index helps
    with "this building OR the network"; a test keeps it so)."""
    return (
        "SELECT hub_seq, body FROM events WHERE hub_seq > :after "
        "AND (building = :building OR scope = 'network') "
        + ("" if include_own else "AND origin <> :origin ")
        + "ORDER BY hub_seq LIMIT :limit"
    )


def events_page(
    db: Database,
    kiosk: Kiosk,
    after: int,
    limit: int,
    *,
    include_own: bool = False,
    counter: int | None = None,
) -> tuple[str, int, int]:
    """The JSON text of the next page for ``kiosk``: (text, last_hub_seq, count).

    A kiosk gets its building's events and every ``network`` event, in ``hub_seq`` order, its
    own events only when restoring. When the page is not full, ``last_hub_seq`` jumps to the
    newest hub_seq of the same snapshot, so events meant for others are not scanned again.
    The page is read first; then one write records the kiosk's ``pull_cursor`` and uses up
    the request's ``counter`` (``Replayed``: the page is not served).
    """
    limit = max(1, min(limit, MAX_PAGE_EVENTS))
    conn = db.conn
    conn.execute("BEGIN")  # one read snapshot for the page and the newest hub_seq
    try:
        rows = conn.execute(
            page_sql(include_own),
            {
                "after": after,
                "building": kiosk.building,
                "origin": kiosk.origin,
                "limit": limit + 1,
            },
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        if more:
            last = rows[-1][0]
        else:
            last = max(
                after, conn.execute("SELECT COALESCE(MAX(hub_seq), 0) FROM events").fetchone()[0]
            )
    finally:
        conn.execute("COMMIT")
    if counter is None:
        with dbmod.write(db):
            db.execute("UPDATE kiosks SET pull_cursor = ? WHERE origin = ?", [after, kiosk.origin])
    else:
        use_counter(db, kiosk, counter, pull_cursor=after)
    items = ",".join(f"[{hub_seq},{body}]" for hub_seq, body in rows)
    text = f'{{"events":[{items}],"last_hub_seq":{last},"more":{"true" if more else "false"}}}'
    return text, last, len(rows)


def kiosk_status(db: Database, kiosk: Kiosk) -> dict[str, Any]:
    row = dbmod.query_one(db, "SELECT * FROM kiosks WHERE origin = ?", (kiosk.origin,))
    return {
        "origin": row["origin"],
        "building": row["building"],
        "acked_seq": row["acked_seq"],
        "held_seq": held_seq(db, kiosk.origin),
        "last_counter": row["last_counter"],
        "latest_hub_seq": dbmod.scalar(db, "SELECT COALESCE(MAX(hub_seq), 0) FROM events"),
        "protocol": protocol.PROTOCOL_VERSION,
    }


DASHBOARD_PASSWORD_MIN = 10


def set_dashboard_password(db: Database, password: str) -> None:
    """The dashboard's password (HTTP basic authentication), stored as a scrypt hash."""
    from werkzeug.security import generate_password_hash

    if len(password) < DASHBOARD_PASSWORD_MIN:
        raise BadRequest(
            f"the dashboard password needs at least {DASHBOARD_PASSWORD_MIN} characters"
        )
    with dbmod.write(db):
        db.execute(
            "INSERT INTO hub_settings (key, value) VALUES ('dashboard_password', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [generate_password_hash(password, method="scrypt")],
        )


def dashboard_password_set(db: Database) -> bool:
    return (
        dbmod.query_one(db, "SELECT 1 FROM hub_settings WHERE key = 'dashboard_password'")
        is not None
    )


def check_dashboard_password(db: Database, password: str) -> bool:
    from werkzeug.security import check_password_hash

    row = dbmod.query_one(db, "SELECT value FROM hub_settings WHERE key = 'dashboard_password'")
    return row is not None and check_password_hash(row["value"], password)


def dashboard(db: Database) -> dict[str, Any]:
    """What the hub's administrator sees: kiosks by building, lag, conflicts."""
    kiosks = []
    for row in dbmod.query(
        db,
        "SELECT * FROM kiosks WHERE origin <> ? ORDER BY building, origin",
        (protocol.HUB_ORIGIN,),
    ):
        held = dbmod.scalar(db, "SELECT COUNT(*) FROM events WHERE origin = ?", (row["origin"],))
        lag = dbmod.scalar(
            db,
            "SELECT COUNT(*) FROM events WHERE hub_seq > ? AND origin <> ? "
            "AND (building = ? OR scope = 'network')",
            (row["pull_cursor"], row["origin"], row["building"]),
        )
        kiosks.append({**dict(row), "events_held": held, "lag": lag})
    return {
        "as_of": now_iso(),
        "kiosks": kiosks,
        "buildings": sorted({k["building"] for k in kiosks}),
        "events": dbmod.scalar(db, "SELECT COUNT(*) FROM events"),
        "conflicts": [
            {**dict(r), "facts": json.loads(r["facts"]) if r["facts"] else None}
            for r in dbmod.query(db, "SELECT * FROM conflicts ORDER BY id DESC LIMIT 50")
        ],
        "conflict_count": dbmod.scalar(db, "SELECT COUNT(*) FROM conflicts"),
    }
