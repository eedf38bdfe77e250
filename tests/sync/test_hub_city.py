"""What keeps a city's hub light without bending a rule, on both stores.

- A pulled page stays within ``PAGE_BYTES`` of text, whatever its seals weigh, and every
  event still arrives.
- A kiosk seals its network events apart from its building's (``sync.push._one_scope``): a
  kiosk of another building gets them with a seal of their own run, not one listing every
  digest of the building's batch.
- A page reads what it serves: its building's events and the network's, each from its own
  index (schema m017), never every other building's events since the kiosk's cursor (after
  an outage, each of a city's kiosks used to read the whole burst).
"""

from __future__ import annotations

import json

import pytest
from sync_fixtures import record_notes, shared_events, shared_snapshot, sync_until_quiet

from kiosk import store
from sync import seals
from sync.hub import pages as hub_pages
from sync.hub import routes as hub_routes
from sync.hub.db import is_postgresql
from sync.hub.kiosks import get_kiosk

pytestmark = pytest.mark.both_stores


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


def _served_by_definition(db, kiosk, after: int, include_own: bool) -> list[int]:
    """The hub_seqs a kiosk is owed after ``after``, read the plain way: its building's events
    and every network event, never a refused one, its own only when restoring."""
    refused = {row[0] for row in db.execute("SELECT hub_seq FROM hub_refused").fetchall()}
    rows = db.execute(
        "SELECT hub_seq, origin, scope, building FROM events WHERE hub_seq > ? ORDER BY hub_seq",
        [after],
    ).fetchall()
    return [
        seq
        for seq, origin, scope, building in rows
        if (building == kiosk.building or scope == "network")
        and seq not in refused
        and (include_own or origin != kiosk.origin)
    ]


def _page_cost(db, kiosk, after: int) -> int:
    """What a page read of the events table: on PostgreSQL the rows its scans of ``events``
    read (EXPLAIN ANALYZE); on SQLite the virtual machine's steps (a progress handler)."""
    params = {"after": after, "building": kiosk.building, "origin": kiosk.origin, "limit": 500}
    sql = hub_pages.page_sql(False)
    if hasattr(db.conn, "raw"):  # PostgreSQL
        (plan,) = db.conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).fetchone()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        nodes, read = [plan[0]["Plan"]], 0
        while nodes:
            node = nodes.pop()
            nodes.extend(node.get("Plans", []))
            if node.get("Relation Name") == "events":
                read += node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
        return read
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    db.conn.set_progress_handler(count, 10)
    try:
        db.conn.execute(sql, params).fetchall()
    finally:
        db.conn.set_progress_handler(None, 0)
    return steps[0]


def test_a_page_is_what_the_kiosk_is_owed_and_reads_no_other_buildings_events(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    a2 = make_kiosk("a2", enrol_at=hub)  # a's building has two kiosks
    c = make_kiosk("c", "Résidence des Platanes", enrol_at=hub)
    d = make_kiosk("d", "Résidence des Ormes", enrol_at=hub)
    for count, kiosk in zip((30, 20, 25, 15), (a, a2, c, d), strict=True):
        record_notes(kiosk, count)
        kiosk.sync()
    db = hub.db
    try:
        newest = db.execute("SELECT MAX(hub_seq) FROM events").fetchone()[0]
        # every kiosk, from every cursor, restoring or not: the page is what it is owed
        for kiosk in (a, a2, c, d):
            at_hub = get_kiosk(db, kiosk.origin)
            for after in range(0, newest + 1, 7):
                for own in (False, True):
                    owed = _served_by_definition(db, at_hub, after, own)
                    text, last, count = hub_pages.events_page(
                        db, at_hub, after, 16, include_own=own
                    )
                    page = [seq for seq, _body in json.loads(text)["events"]]
                    assert page == owed[:16] and count == len(page)
                    assert last == (page[-1] if len(owed) > 16 else max(after, newest))
        at_c = get_kiosk(db, c.origin)
        assert hub_pages.waiting_for(db, c.origin, at_c.building, 0) == len(
            _served_by_definition(db, at_c, 0, False)
        )
        # the plan: each arm walks its own index, none walks the whole table
        params = {"after": 0, "building": "B", "origin": "K", "limit": 10}
        for own in (False, True):
            explain = "EXPLAIN " if is_postgresql(hub.path) else "EXPLAIN QUERY PLAN "
            plan = " | ".join(
                str(row[-1]) for row in db.conn.execute(explain + hub_pages.page_sql(own), params)
            )
            assert "events_by_building" in plan and "events_of_network" in plan, plan
            assert "SCAN events" not in plan and "Seq Scan on events" not in plan, plan
        quiet = _page_cost(db, get_kiosk(db, c.origin), newest)
    finally:
        db.close()
    # a burst of another building's events: c's next page reads no more than before it
    record_notes(a, 400, start=100)
    a.sync()
    db = hub.db
    try:
        assert _page_cost(db, get_kiosk(db, c.origin), newest) <= quiet + 2
        page = hub_pages.events_page(db, get_kiosk(db, c.origin), newest, 500)
        assert page[2] == 0  # nothing of a's building, and a's key it already holds
    finally:
        db.close()
