"""The project sheet, the supplier order, the distribution list and the paid list print in
French, fit the paper, and come out of a real group purchase's payloads."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from printer_loopback import decode

from kiosk import clock
from kiosk.projects import dues as project_dues
from kiosk.projects import projects, purchase_orders, purchase_reports
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from printing import admin
from printing.escpos_render import render_escpos
from printing.layouts import build_document
from printing.settings import PrintSettings, load_profile


def paper(layout: str, payload: dict, **settings) -> list[str]:
    settings = PrintSettings(**settings)
    document = build_document(layout, payload, settings)
    lines = decode(
        render_escpos(document, settings), load_profile(settings.profile).get_code_pages()
    ).lines
    png = Image.open(io.BytesIO(admin.layout_preview_png(layout, payload, settings)))
    assert png.width == 576
    return lines


@pytest.fixture
def pellets(db, config, building):
    project = projects.propose(
        db,
        resident_id=building.admin.id,
        title="Granulés de bois",
        description="",
        kind="group_purchase",
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
        products=[
            ProductDraft("Sac de 15 kg", "sac", 599),
            ProductDraft("Miel", "kg", 1299, False),
        ],
    )
    bag, honey = purchase.products
    purchase_orders.place_order(
        db, config, project.id, building.jeanne.id, {bag.id: 3000, honey.id: 500}
    )
    purchase_orders.place_order(db, config, project.id, building.paul.id, {bag.id: 2000})
    return group_purchases.get_purchase(db, project.id)


def test_the_supplier_order_totals_each_product(db, config, pellets):
    lines = paper("purchase_order", purchase_reports.supplier_order_payload(db, config, pellets))
    text = "\n".join(lines)
    assert "Commande fournisseur" in text and "Bois du Lyonnais" in text
    assert any("5 sacs à 5,99" in line and "29,95" in line for line in lines)
    assert any(line.startswith("Total") and "36,45" in line for line in lines)


def test_the_distribution_list_shows_each_apartment_and_what_it_owes(db, config, pellets):
    text = "\n".join(
        paper("distribution_list", purchase_reports.distribution_payload(db, config, pellets))
    )
    assert "Appartement B-204" in text and "Jeanne Martin" in text
    assert "24,47" in text and "11,98" in text and "[ ] retiré" in text


def test_the_project_sheet_and_the_paid_list_in_english(db, config, building):
    project = projects.propose(
        db,
        resident_id=building.paul.id,
        title="Shared wifi",
        description="Fibre",
        kind="shared_equipment",
    )
    project_dues.set_dues(
        db,
        project.id,
        by=building.paul.id,
        currency="eur",
        amount=3000,
        period="month",
        payee_id=building.paul.id,
    )
    payload = project_dues.paid_list_payload(db, config, project.id)
    text = "\n".join(paper("dues_list", payload, language="en"))
    assert "Contributions" in text and "[ ] Paul Durand (A-101)" in text and "€30.00" in text
    sheet = {
        "title": "Shared wifi",
        "kind_label": "Shared equipment",
        "status_label": "open",
        "description": "Fibre",
        "coordinators": [{"name": "Paul Durand", "apartment": "A-101"}],
        "member_count": 1,
        "balance": 0,
        "dues": None,
        "updates": [],
        "tasks": [{"title": "Reset the box", "when": "", "slots": 1, "volunteers": []}],
        "printed_at": "2026-11-23T10:00:00Z",
    }
    text = "\n".join(paper("project_sheet", sheet, language="en"))
    assert "Coordinators" in text and "0 of 1 places: nobody yet" in text
