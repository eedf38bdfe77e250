"""The hub's side of the authority check (kiosk/store/authority.py): what it refuses on push,
the entities it learns, and what revoking a kiosk refuses after the fact.

- ``screen_batch``: each new event of a pushed batch is checked in order; a refused one is
  still stored (the kiosk's numbering stays whole, a re-sent batch is still recognised), with
  its reason in ``hub_refused``, and never served in pages nor judged as a settlement. The
  batch's valid events go in as usual: a hostile kiosk stops neither its own valid events
  nor anyone else's.
- ``hub_entities``: the building of every entity an accepted event created (the registry's
  ``creates``), so the hub can tell whether a kiosk speaks about its own building's resident.
- ``refuse_after``: revoking a kiosk may also refuse what it sent after a seq: those events
  stop being served, and a hub event ``kiosk.events_refused`` tells every kiosk to set aside
  the copies it holds.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlite_utils import Database

from kiosk.store import db as dbmod
from kiosk.store.authority import (
    EVENTS_REFUSED,
    REVOKED,
    Refusal,
    Screen,
    created_entities,
    is_per_building,
)
from kiosk.store.events import Event
from kiosk.store.registry import registry
from sync import protocol
from sync.hub.records import held_seq, now_iso
from sync.hub.signing import append_hub_event

_ENTITY_BUILDINGS = "SELECT building FROM hub_entities WHERE kind = ? AND id = ?"


def kiosk_screen(db: Database, building: str, events: Iterable[dict] = ()) -> Screen:
    """A ``Screen`` answering from the hub's ``hub_entities``, for a sender of ``building``:
    an entity known in that building is of it; one known only elsewhere is of that other
    building (the first by name), but for ids that are per building (the association's
    accounts). The entities ``events`` are about are read at once (``_buildings_of``): a
    batch holds the hub's write lock while it is screened."""
    conn = db.conn
    known = _buildings_of(conn, events)

    def building_of(kind: str, entity: Any) -> str | None:
        if kind == "kiosk":
            row = conn.execute("SELECT building FROM kiosks WHERE origin = ?", (entity,)).fetchone()
            return None if row is None else row[0]
        buildings = known.get((kind, entity))
        if buildings is None:
            buildings = {row[0] for row in conn.execute(_ENTITY_BUILDINGS, (kind, entity))}
        if building in buildings:
            return building
        if is_per_building(kind, entity) or not buildings:
            return None
        return min(buildings)

    return Screen(building_of, keys_of=lambda origin: kiosk_public_keys(db, origin))


def _buildings_of(conn, events: Iterable[dict]) -> dict[tuple[str, Any], set[str]]:
    """{(kind, id): the buildings ``hub_entities`` knows it in} for every entity one of
    ``events`` is about (none known: an empty set), in one query (a batch's events are at
    most ``store.MAX_BATCH_EVENTS``: far fewer parameters than either store allows)."""
    types = registry.by_name()
    wanted: dict[str, set[str]] = {}
    for data in events:
        declared = types.get(data["type"])
        about = declared.about if declared is not None else None
        payload = data["payload"]
        if about is not None and about.kind != "kiosk" and isinstance(payload, dict):
            entity = about.entity_id(payload)
            if isinstance(entity, str) and entity:
                wanted.setdefault(about.kind, set()).add(entity)
    known: dict[tuple[str, Any], set[str]] = {
        (kind, entity): set() for kind, entities in wanted.items() for entity in entities
    }
    if not known:
        return known
    where = " OR ".join(
        f"(kind = ? AND id IN ({','.join('?' * len(entities))}))" for entities in wanted.values()
    )
    params = [value for kind, entities in wanted.items() for value in (kind, *sorted(entities))]
    for kind, entity, building in conn.execute(
        f"SELECT kind, id, building FROM hub_entities WHERE {where}",  # noqa: S608 (marks only)
        params,
    ):
        known[(kind, entity)].add(building)
    return known


def kiosk_public_keys(db: Database, origin: str) -> list[Ed25519PublicKey]:
    """Every key the hub knows ``origin`` signed with (none: a voucher of a kiosk the hub
    never enrolled, whose signature nobody can vouch for, is refused)."""
    rows = db.conn.execute(
        "SELECT public_key FROM kiosk_key_history WHERE origin = ? "
        "UNION SELECT public_key FROM kiosks WHERE origin = ?",
        (origin, origin),
    )
    return [Ed25519PublicKey.from_public_bytes(base64.b64decode(row[0])) for row in rows]


def screen_batch(
    db: Database, origin: str, building: str, rows: Sequence[tuple], events: dict[int, dict]
) -> tuple[list[tuple[tuple, Refusal]], Screen]:
    """(refused rows with their reason, the screen holding what the others create) for the
    ``rows`` of a batch about to be stored (``events``: the sent events by seq)."""
    screen = kiosk_screen(db, building, (events[row[2]] for row in rows))
    refused = []
    for row in rows:
        data = events[row[2]]
        reason = screen.check(Event(**data), sender_origin=origin, sender_building=building)
        if reason is not None:
            refused.append((row, reason))
    return refused, screen


def record_screened(
    db: Database, origin: str, refused: Sequence[tuple[tuple, Refusal]], screen: Screen
) -> set[int]:
    """Inside the batch's transaction, once its rows are stored: the refused ones in
    ``hub_refused`` (their hub_seq returned), what the others created in ``hub_entities``."""
    conn = db.conn
    refused_at = now_iso()
    hub_seqs = set()
    for row, reason in refused:
        hub_seq = conn.execute(
            "SELECT hub_seq FROM events WHERE origin = ? AND seq = ?", (origin, row[2])
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO hub_refused (hub_seq, origin, seq, type, reason, facts, "
            "refused_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (hub_seq, origin, row[2], row[3], str(reason), reason.facts(), refused_at),
        )
        hub_seqs.add(hub_seq)
    _insert_entities(conn, ((k, i, b) for (k, i), b in screen.created.items()))
    return hub_seqs


def _insert_entities(conn, entities: Iterable[tuple[str, Any, str]]) -> None:
    """Multi-row INSERTs (one statement for a batch's entities: a batch holds the hub's write
    lock while it writes, and on PostgreSQL each statement is a round trip)."""
    values = [
        value
        for kind, entity, building in entities
        if entity
        for value in (kind, str(entity), building)
    ]
    dbmod.insert_multi_row(
        conn,
        "INSERT INTO hub_entities (kind, id, building)",
        values,
        3,
        rows_per_insert=_ENTITIES_PER_INSERT,
        tail=" ON CONFLICT DO NOTHING",
    )


_ENTITIES_PER_INSERT = 512  # 3 parameters a row


def learn_entities(db: Database) -> None:
    """Fill ``hub_entities`` from every event already held (a hub upgraded to this check)."""
    creating = [declared.name for declared in registry if declared.creates]
    if not creating:
        return
    marks = ",".join("?" * len(creating))
    rows = db.conn.execute(
        f"SELECT building, body FROM events WHERE type IN ({marks}) ORDER BY hub_seq",  # noqa: S608 (placeholders)
        creating,
    ).fetchall()
    entities = []
    for building, body in rows:
        data = json.loads(body)
        payload = data.get("payload")
        if not isinstance(payload, dict):
            continue
        event = Event(**{name: data.get(name) for name in protocol.EVENT_FIELDS})
        for kind, entity in created_entities(event, registry.find(event.type)):
            entities.append((kind, entity, building))
    _insert_entities(db.conn, entities)


def refuse_after(db: Database, origin: str, after_seq: int, reason: str) -> int:
    """Refuse what kiosk ``origin`` sent after ``after_seq`` (inside the caller's write
    transaction): no longer served, and a ``kiosk.events_refused`` hub event tells the kiosks
    that hold copies. Returns how many events were newly refused."""
    conn = db.conn
    up_to = held_seq(db, origin)
    refusal = Refusal(REVOKED, origin=origin, after=after_seq, reason=reason)
    count = conn.execute(
        "INSERT INTO hub_refused (hub_seq, origin, seq, type, reason, facts, refused_at) "
        "SELECT hub_seq, origin, seq, type, ?, ?, ? FROM events WHERE origin = ? AND seq > ? "
        "ON CONFLICT DO NOTHING",
        (str(refusal), refusal.facts(), now_iso(), origin, after_seq),
    ).rowcount
    if up_to > after_seq:
        append_hub_event(
            db,
            EVENTS_REFUSED,
            {"origin": origin, "after_seq": after_seq, "up_to_seq": up_to, "reason": reason},
        )
    return count


def refused_by_kiosk(db: Database, *, latest: int = 3) -> dict[str, dict[str, Any]]:
    """{origin: {"count", "latest": [{seq, type, reason, msgid, params, refused_at}]}}."""
    counts = dict(db.conn.execute("SELECT origin, COUNT(*) FROM hub_refused GROUP BY origin"))
    listed: dict[str, dict[str, Any]] = {}
    for origin, count in counts.items():
        rows = dbmod.query(
            db,
            "SELECT seq, type, reason, facts, refused_at FROM hub_refused WHERE origin = ? "
            "ORDER BY hub_seq DESC LIMIT ?",
            (origin, latest),
        )
        latest_rows = []
        for row in rows:
            facts = json.loads(row["facts"]) if row["facts"] else {}
            latest_rows.append(
                {
                    **dict(row),
                    "msgid": facts.get("msgid") or row["reason"],
                    "params": facts.get("params") or {},
                }
            )
        listed[origin] = {"count": count, "latest": latest_rows}
    return listed


def served_seq(db: Database, origin: str) -> int:
    """The highest seq of ``origin`` the hub serves (its refused events left out)."""
    return dbmod.scalar(
        db,
        "SELECT COALESCE(MAX(seq), 0) FROM events e WHERE origin = ? AND NOT EXISTS "
        "(SELECT 1 FROM hub_refused r WHERE r.hub_seq = e.hub_seq)",
        (origin,),
    )
