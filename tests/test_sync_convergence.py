"""Property: whatever the kiosks do and whenever they sync (connections cut included), once
everyone has synced twice, kiosks of one building hold identical projections, every building
holds the network's kiosk keys, and every ledger still sums to zero."""

from __future__ import annotations

import tempfile
from pathlib import Path

from app_fixtures import make_test_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sync_fixtures import FaultyNetwork, Hub, Kiosk, shared_events, shared_snapshot

from kiosk import keys, ledger, residents, store
from kiosk.errors import KioskError
from sync import client as sync_client
from sync.hub import create_hub_app

BUILDINGS = ("Résidence des Tilleuls", "Résidence des Tilleuls", "Les Lilas")

steps = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(["register", "exchange", "exchange", "sync", "sync", "cut_push", "cut_pull"]),
        st.integers(0, 10_000),
    ),
    max_size=25,
)


def _network(folder: Path) -> tuple[Hub, list[Kiosk]]:
    hub = Hub(path=folder / "hub.sqlite3", network=FaultyNetwork(create_hub_app(folder / "hub.sqlite3")))
    hub.start()
    kiosks = []
    for i, building in enumerate(BUILDINGS):
        config = make_test_config(folder / f"k{i}", building={"name": building}, sync={"batch_size": 7})
        db = store.connect(config.database_path)
        keys.publish_public_key(db, config)
        kiosk = Kiosk(name=f"k{i}", config=config, db=db)
        kiosk.enrol(hub)
        kiosks.append(kiosk)
    return hub, kiosks


def _act(hub: Hub, kiosk: Kiosk, action: str, n: int) -> None:
    if action == "register":
        residents.register(kiosk.db, apartment=f"{kiosk.name.upper()}-{n}", name=f"Voisin {n}", pin="2580")
    elif action == "exchange":
        own = store.query(kiosk.db, "SELECT id FROM residents WHERE home_origin = ? ORDER BY id", (kiosk.origin,))
        known = store.query(kiosk.db, "SELECT id FROM residents ORDER BY id")
        if not own or len(known) < 2:
            return
        payer = own[n % len(own)]["id"]  # debited only by its home kiosk
        payee = known[(n // 7) % len(known)]["id"]
        if payer == payee:
            return
        try:
            ledger.record_exchange(kiosk.db, kiosk.config, payer_id=payer, payee_id=payee,
                                   description=f"service {n}", amount=100 + n % 400)
        except KioskError:
            pass
    else:
        if action == "cut_push":
            hub.network.cut("/api/push", "cut_after" if n % 2 else "cut_before")
        elif action == "cut_pull":
            hub.network.cut("/api/pull", "cut_after" if n % 2 else "cut_before", skip=n % 2)
        try:
            kiosk.sync()
        except sync_client.HubUnreachable:
            pass
        hub.network._plan.clear()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=steps)
def test_three_kiosks_with_random_sync_schedules_converge(steps):
    with tempfile.TemporaryDirectory() as folder:
        hub, kiosks = _network(Path(folder))
        try:
            for index, action, n in steps:
                _act(hub, kiosks[index], action, n)
            for _round in range(2):
                for kiosk in kiosks:
                    kiosk.sync()
            a, b, lilas = kiosks
            assert shared_snapshot(a.db) == shared_snapshot(b.db)
            assert shared_events(a.db) == shared_events(b.db)
            assert shared_snapshot(lilas.db)["kiosk_keys"] == shared_snapshot(a.db)["kiosk_keys"]
            for kiosk in kiosks:
                assert store.scalar(kiosk.db, "SELECT COALESCE(SUM(balance), 0) FROM accounts") == 0
                assert sync_client.pending_count(kiosk.db) == 0
            hub_db = hub.db
            held = store.scalar(hub_db, "SELECT COUNT(*) FROM events")
            hub_db.close()
            assert held == len(shared_events(a.db) | shared_events(lilas.db))
        finally:
            for kiosk in kiosks:
                kiosk.db.close()
            hub.stop()
