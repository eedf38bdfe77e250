"""The hub on PostgreSQL: the same schema as on SQLite, and pulls that never skip an event
while many kiosks push and pull at once through two hub apps sharing one database.

The trap: numbers handed out by a sequence become visible in commit order, not number order;
a kiosk pulling "after N" could then jump over an event that commits later with a smaller
number. The hub's writes take one advisory lock (sync/hub/db.py), as SQLite's write lock, so
a number is handed out only once every smaller one has committed."""

from __future__ import annotations

import hashlib
import re
import threading
import time

import pytest
from sync_fixtures import record_notes, send, shared_events, shared_snapshot, sync_until_quiet

from kiosk import store
from kiosk.residents import residents
from sync.errors import HubRefused
from sync.hub import db as hubdb
from sync.hub import schema, schema_pg
from sync.hub import store as hub_store

pytestmark = pytest.mark.both_stores


def _tables(db, store_name: str) -> dict[str, list[str]]:
    if store_name == "sqlite":
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name <> '_sqlite_migrations'"
            )
        ]
        return {
            name: sorted(c[1] for c in db.execute(f"PRAGMA table_info({name})")) for name in names
        }
    found: dict[str, list[str]] = {}
    for table, column in db.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name <> 'hub_migrations'"
    ):
        found.setdefault(table, []).append(column)
    return {table: sorted(columns) for table, columns in found.items()}


def test_both_stores_have_the_same_tables_and_columns(hub, tmp_path, request):
    """What a hub migration adds on one store, it adds on the other: same tables, same columns,
    and every migration after m013 under the same name on both (m0NN_x / p0NN_x)."""
    db = hub.db
    try:
        mine = _tables(db, hub.store)
    finally:
        db.close()
    other = schema.connect_hub(tmp_path / "other.sqlite3")
    try:
        sqlite_tables = _tables(other, "sqlite")
    finally:
        other.close()
    assert mine == sqlite_tables
    sqlite_names = [migration.name for migration in schema.migrations._migrations]
    later = [name[1:] for name in sqlite_names if int(re.match(r"m(\d+)", name)[1]) > 13]
    assert later == [name[1:] for name, _ in schema_pg.MIGRATIONS[1:]]


def test_a_write_that_has_not_committed_holds_back_every_later_number(hub, make_kiosk):
    """A write left open at the hub (an event numbered k, not committed): a kiosk's push waits
    for it instead of taking numbers above k and committing first; once k commits, the push's
    events come after it. A reader never sees a number whose predecessors may still commit."""
    a = make_kiosk("a", enrol_at=hub)
    c = make_kiosk("c", enrol_at=hub)
    record_notes(a, 5)
    writer = hub.db
    pushed = threading.Event()
    try:
        with store.write(writer):
            writer.execute(
                "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, "
                "received_at) VALUES ('slow-1', ?, 1000, 'resident.updated', 'building', ?, "
                "'{}', '', '2026-01-01T00:00:00Z')",
                [c.origin, c.config["building"]["name"]],
            )
            slow = store.scalar(writer, "SELECT hub_seq FROM events WHERE id = 'slow-1'")
            pusher = threading.Thread(target=lambda: (a.client().push(), pushed.set()), daemon=True)
            pusher.start()
            time.sleep(1.0)
            assert not pushed.is_set()  # the push waits for the open write
            reader = hub.db
            try:  # what any puller could read now: nothing numbered above the open write
                assert store.scalar(reader, "SELECT MAX(hub_seq) FROM events") < slow
            finally:
                reader.close()
        pusher.join(30)
        assert pushed.is_set()
    finally:
        writer.close()
    reader = hub.db
    try:
        numbers = [
            row[0]
            for row in store.query(
                reader, "SELECT hub_seq FROM events WHERE origin = ?", (a.origin,)
            )
        ]
    finally:
        reader.close()
    assert numbers and min(numbers) > slow


def _pull_all(kiosk, after: int, pages: list[list[int]], limit: int) -> int:
    """Pull pages as a kiosk does (the next ``after`` is the page's ``last_hub_seq``) until
    the hub says there is no more; each page's numbers kept."""
    while True:
        page = send(kiosk, "GET", f"/api/pull?after={after}&limit={limit}")
        pages.append([item[0] for item in page["events"]])
        after = page["last_hub_seq"]
        if not page["more"]:
            return after


@pytest.mark.parametrize("hub", ["postgresql"], indirect=True)
def test_concurrent_pushers_and_pullers_never_skip_an_event(hub, make_kiosk):
    """Three kiosks push small batches over and over while two others pull pages of 7, all at
    once, through two hub apps on one PostgreSQL database (answering in turn): each puller
    ends with every event the hub serves it, none skipped, numbers strictly increasing on
    every page and across pages."""
    pushers = [make_kiosk(f"p{i}", enrol_at=hub) for i in range(3)]
    pullers = [make_kiosk(f"r{i}", enrol_at=hub) for i in range(2)]
    for kiosk in pushers:
        record_notes(kiosk, 1)  # a resident of its own to rename
    rounds, failures = 15, []
    pushing = threading.Event()
    pushing.set()
    received: dict[str, list[list[int]]] = {k.name: [] for k in pullers}

    def push(kiosk) -> None:
        try:
            for i in range(rounds):
                record_notes(kiosk, 2, start=10 * i)
                kiosk.client().push()
        except Exception as exc:  # noqa: BLE001 (reported below, in the test's thread)
            failures.append(exc)

    def pull(kiosk) -> None:
        after = 0
        try:
            while pushing.is_set():
                after = _pull_all(kiosk, after, received[kiosk.name], limit=7)
            _pull_all(kiosk, after, received[kiosk.name], limit=7)  # the last commits
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)

    pull_threads = [threading.Thread(target=pull, args=(k,), daemon=True) for k in pullers]
    push_threads = [threading.Thread(target=push, args=(k,), daemon=True) for k in pushers]
    for thread in pull_threads + push_threads:
        thread.start()
    for thread in push_threads:
        thread.join(120)
    pushing.clear()
    for thread in pull_threads:
        thread.join(60)
    assert not failures, failures
    db = hub.db
    try:
        served = [
            row[0]
            for row in store.query(
                db,
                "SELECT hub_seq FROM events e WHERE NOT EXISTS "
                "(SELECT 1 FROM hub_refused r WHERE r.hub_seq = e.hub_seq) ORDER BY hub_seq",
            )
        ]
        marks = ",".join("?" * len(pushers))
        pushed = store.scalar(
            db,
            f"SELECT COUNT(*) FROM events WHERE origin IN ({marks})",  # noqa: S608 (placeholders)
            [k.origin for k in pushers],
        )
    finally:
        db.close()
    assert pushed >= 3 * rounds * 2
    for name, pages in received.items():
        for page in pages:
            assert page == sorted(set(page)), f"{name}: a page out of order"
        numbers = [n for page in pages for n in page]
        assert numbers == sorted(set(numbers)), f"{name}: a number served twice or backwards"
        assert numbers == served, f"{name} missed {sorted(set(served) - set(numbers))[:10]}"
    assert sum(len(pages) for pages in received.values()) > 20  # pulled while pushes went on


def test_text_that_bulk_loading_escapes_arrives_byte_for_byte(hub, make_kiosk):
    """PostgreSQL takes a batch's events by COPY (``PgConnection.insert_rows``), whose text
    format escapes tabs, line ends and backslashes: names holding them come back as sent."""
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    names = ["Tab\there", "Line\nend\r", "Back\\slash \\N", 'Quote " é 🏠', "Nul \x00 x"]
    person = residents.register(a.db, apartment="A-001", name="Claire Petit", pin="2580").id
    with store.write(a.db):
        for name in names:
            store.record(a.db, "resident.updated", {"resident_id": person, "name": name})
    sync_until_quiet([a, b])
    assert shared_events(b.db) == shared_events(a.db)
    assert shared_snapshot(b.db) == shared_snapshot(a.db)
    row = store.query_one(b.db, "SELECT name FROM residents WHERE id = ?", (person,))
    assert row["name"] == names[-1]
    db = hub.db
    try:
        bodies = db.execute("SELECT body, digest FROM events WHERE origin = ?", [a.origin])
        assert all(hashlib.sha256(body.encode()).hexdigest() == digest for body, digest in bodies)
    finally:
        db.close()


def test_entities_learnt_in_bulk_are_each_held_once(hub):
    """What a batch's events create goes into ``hub_entities`` by multi-row INSERTs with ON
    CONFLICT DO NOTHING, on both stores: over several statements' worth of rows, with rows
    repeated in one statement and rows held already, each (kind, id, building) is held once;
    a claim of another building held before stays beside it (the screen tells them apart);
    an empty id is not a claim."""
    from kiosk.store import db as dbmod  # noqa: PLC0415
    from sync.hub import authority  # noqa: PLC0415

    count = 2 * authority._ENTITIES_PER_INSERT + 77
    entities = [("resident", f"r{n:05d}", "Résidence A") for n in range(count)]
    other = ("resident", "r00007", "Résidence B")
    db = hub.db
    try:
        with dbmod.write(db):
            authority._insert_entities(db.conn, [other, entities[3]])
        with dbmod.write(db):
            authority._insert_entities(db.conn, entities + entities[:5] + [("account", "", "X")])
        held = sorted(
            tuple(row) for row in db.execute("SELECT kind, id, building FROM hub_entities")
        )
    finally:
        db.close()
    assert held == sorted([*entities, other])


def test_one_signed_request_sent_many_times_at_once_is_answered_once(hub, make_kiosk):
    """A request's counter is used up by one UPDATE that is its own transaction (it takes no
    write lock on PostgreSQL): the same signed pull, sent by eight threads at once (a replay
    racing the original), is answered once; the seven others are refused as replayed, and
    the kiosk's counter moved to that counter and no further."""
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 3)
    sync_until_quiet([a, b])
    counter = b.client().next_counter()
    path = "/api/pull?after=0&limit=50"
    start, answers = threading.Barrier(8), []

    def replay() -> None:
        start.wait(10)
        try:
            answers.append(("page", len(send(b, "GET", path, counter=counter)["events"])))
        except HubRefused as refused:
            answers.append((refused.status, refused.answer["error"]))

    threads = [threading.Thread(target=replay, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    pages = [answer for answer in answers if answer[0] == "page"]
    assert len(answers) == 8 and len(pages) == 1 and pages[0][1] > 0
    assert sorted(answer for answer in answers if answer[0] != "page") == [(401, "replayed")] * 7
    db = hub.db
    try:
        last = store.scalar(db, "SELECT last_counter FROM kiosks WHERE origin = ?", (b.origin,))
    finally:
        db.close()
    assert last == counter


@pytest.mark.parametrize("hub", ["postgresql"], indirect=True)
def test_a_pull_is_served_while_a_batch_holds_the_write_lock(hub, make_kiosk):
    """On PostgreSQL a pull reads its page from a snapshot and uses up its counter with one
    UPDATE, without the advisory write lock: while a write is left open at the hub, a kiosk
    still gets its page at once (what was committed before it), and a push waits."""
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 4)
    sync_until_quiet([a, b])
    record_notes(a, 2)
    writer = hub.db
    pushed = threading.Event()
    try:
        with store.write(writer):  # the hub's write lock, held
            pusher = threading.Thread(target=lambda: (a.client().push(), pushed.set()), daemon=True)
            pusher.start()
            started = time.monotonic()
            page = send(b, "GET", "/api/pull?after=0&limit=50")
            waited = time.monotonic() - started
            assert not pushed.is_set()  # the push waits for the open write
        pusher.join(30)
        assert pushed.is_set()
    finally:
        writer.close()
    served = [event["type"] for _hub_seq, event in page["events"]]
    assert served.count("resident.updated") == 4 and waited < 5


def _event_row(origin: str, seq: int, building: str, seal_id) -> tuple:
    return (f"row-{origin}-{seq}", origin, seq, "resident.updated", "building", building, "{}",
            "", "2026-01-01T00:00:00Z", seal_id)  # fmt: skip


def test_an_event_naming_a_kiosk_or_a_seal_the_hub_does_not_hold_is_refused(hub, make_kiosk):
    """The store itself refuses an event whose kiosk or seal it does not hold, whichever way
    rows come in (one INSERT, a batch's COPY or multi-row INSERT, the one UPDATE events allow)
    and refuses to delete a kiosk or a seal that events name: a foreign key on SQLite, a
    check of each statement's rows on PostgreSQL (schema_pg.p018). Nothing of a refused
    statement stays, not even its good rows."""
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 3)
    a.client().push()
    building = a.config["building"]["name"]
    db = hub.db
    try:
        seal = store.scalar(db, "SELECT MAX(seal_id) FROM events WHERE origin = ?", (a.origin,))
        assert seal is not None
        held = store.scalar(db, "SELECT COUNT(*) FROM events")
        bad_batches = [
            [_event_row(a.origin, 100, building, seal), _event_row("NOSUCH", 1, building, seal)],
            [_event_row(a.origin, 101, building, seal), _event_row(a.origin, 102, building, seal + 99)],
        ]  # fmt: skip
        for rows in bad_batches:
            with pytest.raises(hubdb.INTEGRITY_ERRORS):
                with store.write(db):
                    hub_store._insert_events(db.conn, rows)
        with pytest.raises(hubdb.INTEGRITY_ERRORS):
            with store.write(db):
                db.execute(
                    "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, "
                    "received_at, seal_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _event_row("NOSUCH", 2, building, None),
                )
        assert store.scalar(db, "SELECT COUNT(*) FROM events") == held

        with store.write(db):  # an event held without a seal: it may get one the hub holds
            hub_store._insert_events(db.conn, [_event_row(a.origin, 200, building, None)])
        with pytest.raises(hubdb.INTEGRITY_ERRORS):
            with store.write(db):
                db.execute("UPDATE events SET seal_id = ? WHERE seq = 200", (seal + 99,))
        with store.write(db):
            db.execute("UPDATE events SET seal_id = ? WHERE seq = 200", (seal,))
        assert store.scalar(db, "SELECT seal_id FROM events WHERE seq = 200") == seal

        for statement, value in (
            ("DELETE FROM kiosks WHERE origin = ?", a.origin),
            ("DELETE FROM seals WHERE id = ?", seal),
            ("UPDATE kiosks SET origin = 'REKEY' WHERE origin = ?", a.origin),
            ("UPDATE seals SET id = id + 1000 WHERE id = ?", seal),
        ):
            with pytest.raises(hubdb.INTEGRITY_ERRORS):
                with store.write(db):
                    db.execute(statement, (value,))
        with store.write(db):  # a change that leaves the key as it is stays allowed
            db.execute("UPDATE kiosks SET origin = origin WHERE origin = ?", (a.origin,))
            db.execute("UPDATE seals SET id = id WHERE id = ?", (seal,))
        assert store.scalar(db, "SELECT COUNT(*) FROM kiosks WHERE origin = ?", (a.origin,)) == 1
        assert store.scalar(db, "SELECT COUNT(*) FROM seals WHERE id = ?", (seal,)) == 1
    finally:
        db.close()


_EVENTS_FOREIGN_KEYS = (
    "SELECT conname FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'f'"
)


def test_a_postgresql_hub_holding_events_upgrades_to_checks_by_statement(
    postgres, tmp_path, monkeypatch
):
    """A PostgreSQL hub migrated before p018, holding a kiosk, a seal and events, upgrades in
    place: its rows stay, its two foreign keys on events are gone, and the triggers refuse
    what they refused."""
    url = postgres.new_database()
    before = [(name, f) for name, f in schema_pg.MIGRATIONS if name < "p018"]
    monkeypatch.setattr(schema_pg, "MIGRATIONS", before)
    old = schema.connect_hub(url, files=tmp_path / "hub")
    assert len(store.query(old, _EVENTS_FOREIGN_KEYS)) == 2  # origin and seal_id, before p018
    with store.write(old):
        old.execute(
            "INSERT INTO kiosks (origin, building, public_key, acked_seq, enrolled_at) "
            "VALUES ('OLDKSK', 'Les Lilas', 'key', 2, '2026-01-01T00:00:00Z')"
        )
        seal = store.scalar(
            old,
            "INSERT INTO seals (origin, first_seq, last_seq, body, received_at) "
            "VALUES ('OLDKSK', 1, 2, '{}', '2026-01-01T00:00:00Z') RETURNING id",
        )
        hub_store._insert_events(
            old.conn, [_event_row("OLDKSK", seq, "Les Lilas", seal) for seq in (1, 2)]
        )
    old.close()
    monkeypatch.undo()
    db = schema.connect_hub(url, files=tmp_path / "hub")
    try:
        assert (
            store.scalar(db, "SELECT name FROM hub_migrations ORDER BY name DESC LIMIT 1")
            == (schema_pg.MIGRATIONS[-1][0])
        )
        assert [tuple(r) for r in db.execute("SELECT origin, seq, seal_id FROM events WHERE origin = 'OLDKSK' ORDER BY seq")] == [
            ("OLDKSK", 1, seal),
            ("OLDKSK", 2, seal),
        ]  # fmt: skip
        assert not store.query(db, _EVENTS_FOREIGN_KEYS)
        with pytest.raises(hubdb.INTEGRITY_ERRORS):
            with store.write(db):
                hub_store._insert_events(db.conn, [_event_row("NOSUCH", 1, "Les Lilas", seal)])
        with pytest.raises(hubdb.INTEGRITY_ERRORS):
            with store.write(db):
                db.execute("DELETE FROM kiosks WHERE origin = 'OLDKSK'")
        assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE origin = 'OLDKSK'") == 2
    finally:
        db.close()
