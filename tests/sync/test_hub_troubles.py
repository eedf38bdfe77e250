"""The hub's dashboard shows, at a glance, a kiosk that keeps failing and why, in words, in
French and in English: requests the hub refused since the kiosk's last accepted one (a kiosk
reinstalled with a new key and no restore code), a fork it sent, a long silence. A kiosk that
is mended drops off the list; a request naming a kiosk the hub does not know records nothing."""

from __future__ import annotations

import html

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sync_fixtures import dashboard, own_batch, record_notes, send

from kiosk import clock, store
from sync import protocol
from sync.errors import HubRefused
from sync.hub import dashboard as hub_dashboard

PASSWORD = "correct horse battery"
DAY = 24 * 3600


@pytest.fixture(autouse=True)
def clock_back_in_place():
    yield
    clock.reset()


def page(hub, language="en") -> str:
    return html.unescape(dashboard(hub, "admin", PASSWORD, language))


def trouble_section(text: str) -> str:
    """The dashboard's first section: the kiosks in trouble."""
    start = text.index("<h2>")
    return text[start : text.index("<h2>", start + 1)]


@pytest.fixture
def network(hub, make_kiosk):
    db = hub.db
    hub_dashboard.set_dashboard_password(db, PASSWORD)
    db.close()
    lobby = make_kiosk("lobby", enrol_at=hub)
    hall = make_kiosk("hall", enrol_at=hub)
    lilas = make_kiosk("lilas", building="Les Lilas", enrol_at=hub)
    for kiosk in (lobby, hall, lilas):
        record_notes(kiosk, 2)
        kiosk.sync()
    return lobby, hall, lilas


def reinstalled_without_restore_code(kiosk) -> Ed25519PrivateKey:
    """The hall kiosk's SD card is replaced and set up again by hand: a new signing key, the
    same kiosk id. Returns the old key (found again on the old card)."""
    client = kiosk.client()
    old = client.key
    kiosk.client = lambda: _with_key(client, Ed25519PrivateKey.generate())
    return old


def _with_key(client, key):
    client.key = client.request_key = key
    return client


def test_a_kiosk_refused_again_and_again_shows_with_the_reason_in_both_languages(hub, network):
    lobby, hall, lilas = network
    reinstalled_without_restore_code(hall)
    for _ in range(3):
        with pytest.raises(HubRefused):
            hall.sync()
    english = trouble_section(page(hub))
    assert hall.origin in english and lobby.origin not in english and lilas.origin not in english
    assert "The hub refused its last 3 requests in a row, since" in english
    assert "not signed with the key the hub knows for it" in english
    assert "Last answer (" in english  # and the hub's own words
    french = trouble_section(page(hub, "fr"))
    assert hall.origin in french
    assert "Le hub a refusé ses 3 dernières requêtes" in french
    assert "pas signées avec la clé" in french


def test_a_mended_kiosk_drops_off_the_list(hub, network):
    lobby, hall, lilas = network
    client = hall.client()
    old_key = client.key
    reinstalled_without_restore_code(hall)
    with pytest.raises(HubRefused):
        hall.sync()
    assert hall.origin in trouble_section(page(hub))
    hall.client = lambda: _with_key(client, old_key)  # the old card's key is found again
    record_notes(hall, 1, start=10)
    hall.sync()
    assert hall.origin not in trouble_section(page(hub))
    assert "every kiosk's last request was accepted" in page(hub)


def test_a_fork_and_a_silent_kiosk_are_told_in_words(hub, network):
    lobby, hall, lilas = network
    record_notes(lobby, 3, start=20)
    lobby.sync()
    batch = own_batch(lobby, 3, 4)
    batch["events"][0]["payload"]["name"] = "Quelqu'un d'autre"
    with pytest.raises(HubRefused):
        send(lobby, "POST", "/api/push", protocol.encode_body(batch))
    clock.shift(3 * DAY + 60)  # Les Lilas' kiosk is switched off; the others go on syncing
    lobby.sync()
    hall.sync()
    english = trouble_section(page(hub))
    assert "It sent 1 event under a number the hub already held for another one." in english
    assert "The hub refused" not in english  # its later requests were accepted
    assert lilas.origin in english and "No word from it for 3 days, since" in english
    french = trouble_section(page(hub, "fr"))
    assert "Aucune nouvelle depuis 3 jours, depuis le" in french


def test_a_request_naming_a_kiosk_the_hub_does_not_know_records_nothing(hub, network):
    lobby, hall, lilas = network
    with pytest.raises(HubRefused):
        send(lobby, "POST", "/api/push", b"not gzip", headers={protocol.HEADER_ORIGIN: "NOBODY"})
    db = hub.db
    try:
        assert store.scalar(db, "SELECT COUNT(*) FROM kiosk_failures") == 0
    finally:
        db.close()
