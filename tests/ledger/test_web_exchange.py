"""Recording an exchange at the kiosk, and every way to get it wrong."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, login, post, text_of

from kiosk import store
from kiosk.residents import residents
from printing import queue as print_queue


def fill(client, who, /, **fields):
    form = {
        "direction": "paid",
        "neighbour": who.id,
        "description": "Réparer la fuite de l'évier",
        "category": "diy",
        "hours": "1",
        "minutes": "30",
        "amount": "",
    }
    form.update(fields)
    return post(client, "/exchange/new", form)


def test_paul_pays_jeanne_an_hour_and_a_half(client, db, building):
    login(client, building.paul)
    response = fill(client, building.jeanne)
    assert response.location.endswith("/exchange/confirm")
    confirm = text_of(client.get("/exchange/confirm"))
    assert (
        "15,00\u00a0CEEC" in confirm and "Paul Durand (A-101) paie Jeanne Martin (B-204)" in confirm
    )
    response = post(client, "/exchange/confirm", {"pin": PIN}, follow_redirects=True)
    done = text_of(response)
    assert "Échange enregistré" in done
    assert "+15,00\u00a0CEEC" in done and "-15,00\u00a0CEEC" in done
    assert "Reçu en attente" in done
    assert residents.get(db, building.jeanne.id).balance == 1500
    assert residents.get(db, building.paul.id).balance == -1500


def test_the_provider_records_and_the_payer_types_their_own_pin(client, db, building):
    login(client, building.jeanne)
    fill(client, building.paul, direction="earned", hours="", minutes="", amount="7,50")
    html = text_of(client.get("/exchange/confirm"))
    assert "Paul Durand, tapez votre code pour payer" in html
    # Jeanne's PIN is not Paul's: nothing moves
    response = post(client, "/exchange/confirm", {"pin": "9999"})
    assert response.status_code == 400 and "Code erroné" in text_of(response)
    assert residents.get(db, building.paul.id).balance == 0
    post(client, "/exchange/confirm", {"pin": PIN})
    assert residents.get(db, building.paul.id).balance == -750
    assert residents.get(db, building.jeanne.id).balance == 750


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hours": "", "minutes": "", "amount": "0"}, "supérieur à zéro"),
        ({"hours": "", "minutes": "", "amount": "-5"}, "supérieur à zéro"),
        ({"hours": "", "minutes": "", "amount": "999999"}, "dépasse le maximum"),
        ({"hours": "", "minutes": "", "amount": "douze"}, "n'est pas un montant"),
        ({"hours": "", "minutes": "", "amount": "1e5"}, "n'est pas un montant"),
        ({"hours": "", "minutes": "", "amount": ""}, "Indiquez la durée"),
        ({"hours": "1", "minutes": "", "amount": "5"}, "pas les deux"),
        ({"hours": "0", "minutes": "0"}, "durée supérieure à zéro"),
        ({"hours": "1", "minutes": "75"}, "de 0 à 59"),
        ({"hours": "deux"}, "nombres entiers"),
        ({"hours": "900"}, "dépasse le maximum"),
        ({"description": ""}, "quelques mots"),
        ({"description": "x" * 201}, "au plus 200"),
        ({"category": "astrology"}, "Choisissez une catégorie"),
        ({"direction": "sideways"}, "reçu ou rendu"),
    ],
)
def test_bad_input_gets_a_clear_message_and_records_nothing(client, db, building, fields, message):
    login(client, building.paul)
    response = fill(client, building.jeanne, **fields)
    assert response.status_code == 400
    assert message in text_of(response)
    assert residents.get(db, building.paul.id).balance == 0


def test_paying_oneself_is_refused(client, db, building):
    login(client, building.paul)
    response = fill(client, building.paul)
    assert response.status_code == 400 and "vous payer vous-même" in text_of(response)


def test_an_unknown_neighbour_is_refused(client, building):
    login(client, building.paul)
    response = fill(client, building.paul, neighbour="nobody")
    assert response.status_code == 400 and "Choisissez le voisin" in text_of(response)


def test_pending_and_suspended_neighbours_are_refused(client, db, building):
    login(client, building.paul)
    for other in (building.pending, building.suspended):
        response = fill(client, other)
        assert response.status_code == 400 and "ne peut pas échanger" in text_of(response)


def test_going_below_the_floor_is_refused_at_confirmation(client, db, building):
    login(client, building.paul)
    fill(client, building.jeanne, hours="", minutes="", amount="100")
    post(client, "/exchange/confirm", {"pin": PIN})
    fill(client, building.admin, hours="", minutes="", amount="1")
    response = post(client, "/exchange/confirm", {"pin": PIN})
    assert response.status_code == 400 and "sous le plancher" in text_of(response)
    assert residents.get(db, building.paul.id).balance == -10000


def test_html_in_a_description_is_shown_as_text(client, db, building):
    login(client, building.paul)
    fill(client, building.jeanne, description="<script>alert('x')</script><b>gras</b>")
    post(client, "/exchange/confirm", {"pin": PIN})
    html = client.get("/me/statement").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_a_pending_resident_cannot_open_the_exchange_form(client, building):
    login(client, building.pending)
    response = client.get("/exchange/new", follow_redirects=True)
    assert "ne peut pas échanger" in text_of(response)


def test_cancelling_at_confirmation_records_nothing(client, db, building):
    login(client, building.paul)
    fill(client, building.jeanne)
    response = post(client, "/exchange/cancel", follow_redirects=True)
    assert "Rien n'a été enregistré" in text_of(response)
    assert client.get("/exchange/confirm").status_code == 302
    assert residents.get(db, building.paul.id).balance == 0


def test_the_statement_lists_both_parties_and_filters_by_month(client, db, building):
    login(client, building.paul)
    fill(client, building.jeanne)
    post(client, "/exchange/confirm", {"pin": PIN})
    html = text_of(client.get("/me/statement"))
    assert "Jeanne Martin" in html and "B-204" in html and "-15,00\u00a0CEEC" in html
    assert "Aucun échange" in text_of(client.get("/me/statement?month=2001-01"))
    response = client.get("/me/statement?month=not-a-month", follow_redirects=True)
    assert response.status_code == 200 and "Mois inconnu" in text_of(response)


def test_printing_a_statement_queues_a_job(client, db, building):
    login(client, building.paul)
    response = post(client, "/me/statement/print", {"month": ""}, follow_redirects=True)
    assert "en cours d'impression" in text_of(response)

    assert store.scalar(db, "SELECT COUNT(*) FROM print_jobs WHERE layout = 'statement'") == 1


def test_the_receipt_page_is_private_to_the_two_parties(client, db, building):
    login(client, building.paul)
    fill(client, building.jeanne)
    done = post(client, "/exchange/confirm", {"pin": PIN})
    url = done.location
    post(client, "/logout")
    login(client, building.pending)
    assert client.get(url).status_code == 403


def test_a_failed_receipt_can_be_reprinted_and_nothing_is_lost(client, db, building):

    login(client, building.paul)
    fill(client, building.jeanne)
    done = post(client, "/exchange/confirm", {"pin": PIN})
    [job] = print_queue.list_jobs(db)
    print_queue.mark_failed(db, job.id, "paper jam")
    page = text_of(client.get(done.location))
    assert "n'a pas encore pu être imprimé" in page and "Rien de l'échange n'est perdu" in page
    post(client, done.location + "/reprint")
    jobs = print_queue.list_jobs(db)
    assert len(jobs) == 2 and jobs[0].is_copy and jobs[0].copy_of == job.id
    assert residents.get(db, building.jeanne.id).balance == 1500
