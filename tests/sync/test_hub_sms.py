"""Urgent alerts by SMS, through the hub, with real gateways on this machine: gammu's SMS daemon
(gammu-smsd with its dummy phone, which "sends" into a folder we read) and an HTTP SMS API on
127.0.0.1.

Two kiosks of Les Tilleuls (the hall and the lobby) and a hub: Paul, who has only a basic mobile
phone, gives his number at the hall kiosk; the volunteer raises an alert at the lobby kiosk;
after the syncs exactly one SMS reaches Paul, in French, at most 160 characters, saying how to
stop. Jeanne, who asked for e-mails only, gets no SMS. The faults: the hub restarted sends
nothing again; a gateway that fails (gammu's outbox missing, its daemon down; the API answering
503) gets the SMS once when it recovers; an API that hangs up mid-request is never sent the SMS
again (it may have gone). The attack: a kiosk of the building, signing correctly, pushes a
contact whose number is not one (a second number, a command): the hub refuses it and texts no
one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from app_fixtures import PIN
from sync_fixtures import sync_until_quiet
from test_hub_mail import TILLEULS, SendingHub, raise_flood

from kiosk import clock, store
from kiosk.config import ConfigError, make_config
from kiosk.residents import contact, residents
from kiosk.store.registry import EventType
from sync.hub.sms import SMS_LENGTH, SmsSettings, compose, gsm_text

PAUL_PHONE = "+33612345678"

needs_gammu = pytest.mark.skipif(
    shutil.which("gammu-smsd") is None and not os.environ.get("CI"),
    reason="gammu-smsd is not installed (.ci/run installs it)",
)


# --------------------------------------------------------------------------- gammu-smsd


class Smsd:
    """A real gammu-smsd whose phone is gammu's dummy device (a folder): what it "sent" is in
    ``sent/``. Its outbox folder can be missing (the daemon's files broken) and the daemon
    down."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("dev", "inbox", "outbox", "sent", "error"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        self.config = root / "smsdrc"
        self.config.write_text(
            "[gammu]\n"
            f"device = {root / 'dev'}\nmodel = dummy\nconnection = none\n\n"
            "[smsd]\nservice = files\n"
            f"logfile = {root / 'smsd.log'}\ndebuglevel = 1\n"
            f"inboxpath = {root / 'inbox'}/\noutboxpath = {root / 'outbox'}/\n"
            f"sentsmspath = {root / 'sent'}/\nerrorsmspath = {root / 'error'}/\n"
            "commtimeout = 1\nsendtimeout = 5\nloopsleep = 1\nreceivefrequency = 600\n"
            "checksecurity = 0\ncheckbattery = 0\nchecksignal = 0\nstatusfrequency = 0\n",
            encoding="utf-8",
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("gammu-smsd"), "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None

    def sent(self) -> list[tuple[str, str]]:
        """(number, text) of each SMS the daemon handed to its phone."""
        messages = []
        for path in sorted((self.root / "sent").iterdir()):
            fields = {}
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                key, sep, value = line.partition(" = ")
                if sep:
                    fields[key.strip()] = value.strip()
            text = "".join(
                bytes.fromhex(fields[key]).decode("utf-16-be")
                for key in sorted(fields)
                if key.startswith("Text")
            )
            messages.append((fields["Number"].strip('"'), text))
        return messages

    def wait_for(self, count: int, seconds: float = 20.0) -> list[tuple[str, str]]:
        deadline = time.monotonic() + seconds
        while len(self.sent()) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.sent()) >= count, f"{len(self.sent())} SMS, {count} expected"
        return self.sent()


@pytest.fixture
def smsd(tmp_path):
    daemon = Smsd(tmp_path / "smsd")
    yield daemon
    daemon.stop()


class SmsHub(SendingHub):
    """A hub whose app sends SMS through ``settings``; ``restart``: a new app, same store."""

    def __init__(self, path: Path, settings: SmsSettings) -> None:
        super().__init__(path, sms=settings)
        self.settings = settings

    def wake(self) -> None:
        self.hub.network.app.extensions["hub_sms"].wake()

    def outbox(self) -> list[tuple]:
        db = self.hub.db
        try:
            return [
                tuple(row)
                for row in store.query(
                    db, "SELECT resident_id, phone, state, tries FROM sms_outbox ORDER BY id"
                )
            ]
        finally:
            db.close()

    def wait_outbox(self, check, seconds: float = 10.0) -> list[tuple]:
        deadline = time.monotonic() + seconds
        while not check(self.outbox()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert check(self.outbox()), self.outbox()
        return self.outbox()


def building_of(make_kiosk, sms_hub: SmsHub) -> dict:
    hall = make_kiosk("hall", TILLEULS, enrol_at=sms_hub.hub)
    lobby = make_kiosk("lobby", TILLEULS, enrol_at=sms_hub.hub)
    claire = residents.register(
        hall.db, apartment="A-001", name="Claire Petit", pin=PIN, role="admin"
    )
    jeanne = residents.register(hall.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(hall.db, apartment="A-101", name="Paul Durand", pin=PIN)
    sync_until_quiet([hall, lobby])
    return {"hall": hall, "lobby": lobby, "claire": claire, "jeanne": jeanne, "paul": paul}


def paul_asks_for_sms(t) -> None:
    """Paul gives his number at the hall kiosk (Jeanne her e-mail address); the hub learns it."""
    contact.set_contact(
        t["hall"].db,
        t["paul"].id,
        email="",
        urgent=False,
        digest=False,
        phone="06 12 34 56 78",
        sms=True,
        language="fr",
    )
    contact.set_contact(  # Jeanne: e-mails only
        t["hall"].db,
        t["jeanne"].id,
        email="j@example.org",
        urgent=True,
        digest=False,
        language="fr",
    )
    t["hall"].sync()


@pytest.fixture
def gammu_hub(tmp_path, smsd):
    settings = SmsSettings(gateway="gammu", smsd_config=str(smsd.config), timeout_seconds=10)
    running = SmsHub(tmp_path / "hub" / "hub.sqlite3", settings)
    running.start()
    yield running
    running.stop()


def assert_french_alert(text: str) -> None:
    assert text.startswith("Alerte, Résidence des Tilleuls : Inondation ou fuite d'eau.")
    assert "Fuite d'eau dans l'escalier B" in text
    assert text.endswith("Pour arreter ces SMS : borne du hall, Etre prévenu.")
    assert len(text) <= SMS_LENGTH


@needs_gammu
def test_an_alert_raised_at_the_lobby_reaches_paul_once_by_sms_through_gammu(
    smsd, gammu_hub, make_kiosk
):
    smsd.start()
    t = building_of(make_kiosk, gammu_hub)
    paul_asks_for_sms(t)
    sync_until_quiet([t["hall"], t["lobby"]])
    raise_flood(t)
    sync_until_quiet([t["lobby"], t["hall"]])

    [(number, text)] = smsd.wait_for(1)
    assert number == PAUL_PHONE  # Jeanne asked for e-mails only: no SMS for her
    assert_french_alert(text)

    # More syncs and a restart of the hub: nothing is sent again.
    sync_until_quiet([t["hall"], t["lobby"]])
    gammu_hub.restart()
    gammu_hub.wake()
    time.sleep(2.0)
    assert len(smsd.sent()) == 1
    assert gammu_hub.outbox() == [(t["paul"].id, PAUL_PHONE, "sent", 0)]


@needs_gammu
def test_gammu_broken_then_down_still_gets_the_sms_once_when_it_recovers(
    smsd, gammu_hub, make_kiosk
):
    t = building_of(make_kiosk, gammu_hub)
    paul_asks_for_sms(t)
    (smsd.root / "outbox").rmdir()  # the daemon's files are broken: nothing can be handed over
    raise_flood(t)
    sync_until_quiet([t["lobby"], t["hall"]])
    gammu_hub.wait_outbox(lambda rows: rows and rows[0][3] == 1)
    assert gammu_hub.outbox() == [(t["paul"].id, PAUL_PHONE, "queued", 1)]

    (smsd.root / "outbox").mkdir()  # repaired, but the daemon is not running yet
    clock.shift(31)
    try:
        gammu_hub.wake()
        gammu_hub.wait_outbox(lambda rows: rows[0][2] == "sent")
        gammu_hub.restart()
        gammu_hub.wake()
        time.sleep(1.0)
    finally:
        clock.reset()
    assert smsd.sent() == []  # waiting in the daemon's outbox
    smsd.start()
    [(number, text)] = smsd.wait_for(1)
    assert number == PAUL_PHONE
    assert_french_alert(text)
    time.sleep(2.0)
    assert len(smsd.sent()) == 1


# --------------------------------------------------------------------------- an HTTP SMS API


class SmsApi:
    """An SMS API on 127.0.0.1: records each POST; ``failures`` first answers 503;
    ``hang_up`` closes the connection without answering."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.failures = 0
        self.hang_up = False
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if api.hang_up:
                    api.received.append({"hung_up": True})
                    self.close_connection = True
                    self.connection.close()
                    return
                if api.failures > 0:
                    api.failures -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                api.received.append({"auth": self.headers.get("Authorization"), **json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "queued"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_api():
    api = SmsApi()
    yield api
    api.close()


@pytest.fixture
def http_hub(tmp_path, sms_api):
    settings = SmsSettings(gateway="http", url=sms_api.url, token="s3cret", timeout_seconds=5)
    running = SmsHub(tmp_path / "hub" / "hub.sqlite3", settings)
    running.start()
    yield running
    running.stop()


def test_an_api_that_fails_then_recovers_sends_pauls_sms_once_in_french(
    sms_api, http_hub, make_kiosk
):
    sms_api.failures = 1
    t = building_of(make_kiosk, http_hub)
    paul_asks_for_sms(t)
    raise_flood(t)
    sync_until_quiet([t["lobby"], t["hall"]])
    http_hub.wait_outbox(lambda rows: rows and rows[0][3] == 1)
    assert sms_api.received == []
    clock.shift(31)
    try:
        http_hub.wake()
        http_hub.wait_outbox(lambda rows: rows[0][2] == "sent")
        http_hub.restart()
        http_hub.wake()
        time.sleep(1.0)
    finally:
        clock.reset()
    [sent] = sms_api.received
    assert sent["auth"] == "Bearer s3cret" and sent["to"] == PAUL_PHONE
    assert sent["id"].endswith(":" + t["paul"].id)
    assert_french_alert(sent["text"])


def test_an_api_that_hangs_up_mid_request_is_never_sent_the_sms_again(
    sms_api, http_hub, make_kiosk
):
    sms_api.hang_up = True
    t = building_of(make_kiosk, http_hub)
    paul_asks_for_sms(t)
    raise_flood(t)
    sync_until_quiet([t["lobby"], t["hall"]])
    http_hub.wait_outbox(lambda rows: rows and rows[0][2] == "uncertain")
    sms_api.hang_up = False
    http_hub.restart()
    clock.shift(3600)
    try:
        http_hub.wake()
        time.sleep(1.0)
    finally:
        clock.reset()
    assert sms_api.received == [{"hung_up": True}]


@pytest.mark.parametrize("number", ["+33612345678;+33698765432", "0612345678 && reboot", "+1"])
def test_a_kiosk_pushing_a_number_that_is_not_one_is_refused_and_no_one_is_texted(
    sms_api, http_hub, make_kiosk, monkeypatch, number
):
    t = building_of(make_kiosk, http_hub)
    hall = t["hall"]
    contact.set_contact(
        hall.db, t["jeanne"].id, email="j@example.org", urgent=True, digest=False, language="fr"
    )
    # The hall kiosk signs correctly but forges Paul's number past its own checks.
    with monkeypatch.context() as forged:
        forged.setattr(EventType, "check", lambda self, payload: None)
        with store.write(hall.db):
            store.record(
                hall.db,
                "resident.contact_set",
                {
                    "resident_id": t["paul"].id,
                    "email": "",
                    "urgent": False,
                    "digest": False,
                    "language": "fr",
                    "phone": number,
                    "sms_urgent": True,
                },
            )
    hall.sync()
    raise_flood(t)
    sync_until_quiet([t["lobby"], hall])
    db = http_hub.hub.db
    try:
        refused = [row["type"] for row in store.query(db, "SELECT type FROM hub_refused")]
        phones = [row["phone"] for row in store.query(db, "SELECT phone FROM mail_contacts")]
    finally:
        db.close()
    assert refused == ["resident.contact_set"]
    assert phones == [""]  # Jeanne's contact only; Paul's was refused whole
    http_hub.wake()
    time.sleep(0.5)
    assert http_hub.outbox() == [] and sms_api.received == []


# --------------------------------------------------------------------------- words, config


def test_an_sms_is_one_message_of_the_gsm_alphabet_in_the_residents_language():
    row = {
        "language": "fr",
        "kind": "theft",
        "building": "Résidence des Tilleuls",
        "text": "Vol à la cave\net fenêtre forcée : œuvrez à fermer « la porte » " * 10,
    }
    text = compose(row)
    assert len(text) <= SMS_LENGTH
    assert text == gsm_text(text)  # nothing a phone would show as "?" or split in two SMS
    assert text.startswith("Alerte, Résidence des Tilleuls : Vol ou cambriolage. Vol à la cave et")
    assert "fenetre forcée : oeuvrez" in text and text.endswith("borne du hall, Etre prévenu.")
    english = compose({**row, "language": "en", "text": "Bikes stolen."})
    assert english == (
        "Alert, Résidence des Tilleuls: Theft or break-in. Bikes stolen. "
        "To stop these SMS: kiosk in the hall, Be told."
    )


def test_without_a_gateway_in_the_config_no_sms_is_sent():
    assert SmsSettings.from_config(make_config()) is None
    for bad in (
        {"gateway": "carrier-pigeon"},
        {"gateway": "gammu"},
        {"gateway": "http", "url": "ftp://x"},
        {"gateway": "http", "url": "https://x", "timeout_seconds": "5"},
        {"gatway": "http"},
    ):
        with pytest.raises(ConfigError):
            SmsSettings.from_config(make_config({"hub": {"sms": bad}}))
    good = {"gateway": "gammu", "smsd_config": "/etc/gammu-smsdrc"}
    assert SmsSettings.from_config(make_config({"hub": {"sms": good}})).gateway == "gammu"
