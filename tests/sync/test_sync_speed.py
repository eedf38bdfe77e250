"""The fast paths of sync keep every guarantee of the slow ones: the hub's inline batch check and
field-by-field canonical encoding, one commit per request (a refused request still uses up its
counter), the kiosk's bulk apply (held events skipped, an event id reused refused)."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sync_fixtures import (
    a_page_of_notes,
    assert_batch_refused_whole,
    hub_rows,
    own_batch,
    record_notes,
    send,
    shared_events,
    shared_snapshot,
)

from kiosk import store
from kiosk.store import events as eventlog
from kiosk.store.registry import registry
from sync import protocol
from sync import state as sync_state
from sync.errors import HubRefused
from sync.hub import pages as hub_pages
from sync.hub import store as hub_store
from sync.hub.kiosks import get_kiosk
from sync.hub.refusals import Fork

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
short_text = st.text(min_size=1, max_size=40)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    event_id=short_text,
    origin=short_text,
    seq=st.integers(min_value=1, max_value=2**62),
    event_type=short_text,
    scope=st.sampled_from(["building", "network"]),
    payload=st.dictionaries(st.text(max_size=10), json_values, max_size=6),
    created_at=short_text,
)
def test_the_canonical_text_of_an_event_is_one_text_per_value(
    event_id, origin, seq, event_type, scope, payload, created_at
):
    wire = {
        "id": event_id,
        "origin": origin,
        "seq": seq,
        "type": event_type,
        "scope": scope,
        "payload": payload,
        "created_at": created_at,
    }
    wire = json.loads(json.dumps(wire))  # what the hub decodes
    text = protocol.canonical_json(wire)
    assert json.loads(text) == wire
    assert protocol.canonical_json(protocol.loads(text.encode("utf-8"))) == text  # stable
    assert protocol.legacy_canonical_json(json.loads(text)) == protocol.legacy_canonical_json(wire)
    if not has_float(wire):  # sorted keys, no spaces: the standard library's text, floats aside
        assert text == protocol.legacy_canonical_json(wire)


def has_float(value) -> bool:
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(has_float(v) for v in value)
    return isinstance(value, float)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values | st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_reading_a_body_gives_what_the_standard_library_gives(value):
    """orjson reads bodies, but the values are those of ``json.loads``: integers of any size
    stay exact (orjson would make a float of one beyond 64 bits)."""
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8")
    got = protocol.loads(raw)
    assert got == json.loads(raw) and type(got) is type(value)
    assert json.dumps(got) == json.dumps(value)


@pytest.mark.parametrize(
    "text",
    [
        '{"n": 18446744073709551616}',
        '{"n": -9223372036854775809}',
        '{"a": 1, "a": 2}',
        '{"phone": "06123456789012345678901"}',
        '"\\ud800"',
        "[1e308, -0.0, 5e-324]",
    ],
)
def test_reading_odd_bodies_matches_the_standard_library(text):
    assert repr(protocol.loads(text.encode())) == repr(json.loads(text))


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"\xff",
        b'{"a": 1}}',
        b"\xef\xbb\xbf{}",
        b"[1,]",
        b'{"n": NaN}',
        b"[Infinity]",
        b"[-Infinity]",
        b"[1e400]",
    ],
)
def test_a_body_that_is_not_strict_json_is_refused(raw):
    """NaN and Infinity too (1e400 reads as Infinity): the kiosks' SQLite would refuse them."""
    with pytest.raises(ValueError):  # JSONDecodeError, or UnicodeDecodeError for bytes not UTF-8
        protocol.loads(raw)


def test_an_event_stored_by_a_hub_before_orjson_sent_again_is_not_a_fork(hub, make_kiosk):
    """Such a hub stored the digest of the standard library's text, which writes 1e-07 where
    orjson writes 1e-7: the same event sent again must still be recognised."""
    a = make_kiosk("a", enrol_at=hub)
    with store.write(a.db):
        store.record(
            a.db,
            "resident.registered",
            {
                "resident_id": "r9",
                "apartment": "A-9",
                "name": "Zoé",
                "role": "resident",
                "status": "verified",
                "ratio": 1e-07,
            },
        )
    batch = own_batch(a, 1, a.state()["acked_seq"] + 10)
    db = hub.db
    try:
        kiosk = get_kiosk(db, a.origin)
        hub_store.accept_batch(db, kiosk, batch)
        with store.write(db):  # as the hub before orjson stored it
            for wire in batch["events"]:
                legacy = protocol.legacy_canonical_json(wire)
                db.execute("DROP TRIGGER hub_events_are_append_only_update")
                db.execute(
                    "UPDATE events SET body = ?, digest = ? WHERE origin = ? AND seq = ?",
                    [legacy, hashlib.sha256(legacy.encode()).hexdigest(), a.origin, wire["seq"]],
                )
                db.execute(
                    "CREATE TRIGGER hub_events_are_append_only_update BEFORE UPDATE ON events "
                    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
                )
        assert any("1e-07" in row["body"] for row in store.query(db, "SELECT body FROM events"))
        answer = hub_store.accept_batch(db, kiosk, batch)
        assert answer["accepted"] == 0 and answer["duplicates"] == len(batch["events"])
        changed = dict(
            batch,
            events=[
                dict(w, payload={**w["payload"], "ratio": 2e-07}) if "ratio" in w["payload"] else w
                for w in batch["events"]
            ],
        )
        with pytest.raises(Fork):
            hub_store.accept_batch(db, kiosk, changed)
    finally:
        db.close()


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_a_pulled_payload_is_stored_as_a_recorded_one_would_be(payload):
    payload = json.loads(json.dumps(payload))
    pulled, recorded = eventlog._payload_text_fast(payload), eventlog._payload_text(payload)
    assert json.loads(pulled) == json.loads(recorded) == payload
    if not has_float(payload):  # the same text, but for how some floats are spelt
        assert pulled == recorded


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(id=""), "event field 'id'"),
        (lambda e: e.update(type=7), "event field 'type'"),
        (lambda e: e.update(created_at="x" * 201), "event field 'created_at'"),
        (lambda e: e.update(seq=True), "event seq must be a whole number"),
        (lambda e: e.update(payload=[1]), "payload must be an object"),
        (lambda e: e.update(scope=["building"]), "event field 'scope'"),
        (lambda e: e.update(extra=1), "exactly the fields"),
    ],
)
def test_the_hubs_inline_check_names_what_is_wrong_with_an_event(hub, make_kiosk, change, message):
    assert_batch_refused_whole(hub, make_kiosk, lambda batch: change(batch["events"][-1]), message)


@pytest.mark.both_stores  # PostgreSQL loads a batch's events by COPY: the same keys hold
def test_an_event_id_reused_under_a_new_seq_is_refused_whole(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 3)
    batch = own_batch(a, 1, 5)
    batch["events"][-1]["id"] = batch["events"][0]["id"]
    with pytest.raises(HubRefused) as refused:
        send(a, "POST", "/api/push", protocol.encode_body(batch))
    assert refused.value.status == 400 and "event refused" in refused.value.answer["message"]
    assert hub_rows(hub) == 0


def test_a_fork_is_refused_whether_the_batch_resends_a_seq_or_leaves_one_out(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 5)
    a.client().push()
    top = a.state()["acked_seq"]
    held = own_batch(a, top - 2, top)
    left_out = held["events"].pop(1)  # held: leaving it out of a re-sent range is a fork too
    with pytest.raises(HubRefused) as refused:
        send(a, "POST", "/api/push", protocol.encode_body(held))
    assert refused.value.code == "fork" and refused.value.answer["seq"] == left_out["seq"]


def test_a_refused_request_uses_up_its_counter(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 5)
    client = a.client()
    later = protocol.encode_body(own_batch(a, 3, 5))  # a gap: the hub holds nothing yet
    counter = client.next_counter()
    headers = protocol.sign_request(client.key, "POST", "/api/push", later, a.origin, counter)
    with pytest.raises(HubRefused) as refused:
        client.connection.send("POST", "/api/push", later, headers)
    assert refused.value.code == "gap"
    client.push()  # the missing seqs arrive: the same request would now be accepted...
    with pytest.raises(HubRefused) as replayed:
        client.connection.send("POST", "/api/push", later, headers)
    assert replayed.value.code == "replayed"  # ...but its counter was used up when refused
    garbled = b"not gzip"
    headers = protocol.sign_request(
        client.key, "POST", "/api/push", garbled, a.origin, client.next_counter()
    )
    with pytest.raises(HubRefused) as refused:
        client.connection.send("POST", "/api/push", garbled, headers)
    assert refused.value.status == 400
    with pytest.raises(HubRefused) as replayed:
        client.connection.send("POST", "/api/push", garbled, headers)
    assert replayed.value.code == "replayed"


def test_a_pull_uses_up_its_counter_and_records_where_the_kiosk_reads(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 5)
    a.sync()
    client = b.client()
    path = "/api/pull?after=2&limit=10"
    headers = protocol.sign_request(client.key, "GET", path, b"", b.origin, client.next_counter())
    page = client.connection.send("GET", path, None, headers)
    assert [hub_seq for hub_seq, _wire in page["events"]][:1] == [3]
    with pytest.raises(HubRefused) as replayed:
        client.connection.send("GET", path, None, headers)
    assert replayed.value.code == "replayed"
    db = hub.db
    assert store.scalar(db, "SELECT pull_cursor FROM kiosks WHERE origin = ?", (b.origin,)) == 2
    db.close()


def test_a_bulk_apply_refuses_an_event_id_reused_under_another_seq(make_kiosk):
    a, b, page = a_page_of_notes(make_kiosk, 3)
    twin = eventlog.Event(
        page[0].id,
        page[0].origin,
        99,
        page[-1].type,
        page[-1].scope,
        page[-1].payload,
        page[-1].created_at,
    )
    with pytest.raises(Exception, match="UNIQUE"), store.write(b.db):
        eventlog.apply_foreign_many(b.db, [*page, twin])
    assert not store.query(b.db, "SELECT 1 FROM events WHERE origin = ?", (a.origin,))


# --------------------------------------------------------------------------- pipelined push and pull


def test_a_counter_gone_back_is_caught_up_by_a_push_and_a_pull_already_under_way(hub, make_kiosk):
    a = make_kiosk("a", batch_size=4, enrol_at=hub)
    b = make_kiosk("b", batch_size=4, enrol_at=hub)
    record_notes(a, 10)
    a.sync()
    b.sync()
    record_notes(a, 10, start=10)
    for kiosk in (a, b):
        with store.write(kiosk.db):  # e.g. both databases came back from last night's backup
            kiosk.db.execute("UPDATE sync_state SET request_counter = 0")
    assert a.client().push() == 10
    assert b.client().pull() == (10, 10)
    assert shared_events(b.db) >= shared_events(a.db)


def test_a_push_reads_on_from_the_seq_the_hub_acknowledged_when_it_is_ahead(hub, make_kiosk):
    a = make_kiosk("a", batch_size=5, enrol_at=hub)
    record_notes(a, 20)
    a.client().push()
    top = a.state()["acked_seq"]
    with store.write(a.db):  # the kiosk forgot what the hub holds
        a.db.execute("UPDATE sync_state SET acked_seq = 0")
    record_notes(a, 3, start=20)
    hub.network.requests.clear()
    again = 1  # the first batch again, a duplicate: the kiosk's key (a network event, alone)
    assert a.client().push() == again + 3  # then only the new events
    assert [p for p in hub.network.requests if p == "/api/push"] == ["/api/push"] * 2
    assert a.state()["acked_seq"] == top + 3 and sync_state.pending_count(a.db) == 0


def test_big_batches_stay_bounded_by_the_hub(hub, make_kiosk, monkeypatch):
    monkeypatch.setattr(hub_store, "MAX_BATCH_EVENTS", 7)
    monkeypatch.setattr(hub_pages, "MAX_PAGE_EVENTS", 7)
    a = make_kiosk("a", batch_size=20, enrol_at=hub)
    b = make_kiosk("b", batch_size=20, enrol_at=hub)
    record_notes(a, 30)
    with pytest.raises(HubRefused) as refused:
        a.client().push()
    assert refused.value.status == 400 and "at most 7 events" in refused.value.answer["message"]
    monkeypatch.setattr(hub_store, "MAX_BATCH_EVENTS", 20)
    a.client().push()
    hub.network.requests.clear()
    received, applied = b.client().pull()  # asks for 20 a page, gets 7 at most
    pulls = [p for p in hub.network.requests if p == "/api/pull"]
    introductions = 2  # the hub's own events: a's and b's keys
    assert received == applied == hub_rows(hub) + introductions and len(pulls) >= received / 7


def test_a_kiosk_catches_up_on_5000_events_in_big_batches(hub, make_kiosk, monkeypatch):
    monkeypatch.setattr(hub_pages, "PAGE_BYTES", 10**8)  # pages by count here (bytes: below)
    a = make_kiosk("a", batch_size=2000, enrol_at=hub)
    b = make_kiosk("b", batch_size=2000, enrol_at=hub)
    record_notes(a, 5000)
    hub.network.requests.clear()
    assert a.client().push() == 5002
    pushes = [p for p in hub.network.requests if p == "/api/push"]
    hub.network.requests.clear()
    b.client().pull()
    pulls = [p for p in hub.network.requests if p == "/api/pull"]
    # the kiosk's key alone (a network event is sealed apart), then ceil(5002 seqs / 2000)
    assert len(pushes) == 1 + 3 and len(pulls) == 3
    assert shared_snapshot(b.db)["residents"] == shared_snapshot(a.db)["residents"]
    assert shared_events(b.db) >= shared_events(a.db)


def test_a_bulk_apply_across_insert_chunks_skips_held_events_and_copies(make_kiosk):
    a, b, page = a_page_of_notes(make_kiosk, 1200)
    with store.write(b.db):
        assert eventlog.apply_foreign_many(b.db, page[500:530]) == 30  # held before the big page
    mixed = page[:515] + page[505:520] + page[515:]  # copies on both sides of the 512-row chunk
    with store.write(b.db):
        assert eventlog.apply_foreign_many(b.db, mixed) == len(page) - 30
    assert shared_events(b.db) >= shared_events(a.db)
    assert store.scalar(b.db, "SELECT COUNT(*) FROM events WHERE origin = ?", (a.origin,)) == len(
        page
    )
    assert shared_snapshot(b.db)["residents"] == shared_snapshot(a.db)["residents"]
    seqs = [
        r[0]
        for r in store.query(
            b.db, "SELECT seq FROM events WHERE origin = ? ORDER BY local_id", (a.origin,)
        )
    ]
    assert seqs[30:] == sorted(seqs[30:])  # stored in page order


def test_a_request_signed_again_never_takes_back_a_counter_already_taken(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    a.sync()
    client = a.client()
    path = "/api/pull?after=0&limit=10"
    stale = client.start("GET", path, counter=1)  # refused: the hub has seen higher
    with store.write(a.db):  # meanwhile a counter was taken ahead (a page's transaction does that)
        a.db.execute("UPDATE sync_state SET request_counter = request_counter + 10")
    ahead = a.state()["request_counter"]
    client.signed("GET", path, under_way=stale)
    assert a.state()["request_counter"] == client.last_counter == ahead + 1


resident_changes = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "apartment": st.sampled_from(["A-1", "B-2", "C-3"]),
            "name": st.text(min_size=1, max_size=6),
            "role": st.sampled_from(["resident", "admin"]),
            "status": st.sampled_from(["pending", "verified", "suspended"]),
        },
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=resident_changes, who=st.lists(st.sampled_from(["r1", "r2"]), min_size=40, max_size=40)
)
def test_a_run_of_resident_updates_projected_at_once_equals_one_by_one(changes, who):
    """A pulled page projects a run of ``resident.updated`` with one ``executemany`` per run of
    the same fields: the rows must be those of applying each event on its own, in order."""
    events = [
        eventlog.Event(
            f"e{i}",
            "K",
            i + 3,
            "resident.updated",
            "building",
            {"resident_id": who[i], **change},
            f"2026-01-01T00:00:{i:02d}Z",
        )
        for i, change in enumerate(changes)
    ]
    snapshots = []
    for apply in (
        lambda db: eventlog.project_in_order(db, events),
        lambda db: [registry.get(e.type).apply(db, e) for e in events],
    ):
        db = store.connect(":memory:")
        with store.write(db):
            for number, resident in enumerate(("r1", "r2"), start=1):
                eventlog.apply_foreign(
                    db,
                    eventlog.Event(
                        f"reg-{resident}",
                        "K",
                        number,
                        "resident.registered",
                        "building",
                        {
                            "resident_id": resident,
                            "apartment": "Z-9",
                            "name": resident,
                            "role": "resident",
                            "status": "pending",
                        },
                        "2026-01-01T00:00:00Z",
                    ),
                )
            apply(db)
        snapshots.append(
            {
                table: store.query(db, f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
                for table in ("residents", "accounts")
            }
        )
        snapshots[-1] = {
            table: [tuple(row) for row in rows] for table, rows in snapshots[-1].items()
        }
        db.close()
    assert snapshots[0] == snapshots[1]


@pytest.mark.parametrize("include_own", [False, True])
def test_a_page_walks_two_indexes_and_events_carry_no_unused_index(hub, include_own):
    db = hub.db
    try:
        plan = [
            row[3]
            for row in store.query(
                db,
                "EXPLAIN QUERY PLAN " + hub_pages.page_sql(include_own),
                {"after": 0, "building": "B", "origin": "K", "limit": 10},
            )
        ]
        indexes = {row["name"] for row in store.query(db, "PRAGMA index_list(events)")}
    finally:
        db.close()
    # The building's events and the network's, each from its index after the cursor, merged;
    # an event the hub refused is left out with one look-up of hub_refused's primary key.
    searches = [step for step in plan if step.startswith(("SEARCH", "SCAN"))]
    assert searches == [
        "SEARCH events USING INDEX events_by_building (building=? AND hub_seq>?)",
        "SEARCH r USING INTEGER PRIMARY KEY (rowid=?)",
        "SCAN arm0",
        "SEARCH events USING INDEX events_of_network (hub_seq>?)",
        "SEARCH r USING INTEGER PRIMARY KEY (rowid=?)",
        "SCAN arm1",
    ]
    assert plan[0] == "MERGE (UNION ALL)"
    # The two UNIQUE keys (event id; origin and seq) and the two the pages walk: every other
    # index would cost each insert.
    assert indexes - {"events_by_building", "events_of_network"} == {
        "sqlite_autoindex_events_1",
        "sqlite_autoindex_events_2",
    }
