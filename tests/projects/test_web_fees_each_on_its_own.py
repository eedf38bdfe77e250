"""A blocked row never blocks the others, over HTTP: in a group purchase, a participant who moved
out (balance 0, a fee of 2) used to make "mark distributed" fail for everyone with a false
reason ("below the credit floor"). Now each fee is paid or refused on its own, the organiser
reads the true reason next to the row, before and after, and a double tap distributes once."""

from __future__ import annotations

from datetime import timedelta

from app_fixtures import PIN, csrf_token, login, once_key, post, text_of

from kiosk import clock, store
from kiosk.projects import projects, purchase_orders
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.residents import residents
from kiosk.store import refused
from kiosk.web import once

DAY = 86400


def pellets_with_three_participants(db, config, building):
    """Claire organises (a fee of 2 CEEC each); Jeanne, Paul and Lucas Blanc order a bag."""
    project = projects.propose(
        db, resident_id=building.admin.id, title="Granulés", description="", kind="group_purchase"
    )
    now = clock.now()
    purchase = group_purchases.open_purchase(
        db,
        config,
        project.id,
        by=building.admin.id,
        supplier="Bois du Lyonnais",
        deadline=now + timedelta(days=2),
        pickup_place="Local vélos",
        pickup_at=now + timedelta(days=5),
        fee_kind="per_participant",
        fee_amount=200,
        products=[ProductDraft("Sac de 15 kg", "sac", 599, True)],
    )
    lucas = residents.register(db, apartment="C-303", name="Lucas Blanc", pin=PIN)
    bag = purchase.products[0]
    for person in (building.jeanne, building.paul, lucas):
        purchase_orders.place_order(db, config, purchase.project_id, person.id, {bag.id: 1000})
    return purchase, lucas


def row(page: str, apartment: str) -> str:
    start = page.index(f'data-testid="fee-{apartment}"')
    return page[start : page.index("</li>", start)]


def test_a_moved_out_participant_is_refused_alone_with_the_true_reason(
    client, db, config, building
):
    purchase, lucas = pellets_with_three_participants(db, config, building)
    clock.shift(3 * DAY)  # orders closed, purchase confirmed
    login(client, building.admin)
    response = post(client, f"/admin/residents/{lucas.id}/move-out", follow_redirects=True)
    assert residents.get(db, lucas.id).moved_out, text_of(response)
    assert residents.get(db, lucas.id).balance == 0

    organise = f"/purchases/{purchase.project_id}/organise"
    page = text_of(client.get(organise))
    assert "Lucas Blanc a déjà déménagé" in row(page, "C-303")  # before: the true reason
    assert "plancher" not in page
    assert "fee-refused" not in row(page, "B-204") and "fee-refused" not in row(page, "A-101")

    response = post(client, f"/purchases/{purchase.project_id}/distributed", follow_redirects=True)
    page = text_of(response)
    assert "L'achat est distribué. 1 frais n'a pas été pris" in page
    assert "Lucas Blanc a quitté l'immeuble : le compte est fermé" in row(page, "C-303")
    assert "Non pris" not in row(page, "B-204") and "Non pris" not in row(page, "A-101")
    assert "plancher" not in page

    assert group_purchases.get_purchase(db, purchase.project_id).state == "distributed"
    assert residents.get(db, building.jeanne.id).balance == -200
    assert residents.get(db, building.paul.id).balance == -200
    assert residents.get(db, building.admin.id).balance == 400
    assert residents.get(db, lucas.id).balance == 0  # the closed account stays closed
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0
    # the refusal is in the event: projected again from the log, the row says the same
    with store.write(db):
        refused.rebuild_projections(db)
    assert "Lucas Blanc a quitté l'immeuble" in text_of(client.get(organise))


def test_a_suspended_participant_is_refused_with_words_that_say_so(client, db, config, building):
    purchase, _lucas = pellets_with_three_participants(db, config, building)
    clock.shift(3 * DAY)
    residents.update(db, building.paul.id, status="suspended")
    login(client, building.admin)
    post(client, f"/purchases/{purchase.project_id}/distributed")
    page = text_of(client.get(f"/purchases/{purchase.project_id}/organise"))
    assert "suspendu ou pas encore vérifié" in row(page, "A-101")
    assert residents.get(db, building.paul.id).balance == 0
    assert group_purchases.get_purchase(db, purchase.project_id).state == "distributed"
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0


def test_a_double_tap_on_distributed_records_one_event_and_pays_each_fee_once(
    client, db, config, building
):
    purchase, _lucas = pellets_with_three_participants(db, config, building)
    clock.shift(3 * DAY)
    login(client, building.admin)
    form = {"csrf_token": csrf_token(client), once.FIELD: once_key(client)}
    path = f"/purchases/{purchase.project_id}/distributed"
    first, second = client.post(path, data=form), client.post(path, data=form)
    assert first.status_code == second.status_code == 302
    assert store.scalar(db, "SELECT COUNT(*) FROM events WHERE type = 'purchase.distributed'") == 1
    assert store.scalar(db, "SELECT COUNT(*) FROM transfers WHERE kind = 'purchase_fee'") == 3
    assert residents.get(db, building.admin.id).balance == 600


def test_past_its_deadline_the_order_page_says_orders_are_closed_and_offers_no_quantities(
    client, db, config, building
):
    purchase, _lucas = pellets_with_three_participants(db, config, building)
    login(client, building.jeanne)
    page = text_of(client.get(f"/purchases/{purchase.project_id}/order"))
    assert 'name="qty_' in page and "Enregistrer ma commande" in page
    clock.shift(3 * DAY)
    response = client.get(f"/purchases/{purchase.project_id}/order")
    page = text_of(response)
    assert response.status_code == 200
    assert "Les commandes ont fermé le" in page
    assert "<input" not in page.split('data-testid="orders-closed"')[1].split("</main>")[0]
    assert 'name="qty_' not in page and "Enregistrer ma commande" not in page
    lines = page.split('data-testid="order-lines"')[1].split("</ul>")[0]
    assert "Sac de 15 kg" in lines  # what she ordered, to read, not to edit
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, building.admin)  # the organiser did not order
    page = text_of(client.get(f"/purchases/{purchase.project_id}/order"))
    assert "Vous n'avez pas commandé dans cet achat" in page and 'name="qty_' not in page
