"""The events the hub holds: the batches pushed by kiosks (pages pulled: ``sync.hub.pages``).

The hub numbers each event it accepts with ``hub_seq`` (AUTOINCREMENT: monotonic, never
reused); kiosks pull in that order. A kiosk's pushes must cover its seq numbers without a hole
(``from_seq`` = the hub's acknowledged seq + 1), so a lost or reordered batch is noticed and
re-sent instead of leaving a gap. Settlements of vouchers are judged as they are stored
(``sync.hub.vouchers``). A batch's seal (its kiosk's signature, ``sync.seals``) is checked and
stored with it (``sync.hub.signing``), and served with every page holding one of its events.
Batches pushed at the same time are stored in one transaction (``accept_batches``, fed by
``sync.hub.group_commit``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kiosk.store import db as dbmod
from kiosk.store.registry import SHARED_SCOPES
from sync import protocol
from sync.hub import db as hubdb
from sync.hub.authority import record_screened, screen_batch
from sync.hub.home_requests import note_events as note_for_home
from sync.hub.kiosks import Kiosk, use_counter
from sync.hub.mail_outbox import note_events as note_for_mail
from sync.hub.records import HELD_SEQ, LATEST_HUB_SEQ, insert_conflict, now_iso
from sync.hub.refusals import BadRequest, Fork, Gap, HubRefusal, Replayed
from sync.hub.signing import (
    check_seal,
    is_legacy_kiosk,
    legacy_seal,
    note_rotations,
    store_seal,
)
from sync.hub.vouchers import SETTLEMENT_TYPES, judge_settlements

MAX_BATCH_EVENTS = 5000


@dataclass(frozen=True, slots=True)
class Pending:
    """A kiosk's batch checked and encoded (``prepare``), to be stored (``accept_batches``)."""

    kiosk: Kiosk
    batch: dict
    counter: int | None  # the request's counter, used up when the batch is stored or refused
    from_seq: int
    to_seq: int
    rows: list[tuple]  # ``_batch_rows``: 9 values an event, in seq order


def prepare(db: Database, kiosk: Kiosk, batch: Any, *, counter: int | None = None) -> Pending:
    """The batch checked and encoded (``_batch_rows``), outside any transaction: Python work
    that needs nothing from the store. ``BadRequest`` if it is malformed (the request's counter
    is used up)."""
    try:
        from_seq, to_seq, rows = _batch_rows(kiosk, batch, now_iso())
    except HubRefusal:
        if counter is not None:
            use_counter(db, kiosk, counter)  # a refused request is used up too
        raise
    return Pending(kiosk, batch, counter, from_seq, to_seq, rows)


def accept_batch(
    db: Database, kiosk: Kiosk, batch: Any, *, counter: int | None = None
) -> dict[str, int]:
    """Store a kiosk's batch covering its seqs ``from_seq``..``to_seq``; idempotent. Its answer,
    or the ``HubRefusal`` saying why it was refused (see ``accept_batches``)."""
    (outcome,) = accept_batches(db, [prepare(db, kiosk, batch, counter=counter)])
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def accept_batches(db: Database, pending: list[Pending]) -> list[dict[str, int] | Exception]:
    """Store batches (of one kiosk or several) in one write transaction, one commit for all;
    each batch's answer, or the exception that refused it (a ``HubRefusal``) or stopped it.

    This is the group commit of ``sync.hub.group_commit``: batches pushed at once share the
    write lock's round trips and the durable commit. Their events get ``hub_seq`` numbers in
    the list's order, all visible at the one commit, so the ordering rule holds as for one
    batch. If any batch of the group is refused, nothing of the group's transaction stays and
    each batch is stored again in a transaction of its own (``_accept_alone``): the refused one
    gets its own answer, the others go in as if sent alone.

    A batch (``_store``): a batch that starts right after the acknowledged seq, above every seq
    held for the kiosk (every push but a re-sent one), goes in whole (``_insert_events``).
    Otherwise one query reads the digests already held in the range; a held seq sent with
    another digest (or left out), or a seq at or below the acknowledged one that the hub does
    not hold, is a fork, and only the events not held go in. The INSERT is plain, under the
    write lock: an event id used by another (origin, seq) is refused, not ignored.
    Each new event goes through the authority check (sync/hub/authority.py): a refused one is
    stored all the same (the kiosk's numbering stays whole) but marked, never served nor
    judged; the valid events of the batch go in as usual.
    Settlements among the new events are judged (``judge_settlements``) in the same transaction.
    The request's counter is used up in the same transaction when the batch is stored, or on
    its own when the batch is refused.
    """
    if len(pending) > 1:
        try:
            with dbmod.write(db):
                return [_store(db, one) for one in pending]
        except (HubRefusal, *hubdb.INTEGRITY_ERRORS):
            pass  # rolled back: each batch alone below
    return [_accept_alone(db, one) for one in pending]


def _accept_alone(db: Database, one: Pending) -> dict[str, int] | Exception:
    """One batch in its own transaction: its answer, or the exception that refused or stopped
    it (every batch of a group gets its own answer, whatever befalls another)."""
    try:
        try:
            with dbmod.write(db):
                return _store(db, one)
        except hubdb.INTEGRITY_ERRORS as exc:  # an event id already used by another (origin, seq)
            raise BadRequest(f"event refused: {exc}") from exc
        except Fork as exc:
            with dbmod.write(db):
                insert_conflict(db, "fork", one.kiosk.origin, exc.extra["seq"], str(exc), {})
            raise
    except HubRefusal as exc:
        if one.counter is not None and not isinstance(exc, Replayed):
            use_counter(db, one.kiosk, one.counter)  # a refused request is used up too
        return exc
    except Exception as exc:  # noqa: BLE001 - the store failed: this batch's answer (a 500)
        return exc


def _store(db: Database, one: Pending) -> dict[str, int]:
    """One batch, inside the caller's write transaction (see ``accept_batches``)."""
    kiosk, from_seq, to_seq, rows = one.kiosk, one.from_seq, one.to_seq, one.rows
    sent = {data["seq"]: data for data in one.batch["events"]}
    conn = db.conn
    acked, held_top, before = conn.execute(_WHERE_WE_ARE, (kiosk.origin,) * 2).fetchone()
    if from_seq > acked + 1:
        raise Gap(f"expected seq {acked + 1}, got {from_seq}", acked_seq=acked)
    new_acked = max(acked, to_seq)  # written now: anything refused below rolls it back
    if one.counter is not None:
        use_counter(db, kiosk, one.counter, acked_seq=new_acked)
    else:
        conn.execute("UPDATE kiosks SET acked_seq = ? WHERE origin = ?", (new_acked, kiosk.origin))
    if from_seq > acked and from_seq > held_top:
        new = rows  # nothing of the range can be held yet
    else:
        new = _rows_not_held(conn, kiosk, from_seq, to_seq, acked, rows)
    new = _sealed(db, kiosk, one.batch, rows, new)
    refused, screen = screen_batch(db, kiosk.origin, kiosk.building, new, sent)
    _insert_events(conn, new)
    refused_seqs = record_screened(db, kiosk.origin, refused, screen)
    not_accepted = {row[2] for row, _reason in refused}
    note_for_mail(db, new, sent, not_accepted)
    note_for_home(db, new, sent, not_accepted)
    if any(row[3] in SETTLEMENT_TYPES for row in new):
        judge_settlements(db, after_hub_seq=before, skipping=refused_seqs)
    return {
        "acked_seq": new_acked,
        "accepted": len(new) - len(refused),
        "duplicates": len(rows) - len(new),
        "refused": len(refused),
    }


# The kiosk's acknowledged seq, the highest seq held of it, and the newest hub_seq: one
# round trip (a batch holds the hub's write lock while it is checked; on PostgreSQL each
# statement is a round trip to the server).
_WHERE_WE_ARE = f"SELECT acked_seq, ({HELD_SEQ}), ({LATEST_HUB_SEQ}) FROM kiosks WHERE origin = ?"  # noqa: S608

_INSERT_HEAD = "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, received_at, seal_id)"
_ROWS_PER_INSERT = 256  # 10 parameters a row


def _insert_events(conn, rows: list[tuple]) -> None:
    """Insert ``rows`` (10 values each) in their order, with multi-row INSERTs: their hub_seq
    follow that order."""
    dbmod.insert_multi_row(
        conn,
        _INSERT_HEAD,
        [value for row in rows for value in row],
        10,
        rows_per_insert=_ROWS_PER_INSERT,
    )


def _sealed(db: Database, kiosk: Kiosk, batch: dict, rows: list[tuple], new: list[tuple]):
    """The new rows with the id of the batch's seal (None: an unsealed batch, from a kiosk
    before seals), inside the batch's write. The seal is checked against every event of the
    batch (``check_seal``), after the keys the batch hands over (``note_rotations``); held
    events that had no seal get it (a kiosk sealing again what it pushed before seals)."""
    note_rotations(db, kiosk.origin, new)
    seal = batch.get("seal")
    if seal is None or not rows:
        if new and seal is None and is_legacy_kiosk(db, kiosk.origin):
            # a kiosk not upgraded yet: the hub vouches for it, as it did before seals
            seal_id = legacy_seal(db, kiosk.origin, [(row[2], row[7]) for row in new])
            return [(*row, seal_id) for row in new]
        return [(*row, None) for row in new]
    checked = check_seal(db, kiosk.origin, seal, rows)
    unsealed_held = (
        len(new) < len(rows)
        and db.conn.execute(
            "SELECT 1 FROM events WHERE origin = ? AND seq BETWEEN ? AND ? AND seal_id IS NULL",
            (kiosk.origin, rows[0][2], rows[-1][2]),
        ).fetchone()
    )
    if not new and not unsealed_held:
        return []  # a batch sent again: its seal is held already
    seal_id = store_seal(db, checked)
    if unsealed_held:
        db.conn.execute(
            "UPDATE events SET seal_id = ? WHERE origin = ? AND seq BETWEEN ? AND ? "
            "AND seal_id IS NULL",
            (seal_id, kiosk.origin, rows[0][2], rows[-1][2]),
        )
    return [(*row, seal_id) for row in new]


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
    shared = SHARED_SCOPES  # a tuple: an unhashable scope is simply not in it
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
    if data["scope"] not in SHARED_SCOPES:
        raise BadRequest("private events never leave the kiosk")
    if not previous < data["seq"] <= to_seq:
        raise BadRequest("events must be in seq order within from_seq..to_seq")
    raise AssertionError(f"event refused by the fast check only: {data!r}")
