"""Bad input from a forged form or a broken device gets a clear 4xx and a message, never a 500:
control characters in any text, ids too large for the database, export periods of year 1 or
9999, a kiosk clock that lost its date."""

from __future__ import annotations

import pytest
from app_fixtures import PIN, login, post, text_of

from kiosk import clock, store
from kiosk.board import board, lending, payment_requests
from kiosk.community import notices, polls
from kiosk.errors import InvalidInput
from kiosk.ledger import exchanges
from kiosk.projects import projects, purchases
from kiosk.residents import residents

YEAR = 365.25 * 86400

HIDDEN = [
    "Ourlet\x00",
    "\x1b[2J\x1b[31mPayez ici",
    "Bip\x07",
    "Suppr\x7f",
    "C1\x9b31m",
    "\u202eruoj nu",
    "lone \ud800 surrogate",
]

CLEANERS = {
    "exchange description": exchanges.clean_description,
    "name": residents.clean_name,
    "post title": board.clean_title,
    "notice": lambda text: notices.clean_text(text, maximum=500, required=None),
    "poll answer": lambda text: polls.clean_options([text, "Non"]),
    "project text": lambda text: projects.clean_text(text, required=True),
    "purchase supplier": lambda text: purchases._clean_words(text, maximum=80, empty="x"),
}


@pytest.mark.parametrize("text", HIDDEN)
@pytest.mark.parametrize("field", sorted(CLEANERS))
def test_control_characters_are_refused_in_every_text_alike(field, text):
    with pytest.raises(InvalidInput) as refused:
        CLEANERS[field](text)
    assert refused.value.msgid == "This text cannot contain control characters."


def test_text_that_only_looks_odd_is_kept():
    assert exchanges.clean_description("Ourlet\tet  «\u00a0pantalon\u00a0» 👨‍👩‍👧") == (
        "Ourlet et « pantalon » 👨‍👩‍👧"
    )
    assert projects.clean_text("Ligne 1\r\n\r\n\r\n\r\nLigne 2", required=True) == (
        "Ligne 1\n\nLigne 2"
    )


def test_a_nul_in_an_exchange_description_is_refused_and_nothing_is_recorded(client, db, building):
    login(client, building.paul)
    response = post(
        client,
        "/exchange/new",
        {
            "direction": "paid",
            "neighbour": building.jeanne.id,
            "description": "Ourlet\x00\x1b[31m",
            "category": "sewing",
            "hours": "1",
            "minutes": "0",
            "amount": "",
        },
    )
    assert response.status_code == 400 and "caractères de contrôle" in text_of(response)
    assert store.scalar(db, "SELECT COUNT(*) FROM transfers") == 0


def test_an_escape_in_a_loan_or_a_decline_reason_is_refused(db, config, building):
    with pytest.raises(InvalidInput, match="control characters"):
        lending.lend(
            db,
            config,
            lender_id=building.jeanne.id,
            borrower_id=building.paul.id,
            item="Perceuse\x1b]0;pwned\x07",
        )
    assert lending.loans_of(db, config, building.jeanne.id) == []
    with pytest.raises(InvalidInput, match="control characters"):
        payment_requests.decline(db, "nope", payer=building.paul, reason="Non\x00")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/printer/jobs/99999999999999999999999999/preview.png",
        "/admin/printer/jobs/9223372036854775808/preview.png",
    ],
)
def test_an_id_too_large_for_the_database_is_page_not_found(client, building, url):
    login(client, building.admin)
    response = client.get(url)
    assert response.status_code == 404 and "Cette page n'existe pas" in text_of(response)
    response = post(client, url.replace("preview.png", "retry"))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    ["start=0001-01&end=0001-01", "start=9999-12&end=9999-12", "start=0001-01&end=9999-12"],
)
@pytest.mark.parametrize("kind", ["transfers", "vouchers"])
def test_an_export_period_of_year_1_or_9999_is_a_clear_message(client, building, kind, query):
    login(client, building.admin)
    response = client.get(f"/admin/exports/{kind}.csv?{query}", follow_redirects=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Choisissez des mois entre 2000 et 2100" in text_of(response)


@pytest.mark.parametrize("years", [-8, -56, 80, 7000])
def test_a_kiosk_clock_that_lost_its_date_refuses_vouchers_in_words(
    client, db, config, building, years
):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlets",
        category="sewing",
        amount=8000,
    )
    clock.shift(years * YEAR)
    login(client, building.jeanne)
    for path in ("/", "/me/", "/vouchers/", "/vouchers/issue", "/board/", "/community/"):
        assert client.get(path).status_code < 500, path
    assert post(client, "/vouchers/issue", {"count_1000": "1"}).status_code == 302
    response = post(client, "/vouchers/issue/confirm", {"pin": PIN})
    assert response.status_code == 400
    assert "ne peut pas être juste" in text_of(response)
    assert residents.get(db, building.jeanne.id).balance == 8000
