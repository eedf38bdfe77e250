"""What keeps a city's hub light without bending a rule, on both stores.

- A pulled page stays within ``PAGE_BYTES`` of text, whatever its seals weigh, and every
  event still arrives.
- A kiosk seals its network events apart from its building's (``sync.push._one_scope``): a
  kiosk of another building gets them with a seal of their own run, not one listing every
  digest of the building's batch.
"""

from __future__ import annotations

import json

import pytest
from sync_fixtures import record_notes, shared_events, shared_snapshot, sync_until_quiet

from kiosk import store
from sync import seals
from sync.hub import pages as hub_pages
from sync.hub import routes as hub_routes

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
