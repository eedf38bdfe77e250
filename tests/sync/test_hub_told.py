"""What a resident chose and what the hub learnt of it, seen at both kiosks of Les Tilleuls.

- "When a neighbour answers my post": Jeanne wants urgent alerts but says no to answers; an
  answer to her post sends her nothing, while Paul, whose contact from before that choice asked
  for alerts, is still told (older kiosks' events keep their meaning).
- A stop made at the hub reaches the kiosks: Jeanne touches the stop link of an alert's e-mail;
  after a sync, her "Be told" page at the hall kiosk and at the lobby kiosk says she stopped the
  e-mails from the link on that day and no longer shows her address as active. Touching the
  link twice tells the kiosks once; a new choice at a kiosk starts the e-mails again. The hub's
  event cannot be forged by a kiosk: one that pushes a ``resident.contact_stopped`` of its own
  (signing correctly) is refused, and Paul's page shows nothing stopped.
"""

from __future__ import annotations

import time

import test_hub_mail as mail_rig
from app_fixtures import PIN, login, text_of
from sync_fixtures import sync_until_quiet

from kiosk import store
from kiosk.app import create_app
from kiosk.board import board, messages
from kiosk.residents import contact, residents

relay, mail_hub, tilleuls = mail_rig.relay, mail_rig.mail_hub, mail_rig.tilleuls
JEANNE_MAIL = mail_rig.JEANNE_MAIL


def told_page(kiosk, resident) -> str:
    """The resident's "Be told" page at ``kiosk``, as they read it (a PIN is private to a
    kiosk: they chose one at each)."""
    residents.set_pin(kiosk.db, resident.id, PIN)
    app = create_app(kiosk.config)
    app.config["TESTING"] = True
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    login(client, resident)
    page = client.get("/me/told/")
    assert page.status_code == 200
    return text_of(page)


def test_jeanne_says_no_to_answers_and_is_not_told_while_pauls_older_choice_still_is(
    relay, mail_hub, tilleuls
):
    relay.start()
    hall, lobby = tilleuls["hall"], tilleuls["lobby"]
    jeanne, paul = tilleuls["jeanne"], tilleuls["paul"]
    contact.set_contact(
        hall.db, jeanne.id, email=JEANNE_MAIL, urgent=True, digest=False, answers=False,
        language="fr",
    )  # fmt: skip
    contact.set_contact(  # as a kiosk from before the choice records it: no "answers"
        hall.db, paul.id, email="paul@example.org", urgent=True, digest=False, language="fr"
    )
    posts = {
        who.id: board.publish(
            hall.db,
            hall.config,
            poster_id=who.id,
            direction="offer",
            kind="lend",
            category="other",
            title=f"Perceuse de {who.name}",
        )  # fmt: skip
        for who in (jeanne, paul)
    }
    sync_until_quiet([hall, lobby])
    claire = residents.get(lobby.db, tilleuls["claire"].id)
    for post in posts.values():
        messages.answer(lobby.db, lobby.config, post.id, sender=claire, body="Je la prends !")
    sync_until_quiet([lobby, hall])
    relay.inbox.wait_for(1)
    mail_hub.sender().wake()
    time.sleep(1.0)
    assert [recipients for recipients, _ in relay.inbox.messages] == [["paul@example.org"]]
    assert "Perceuse de Paul Durand" in relay.inbox.messages[0][1]["Subject"]


def test_a_stop_at_the_hub_reaches_both_kiosks_pages_after_a_sync(relay, mail_hub, tilleuls):
    relay.start()
    hall, lobby = tilleuls["hall"], tilleuls["lobby"]
    jeanne = tilleuls["jeanne"]
    mail_rig.jeanne_asks_for_alerts(tilleuls)
    sync_until_quiet([hall, lobby])
    assert "Les messages vont à jeanne.martin@example.org" in told_page(lobby, jeanne)
    mail_rig.raise_flood(tilleuls)
    sync_until_quiet([lobby, hall])
    relay.inbox.wait_for(1)
    token = mail_rig.stop_link(relay.inbox.messages[0][1]).split("t=", 1)[1]
    url = mail_hub.settings.public_url + "/mail/stop"
    for _touch in range(2):  # touched twice: the kiosks are told once
        status, _page = mail_rig.post_form(url, {"t": token})
        assert status == 200
    sync_until_quiet([hall, lobby])

    for kiosk in (hall, lobby):
        page = told_page(kiosk, jeanne)
        assert "Vous avez arrêté les e-mails par le lien d'un message le" in page
        assert "Les messages vont à" not in page
        assert "Arrêter les e-mails" not in page
        stopped = store.query(
            kiosk.db, "SELECT origin FROM events WHERE type = 'resident.contact_stopped'"
        )
        assert [row["origin"] for row in stopped] == ["HUB"]
    assert contact.contact_of(hall.db, jeanne.id).any is False

    # A new choice at the kiosk starts the e-mails again, and the page says so.
    mail_rig.jeanne_asks_for_alerts(tilleuls)
    sync_until_quiet([hall, lobby])
    page = told_page(lobby, jeanne)
    assert "Vous avez arrêté" not in page
    assert "Les messages vont à jeanne.martin@example.org" in page


def test_a_kiosk_cannot_say_in_the_hubs_place_that_paul_stopped_his_emails(
    relay, mail_hub, tilleuls, monkeypatch
):
    hall, lobby = tilleuls["hall"], tilleuls["lobby"]
    paul = tilleuls["paul"]
    contact.set_contact(
        hall.db, paul.id, email="paul@example.org", urgent=True, digest=False, language="fr"
    )
    sync_until_quiet([hall, lobby])
    event_id = store.scalar(
        hall.db, "SELECT id FROM events WHERE type = 'resident.contact_set' ORDER BY local_id DESC"
    )
    # The hall kiosk (signing correctly) records the hub's event as its own.
    with store.write(hall.db):
        store.record(
            hall.db,
            "resident.contact_stopped",
            {"resident_id": paul.id, "contact_event_id": event_id, "channel": "email"},
        )
    sync_until_quiet([hall, lobby])
    db = mail_hub.hub.db
    try:
        refused = [row["type"] for row in store.query(db, "SELECT type FROM hub_refused")]
    finally:
        db.close()
    assert refused == ["resident.contact_stopped"]
    page = told_page(lobby, paul)
    assert "Les messages vont à paul@example.org" in page
    assert "Vous avez arrêté" not in page
