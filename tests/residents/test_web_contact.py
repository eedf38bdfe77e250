"""Being told by e-mail, at the kiosk: Jeanne reaches "Be told" from her home page, types her
address and asks for urgent alerts; the choice is one ``resident.contact_set`` event; one touch
stops it all. A header-splitting address, a 255-character one or nonsense is refused with the
reason and records nothing; a payload forged past the domain is refused by the registry."""

from __future__ import annotations

import pytest
from app_fixtures import login, post, text_of

from kiosk import store
from kiosk.residents import contact
from kiosk.store.registry import PayloadRefused


def contact_events(db) -> list:
    return store.query(db, "SELECT payload FROM events WHERE type = 'resident.contact_set'")


def test_jeanne_asks_for_urgent_alerts_by_email_and_stops_them_in_one_touch(client, db, building):
    login(client, building.jeanne)
    home = client.get("/me/")
    assert 'href="/me/told/"' in home.get_data(as_text=True)
    page = client.get("/me/told/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-keyboard="text"' in html and 'form="page-form"' in html
    answer = post(
        client,
        "/me/told/",
        {"email": "  Jeanne.Martin@Example.ORG ", "urgent": "yes", "digest": "no"},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "jeanne.martin@example.org" in text_of(answer).lower()
    now = contact.contact_of(db, building.jeanne.id)
    assert now == contact.Contact(email="Jeanne.Martin@example.org", urgent=True, digest=False)
    assert len(contact_events(db)) == 1

    stopped = post(client, "/me/told/stop", follow_redirects=True)
    assert stopped.status_code == 200
    assert contact.contact_of(db, building.jeanne.id) == contact.Contact()
    assert "Stop the e-mails" not in text_of(stopped)


@pytest.mark.parametrize(
    "email",
    [
        "jeanne@example.org\r\nBcc: everyone@example.org",
        "Jeanne <jeanne@example.org>",
        "a@b.fr, c@d.fr",
        "x" * 250 + "@example.org",
        "not an address",
        "jeanne@localhost",
    ],
)
def test_an_address_that_is_not_one_plain_address_is_refused(client, db, building, email):
    login(client, building.jeanne)
    answer = post(client, "/me/told/", {"email": email, "urgent": "yes"})
    assert answer.status_code == 400
    assert contact_events(db) == []


def test_a_payload_forged_past_the_domain_is_refused_by_the_registry(db, building):
    for payload in (
        {"email": "a@b.fr\nBcc: x@y.fr"},
        {"email": "x" * 250 + "@b.fr"},
        {"language": "de"},
        {"urgent": "yes"},
    ):
        good = {
            "resident_id": building.jeanne.id,
            "email": "a@b.fr",
            "urgent": True,
            "digest": False,
            "language": "fr",
        }
        with pytest.raises(PayloadRefused), store.write(db):
            store.record(db, "resident.contact_set", {**good, **payload})
    assert contact_events(db) == []
