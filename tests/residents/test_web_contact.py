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


def test_paul_with_a_basic_mobile_asks_for_sms_typed_on_the_pad_and_stops_them(
    client, db, building
):
    login(client, building.paul)
    html = client.get("/me/told/").get_data(as_text=True)
    assert 'name="phone"' in html and 'data-keyboard="digits"' in html
    answer = post(
        client,
        "/me/told/",
        {"email": "", "urgent": "yes", "phone": "06 12 34 56 78", "sms": "yes"},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    assert "+33612345678" in text_of(answer)
    assert contact.contact_of(db, building.paul.id) == contact.Contact(
        phone="+33612345678", sms=True
    )
    [event] = contact_events(db)
    assert '"phone": "+33612345678"' in event["payload"].replace('":"', '": "')

    stopped = post(client, "/me/told/stop-sms", follow_redirects=True)
    assert stopped.status_code == 200
    assert contact.contact_of(db, building.paul.id) == contact.Contact()
    assert "+33612345678" not in text_of(stopped)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("0612345678", "+33612345678"),
        ("07.12.34.56.78", "+33712345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("0032 470 12 34 56", "+32470123456"),
        ("+44 7700 900123", "+447700900123"),
    ],
)
def test_a_number_is_kept_in_e164_whatever_the_way_it_is_typed(db, building, typed, kept):
    now = contact.set_contact(
        db,
        building.paul.id,
        email="",
        urgent=False,
        digest=False,
        phone=typed,
        sms=True,
        language="fr",
    )
    assert now.phone == kept


@pytest.mark.parametrize(
    "phone",
    [
        "06 12 34 56 7",
        "06 12 34 56 78 9",
        "+33 6 12 34 56 78 9",
        "06 12 34 56 78\r\nBcc: x@y.fr",
        "+33612345678;+33698765432",
        "+0 123 456 789",
        "3615",
        "1" * 30,
        "appelle-moi",
    ],
)
def test_a_hostile_or_malformed_number_is_refused_and_records_nothing(client, db, building, phone):
    login(client, building.paul)
    answer = post(client, "/me/told/", {"phone": phone, "sms": "yes"})
    assert answer.status_code == 400
    assert contact_events(db) == []


def test_an_sms_choice_forged_past_the_domain_is_refused_by_the_registry(db, building):
    good = {
        "resident_id": building.jeanne.id,
        "email": "",
        "urgent": False,
        "digest": False,
        "language": "fr",
        "phone": "+33612345678",
        "sms_urgent": True,
    }
    with store.write(db):  # a phone-only choice, and an older event without the new fields
        store.record(db, "resident.contact_set", good)
        store.record(db, "resident.contact_set", {k: good[k] for k in list(good)[:5]})
    for payload in (
        {"phone": "0612345678"},
        {"phone": "+33 6 12 34 56 78"},
        {"phone": "+336123456789"},
        {"phone": "+33612345678\n"},
        {"phone": "+1"},
        {"sms_urgent": "yes"},
        {"answers": 1},
    ):
        with pytest.raises(PayloadRefused), store.write(db):
            store.record(db, "resident.contact_set", {**good, **payload})
    assert len(contact_events(db)) == 2


def test_jeanne_is_told_of_urgent_alerts_but_not_of_answers_to_her_posts(client, db, building):
    login(client, building.jeanne)
    post(
        client,
        "/me/told/",
        {"email": "jeanne@example.org", "urgent": "yes", "digest": "no", "answers": "no"},
    )
    now = contact.contact_of(db, building.jeanne.id)
    assert (now.urgent, now.answers, now.told_of_answers) == (True, False, False)
    html = client.get("/me/told/").get_data(as_text=True)
    assert 'name="answers" value="no" checked' in html
