"""Projects and group purchases through the test client: each flow, and each bad input answered
with a clear translated message and nothing changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from app_fixtures import login, post, text_of

from kiosk import clock, store
from kiosk.ledger import exchanges
from kiosk.projects import dues as project_dues
from kiosk.projects import projects, purchase_orders
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.residents import residents
from printing import queue as print_queue

DAY = 86400


def open_purchase(db, config, organiser, **kwargs):
    project = projects.propose(
        db,
        resident_id=organiser.id,
        title="Granulés de bois",
        description="",
        kind="group_purchase",
    )
    now = clock.now()
    values = {
        "supplier": "Bois du Lyonnais",
        "deadline": now + timedelta(days=2),
        "pickup_place": "Local vélos",
        "pickup_at": now + timedelta(days=5),
        "fee_kind": "per_participant",
        "fee_amount": 200,
        "products": [
            ProductDraft("Sac de 15 kg", "sac", 599, True, 20_000, 750),
            ProductDraft("Miel", "kg", 1299, False),
        ],
    }
    values.update(kwargs)
    return group_purchases.open_purchase(db, config, project.id, by=organiser.id, **values)


def setup_form(**overrides) -> dict:
    later = clock.now().astimezone(clock.now().tzinfo) + timedelta(days=3)
    pickup = later + timedelta(days=2)
    form = {
        "supplier": "Bio Rhône",
        "pickup_place": "Hall",
        "fee_kind": "fixed",
        "fee_amount": "5",
        "deadline_day": str(later.day),
        "deadline_month": str(later.month),
        "deadline_year": str(later.year),
        "deadline_hour": "20",
        "pickup_day": str(pickup.day),
        "pickup_month": str(pickup.month),
        "pickup_year": str(pickup.year),
        "pickup_hour": "18",
        "name_1": "Pommes",
        "unit_1": "kg",
        "price_1": "2,40",
        "retail_1": "3,20",
        "stock_1": "",
        "minimum_total": "50",
    }
    form.update(overrides)
    return form


def test_a_resident_proposes_a_project_joins_and_volunteers(client, db, building):
    login(client, building.jeanne)
    response = post(
        client,
        "/projects/new",
        {
            "kind": "shared_equipment",
            "title": "Composteur collectif",
            "description": "Un bac dans la cour",
        },
    )
    assert response.status_code == 302
    [project] = projects.all_projects(db)
    post(
        client,
        f"/projects/{project.id}/tasks",
        {"title": "Retourner le compost", "when_label": "semaine 48", "slots": "2"},
    )
    post(client, f"/projects/{project.id}/updates", {"body": "Le bac arrive lundi"})
    client.post("/logout", data={"csrf_token": ""})
    client2 = client.application.test_client()
    login(client2, building.paul)
    post(client2, f"/projects/{project.id}/join")
    [task] = projects.tasks(db, project.id)
    post(client2, f"/projects/tasks/{task.id}/signup")
    page = text_of(client2.get(f"/projects/{project.id}"))
    assert "Composteur collectif" in page and "Le bac arrive lundi" in page
    assert "Paul Durand (A-101)" in page and "1 place libre sur 2" in page
    assert projects.is_member(db, project.id, building.paul.id)


def test_joining_a_closed_project_shows_a_french_message_and_changes_nothing(client, db, building):
    project = projects.propose(
        db, resident_id=building.jeanne.id, title="Fête des voisins", description="", kind="event"
    )
    projects.set_status(db, project.id, "closed", by=building.jeanne.id)
    login(client, building.paul)
    before = store.projection_snapshot(db)
    response = post(client, f"/projects/{project.id}/join", follow_redirects=True)
    assert "Ce projet est clôturé" in text_of(response)
    assert store.projection_snapshot(db) == before


def test_the_organiser_opens_a_purchase_with_the_numpad_form(client, db, building):
    project = projects.propose(
        db,
        resident_id=building.jeanne.id,
        title="Pommes bio",
        description="",
        kind="group_purchase",
    )
    login(client, building.jeanne)
    form_page = text_of(client.get(f"/purchases/{project.id}/setup"))
    assert 'data-keyboard="numpad"' in form_page and 'type="date"' not in form_page
    response = post(client, f"/purchases/{project.id}/setup", setup_form())
    assert response.status_code == 302, text_of(response)
    purchase = group_purchases.get_purchase(db, project.id)
    assert purchase.fee_kind == "fixed" and purchase.fee_amount == 500
    assert purchase.products[0].unit_price == 240 and purchase.products[0].retail_price == 320
    assert purchase.minimum_total == 5000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price_1": "0"}, "Un prix doit être supérieur à zéro"),
        ({"deadline_year": "2001"}, "La date limite de commande doit être dans le futur"),
        ({"deadline_day": "31", "deadline_month": "2"}, "Cette date n'existe pas"),
        ({"name_1": ""}, "Ajoutez au moins un produit"),
        ({"price_1": "-2"}, "ne peut pas être négatif"),
        ({"price_1": ""}, "Indiquez le prix en euros : Pommes."),
    ],
)
def test_bad_purchase_set_ups_are_refused_in_french(client, db, building, overrides, message):
    project = projects.propose(
        db,
        resident_id=building.jeanne.id,
        title="Pommes bio",
        description="",
        kind="group_purchase",
    )
    login(client, building.jeanne)
    response = post(client, f"/purchases/{project.id}/setup", setup_form(**overrides))
    assert response.status_code == 400
    assert message in text_of(response)
    assert not group_purchases.has_purchase(db, project.id)


def test_a_resident_orders_sees_the_fee_first_changes_and_cancels(client, db, config, building):
    purchase = open_purchase(db, config, building.admin)
    bag, honey = purchase.products
    login(client, building.jeanne)
    page = text_of(client.get(f"/purchases/{purchase.project_id}/order"))
    assert "Frais de l'organisateur pour vous : 2,00\u00a0CEEC" in page
    response = post(
        client,
        f"/purchases/{purchase.project_id}/order",
        {f"qty_{bag.id}": "3", f"qty_{honey.id}": "0,5"},
    )
    assert response.status_code == 302
    page = text_of(client.get(f"/projects/{purchase.project_id}"))
    assert "24,47\u00a0€" in page  # 3 x 5,99 + 0,5 x 12,99
    post(client, f"/purchases/{purchase.project_id}/order", {f"qty_{bag.id}": "1"})
    assert group_purchases.order_of(db, purchase.project_id, building.jeanne.id) == {bag.id: 1000}
    post(client, f"/purchases/{purchase.project_id}/order/cancel")
    assert group_purchases.order_of(db, purchase.project_id, building.jeanne.id) == {}


def test_after_ordering_the_order_leads_not_an_invitation_to_join(client, db, config, building):
    purchase = open_purchase(db, config, building.admin)
    bag, _honey = purchase.products
    login(client, building.jeanne)
    before = client.get(f"/projects/{purchase.project_id}").get_data(as_text=True)
    assert 'btn btn-primary" type="submit">Rejoindre le projet' in before
    post(client, f"/purchases/{purchase.project_id}/order", {f"qty_{bag.id}": "2"})
    page = client.get(f"/projects/{purchase.project_id}").get_data(as_text=True)
    state = page.index('data-testid="my-order-state"')
    assert "Ma commande : 11,98" in page[state : state + 300]
    assert state < page.index("Rejoindre le projet")  # the order's state comes first
    assert 'btn btn-primary" type="submit">Rejoindre le projet' not in page


@pytest.mark.parametrize(
    ("bags", "honey", "message"),
    [
        ("-2", "", "Une quantité ne peut pas être négative"),
        ("1,5", "", "se vend par sac entier"),
        ("25", "", "Il ne reste que 20 sacs de « Sac de 15 kg »"),
        ("deux", "", "n'est pas une quantité"),
    ],
)
def test_bad_orders_are_refused_in_french_and_change_nothing(
    client, db, config, building, bags, honey, message
):
    purchase = open_purchase(db, config, building.admin)
    bag, honey_product = purchase.products
    login(client, building.jeanne)
    before = store.projection_snapshot(db)
    response = post(
        client,
        f"/purchases/{purchase.project_id}/order",
        {f"qty_{bag.id}": bags, f"qty_{honey_product.id}": honey},
    )
    assert response.status_code == 400
    assert message in text_of(response)
    assert store.projection_snapshot(db) == before


def test_an_order_after_the_deadline_is_refused(client, db, config, building):
    purchase = open_purchase(db, config, building.admin)
    bag, _honey = purchase.products
    login(client, building.jeanne)
    clock.shift(3 * DAY)
    response = post(client, f"/purchases/{purchase.project_id}/order", {f"qty_{bag.id}": "1"})
    assert response.status_code == 400
    assert "Les commandes ont fermé le" in text_of(response)
    assert "Annulé : le minimum n'a pas été atteint" in text_of(
        client.get(f"/projects/{purchase.project_id}")
    )


def test_the_order_page_warns_a_participant_the_fee_would_take_below_the_floor(
    client, db, config, building
):

    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Déménagement",
        category="moving",
        amount=-config.amount("credit_floor"),
    )
    purchase = open_purchase(db, config, building.admin)
    login(client, building.paul)
    page = text_of(client.get(f"/purchases/{purchase.project_id}/order"))
    assert "trop bas pour payer ces frais" in page


def test_the_organiser_marks_payments_prints_exports_and_distributes(client, db, config, building):
    purchase = open_purchase(db, config, building.admin)
    bag, honey = purchase.products
    purchase_orders.place_order(
        db, config, purchase.project_id, building.jeanne.id, {bag.id: 3000, honey.id: 500}
    )
    purchase_orders.place_order(db, config, purchase.project_id, building.paul.id, {bag.id: 2000})
    clock.shift(3 * DAY)
    login(client, building.admin)
    page = text_of(client.get(f"/purchases/{purchase.project_id}/organise"))
    assert "36,45\u00a0€" in page  # 5 x 5,99 + 6,50
    post(client, f"/purchases/{purchase.project_id}/paid", {"apartment": "B-204", "method": "cash"})
    response = post(
        client,
        f"/purchases/{purchase.project_id}/paid",
        {"apartment": "B-204", "method": "cheque"},
        follow_redirects=True,
    )
    assert "L'appartement B-204 est déjà marqué comme payé" in text_of(response)
    post(client, f"/purchases/{purchase.project_id}/picked", {"apartment": "A-101"})
    for document, layout in (("supplier", "purchase_order"), ("distribution", "distribution_list")):
        post(client, f"/purchases/{purchase.project_id}/print/{document}")
        assert [job.layout for job in print_queue.list_jobs(db)][0] == layout
    csv_response = client.get(f"/purchases/{purchase.project_id}/export.csv")
    assert csv_response.mimetype == "text/csv"
    assert "TOTAL;;;36,45;24,47" in csv_response.get_data(as_text=True)
    response = post(client, f"/purchases/{purchase.project_id}/distributed", follow_redirects=True)
    assert "L'achat est distribué et les frais de l'organisateur ont été payés" in text_of(response)
    assert residents.get(db, building.admin.id).balance == 400


def test_only_the_organiser_sees_the_organisers_page(client, db, config, building):
    purchase = open_purchase(db, config, building.admin)
    login(client, building.paul)
    assert client.get(f"/purchases/{purchase.project_id}/organise").status_code == 403
    assert client.get(f"/purchases/{purchase.project_id}/export.csv").status_code == 403


def test_the_savings_chart_has_a_title_and_a_text_alternative(client, db, config, building):
    purchase = open_purchase(db, config, building.admin)
    bag, _honey = purchase.products
    purchase_orders.place_order(db, config, purchase.project_id, building.jeanne.id, {bag.id: 4000})
    login(client, building.jeanne)
    page = text_of(client.get(f"/projects/{purchase.project_id}"))
    assert (
        'class="chart"' in page
        and 'role="img" aria-labelledby="chart-savings-title chart-savings-desc"' in page
    )
    assert '<title id="chart-savings-title">Euros économisés par foyer</title>' in page
    assert "B-204 : 6,04\u00a0€" in page or "B-204: 6,04\u00a0€" in page
    assert 'data-testid="savings-table"' in page


def test_a_wifi_contribution_is_set_shown_to_each_member_and_its_paid_list_printed(
    client, db, config, building
):
    project = projects.propose(
        db,
        resident_id=building.paul.id,
        title="Wifi partagé",
        description="",
        kind="shared_equipment",
    )
    projects.join(db, project.id, building.jeanne.id)
    login(client, building.paul)
    post(
        client,
        f"/projects/{project.id}/dues",
        {"currency": "eur", "amount": "30", "period": "month", "payee_id": building.paul.id},
    )
    post(client, f"/projects/{project.id}/dues/mark", {"resident_id": building.jeanne.id})
    post(client, f"/projects/{project.id}/dues/print")
    [job] = print_queue.list_jobs(db)
    assert job.layout == "dues_list" and [m["paid"] for m in job.payload["members"]] == [
        False,
        True,
    ]
    page = text_of(client.get(f"/projects/{project.id}"))
    assert "Votre part pour" in page and "15,00\u00a0€" in page
    period = project_dues.current_period(config, "month")
    assert project_dues.share_of(db, project.id, period, building.jeanne.id).paid


def test_the_project_sheet_is_printed_in_the_kiosks_language(client, db, building):
    project = projects.propose(
        db,
        resident_id=building.jeanne.id,
        title="Grainothèque",
        description="Des graines",
        kind="other",
    )
    login(client, building.jeanne)
    post(client, f"/projects/{project.id}/print")
    [job] = print_queue.list_jobs(db)
    assert job.layout == "project_sheet" and job.payload["kind_label"] == "Autre projet"


def test_the_projects_tile_is_on_the_home_pages(client, building):
    login(client, building.admin)
    assert "Projets et achats groupés" in text_of(client.get("/me/"))
    assert "Projets et achats groupés" in text_of(client.get("/admin/"))
