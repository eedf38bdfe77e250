"""Sync when things go wrong: cut connections, odd batches, forged or replayed requests, a hub
that is down for a long time."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sync_fixtures import (
    a_page_of_notes,
    assert_batch_refused_whole,
    dashboard,
    hub_rows,
    own_batch,
    record_notes,
    send,
    shared_events,
    shared_snapshot,
)

from kiosk import store
from kiosk.store import events as eventlog
from kiosk.store import keys
from kiosk.store.registry import registry
from sync import protocol
from sync import state as sync_state
from sync.connection import HubConnection
from sync.enrolment import enrol
from sync.errors import EventNotApplicable, HubRefused, HubUnreachable
from sync.hub import dashboard as hub_dashboard
from sync.hub.kiosks import revoke
from sync.scheduler import SyncRunner

# The hub's core behaviour, on both of its stores (PostgreSQL: two hub apps, one database).
pytestmark = [pytest.mark.both_stores, pytest.mark.hub_processes]  # PostgreSQL: two OS processes

# --------------------------------------------------------------------------- cut-offs


def shared_count(kiosk, up_to_seq: int | None = None) -> int:
    """How many of its own shared events ``kiosk`` holds (up to ``up_to_seq``)."""
    return store.scalar(
        kiosk.db,
        "SELECT COUNT(*) FROM events WHERE scope <> 'private' AND seq <= ? AND origin = ?",
        (up_to_seq or 10**9, kiosk.origin),
    )


@pytest.mark.parametrize("mode", ["cut_before", "cut_after"])
def test_a_push_cut_off_before_or_after_the_hub_commits_resumes_without_loss_or_duplicates(
    hub, make_kiosk, mode
):
    a = make_kiosk("a", batch_size=50, enrol_at=hub)
    record_notes(a, 180)
    # the kiosk's key goes alone (a network event is sealed apart), then seqs 2-51 and
    # 52-101: that third batch is cut
    hub.network.cut("/api/push", mode, skip=2)
    with pytest.raises(HubUnreachable):
        a.sync()
    assert a.state()["failures"] == 1 and a.state()["last_error"]
    assert hub_rows(hub) == shared_count(a, 101 if mode == "cut_after" else 51)
    a.sync()
    assert hub_rows(hub) == shared_count(a) == 182
    assert a.state()["failures"] == 0 and a.state()["last_error"] is None
    assert sync_state.pending_count(a.db) == 0


@pytest.mark.parametrize("mode", ["cut_before", "cut_after"])
def test_a_pull_cut_off_mid_way_resumes_from_the_last_applied_page(hub, make_kiosk, mode):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", batch_size=40, enrol_at=hub)
    record_notes(a, 150)
    a.sync()
    hub.network.cut("/api/pull", mode, skip=2)  # two pages arrive, the third is cut
    with pytest.raises(HubUnreachable):
        b.sync()
    assert b.state()["pull_cursor"] > 0
    # two pages of 40: the hub's introductions of a's and b's keys, then 78 of a's events
    assert store.scalar(b.db, "SELECT COUNT(*) FROM events WHERE origin = ?", (a.origin,)) == 78
    b.sync()
    a.sync()
    assert shared_events(a.db) == shared_events(b.db)
    assert shared_snapshot(b.db) == shared_snapshot(a.db)


def test_a_kiosk_that_dies_while_applying_a_page_keeps_neither_the_page_nor_the_cursor(
    hub, make_kiosk, monkeypatch
):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", batch_size=100, enrol_at=hub)
    record_notes(a, 120)
    a.sync()
    applied = []
    renames = registry.get("resident.updated")
    real_projector = renames.bulk_projector

    def dying_projector(db, events):  # the page's events are inserted, its projections half done
        for event in events:
            if len(applied) == 110:  # in the second page
                raise KeyboardInterrupt("power cut")
            applied.append(event)
            real_projector(db, (event,))

    monkeypatch.setitem(
        registry._types, renames.name, dataclasses.replace(renames, bulk_projector=dying_projector)
    )
    with pytest.raises(KeyboardInterrupt):
        b.client().pull()
    first_page_cursor = b.state()["pull_cursor"]
    held = store.scalar(b.db, "SELECT COUNT(*) FROM events")
    monkeypatch.setitem(registry._types, renames.name, renames)
    b.sync()
    assert first_page_cursor > 0 and held < store.scalar(b.db, "SELECT COUNT(*) FROM events")
    assert shared_snapshot(b.db)["residents"] == shared_snapshot(a.db)["residents"]


# --------------------------------------------------------------------------- odd batches


def test_a_page_applied_twice_or_with_an_event_met_twice_changes_nothing(make_kiosk):
    a, b, page = a_page_of_notes(make_kiosk, 20)
    with store.write(b.db):
        first = eventlog.apply_foreign_many(b.db, page[:12] + page[5:12])  # seqs 5..11 twice
    with store.write(b.db):
        second = eventlog.apply_foreign_many(b.db, page)
        again = eventlog.apply_foreign_many(b.db, page)
    assert (first, second, again) == (12, len(page) - 12, 0)
    assert shared_events(b.db) >= shared_events(a.db)
    assert shared_snapshot(b.db)["residents"] == shared_snapshot(a.db)["residents"]


def test_a_batch_sent_twice_changes_nothing(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 10)
    top = store.scalar(a.db, "SELECT MAX(seq) FROM events")
    first = send(a, "POST", "/api/push", protocol.encode_body(own_batch(a, 1, top)))
    again = send(a, "POST", "/api/push", protocol.encode_body(own_batch(a, 1, top)))
    assert first["accepted"] == 12 and again == {
        "acked_seq": top,
        "accepted": 0,
        "duplicates": 12,
        "refused": 0,
    }
    assert hub_rows(hub) == 12  # the key, the resident and 10 changes; never the PIN


def test_reordered_and_gapped_batches_are_refused_until_the_missing_one_arrives(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 30)
    a.client().push()  # seqs 1.. as the hub expects
    acked = a.state()["acked_seq"]
    record_notes(a, 20, start=30)
    later = own_batch(a, acked + 11, acked + 20)
    with pytest.raises(HubRefused) as refused:
        send(a, "POST", "/api/push", protocol.encode_body(later))
    assert refused.value.status == 409 and refused.value.answer == {
        "error": "gap",
        "acked_seq": acked,
        "message": f"expected seq {acked + 1}, got {acked + 11}",
    }
    send(a, "POST", "/api/push", protocol.encode_body(own_batch(a, acked + 1, acked + 10)))
    send(a, "POST", "/api/push", protocol.encode_body(later))
    assert hub_rows(hub) == acked + 20 - 1  # every shared event once (seq 2 is the PIN: private)
    assert sync_state.pending_count(a.db) == 20  # the kiosk's own acked seq is behind: ...
    a.sync()  # ...its next push starts lower, the hub answers with duplicates only
    assert sync_state.pending_count(a.db) == 0 and hub_rows(hub) == acked + 19


def test_a_different_event_under_a_known_seq_is_refused_as_a_fork(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 5)
    a.sync()
    batch = own_batch(a, 3, 4)
    batch["events"][0]["payload"]["name"] = "Someone else"
    with pytest.raises(HubRefused) as refused:
        send(a, "POST", "/api/push", protocol.encode_body(batch))
    assert refused.value.status == 409 and refused.value.code == "fork"
    db = hub.db
    assert store.scalar(db, "SELECT COUNT(*) FROM conflicts WHERE kind = 'fork'") == 1
    assert "Someone else" not in str(store.query(db, "SELECT body FROM events"))
    hub_dashboard.set_dashboard_password(db, "correct horse battery")
    with store.write(db):  # a conflict a hub stored before conflicts had facts: its English detail
        db.execute(
            "INSERT INTO conflicts (kind, origin, seq, detail, created_at) "
            "VALUES ('fork', 'OLDKSK', 9, 'kiosk OLDKSK sent a different event 9', '2026-01-01T00:00:00Z')"
        )
    db.close()
    french = dashboard(hub, "admin", "correct horse battery", language="fr")
    assert "Autre événement, même numéro" in french
    seq = batch["events"][0]["seq"]
    assert (
        f"La borne {a.origin} a envoyé un autre événement sous le numéro {seq}, que le hub"
        in french
    )
    assert "kiosk OLDKSK sent a different event 9" in french
    english = dashboard(hub, "admin", "correct horse battery", language="en")
    assert (
        f"Kiosk {a.origin} sent another event under number {seq}, which the hub already held"
        in english
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b["events"][0].update(origin="ZZZZZZ"), "only its own events"),
        (lambda b: b["events"][0].update(scope="private"), "private events never leave"),
        (lambda b: b["events"].reverse(), "seq order"),
        (lambda b: b.update(to_seq=1), "seq order"),
        (lambda b: b["events"][0].pop("payload"), "exactly the fields"),
    ],
)
def test_malformed_batches_are_refused_whole(hub, make_kiosk, change, message):
    assert_batch_refused_whole(hub, make_kiosk, change, message)


# --------------------------------------------------------------------------- forged requests


def test_one_flipped_byte_in_a_signed_batch_is_refused(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    client = a.client()
    body = bytearray(protocol.encode_body(own_batch(a, 1, 1)))
    headers = protocol.sign_request(
        client.key, "POST", "/api/push", bytes(body), a.origin, client.next_counter()
    )
    body[len(body) // 2] ^= 0x01
    with pytest.raises(HubRefused) as refused:
        client.connection.send("POST", "/api/push", bytes(body), headers)
    assert refused.value.status == 401 and "signature" in refused.value.answer["message"]
    assert hub_rows(hub) == 0


@pytest.mark.parametrize(
    "forgery", ["other_key", "unsigned", "unknown_kiosk", "bad_signature_text"]
)
def test_forged_requests_are_refused(hub, make_kiosk, forgery):
    a = make_kiosk("a", enrol_at=hub)
    body = protocol.encode_body(own_batch(a, 1, 1))
    client = a.client()
    headers = protocol.sign_request(
        client.key, "POST", "/api/push", body, a.origin, client.next_counter()
    )
    if forgery == "other_key":
        headers = protocol.sign_request(
            Ed25519PrivateKey.generate(), "POST", "/api/push", body, a.origin, 99
        )
    elif forgery == "unsigned":
        headers = {}
    elif forgery == "unknown_kiosk":
        headers = protocol.sign_request(client.key, "POST", "/api/push", body, "NOBODY", 1)
    else:
        headers[protocol.HEADER_SIGNATURE] = "not base64!"
    with pytest.raises(HubRefused) as refused:
        client.connection.send("POST", "/api/push", body, headers)
    assert refused.value.status == 401
    assert hub_rows(hub) == 0


def test_a_replayed_request_is_refused_whatever_the_clocks_say(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    client = a.client()
    path = "/api/pull?after=0&limit=10"
    headers = protocol.sign_request(client.key, "GET", path, b"", a.origin, client.next_counter())
    client.connection.send("GET", path, None, headers)
    with pytest.raises(HubRefused) as refused:
        client.connection.send("GET", path, None, headers)
    assert refused.value.status == 401 and refused.value.code == "replayed"


def test_a_kiosk_whose_counter_went_back_catches_up_once(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    a.sync()
    with store.write(a.db):  # e.g. the database came back from last night's backup
        a.db.execute("UPDATE sync_state SET request_counter = 0")
    a.sync()
    assert a.state()["request_counter"] > 2


def test_a_revoked_kiosk_is_refused_and_told_so(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    a.sync()
    db = hub.db
    assert revoke(db, a.origin)
    db.close()
    record_notes(a, 2)
    with pytest.raises(HubRefused) as refused:
        a.sync()
    assert refused.value.status == 403 and refused.value.code == "revoked"
    assert "refused" in a.state()["last_error"]


def test_an_enrolment_code_works_once(hub, make_kiosk):
    a = make_kiosk("a")
    b = make_kiosk("b")
    code = hub.enrol_code("Résidence des Tilleuls")
    enrol(a.db, a.config, hub.url, code)
    with pytest.raises(HubRefused) as refused:
        enrol(b.db, b.config, hub.url, code)
    assert refused.value.status == 403 and refused.value.code == "bad_code"
    with pytest.raises(HubRefused):
        enrol(b.db, b.config, hub.url, "BCDF-GHJK-LNPR")
    assert not sync_state.is_enrolled(b.db)


def test_an_enrolment_must_be_signed_by_the_key_it_enrols(hub, make_kiosk):
    a = make_kiosk("a")
    connection = HubConnection(hub.url, timeout=5)
    body = protocol.encode_body(
        {
            "code": hub.enrol_code("X"),
            "origin": a.origin,
            "public_key": keys.public_key_b64(Ed25519PrivateKey.generate()),
        }
    )
    key = keys.load_or_create_signing_key(a.config)
    with pytest.raises(HubRefused) as refused:
        connection.send(
            "POST",
            "/api/enrol",
            body,
            protocol.sign_request(key, "POST", "/api/enrol", body, a.origin, 0),
        )
    assert refused.value.status == 401


# --------------------------------------------------------------------------- hub down


def test_hub_down_while_a_kiosk_records_5000_events_then_catch_up_in_bounded_batches(
    hub, make_kiosk
):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    hub.stop()
    record_notes(a, 5000)
    runner = SyncRunner(a.config)
    with pytest.raises(HubUnreachable):
        a.sync()
    assert runner.run_now() is None  # the scheduled job: logs, counts, backs off
    assert a.state()["failures"] == 2
    assert (
        0
        < runner.backoff_seconds(1)
        < runner.backoff_seconds(5)
        <= a.config["sync"]["backoff_max_seconds"]
    )
    assert runner.backoff_seconds(50) <= a.config["sync"]["backoff_max_seconds"]
    hub.start()
    hub.network.requests.clear()
    result = a.sync()
    assert result.pushed == 5002 and sync_state.pending_count(a.db) == 0
    pushes = [p for p in hub.network.requests if p == "/api/push"]
    assert len(pushes) == 1 + 11  # the key alone (network), then ceil(5002 seqs / 500)
    b.sync()
    assert shared_snapshot(b.db)["residents"] == shared_snapshot(a.db)["residents"]
    pulls = [p for p in hub.network.requests if p == "/api/pull"]
    assert len(pulls) <= 2 + 11 + 1


def test_an_event_the_projections_refuse_stops_the_pull_before_it_and_says_so(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 3)
    with store.write(a.db):  # a resident registered twice: the second insert must fail at b
        store.events.apply_foreign(
            a.db,
            store.Event(
                id="01900000-0000-7000-8000-0000000000ff",
                origin=a.origin,
                seq=99,
                type="resident.registered",
                scope="building",
                payload={
                    "resident_id": "01900000-0000-7000-8000-0000000000aa",
                    "apartment": "B-204",
                    "name": "Jeanne Martin",
                    "role": "resident",
                    "status": "verified",
                },
                created_at="2026-01-01T00:00:00Z",
            ),
        )
    with store.write(b.db):
        store.record(
            b.db,
            "resident.registered",
            {
                "resident_id": "01900000-0000-7000-8000-0000000000aa",
                "apartment": "B-204",
                "name": "Jeanne Martin",
                "role": "resident",
                "status": "verified",
            },
        )
    a.sync()
    with pytest.raises(EventNotApplicable, match=f"{a.origin}-99"):
        b.sync()
    assert "cannot be applied" in b.state()["last_error"]
    assert not store.query(b.db, "SELECT 1 FROM events WHERE origin = ? AND seq = 99", (a.origin,))
