"""What keeps a city's hub fast without bending a rule, on both stores.

- Writes that arrive together are committed together (``sync.hub.db.GroupCommit``): one
  commit for the group, yet each write keeps its own outcome: one refused leaves nothing and
  the others are stored; a commit that fails fails every write of its group, and none is
  acknowledged.
- A pulled page stays within ``PAGE_BYTES`` of text, whatever its seals weigh, and every
  event still arrives.
- A kiosk seals its network events apart from its building's (``sync.push._one_scope``): a
  kiosk of another building gets them with a seal of their own run, not one listing every
  digest of the building's batch.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest
from sync_fixtures import record_notes, shared_events, shared_snapshot, sync_until_quiet

from kiosk import store
from sync import seals
from sync.hub import db as hubdb
from sync.hub import pages as hub_pages
from sync.hub import routes as hub_routes

pytestmark = pytest.mark.both_stores

WAIT_SECONDS = 20


def _conflict_details(hub) -> list[str]:
    db = hub.db
    try:
        return sorted(row[0] for row in db.execute("SELECT detail FROM conflicts"))
    finally:
        db.close()


def _note(db, name: str) -> str:
    """A write as a push makes it: its changes inside ``store.write`` (a savepoint here)."""
    with store.write(db):
        db.execute(
            "INSERT INTO conflicts (kind, origin, seq, detail, facts, created_at) "
            "VALUES ('test', NULL, NULL, ?, '{}', '2026-12-03T10:00:00')",
            [name],
        )
        if name == "refused":
            raise ValueError("this write is refused")
    return name


def _group_of(db) -> hubdb.GroupCommit:
    hubdb.grouped_write(db, lambda db: None)  # makes the store's group if it is not yet
    key = getattr(db, "url", None) or db.write_lock
    return hubdb._groups[key]


def test_writes_arriving_together_share_a_commit_and_keep_their_own_outcome(hub):
    connections = [hub.db for _ in range(6)]
    group = _group_of(connections[0])
    leader_in, others_queued = threading.Event(), threading.Event()
    ran_in: dict[str, int] = {}
    outcomes: dict[str, object] = {}

    def first(db):
        leader_in.set()
        assert others_queued.wait(WAIT_SECONDS)
        return _note(db, "first")

    def submit(index: int, name: str, work) -> None:
        def recorded(db):
            ran_in[name] = threading.get_ident()
            return work(db)

        try:
            outcomes[name] = hubdb.grouped_write(connections[index], recorded)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            outcomes[name] = exc

    names = ["second", "refused", "fourth", "fifth", "sixth"]
    threads = [threading.Thread(target=submit, args=(0, "first", first))]
    threads[0].start()
    assert leader_in.wait(WAIT_SECONDS)  # the first write leads, and holds its transaction
    for index, name in enumerate(names, start=1):
        threads.append(
            threading.Thread(target=submit, args=(index, name, lambda db, n=name: _note(db, n)))
        )
        threads[-1].start()
    deadline = time.monotonic() + WAIT_SECONDS
    while len(group._queue) < len(names) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(group._queue) == len(names)  # all wait for the leader's commit
    others_queued.set()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    for db in connections:
        db.close()
    assert outcomes["first"] == "first"
    assert isinstance(outcomes["refused"], ValueError)
    for name in ("second", "fourth", "fifth", "sixth"):
        assert outcomes[name] == name
    # the five that waited ran one after the other in one thread: one transaction, one commit
    assert len({ran_in[name] for name in names}) == 1
    assert _conflict_details(hub) == sorted(["first", "second", "fourth", "fifth", "sixth"])


class _FailingCommit:
    """A connection whose next COMMIT fails as a full or failing disk would."""

    def __init__(self, conn) -> None:
        self._conn = conn

    def __getattr__(self, name: str):
        return getattr(self._conn, name)

    def execute(self, sql, *args):
        if sql.strip().upper() == "COMMIT":
            self._conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)


def test_a_commit_that_fails_fails_every_write_of_its_group_and_stores_none(hub):
    leader, follower = hub.db, hub.db
    group = _group_of(leader)
    leader.conn = _FailingCommit(leader.conn)
    leader_in, follower_queued = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}

    def first(db):
        leader_in.set()
        assert follower_queued.wait(WAIT_SECONDS)
        return _note(db, "first")

    def submit(name: str, db, work) -> None:
        try:
            outcomes[name] = hubdb.grouped_write(db, work)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            outcomes[name] = exc

    lead = threading.Thread(target=submit, args=("first", leader, first))
    lead.start()
    assert leader_in.wait(WAIT_SECONDS)
    follow = threading.Thread(
        target=submit, args=("second", follower, lambda db: _note(db, "second"))
    )
    follow.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not group._queue and time.monotonic() < deadline:
        time.sleep(0.01)
    follower_queued.set()
    lead.join(WAIT_SECONDS)
    follow.join(WAIT_SECONDS)
    # the follower was in the next group, led by itself: committed
    assert isinstance(outcomes["first"], sqlite3.OperationalError)
    assert outcomes["second"] == "second"
    assert _conflict_details(hub) == ["second"]
    # a group of several that fails at its commit: every write hears of it, none is stored
    leader.conn = _FailingCommit(leader.conn._conn)

    def both(db):
        return [_note(db, "third"), _note(db, "fourth")]

    with pytest.raises(sqlite3.OperationalError):
        hubdb.grouped_write(leader, both)
    assert _conflict_details(hub) == ["second"]
    leader.conn = leader.conn._conn
    assert hubdb.grouped_write(leader, lambda db: _note(db, "after")) == "after"
    assert _conflict_details(hub) == ["after", "second"]
    leader.close()
    follower.close()


def test_pages_stay_within_their_size_and_every_event_arrives(hub, make_kiosk, monkeypatch):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 300)
    a.sync()
    sizes: list[tuple[int, int]] = []
    real_page = hub_pages.events_page

    def measured(*args, **kwargs):
        text, last, count = real_page(*args, **kwargs)
        sizes.append((len(text), count))
        return text, last, count

    monkeypatch.setattr(hub_routes, "events_page", measured)
    monkeypatch.setattr(hub_pages, "PAGE_BYTES", 20_000)
    sync_until_quiet([a, b])
    assert shared_snapshot(b.db) == shared_snapshot(a.db)
    big = max(sizes)
    one_event_and_its_seal = 3_000 + 500 * 50  # a note, and a seal listing 500 digests
    assert big[0] <= 20_000 + one_event_and_its_seal
    assert sum(count for _size, count in sizes) >= 302
    # a budget smaller than any event: a page of one event at a time, and still everything
    c = make_kiosk("c", enrol_at=hub)
    sizes.clear()
    monkeypatch.setattr(hub_pages, "PAGE_BYTES", 10)
    c.client().pull()
    of_a = [{e for e in shared_events(k.db) if e[1] == a.origin} for k in (a, c)]
    assert of_a[0] == of_a[1] and len(of_a[0]) == 302
    assert {count for _size, count in sizes if count} <= {1, 2}  # an event, or a key ahead too


def test_a_network_event_reaches_other_buildings_with_a_seal_of_its_own_run(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    c = make_kiosk("c", "Résidence des Platanes", enrol_at=hub)
    record_notes(a, 40)  # the kiosk's key (network, seq 1), then its building's events
    a.sync()
    c.sync()
    db = hub.db
    try:
        rows = db.execute(
            "SELECT e.seq, e.scope, s.body FROM events e JOIN seals s ON s.id = e.seal_id "
            "WHERE e.origin = ? ORDER BY e.seq",
            [a.origin],
        ).fetchall()
    finally:
        db.close()
    listed = {seq: seals.read_seal(json.loads(body)).seqs for seq, _scope, body in rows}
    assert rows[0][1] == "network" and listed[1] == [1]  # the key's seal lists it alone
    assert all(1 not in listed[seq] for seq, scope, _ in rows if scope == "building")
    # the other building's kiosk holds a's key, checked against that seal, and nothing else
    held = store.query(c.db, "SELECT seq, type FROM events WHERE origin = ?", (a.origin,))
    assert [(row["seq"], row["type"]) for row in held] == [(1, "kiosk.key_published")]
