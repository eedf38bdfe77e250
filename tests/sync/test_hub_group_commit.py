"""The hub's group commit (sync/hub/group_commit.py, ``store.accept_batches``): batches pushed
at the same time are stored in one transaction, and each kiosk is told exactly what was
committed of its own batch, whatever another batch of the group did.

On both stores: a group gives every kiosk the answer it would get alone; a refused batch in a
group (a fork, a replayed counter, a gap, an event id taken) is refused on its own while the
others go in; a store that fails mid-group leaves nothing of the group and tells every kiosk
of it, which sends again; and many kiosks of two buildings (two kiosks each) pushing and
pulling at once through the hub's HTTP API end with the same balances everywhere, summing to
zero, no event lost or served twice."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time

import pytest
from sync_fixtures import own_batch, record_notes, send, shared_snapshot, sync_until_quiet

from kiosk import store
from kiosk.ledger import exchanges
from kiosk.residents import residents
from sync import protocol
from sync.errors import HubUnreachable
from sync.hub import group_commit as group_module
from sync.hub import store as hub_store
from sync.hub.group_commit import GroupCommit, StoreFailed
from sync.hub.kiosks import get_kiosk
from sync.hub.refusals import BadRequest, Fork, Gap, Replayed

pytestmark = pytest.mark.both_stores


def _top_seq(kiosk) -> int:
    return store.scalar(
        kiosk.db,
        "SELECT MAX(seq) FROM events WHERE origin = ? AND scope <> 'private'",
        (kiosk.origin,),
    )


def _pending(db, kiosk, from_seq: int, to_seq: int | None = None, *, counter=None, change=None):
    batch = own_batch(kiosk, from_seq, to_seq or _top_seq(kiosk), sealed=True)
    if change is not None:
        change(batch)
    return hub_store.prepare(db, get_kiosk(db, kiosk.origin), batch, counter=counter)


def _held(db, origin: str) -> list[tuple]:
    """(seq, digest, hub_seq) of what the hub holds of a kiosk, in seq order."""
    return [
        tuple(row)
        for row in db.execute(
            "SELECT seq, digest, hub_seq FROM events WHERE origin = ? ORDER BY seq", [origin]
        )
    ]


def _last_counter(db, origin: str) -> int:
    return store.scalar(db, "SELECT last_counter FROM kiosks WHERE origin = ?", (origin,))


def _at_once(work, items, *, seconds: float) -> None:
    """``work(item)`` for every item, each in a thread, all at once; fails with what failed."""
    failures: list[BaseException] = []

    def run(item) -> None:
        try:
            work(item)
        except BaseException as exc:  # noqa: BLE001 (reported in the test's thread)
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(item,), daemon=True) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds)
    assert not failures, failures
    assert not any(thread.is_alive() for thread in threads)


def test_a_group_gives_each_kiosk_the_answer_it_would_get_alone(hub, make_kiosk):
    """Four kiosks' batches stored in one transaction: each is acknowledged up to its last seq,
    every event is held with the digest the kiosk computes, the batches' numbers follow the
    group's order, and the same group sent again is all duplicates, changing nothing."""
    kiosks = [make_kiosk(f"k{i}", enrol_at=hub) for i in range(4)]
    for i, kiosk in enumerate(kiosks):
        record_notes(kiosk, 3 + i)
    db = hub.db
    try:
        group = [_pending(db, kiosk, 1) for kiosk in kiosks]
        answers = hub_store.accept_batches(db, group)
        for kiosk, pending, answer in zip(kiosks, group, answers, strict=True):
            assert answer == {
                "acked_seq": pending.to_seq,
                "accepted": len(pending.rows),
                "duplicates": 0,
                "refused": 0,
            }
            sent = [(row[2], row[7]) for row in pending.rows]
            assert [(seq, digest) for seq, digest, _ in _held(db, kiosk.origin)] == sent
        numbers = [[hub_seq for *_, hub_seq in _held(db, k.origin)] for k in kiosks]
        for earlier, later in itertools.pairwise(numbers):
            assert max(earlier) < min(later)  # the group's order, batch after batch
        before = {k.origin: _held(db, k.origin) for k in kiosks}
        again = hub_store.accept_batches(db, [_pending(db, kiosk, 1) for kiosk in kiosks])
        assert [a["duplicates"] for a in again] == [len(p.rows) for p in group]
        assert [a["accepted"] for a in again] == [0, 0, 0, 0]
        assert {k.origin: _held(db, k.origin) for k in kiosks} == before
    finally:
        db.close()


def test_a_refused_batch_in_a_group_is_refused_alone_and_the_others_go_in(hub, make_kiosk):
    """A group of five: a good batch, a fork, a replayed counter, a gap, a good batch with its
    counter. The fork, the replay and the gap get their own refusals (the fork recorded as a
    conflict, the gap's counter used up, the replayed one not), nothing of them is stored, and
    both good batches are, as if each had been sent alone. An event id taken by another
    kiosk's event in the same group is refused too, and only that batch."""
    good, forked, replayed, gapped, counted = (
        make_kiosk(name, enrol_at=hub) for name in ("good", "fork", "replay", "gap", "count")
    )
    for kiosk in (good, forked, replayed, gapped, counted):
        record_notes(kiosk, 4)
    db = hub.db
    try:
        (first,) = hub_store.accept_batches(db, [_pending(db, forked, 1)])
        assert first["accepted"] > 0
        forked_before = _held(db, forked.origin)
        replay_counter = _last_counter(db, replayed.origin)

        def rename(batch: dict) -> None:
            batch["events"][-1]["payload"]["name"] = "Someone else"

        group = [
            _pending(db, good, 1),
            _pending(db, forked, 1, change=rename),
            _pending(db, replayed, 1, counter=replay_counter),
            _pending(db, gapped, 3, counter=7_000),
            _pending(db, counted, 1, counter=9_000),
        ]
        outcomes = hub_store.accept_batches(db, group)
        assert isinstance(outcomes[0], dict) and outcomes[0]["accepted"] == len(group[0].rows)
        assert isinstance(outcomes[1], Fork)
        assert isinstance(outcomes[2], Replayed)
        assert isinstance(outcomes[3], Gap) and outcomes[3].extra["acked_seq"] == 0
        assert isinstance(outcomes[4], dict) and outcomes[4]["accepted"] == len(group[4].rows)
        assert len(_held(db, good.origin)) == len(group[0].rows)
        assert len(_held(db, counted.origin)) == len(group[4].rows)
        assert _held(db, forked.origin) == forked_before
        assert _held(db, replayed.origin) == [] and _held(db, gapped.origin) == []
        conflicts = store.query(db, "SELECT kind, origin FROM conflicts")
        assert [(row["kind"], row["origin"]) for row in conflicts] == [("fork", forked.origin)]
        assert _last_counter(db, replayed.origin) == replay_counter
        assert _last_counter(db, gapped.origin) == 7_000
        assert _last_counter(db, counted.origin) == 9_000

        # Two kiosks in one group claim the same event id: the second batch is refused whole.
        record_notes(good, 2, start=50)
        record_notes(counted, 2, start=50)
        stolen = own_batch(good, _top_seq(good) - 1, _top_seq(good))["events"][0]["id"]

        def steal(batch: dict) -> None:
            batch["events"][0]["id"] = stolen

        second = [
            _pending(db, good, group[0].to_seq + 1),
            _pending(db, counted, group[4].to_seq + 1, counter=9_001, change=steal),
        ]
        outcomes = hub_store.accept_batches(db, second)
        assert isinstance(outcomes[0], dict) and outcomes[0]["accepted"] == 2
        assert isinstance(outcomes[1], BadRequest)
        assert len(_held(db, counted.origin)) == len(group[4].rows)
        assert _last_counter(db, counted.origin) == 9_001
    finally:
        db.close()


def _first_group_waits(monkeypatch, group: GroupCommit, queued: int):
    """(groups' sizes, set once the first group is being stored): the first group is stored
    only when ``queued`` batches wait behind it (10 s at most), so the next group holds them."""
    sizes: list[int] = []
    entered = threading.Event()
    real = group_module.accept_batches

    def spy(db, pending):
        if not sizes:
            entered.set()
            deadline = time.monotonic() + 10
            while len(group._queue) < queued and time.monotonic() < deadline:
                time.sleep(0.01)
        sizes.append(len(pending))
        return real(db, pending)

    monkeypatch.setattr(group_module, "accept_batches", spy)
    return sizes, entered


@pytest.mark.parametrize("lead_groups", [1, 16])
def test_many_kiosks_pushing_at_once_are_each_told_what_was_committed(
    hub, make_kiosk, monkeypatch, lead_groups
):
    """Eight kiosks each push five batches in a row, all at once, through one hub process's
    group commit, each on its own connection: batches are stored in groups, no thread waits
    for ever (a leader hands the lead on after ``LEAD_GROUPS`` groups: 1 makes it hand on
    every time), every answer acknowledges exactly its batch, and the hub ends with every
    event once, each kiosk's in seq order."""
    monkeypatch.setattr(group_module, "LEAD_GROUPS", lead_groups)
    kiosks = [make_kiosk(f"k{i}", enrol_at=hub) for i in range(8)]
    for kiosk in kiosks:
        record_notes(kiosk, 10)
    group = GroupCommit()
    sizes, _entered = _first_group_waits(monkeypatch, group, queued=len(kiosks) - 1)
    answers: dict[str, list[tuple[int, dict]]] = {k.origin: [] for k in kiosks}

    def push(kiosk) -> None:
        db = hub.db
        try:
            top = _top_seq(kiosk)
            cuts = [1 + (top * i) // 5 for i in range(5)] + [top + 1]
            for start, end in itertools.pairwise(cuts):
                pending = _pending(db, kiosk, start, end - 1)
                answers[kiosk.origin].append((end - 1, group.accept(db, pending)))
        finally:
            db.close()

    _at_once(push, kiosks, seconds=120)
    assert max(sizes) > 1 and sum(sizes) == 40  # stored together, each batch once
    db = hub.db
    try:
        for kiosk in kiosks:
            assert [acked for acked, _ in answers[kiosk.origin]] == [
                answer["acked_seq"] for _, answer in answers[kiosk.origin]
            ]
            held = _held(db, kiosk.origin)
            kiosk_events = own_batch(kiosk, 1, _top_seq(kiosk))["events"]
            assert [seq for seq, *_ in held] == [event["seq"] for event in kiosk_events]
            hub_numbers = [hub_seq for *_, hub_seq in held]
            assert hub_numbers == sorted(hub_numbers)
            accepted = sum(answer["accepted"] for _, answer in answers[kiosk.origin])
            assert accepted == len(kiosk_events)
    finally:
        db.close()


def test_a_store_failing_mid_group_leaves_nothing_and_tells_every_kiosk(
    hub, make_kiosk, monkeypatch
):
    """The store fails while a group is being stored (a disk error on one batch's events):
    every kiosk of the group is told its batch was not stored, nothing of the group stays, no
    counter is used; sent again once the store is back, every batch goes in once."""
    kiosks = [make_kiosk(f"k{i}", enrol_at=hub) for i in range(4)]
    for kiosk in kiosks:
        record_notes(kiosk, 3)
    failing = kiosks[2].origin
    real_insert = hub_store._insert_events

    def broken_disk(conn, rows):
        if rows and rows[0][1] == failing:
            raise sqlite3.OperationalError("disk I/O error")
        real_insert(conn, rows)

    monkeypatch.setattr(hub_store, "_insert_events", broken_disk)
    group = GroupCommit()
    sizes, entered = _first_group_waits(monkeypatch, group, queued=len(kiosks))
    outcomes: dict[str, object] = {}
    first = make_kiosk("first", enrol_at=hub)  # stored alone first: the four wait behind it
    record_notes(first, 3)

    def push(kiosk) -> None:
        db = hub.db
        counter = 100 + kiosks.index(kiosk)
        try:
            outcomes[kiosk.origin] = group.accept(db, _pending(db, kiosk, 1, counter=counter))
        except StoreFailed as exc:
            outcomes[kiosk.origin] = exc
        finally:
            db.close()

    db = hub.db
    try:
        blocker = threading.Thread(
            target=group.accept, args=(db, _pending(db, first, 1)), daemon=True
        )
        blocker.start()
        assert entered.wait(10)
        _at_once(push, kiosks, seconds=60)
        blocker.join(10)
    finally:
        db.close()
    assert len(outcomes) == 4 and max(sizes) > 1
    db = hub.db
    try:
        in_group = [k for k in kiosks if isinstance(outcomes[k.origin], StoreFailed)]
        assert kiosks[2] in in_group and len(in_group) > 1
        for kiosk in in_group:
            assert _held(db, kiosk.origin) == []
            assert _last_counter(db, kiosk.origin) < 100
        monkeypatch.setattr(hub_store, "_insert_events", real_insert)
        for i, kiosk in enumerate(in_group):
            (answer,) = hub_store.accept_batches(db, [_pending(db, kiosk, 1, counter=200 + i)])
            assert answer["accepted"] == len(own_batch(kiosk, 1, _top_seq(kiosk))["events"])
        for kiosk in kiosks:
            assert len(_held(db, kiosk.origin)) == len(
                own_batch(kiosk, 1, _top_seq(kiosk))["events"]
            )
    finally:
        db.close()


def test_a_kiosk_told_of_a_failed_group_over_http_loses_nothing(hub, make_kiosk, monkeypatch):
    """Over HTTP, a push whose group the store could not store is answered 500 (the kiosk
    takes it as a hub it cannot use now) and nothing of it is held; the kiosk's next sync
    stores it, once, and its neighbour's kiosk receives it."""
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 3)
    real_insert = hub_store._insert_events
    monkeypatch.setattr(
        hub_store,
        "_insert_events",
        lambda conn, rows: (_ for _ in ()).throw(sqlite3.OperationalError("disk I/O error")),
    )
    with pytest.raises(HubUnreachable, match="500"):
        send(a, "POST", "/api/push", protocol.encode_body(own_batch(a, 1, _top_seq(a))))
    db = hub.db
    try:
        assert _held(db, a.origin) == []
    finally:
        db.close()
    monkeypatch.setattr(hub_store, "_insert_events", real_insert)
    sync_until_quiet([a, b])
    assert shared_snapshot(b.db) == shared_snapshot(a.db)


def _resident(kiosk, n: int) -> str:
    return residents.register(
        kiosk.db, apartment=f"{kiosk.name.upper()}-{n}", name=f"Voisin {n}", pin="2580"
    ).id


def test_two_buildings_of_two_kiosks_trading_and_syncing_at_once_converge(hub, make_kiosk):
    """Two buildings, two kiosks each, residents trading CEEC on every kiosk while all four
    sync at once, round after round (pushes grouped at the hub): in the end every kiosk of a
    building holds the same balances, every ledger sums to zero, and the hub holds each
    kiosk's events once."""
    kiosks = [
        make_kiosk(f"{b}{i}", building=building, enrol_at=hub, batch_size=5)
        for b, building in (("t", "Les Tilleuls"), ("c", "Les Chênes"))
        for i in range(2)
    ]
    people = {k.name: [_resident(k, n) for n in range(3)] for k in kiosks}
    sync_until_quiet(kiosks)

    def trade_and_sync(kiosk, rounds: int = 6) -> None:
        partner = next(k for k in kiosks if k is not kiosk and k.name[0] == kiosk.name[0])
        for n in range(rounds):
            exchanges.record_exchange(
                kiosk.db,
                kiosk.config,
                payer_id=people[kiosk.name][n % 3],
                payee_id=people[partner.name][(n + 1) % 3],
                description=f"coup de main {n}",
                amount=100 + 10 * n,
            )
            kiosk.sync()

    _at_once(trade_and_sync, kiosks, seconds=180)
    sync_until_quiet(kiosks)
    for first, second in (kiosks[:2], kiosks[2:]):
        assert shared_snapshot(first.db) == shared_snapshot(second.db)
        balances = store.query(first.db, "SELECT id, balance FROM accounts ORDER BY id")
        assert balances == store.query(second.db, "SELECT id, balance FROM accounts ORDER BY id")
    for kiosk in kiosks:
        assert store.scalar(kiosk.db, "SELECT COALESCE(SUM(balance), 0) FROM accounts") == 0
        assert store.scalar(kiosk.db, "SELECT COUNT(*) FROM transfers") >= 12
    db = hub.db
    try:
        for kiosk in kiosks:
            held = [seq for seq, *_ in _held(db, kiosk.origin)]
            assert held == sorted(set(held))
            assert held == [e["seq"] for e in own_batch(kiosk, 1, _top_seq(kiosk))["events"]]
    finally:
        db.close()
