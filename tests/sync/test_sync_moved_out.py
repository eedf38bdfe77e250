"""A move-out synced between the two kiosks of a building, and status events that try to undo it.

Kiosk a1 closes Jeanne's account; a2, the building's other kiosk, learns it from the hub. A2
then turns hostile: enrolled and signing correctly (a kiosk of the building may speak about
its residents), it records status changes that skip its own rules ("verified", a
verification, "suspended"). They travel, and they change nothing: the account stays closed on
both kiosks, her old PIN is told the closing words at a1. A kiosk of another building forging
her return is refused by the hub's and the kiosks' authority check. The volunteer's
bring-back at a1 travels to a2; both kiosks agree, and the balances sum to zero.
"""

from __future__ import annotations

from app_fixtures import PIN, post, text_of
from sync_fixtures import shared_snapshot, sync_until_quiet

from kiosk import store
from kiosk.admin import moving_out, returning
from kiosk.app import create_app
from kiosk.ledger import exchanges
from kiosk.residents import residents

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"


def _status(kiosk, resident_id: str) -> str:
    return residents.get(kiosk.db, resident_id).status


def test_a_synced_move_out_stays_closed_against_a_hostile_kiosk_of_the_building(hub, make_kiosk):
    a1 = make_kiosk("a1", TILLEULS, enrol_at=hub)
    a2 = make_kiosk("a2", TILLEULS, enrol_at=hub)
    lilas = make_kiosk("lilas", LILAS, enrol_at=hub)
    claire = residents.register(
        a1.db, apartment="A-001", name="Claire Petit", pin=PIN, role="admin"
    )
    jeanne = residents.register(a1.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(a1.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        a1.db, a1.config, payer_id=paul.id, payee_id=jeanne.id, description="Couture", amount=900
    )
    sync_until_quiet([a1, a2, lilas])
    moving_out.close_resident(a1.db, a1.config, resident_id=jeanne.id, admin_id=claire.id)
    sync_until_quiet([a1, a2, lilas])
    assert _status(a2, jeanne.id) == "moved_out"

    # a2 turns hostile: status events that its own rules would refuse, recorded straight.
    with store.write(a2.db):
        store.record(a2.db, "resident.updated", {"resident_id": jeanne.id, "status": "verified"})
        store.record(a2.db, "resident.verified", {"resident_id": jeanne.id, "method": "vouches"})
        store.record(
            a2.db,
            "resident.updated",
            {"resident_id": jeanne.id, "status": "suspended", "name": "Jeanne M."},
        )
    # Les Lilas forges her return: not its building's resident.
    with store.write(lilas.db):
        store.record(
            lilas.db,
            "resident.returned",
            {"resident_id": jeanne.id, "returned_by": claire.id, "reason": "forgé"},
        )
    sync_until_quiet([a2, lilas, a1])
    types_at_a1 = {
        row[0]
        for row in a1.db.conn.execute(
            "SELECT type FROM events WHERE origin = ?", (a2.origin,)
        ).fetchall()
    }
    assert {"resident.updated", "resident.verified"} <= types_at_a1  # they travelled
    for kiosk in (a1, a2):
        assert _status(kiosk, jeanne.id) == "moved_out", kiosk.name
        assert residents.get(kiosk.db, jeanne.id).name == "Jeanne M."  # the rename applies
        assert (
            store.scalar(kiosk.db, "SELECT COUNT(*) FROM events WHERE type = 'resident.returned'")
            == 0
        )
    hub_db = hub.db
    try:  # the hub keeps Les Lilas's forgery (its numbering stays whole) marked refused
        reason = store.scalar(
            hub_db, "SELECT reason FROM hub_refused WHERE type = 'resident.returned'"
        )
    finally:
        hub_db.close()
    assert "only a kiosk of that building" in reason or "unknown in building" in reason, reason

    # At a1, her old PIN: the closing words, not "suspended".
    app = create_app(a1.config)
    app.config["TESTING"] = True
    client = app.test_client()
    response = post(client, "/login/choose", {"resident_id": jeanne.id}, follow_redirects=True)
    assert "Ce compte est fermé : départ de l'immeuble le" in text_of(response)
    assert "suspendu" not in text_of(response)

    # The volunteer brings her back at a1, on purpose: it travels; both kiosks agree.
    returning.bring_back(
        a1.db,
        a1.config,
        resident_id=jeanne.id,
        admin_id=claire.id,
        reason="Revenue dans l'immeuble",
        pin="7391",
        print_card=False,
    )
    sync_until_quiet([a1, a2, lilas])
    for kiosk in (a1, a2):
        back = residents.get(kiosk.db, jeanne.id)
        assert (back.status, back.balance) == ("verified", 0), kiosk.name
        assert store.scalar(kiosk.db, "SELECT SUM(balance) FROM accounts") == 0
        row = store.query_one(
            kiosk.db, "SELECT * FROM departures WHERE resident_id = ?", (jeanne.id,)
        )
        assert row["balance_left"] == 900 and row["return_reason"] == "Revenue dans l'immeuble"
    assert shared_snapshot(a1.db) == shared_snapshot(a2.db)
