"""The weekly digest and "a neighbour answered your post", through the hub, with a real SMTP
server on 127.0.0.1 (aiosmtpd) and two kiosks of Les Tilleuls (the hall and the lobby).

Jeanne asked for the weekly digest, Paul for nothing: from Monday 08:00 (the hub's clock) one
digest reaches Jeanne in French with the week's new offer, project and poll (a request
withdrawn meanwhile left out); the hub restarted and the clock moved within the week send
nothing again; the next week with nothing new sends nothing; the week after, a new post sends
one. An answer to Jeanne's post sends her one message, whatever the syncs and restarts, with
the post's title and the first words, never who wrote it. A kiosk of Les Lilas, signing
correctly, that answers Jeanne's post in Paul's name is refused by the authority at the hub and
sends nothing; one that answers with its own resident is accepted but sends nothing either
(the post is not of its building).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import test_hub_mail as mail_rig
from sync_fixtures import sync_until_quiet

from kiosk import clock, store
from kiosk.board import board, messages
from kiosk.community import polls
from kiosk.projects import projects
from kiosk.residents import contact, residents

# The rig of the urgent alerts' tests: a relay on 127.0.0.1, a hub sending through it, the
# two kiosks of Les Tilleuls with Claire (volunteer), Jeanne and Paul.
relay, mail_hub, tilleuls = mail_rig.relay, mail_rig.mail_hub, mail_rig.tilleuls
JEANNE_MAIL, LILAS, post_form, stop_link = (
    mail_rig.JEANNE_MAIL,
    mail_rig.LILAS,
    mail_rig.post_form,
    mail_rig.stop_link,
)
PAUL_MAIL = "paul.durand@example.org"
DAY = 24 * 3600


def monday_at(hour: int) -> None:
    """Move the clock to the next Monday at ``hour`` UTC (a whole new ISO week)."""
    now = clock.now()
    monday = (now + timedelta(days=7 - now.weekday())).date()
    clock.shift((datetime.combine(monday, datetime.min.time(), UTC) - now).total_seconds())
    clock.shift(hour * 3600)


def offer(kiosk, poster_id: str, title: str, direction: str = "offer"):
    return board.publish(
        kiosk.db,
        kiosk.config,
        poster_id=poster_id,
        direction=direction,
        kind="lend" if direction == "offer" else "service",
        category="other",
        title=title,
    )


def digests(mail_hub) -> list[tuple]:
    db = mail_hub.hub.db
    try:
        return [
            tuple(row)
            for row in store.query(db, "SELECT resident_id, items FROM mail_digests ORDER BY week")
        ]
    finally:
        db.close()


def settle(mail_hub, seconds: float = 1.0) -> None:
    """Let the sender make a pass (and send what it decides)."""
    mail_hub.sender().wake()
    time.sleep(seconds)


def test_the_weekly_digest_reaches_jeanne_once_a_week_with_what_is_new(relay, mail_hub, tilleuls):
    relay.start()
    hall, lobby = tilleuls["hall"], tilleuls["lobby"]
    try:
        monday_at(7)  # a new week, before its digest is due
        contact.set_contact(
            hall.db, tilleuls["jeanne"].id, email=JEANNE_MAIL, urgent=False, digest=True,
            language="fr",
        )  # fmt: skip
        offer(hall, tilleuls["paul"].id, "Perceuse à prêter")
        ladder = offer(hall, tilleuls["paul"].id, "Cherche une échelle", direction="request")
        sync_until_quiet([hall, lobby])
        board.withdraw(
            lobby.db, lobby.config, ladder.id, actor=residents.get(lobby.db, tilleuls["paul"].id)
        )
        projects.propose(
            lobby.db,
            resident_id=tilleuls["claire"].id,
            title="Jardin partagé",
            description="Des bacs sur le toit.",
            kind="event",
        )
        today = polls.today(lobby.config)
        polls.open_poll(
            lobby.db,
            lobby.config,
            creator_id=tilleuls["claire"].id,
            question="Repeindre le hall ?",
            options=["Oui", "Non"],
            opens_on=today,
            closes_on=today + timedelta(days=10),
        )
        sync_until_quiet([lobby, hall])
        settle(mail_hub, 0.5)
        assert relay.inbox.messages == []  # 07:00: not yet

        clock.shift(2 * 3600)  # Monday 09:00
        settle(mail_hub, 0.1)
        relay.inbox.wait_for(1)
        recipients, message = relay.inbox.messages[0]
        assert recipients == [JEANNE_MAIL]  # Paul asked for nothing
        assert message["Subject"] == "Les nouveautés de votre immeuble cette semaine"
        body = message.get_content().replace("\r\n", "\n")
        assert "Nouvelles offres au tableau :\n- Perceuse à prêter" in body
        assert "Cherche une échelle" not in body  # withdrawn
        assert "Projets proposés :\n- Jardin partagé" in body
        closes = (today + timedelta(days=10)).strftime("%d/%m/%Y")
        assert f"Sondages ouverts :\n- Repeindre le hall ? (clos le {closes})" in body
        assert stop_link(message).startswith(mail_hub.settings.public_url + "/mail/stop?t=")
        assert message["List-Unsubscribe"] == f"<{stop_link(message)}>"

        # The hub restarted, the clock moved within the week: nothing again.
        mail_hub.restart()
        clock.shift(2 * DAY)
        settle(mail_hub)
        assert len(relay.inbox.messages) == 1
        assert digests(mail_hub) == [(tilleuls["jeanne"].id, 3)]

        # The next week, nothing new: no e-mail (the week is decided all the same).
        clock.shift(7 * DAY)
        settle(mail_hub)
        assert len(relay.inbox.messages) == 1
        assert digests(mail_hub) == [(tilleuls["jeanne"].id, 3), (tilleuls["jeanne"].id, 0)]

        # The week after, a new post: one digest with it alone.
        offer(lobby, tilleuls["claire"].id, "Cours de guitare")
        sync_until_quiet([lobby, hall])
        clock.shift(7 * DAY)
        settle(mail_hub, 0.1)
        relay.inbox.wait_for(2)
        settle(mail_hub)
        assert len(relay.inbox.messages) == 2
        body = relay.inbox.messages[1][1].get_content().replace("\r\n", "\n")
        assert "Cours de guitare" in body and "Perceuse" not in body and "Jardin" not in body
    finally:
        clock.reset()


def test_the_stop_link_of_a_digest_stops_the_next_ones(relay, mail_hub, tilleuls):
    relay.start()
    hall, lobby = tilleuls["hall"], tilleuls["lobby"]
    try:
        monday_at(7)
        contact.set_contact(
            hall.db, tilleuls["jeanne"].id, email=JEANNE_MAIL, urgent=False, digest=True,
            language="en",
        )  # fmt: skip
        offer(lobby, tilleuls["paul"].id, "Drill to lend")
        sync_until_quiet([hall, lobby])
        clock.shift(2 * 3600)
        settle(mail_hub, 0.1)
        relay.inbox.wait_for(1)
        message = relay.inbox.messages[0][1]
        assert message["Subject"] == "What is new in your building this week"
        assert "New offers on the board:\n- Drill to lend" in message.get_content().replace(
            "\r\n", "\n"
        )
        token = stop_link(message).split("t=", 1)[1]
        status, _page = post_form(mail_hub.settings.public_url + "/mail/stop", {"t": token})
        assert status == 200
        offer(lobby, tilleuls["paul"].id, "Ladder to lend")
        sync_until_quiet([lobby, hall])
        clock.shift(7 * DAY)
        settle(mail_hub)
        assert len(relay.inbox.messages) == 1
    finally:
        clock.reset()


def answer_jeannes_post(tilleuls, body: str):
    hall, lobby = tilleuls["hall"], tilleuls["lobby"]
    contact.set_contact(
        hall.db, tilleuls["jeanne"].id, email=JEANNE_MAIL, urgent=True, digest=False,
        language="fr",
    )  # fmt: skip
    contact.set_contact(
        hall.db, tilleuls["paul"].id, email=PAUL_MAIL, urgent=True, digest=True, language="fr"
    )
    post = offer(hall, tilleuls["jeanne"].id, "Perceuse à prêter")
    sync_until_quiet([hall, lobby])
    paul = residents.get(lobby.db, tilleuls["paul"].id)
    messages.answer(lobby.db, lobby.config, post.id, sender=paul, body=body)
    return post


def test_an_answer_to_jeannes_post_tells_her_once_without_the_neighbours_details(
    relay, mail_hub, tilleuls
):
    relay.start()
    words = (
        "Bonjour Jeanne, je voudrais bien emprunter votre perceuse samedi matin pour fixer "
        "des étagères dans la chambre des enfants, je vous la rends le soir même sans faute."
    )
    answer_jeannes_post(tilleuls, words)
    sync_until_quiet([tilleuls["lobby"], tilleuls["hall"]])
    relay.inbox.wait_for(1)
    recipients, message = relay.inbox.messages[0]
    assert recipients == [JEANNE_MAIL]
    assert message["Subject"] == "Un voisin a répondu à votre annonce « Perceuse à prêter »"
    body = message.get_content().replace("\r\n", "\n")
    assert "Son message commence ainsi : « Bonjour Jeanne, je voudrais bien emprunter" in body
    assert "sans faute" not in body  # the first words only
    for detail in ("Paul", "Durand", "A-101", PAUL_MAIL):
        assert detail not in body and detail not in str(message)
    assert stop_link(message).startswith(mail_hub.settings.public_url + "/mail/stop?t=")

    # Two more syncs and a restart: nothing again.
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    sync_until_quiet([tilleuls["lobby"], tilleuls["hall"]])
    mail_hub.restart()
    settle(mail_hub)
    assert len(relay.inbox.messages) == 1
    assert [row[:3] for row in mail_hub.outbox()] == [(tilleuls["jeanne"].id, JEANNE_MAIL, "sent")]


def test_a_kiosk_of_another_building_answering_in_a_neighbours_name_sends_nothing(
    relay, mail_hub, tilleuls, make_kiosk
):
    relay.start()
    hall = tilleuls["hall"]
    contact.set_contact(
        hall.db, tilleuls["jeanne"].id, email=JEANNE_MAIL, urgent=True, digest=True,
        language="fr",
    )  # fmt: skip
    post = offer(hall, tilleuls["jeanne"].id, "Perceuse à prêter")
    sync_until_quiet([hall, tilleuls["lobby"]])
    lilas = make_kiosk("lilas", LILAS, enrol_at=mail_hub.hub)
    lina = residents.register(lilas.db, apartment="C-301", name="Lina Haddad", pin="1234")
    lilas.db.execute("PRAGMA foreign_keys = OFF")  # it does not know Paul nor the post
    with store.write(lilas.db):  # signs correctly, bypasses its own domain's checks
        for sender in (tilleuls["paul"].id, lina.id):
            store.record(
                lilas.db,
                "board.message_sent",
                {
                    "post_id": post.id,
                    "sender_id": sender,
                    "recipient_id": tilleuls["jeanne"].id,
                    "body": "Donnez-moi votre adresse e-mail",
                },
            )
    lilas.sync()
    sync_until_quiet([hall, tilleuls["lobby"], lilas])
    settle(mail_hub)
    db = mail_hub.hub.db
    try:
        refused = store.query(db, "SELECT type, reason FROM hub_refused")
        queued = store.query(db, "SELECT * FROM mail_outbox")
        accepted = store.scalar(
            db,
            "SELECT COUNT(*) FROM events WHERE type = 'board.message_sent' "
            "AND hub_seq NOT IN (SELECT hub_seq FROM hub_refused)",
        )
    finally:
        db.close()
    # In Paul's name: refused by the authority (Paul is of Les Tilleuls).
    assert [row["type"] for row in refused] == ["board.message_sent"]
    # In its own resident's name: accepted, but the post is not of Les Lilas: nothing queued.
    assert accepted == 1
    assert queued == []
    assert relay.inbox.messages == []


def test_a_post_title_with_a_line_break_adds_no_header_and_blocks_no_message(
    relay, mail_hub, tilleuls
):
    """A kiosk of the building (signing correctly, bypassing its form) publishes a post whose
    title carries a header; the answer's e-mail still goes, to Jeanne alone, on one subject
    line, and the sender's pass is not stuck on it."""
    relay.start()
    hall, lobby = tilleuls["hall"], tilleuls["lobby"]
    contact.set_contact(
        hall.db, tilleuls["jeanne"].id, email=JEANNE_MAIL, urgent=True, digest=False,
        language="fr",
    )  # fmt: skip
    with store.write(hall.db):
        post = store.record(
            hall.db,
            "board.post_published",
            {
                "direction": "offer",
                "kind": "lend",
                "category": "other",
                "title": "Perceuse\r\nBcc: attacker@example.net",
                "price_mode": "free",
                "poster_id": tilleuls["jeanne"].id,
                "poster_name": "Jeanne Martin",
                "poster_apartment": "B-204",
                "building": mail_rig.TILLEULS,
            },
        )
    sync_until_quiet([hall, lobby])
    paul = residents.get(lobby.db, tilleuls["paul"].id)
    messages.answer(lobby.db, lobby.config, post.id, sender=paul, body="")
    sync_until_quiet([lobby, hall])
    relay.inbox.wait_for(1)
    recipients, message = relay.inbox.messages[0]
    assert recipients == [JEANNE_MAIL]
    assert message["Bcc"] is None
    assert message["Subject"] == (
        "Un voisin a répondu à votre annonce « Perceuse Bcc: attacker@example.net »"
    )
    assert "Il est intéressé et n'a pas laissé de message." in message.get_content()
