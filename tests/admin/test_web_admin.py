"""The volunteer's pages: residents, cards, PINs, lockouts, reversals; and who may open them."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, login, post, text_of

from kiosk import clock, store
from kiosk.errors import AccountLocked, CardRevoked, WrongPin
from kiosk.ledger import exchanges
from kiosk.residents import auth, residents
from kiosk.vouchers import vouchers
from printing.queue import list_jobs

ADMIN_PAGES = ["/admin/", "/admin/residents", "/admin/residents/new", "/admin/transfers"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_refuse_residents(client, building, path):
    login(client, building.jeanne)
    response = client.get(path)
    assert response.status_code == 403
    assert "Seul un administrateur" in text_of(response)


@pytest.mark.parametrize("path", ADMIN_PAGES + ["/me/", "/me/statement", "/exchange/new"])
def test_a_logged_out_kiosk_shows_no_ones_data(client, building, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "Jeanne" not in text_of(client.get(path, follow_redirects=True))


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_open_for_an_admin(client, building, path):
    login(client, building.admin)
    assert client.get(path).status_code == 200


def test_an_admin_adds_a_resident_and_their_card_is_queued(client, db, building):
    login(client, building.admin)
    response = post(
        client,
        "/admin/residents/new",
        {
            "apartment": "c-105",
            "name": "  Lucie   Bernard ",
            "pin": "4821",
            "role": "resident",
            "status": "verified",
            "print_card": "1",
        },
        follow_redirects=True,
    )
    assert "Lucie Bernard (C-105) a été ajouté·e." in text_of(response)
    lucie = residents.in_apartment(db, "C-105")[0]
    assert lucie.name == "Lucie Bernard"
    jobs = store.query(db, "SELECT * FROM print_jobs WHERE layout = 'member_card'")
    assert len(jobs) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"apartment": ""}, "par exemple B-204"),
        ({"apartment": "<b>x</b>"}, "par exemple B-204"),
        ({"name": ""}, "Indiquez un nom"),
        ({"name": "x" * 61}, "au plus 60"),
        ({"pin": "12"}, "4 à 6 chiffres"),
        ({"pin": "abcd"}, "4 à 6 chiffres"),
        ({"role": "king"}, "Rôle inconnu"),
        ({"status": "asleep"}, "Statut inconnu"),
    ],
)
def test_bad_resident_forms_are_refused(client, db, building, fields, message):
    login(client, building.admin)
    form = {
        "apartment": "C-105",
        "name": "Lucie Bernard",
        "pin": "4821",
        "role": "resident",
        "status": "verified",
    }
    form.update(fields)
    before = len(residents.all_residents(db))
    response = post(client, "/admin/residents/new", form)
    assert response.status_code == 400 and message in text_of(response)
    assert len(residents.all_residents(db)) == before


def test_a_new_card_revokes_the_old_one(client, db, building):
    old = residents.issue_card(db, building.jeanne.id, print_it=False)
    login(client, building.admin)
    response = post(client, f"/admin/residents/{building.jeanne.id}/card", follow_redirects=True)
    assert "L'ancienne carte ne fonctionne plus" in text_of(response)

    with pytest.raises(CardRevoked):
        auth.resident_for_card(db, old)


def test_resetting_a_pin_lifts_the_lockout(client, db, config, building):
    for _ in range(5):
        with pytest.raises((WrongPin, AccountLocked)):  # the fifth wrong PIN locks
            auth.verify_pin(db, config, building.jeanne.id, "0000")
    assert auth.locked_until(db, building.jeanne.id) is not None
    login(client, building.admin)
    page = text_of(client.get(f"/admin/residents/{building.jeanne.id}"))
    assert "Bloqué après des codes erronés" in page
    post(client, f"/admin/residents/{building.jeanne.id}/pin", {"pin": "1357"})
    assert auth.locked_until(db, building.jeanne.id) is None
    auth.verify_pin(db, config, building.jeanne.id, "1357")


def test_unlocking_keeps_the_pin(client, db, config, building):
    for _ in range(5):
        with pytest.raises((WrongPin, AccountLocked)):
            auth.verify_pin(db, config, building.jeanne.id, "0000")
    login(client, building.admin)
    post(client, f"/admin/residents/{building.jeanne.id}/unlock")
    auth.verify_pin(db, config, building.jeanne.id, PIN)


def test_a_bad_new_pin_is_refused(client, db, config, building):
    login(client, building.admin)
    response = post(
        client, f"/admin/residents/{building.jeanne.id}/pin", {"pin": "1"}, follow_redirects=True
    )
    assert "4 à 6 chiffres" in text_of(response)
    auth.verify_pin(db, config, building.jeanne.id, PIN)


def test_suspending_a_resident_ends_their_session(client, db, building):
    login(client, building.admin)
    post(
        client,
        f"/admin/residents/{building.jeanne.id}",
        {"apartment": "B-204", "name": "Jeanne Martin", "role": "resident", "status": "suspended"},
    )
    assert residents.get(db, building.jeanne.id).status == "suspended"
    other = client.application.test_client()
    response = post(
        other, "/login/choose", {"resident_id": building.jeanne.id}, follow_redirects=True
    )
    assert "suspendu" in text_of(response)


def test_an_admin_cannot_demote_themselves(client, db, building):
    login(client, building.admin)
    response = post(
        client,
        f"/admin/residents/{building.admin.id}",
        {"apartment": "A-001", "name": "Claire Petit", "role": "resident", "status": "verified"},
    )
    assert response.status_code == 400
    assert residents.get(db, building.admin.id).role == "admin"


def test_an_admin_reverses_a_transfer_with_a_reason(client, db, config, building):
    transfer = exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Couture",
        category="sewing",
        minutes=60,
    )
    login(client, building.admin)
    assert transfer.reference in text_of(client.get("/admin/transfers"))
    response = post(client, f"/admin/transfers/{transfer.reference}/reverse", {"reason": ""})
    assert response.status_code == 400
    response = post(
        client,
        f"/admin/transfers/{transfer.reference}/reverse",
        {"reason": "Saisie en double"},
        follow_redirects=True,
    )
    assert "a été annulé par" in text_of(response)
    assert residents.get(db, building.paul.id).balance == 0
    response = post(client, f"/admin/transfers/{transfer.reference}/reverse", {"reason": "encore"})
    assert response.status_code == 400 and "déjà été annulé" in text_of(response)


def test_an_unknown_transfer_reference_is_a_clear_refusal(client, building):
    login(client, building.admin)
    response = client.get("/admin/transfers/NOPE-1/reverse")
    assert response.status_code == 400 and "Aucun virement" in text_of(response)


def test_transfer_pages_paginate(client, building):
    login(client, building.admin)
    assert client.get("/admin/transfers?page=abc").status_code == 200
    assert client.get("/admin/transfers?page=-3").status_code == 200


def test_csv_exports_for_the_association_have_no_secrets(client, db, config, building):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlet; « pantalon »",
        category="sewing",
        minutes=15,
    )
    residents.issue_card(db, building.jeanne.id, print_it=False)
    login(client, building.admin)
    page = text_of(client.get("/admin/exports/"))
    assert "Exports pour l'association" in page
    people = client.get("/admin/exports/residents.csv")
    assert people.mimetype == "text/csv"
    body = people.get_data(as_text=True)
    assert body.startswith("\ufeffapartment;name;role;status")
    assert "B-204;Jeanne Martin;resident;verified;2,50" in body
    assert "scrypt" not in body and "pin" not in body.lower()

    month = clock.now().astimezone(config.timezone).strftime("%Y-%m")
    moves = client.get(f"/admin/exports/transfers.csv?start={month}&end={month}").get_data(
        as_text=True
    )
    assert '"Ourlet; « pantalon »"' in moves and ";2,50;15;sewing;" in moves
    empty = client.get("/admin/exports/transfers.csv?start=2001-01&end=2001-02").get_data(
        as_text=True
    )
    assert empty.count("\r\n") == 1  # the header only


@pytest.mark.parametrize(
    "query",
    ["start=2026-13&end=2026-01", "start=2026-05&end=2026-01", "start=&end=", "start=abc&end=def"],
)
def test_a_bad_export_period_is_a_clear_message(client, building, query):
    login(client, building.admin)
    response = client.get(f"/admin/exports/transfers.csv?{query}", follow_redirects=True)
    assert response.mimetype == "text/html"
    text = text_of(response)
    assert "mois" in text


def test_an_admin_prints_a_residents_monthly_statement(client, db, config, building):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Couture",
        category="sewing",
        minutes=60,
    )
    login(client, building.admin)
    page = text_of(client.get(f"/admin/residents/{building.jeanne.id}"))
    assert "Imprimer le relevé de" in page

    month = clock.now().astimezone(config.timezone).strftime("%Y-%m")
    response = post(
        client,
        f"/admin/exports/statement/{building.jeanne.id}",
        {"month": month},
        follow_redirects=True,
    )
    assert "Le relevé de Jeanne Martin est en cours d'impression" in text_of(response)

    [job] = [j for j in list_jobs(db) if j.layout == "statement"]
    assert job.payload["month"] == month and job.payload["lines"][0]["amount"] == 1000


def test_the_vouchers_csv_lists_the_periods_vouchers_without_signatures(
    client, db, config, building
):

    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Couture",
        category="sewing",
        amount=4000,
    )
    vouchers.issue_vouchers(db, config, resident_id=building.jeanne.id, counts={1000: 2})
    login(client, building.admin)
    month = clock.now().astimezone(config.timezone).strftime("%Y-%m")
    body = client.get(f"/admin/exports/vouchers.csv?start={month}&end={month}").get_data(
        as_text=True
    )
    header, *rows = body.lstrip("\ufeff").strip().split("\r\n")
    assert "serial" in header and "amount" in header and "outcome" in header
    assert "signature" not in header and ";qr;" not in header
    assert len(rows) == 2 and all(";10,00;" in row for row in rows)
    empty = client.get("/admin/exports/vouchers.csv?start=2001-01&end=2001-01").get_data(
        as_text=True
    )
    assert empty.lstrip("\ufeff").strip() == header
