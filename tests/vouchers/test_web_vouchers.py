"""Vouchers at the kiosk's screens: print them with a PIN, scan one, the admin's pages."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, login, post, text_of

from kiosk import clock
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.vouchers import vouchers
from printing.status import PrinterState, PrinterStatus


@pytest.fixture
def jeanne_has_80(db, config, building):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlets",
        category="sewing",
        amount=8000,
    )
    return building


def test_jeanne_prints_vouchers_with_her_pin(client, db, jeanne_has_80):
    b = jeanne_has_80
    login(client, b.jeanne)
    assert "Bons" in text_of(client.get("/me/"))
    response = post(
        client, "/vouchers/issue", {"count_500": "1", "count_1000": "2", "count_2000": ""}
    )
    assert response.location.endswith("/vouchers/issue/confirm")
    assert "25,00\u00a0CEEC" in text_of(client.get("/vouchers/issue/confirm"))
    refused = post(client, "/vouchers/issue/confirm", {"pin": "9999"})
    assert refused.status_code == 400 and residents.get(db, b.jeanne.id).balance == 8000
    done = post(client, "/vouchers/issue/confirm", {"pin": PIN}, follow_redirects=True)
    assert "3 bons" in text_of(done) and residents.get(db, b.jeanne.id).balance == 5500
    assert text_of(done).count("Pas encore imprimé") == 3


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Choisissez combien"),
        ({"count_500": "abc"}, "entre 0 et 99"),
        ({"count_500": "100"}, "entre 0 et 99"),
    ],
)
def test_bad_counts_get_a_clear_message(client, jeanne_has_80, form, message):
    login(client, jeanne_has_80.jeanne)
    response = post(client, "/vouchers/issue", form)
    assert response.status_code == 400 and message in text_of(response)


def test_no_voucher_while_the_printer_is_out_of_paper(app, client, db, jeanne_has_80):

    class Worker:
        status = PrinterStatus(PrinterState.PAPER_OUT)

        def wake(self):
            pass

    app.extensions["print_worker"] = Worker()
    login(client, jeanne_has_80.jeanne)
    assert "plus de papier" in text_of(client.get("/vouchers/issue"))
    post(client, "/vouchers/issue", {"count_500": "1"})
    response = post(client, "/vouchers/issue/confirm", {"pin": PIN})
    assert response.status_code == 400 and "Rien n'a été pris" in text_of(response)
    assert residents.get(db, jeanne_has_80.jeanne.id).balance == 8000


def test_paul_scans_a_voucher_and_is_credited_once(client, db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={1000: 1})
    login(client, b.paul)
    scanned = post(client, "/scan", {"code": voucher.qr})
    # The scan is posted on to the check (307): the code never sits in an address.
    assert scanned.status_code == 307 and scanned.location.endswith("/vouchers/check")
    assert "KV" not in scanned.location
    page = text_of(post(client, "/vouchers/check", {"code": voucher.qr}))
    assert "10,00\u00a0CEEC" in page and voucher.serial in page
    done = post(client, "/vouchers/redeem", {"code": voucher.qr}, follow_redirects=True)
    assert "Bon utilisé" in text_of(done) and residents.get(db, b.paul.id).balance == -7000
    again = post(client, "/vouchers/redeem", {"code": voucher.qr})
    assert again.status_code == 400 and "déjà été utilisé" in text_of(again)
    assert residents.get(db, b.paul.id).balance == -7000


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("KVBCDFGH", "ne peut pas être lu"),
        ("BCDFGH-17-Z", "ne correspond pas"),
        ("BCDFGH-17", "que le numéro du bon"),
    ],
)
def test_unreadable_codes_are_refused_in_words(client, building, code, message):
    login(client, building.paul)
    response = post(client, "/vouchers/check", {"code": code})
    assert response.status_code == 400 and message in text_of(response)


def test_an_expired_voucher_offers_the_admin_to_honour_it(client, db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={500: 1})
    clock.shift(400 * 86400)
    login(client, b.admin)
    page = text_of(post(client, "/vouchers/check", {"code": voucher.typed_code}))
    assert "a expiré le" in page and "Honorer ce bon" in page
    done = post(
        client, "/admin/vouchers/honour", {"code": voucher.typed_code, "resident_id": b.paul.id}
    )
    assert done.status_code == 302 and residents.get(db, b.paul.id).balance == -7500


def test_the_admin_sees_the_circulation_and_cancels_a_lost_voucher(
    client, db, config, jeanne_has_80
):
    b = jeanne_has_80
    first, second = vouchers.issue_vouchers(db, config, resident_id=b.jeanne.id, counts={500: 2})
    login(client, b.admin)
    report = text_of(client.get("/admin/vouchers"))
    assert "Contrôle réussi" in report and "Jeanne Martin" in report
    # The issuer lost the paper: the volunteer finds it by the number on "My vouchers".
    found = text_of(post(client, "/admin/vouchers/find", {"code": first.serial.lower()}))
    assert first.serial in found
    post(client, "/admin/vouchers/cancel", {"serial": first.serial, "reason": "lost"})
    assert residents.get(db, b.jeanne.id).balance == 7500
    batch = text_of(client.get(f"/admin/vouchers/issuer/{b.jeanne.id}"))
    assert second.serial in batch and first.serial not in batch
    for path in ("/admin/vouchers/expired", "/admin/vouchers/redeemed", "/admin/vouchers/honour"):
        assert client.get(path).status_code == 200
    db.execute("UPDATE accounts SET balance = balance + 1 WHERE id = 'system:vouchers'")
    assert "Alarme" in text_of(client.get("/admin/vouchers"))


def test_residents_cannot_open_the_admin_pages(client, building):
    login(client, building.paul)
    assert client.get("/admin/vouchers").status_code == 403
