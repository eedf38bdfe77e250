"""Urgent alerts by e-mail, through the hub, with a real SMTP server on 127.0.0.1 (aiosmtpd).

Two kiosks of Les Tilleuls (the hall and the lobby) and a hub: Jeanne asks at the hall kiosk
to be told of urgent alerts by e-mail; the volunteer raises one at the lobby kiosk; after the
syncs exactly one e-mail reaches Jeanne, in French, with the alert's words and a stop link.
Paul, who asked for nothing, gets nothing. The faults and attacks: the hub restarted (a new
app on the same store) sends nothing again; a relay down at first gets the message once when
it is back; a message cut mid-send is never sent again; the stop link works once touched and a
forged or altered token changes nothing; a kiosk of Les Lilas, signing correctly, that sets
Jeanne's address is refused by the registry's authority at the hub.
"""

from __future__ import annotations

import email
import socket
import time
from email import policy
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from aiosmtpd.controller import Controller
from app_fixtures import PIN
from sync_fixtures import FaultyNetwork, Hub, sync_until_quiet

from kiosk import clock, store
from kiosk.admin import moving_out
from kiosk.community import alerts
from kiosk.config import ConfigError, make_config
from kiosk.residents import contact, residents
from sync.hub.app import create_hub_app, stop_hub_app
from sync.hub.mail import MailSettings, forget_cut_sends

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"
JEANNE_MAIL = "jeanne.martin@example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def wait_for(self, count: int, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} messages, {count} expected"


class Relay:
    """A real SMTP server on 127.0.0.1 that can be down (not listening) and come back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def relay():
    running = Relay(free_port())
    yield running
    running.stop()


class SendingHub:
    """A hub whose app sends (``app_options``: its ``mail=`` or ``sms=`` settings); ``restart``
    makes a new app on the same store and port (what a restart of the hub does)."""

    def __init__(self, path, **app_options) -> None:
        self.path, self.app_options = path, app_options
        self.port = free_port()
        self.hub: Hub | None = None

    def start(self) -> Hub:
        app = create_hub_app(self.path, **self.app_options)
        self.hub = Hub(path=self.path, network=FaultyNetwork(app), port=self.port)
        self.hub.start()
        return self.hub

    def stop(self) -> None:
        if self.hub is not None:
            self.hub.stop()
            stop_hub_app(self.hub.network.app)
            self.hub = None

    def restart(self) -> Hub:
        self.stop()
        return self.start()


class MailHub(SendingHub):
    """A hub whose app sends through ``relay``."""

    def __init__(self, path, relay: Relay) -> None:
        super().__init__(path)
        self.settings = MailSettings(
            host="127.0.0.1",
            port=relay.port,
            from_address="borne@tilleuls.example.org",
            public_url=f"http://127.0.0.1:{self.port}",
            timeout_seconds=5,
        )
        self.app_options["mail"] = self.settings

    def sender(self):
        return self.hub.network.app.extensions["hub_mail"]

    def outbox(self) -> list[tuple]:
        db = self.hub.db
        try:
            return [
                tuple(row)
                for row in store.query(
                    db, "SELECT resident_id, email, state, tries FROM mail_outbox ORDER BY id"
                )
            ]
        finally:
            db.close()


@pytest.fixture
def mail_hub(tmp_path, relay):
    running = MailHub(tmp_path / "hub" / "hub.sqlite3", relay)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def tilleuls(mail_hub, make_kiosk):
    hall = make_kiosk("hall", TILLEULS, enrol_at=mail_hub.hub)
    lobby = make_kiosk("lobby", TILLEULS, enrol_at=mail_hub.hub)
    claire = residents.register(
        hall.db, apartment="A-001", name="Claire Petit", pin=PIN, role="admin"
    )
    jeanne = residents.register(hall.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(hall.db, apartment="A-101", name="Paul Durand", pin=PIN)
    sync_until_quiet([hall, lobby])
    return {"hall": hall, "lobby": lobby, "claire": claire, "jeanne": jeanne, "paul": paul}


def jeanne_asks_for_alerts(t) -> None:
    contact.set_contact(
        t["hall"].db, t["jeanne"].id, email=JEANNE_MAIL, urgent=True, digest=False, language="fr"
    )


def raise_flood(t, text: str = "Fuite d'eau dans l'escalier B : ne prenez pas l'ascenseur."):
    lobby = t["lobby"]
    return alerts.raise_alert(
        lobby.db, lobby.config, raiser_id=t["claire"].id, kind="flood", text=text
    )


def stop_link(message) -> str:
    body = message.get_content()
    return next(word for word in body.split() if "/mail/stop?t=" in word)


def post_form(url: str, data: dict) -> tuple[int, str]:
    request = Request(url, data=urlencode(data).encode(), method="POST")
    request.add_header("Accept-Language", "fr")
    try:
        with urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except HTTPError as exc:
        return exc.code, exc.read().decode()


def test_an_alert_raised_at_one_kiosk_reaches_jeanne_once_in_french(relay, mail_hub, tilleuls):
    relay.start()
    jeanne_asks_for_alerts(tilleuls)
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    raise_flood(tilleuls)
    sync_until_quiet([tilleuls["lobby"], tilleuls["hall"]])

    relay.inbox.wait_for(1)
    recipients, message = relay.inbox.messages[0]
    assert recipients == [JEANNE_MAIL]  # Paul asked for nothing: nothing for him
    assert message["Subject"] == "Alerte urgente dans votre immeuble : Inondation ou fuite d'eau"
    body = message.get_content()
    assert "Fuite d'eau dans l'escalier B : ne prenez pas l'ascenseur." in body
    assert "Pour ne plus recevoir ces e-mails" in body
    assert stop_link(message).startswith(mail_hub.settings.public_url + "/mail/stop?t=")
    assert message["List-Unsubscribe"] == f"<{stop_link(message)}>"

    # More syncs, a restart of the hub (a new app on the same store): nothing is sent again.
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    mail_hub.restart()
    mail_hub.sender().wake()
    time.sleep(1.0)
    assert len(relay.inbox.messages) == 1
    assert mail_hub.outbox() == [(tilleuls["jeanne"].id, JEANNE_MAIL, "sent", 0)]


def test_a_relay_down_at_first_gets_the_message_once_when_it_is_back(relay, mail_hub, tilleuls):
    jeanne_asks_for_alerts(tilleuls)
    raise_flood(tilleuls)
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    deadline = time.monotonic() + 10
    while mail_hub.outbox()[0][3] == 0 and time.monotonic() < deadline:  # the first try
        time.sleep(0.05)
    assert mail_hub.outbox() == [(tilleuls["jeanne"].id, JEANNE_MAIL, "queued", 1)]

    relay.start()
    mail_hub.sender().wake()
    time.sleep(0.5)
    assert relay.inbox.messages == []  # not before its next try (30 s later)
    clock.shift(31)
    try:
        mail_hub.sender().wake()
        relay.inbox.wait_for(1)
        mail_hub.restart()
        mail_hub.sender().wake()
        time.sleep(1.0)
    finally:
        clock.reset()
    assert len(relay.inbox.messages) == 1
    assert mail_hub.outbox()[0][2] == "sent"


def test_a_message_cut_while_being_sent_is_never_sent_again(relay, mail_hub, tilleuls):
    mail_hub.stop()
    # A hub without a relay in its config sends nothing, but learns who asked and queues.
    hub = Hub(
        path=mail_hub.path,
        network=FaultyNetwork(create_hub_app(mail_hub.path)),
        port=mail_hub.port,
    )
    hub.start()
    try:
        jeanne_asks_for_alerts(tilleuls)
        raise_flood(tilleuls)
        sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    finally:
        hub.stop()
    db = hub.db
    try:
        with store.write(db):  # the hub was killed after claiming it, before the relay answered
            db.execute("UPDATE mail_outbox SET state = 'sending'")
    finally:
        db.close()
    relay.start()
    mail_hub.start()
    mail_hub.sender().wake()
    time.sleep(1.0)
    assert relay.inbox.messages == []
    assert mail_hub.outbox()[0][2] == "uncertain"
    db = mail_hub.hub.db
    try:
        assert forget_cut_sends(db) == 0  # a second start finds nothing left half-sent
    finally:
        db.close()


def test_the_stop_link_stops_the_emails_and_a_forged_token_changes_nothing(
    relay, mail_hub, tilleuls
):
    relay.start()
    jeanne_asks_for_alerts(tilleuls)
    raise_flood(tilleuls)
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    relay.inbox.wait_for(1)
    link = stop_link(relay.inbox.messages[0][1])
    token = link.split("t=", 1)[1]
    url = mail_hub.settings.public_url + "/mail/stop"

    resident_id, contact_event, mac = token.split(".")
    altered = f"{resident_id}.{contact_event}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}"
    paul_with_jeanne_mac = f"{tilleuls['paul'].id}.{contact_event}.{mac}"
    for bad in (altered, paul_with_jeanne_mac, "", "x" * 400, "a.b.c.d"):
        status, page = post_form(url, {"t": bad})
        assert status == 400, bad
        assert "Ce lien n'est pas valide" in page
    db = mail_hub.hub.db
    try:
        assert store.query(db, "SELECT * FROM mail_suppressed") == []
    finally:
        db.close()

    # Opening the link shows one button (a mail scanner following links stops nothing)...
    with urlopen(link, timeout=10) as page:
        assert "Arrêter les e-mails" in page.read().decode()
    db = mail_hub.hub.db
    try:
        assert store.query(db, "SELECT * FROM mail_suppressed") == []
    finally:
        db.close()
    status, page = post_form(url, {"t": token})
    assert status == 200 and "vous ne recevrez plus d'e-mails" in page

    # ...and the next alert sends Jeanne nothing.
    raise_flood(tilleuls, "Deuxième fuite, cave.")
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    mail_hub.sender().wake()
    time.sleep(1.0)
    assert len(relay.inbox.messages) == 1
    # A new choice at the kiosk starts the e-mails again.
    jeanne_asks_for_alerts(tilleuls)
    raise_flood(tilleuls, "Troisième fuite.")
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    relay.inbox.wait_for(2)
    assert "Troisième fuite." in relay.inbox.messages[1][1].get_content()


def test_a_kiosk_of_another_building_cannot_set_jeannes_address(
    relay, mail_hub, tilleuls, make_kiosk
):
    relay.start()
    jeanne_asks_for_alerts(tilleuls)
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    lilas = make_kiosk("lilas", LILAS, enrol_at=mail_hub.hub)
    lilas.db.execute("PRAGMA foreign_keys = OFF")  # it does not know Jeanne: forges anyway
    with store.write(lilas.db):  # signs correctly, bypasses its own domain's checks
        store.record(
            lilas.db,
            "resident.contact_set",
            {
                "resident_id": tilleuls["jeanne"].id,
                "email": "attacker@example.net",
                "urgent": True,
                "digest": True,
                "language": "en",
            },
        )
    lilas.sync()
    db = mail_hub.hub.db
    try:
        refused = store.query(db, "SELECT type FROM hub_refused")
        contacts = store.query(db, "SELECT resident_id, email, building FROM mail_contacts")
    finally:
        db.close()
    assert [row["type"] for row in refused] == ["resident.contact_set"]
    assert [tuple(row) for row in contacts] == [(tilleuls["jeanne"].id, JEANNE_MAIL, TILLEULS)]

    raise_flood(tilleuls)
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"], lilas])
    relay.inbox.wait_for(1)
    time.sleep(0.5)
    assert [recipients for recipients, _ in relay.inbox.messages] == [[JEANNE_MAIL]]


def test_without_a_relay_in_the_config_the_hub_sends_nothing():
    assert MailSettings.from_config(make_config()) is None
    for bad in (
        {"host": "smtp", "port": "25"},
        {"hots": "smtp"},
        {"host": "smtp", "from_address": "x"},
    ):
        with pytest.raises(ConfigError):
            MailSettings.from_config(make_config({"hub": {"mail": bad}}))
    good = {
        "host": "smtp.example.org",
        "from_address": "a@b.fr",
        "public_url": "https://hub.example.org",
    }
    assert MailSettings.from_config(make_config({"hub": {"mail": good}})).port == 25


def test_a_resident_who_moved_out_is_told_nothing_more(relay, mail_hub, tilleuls):
    """Paul asked for alerts, then moved out (at the hall kiosk): the next alert raised at the
    lobby reaches Jeanne, not Paul; his address is forgotten at the hub."""
    relay.start()
    jeanne_asks_for_alerts(tilleuls)
    contact.set_contact(
        tilleuls["hall"].db,
        tilleuls["paul"].id,
        email="paul.durand@example.org",
        urgent=True,
        digest=False,
        language="fr",
    )
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    hall = tilleuls["hall"]
    moving_out.close_resident(
        hall.db, hall.config, resident_id=tilleuls["paul"].id, admin_id=tilleuls["claire"].id
    )
    sync_until_quiet([tilleuls["hall"], tilleuls["lobby"]])
    raise_flood(tilleuls)
    sync_until_quiet([tilleuls["lobby"], tilleuls["hall"]])

    relay.inbox.wait_for(1)
    mail_hub.sender().wake()
    time.sleep(1.0)
    assert [recipients for recipients, _ in relay.inbox.messages] == [[JEANNE_MAIL]]
    db = mail_hub.hub.db
    try:
        assert not store.query(
            db, "SELECT 1 FROM mail_contacts WHERE resident_id = ?", [tilleuls["paul"].id]
        )
    finally:
        db.close()
