"""The hub's SMS: urgent alerts for residents with only a basic mobile phone.

``SmsSettings.from_config`` reads ``[hub.sms]``; its ``gateway`` names one behind a small
interface (``Gateway.send(number, text, key)``), without which nothing is sent:

- ``gammu``: gammu's SMS daemon (gammu-smsd, a modem or a phone on USB), through its
  ``gammu-smsd-inject`` command and the daemon's configuration file (``smsd_config``): the
  message is handed to the daemon's outbox, which sends it when the phone can;
- ``http``: an SMS API over HTTP(S): ``POST url`` with JSON ``{"to", "text", "id"}`` and
  ``Authorization: Bearer <token>``; 2xx taken, 408/429/5xx and a connection refused tried again
  later, another 4xx refused for good, no answer once the request went out: uncertain.

The outbox is ``sms_outbox`` (queued by sync/hub/mail_outbox.py as an ``alert.raised`` is
stored), under the e-mail outbox's rules (sync/hub/mail.py: ``later``, ``mark``,
``forget_cut_sends``): a message is claimed (``sending``, committed) before the gateway hears of
it, so it never goes twice whatever the restarts; an unreachable gateway is tried again
(30 s doubling up to 30 min) until the alert is a day old (``expired``).

``compose`` words one SMS in the resident's language, in one message of at most 160 characters
of the GSM alphabet (accents it lacks are dropped: "ê" -> "e"), the alert's words cut to fit;
a reply is not read, so it says how to stop: at the kiosk, "Be told".
"""

from __future__ import annotations

import http.client
import json
import logging
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from sqlite_utils import Database

from kiosk import i18n
from kiosk.config import ConfigError
from kiosk.errors import N_
from kiosk.store import db as dbmod
from sync.hub.mail import BATCH, KIND_WORDS, MailSender, later, mark
from sync.hub.records import now_iso

log = logging.getLogger(__name__)

SMS_LENGTH = 160  # one SMS of the GSM 7-bit alphabet
TABLE = "sms_outbox"

SMS_DEFAULTS: dict[str, Any] = {
    "gateway": "",  # "", "gammu" or "http"
    "smsd_config": "",  # gammu: the gammu-smsd configuration file
    "inject_command": "gammu-smsd-inject",  # gammu: the command that hands a message over
    "url": "",  # http: where to POST
    "token": "",  # http: sent as "Authorization: Bearer <token>"
    "timeout_seconds": 10,
}


class GatewayLater(Exception):
    """The gateway did not take the message and surely did not send it: try again later."""


class GatewayRefused(Exception):
    """The gateway refused the message for good (a number it will never reach)."""


class GatewayUncertain(Exception):
    """Cut while being handed over: it may have gone, so it is never sent again."""


class Gateway(Protocol):
    def send(self, number: str, text: str, key: str) -> None:
        """Hand one SMS over (``key``: the same for the same message, for a gateway that can
        drop a duplicate); raise ``GatewayLater``, ``GatewayRefused`` or ``GatewayUncertain``."""


@dataclass(frozen=True)
class SmsSettings:
    """``[hub.sms]``: which gateway and how to reach it."""

    gateway: str
    smsd_config: str = ""
    inject_command: str = "gammu-smsd-inject"
    url: str = ""
    token: str = ""
    timeout_seconds: int = 10

    @classmethod
    def from_config(cls, config) -> SmsSettings | None:
        """``[hub.sms]`` checked key by key (``ConfigError``); None without a ``gateway``."""
        values = dict(SMS_DEFAULTS)
        for key, value in config["hub"].get("sms", {}).items():
            if key not in SMS_DEFAULTS:
                raise ConfigError(
                    f"unknown key {key!r} in [hub.sms] (known: {', '.join(SMS_DEFAULTS)})"
                )
            if type(value) is not type(SMS_DEFAULTS[key]):
                raise ConfigError(
                    f"[hub.sms] {key} must be like {SMS_DEFAULTS[key]!r}, not {value!r}"
                )
            values[key] = value
        if not values["gateway"]:
            return None
        if values["gateway"] not in ("gammu", "http"):
            raise ConfigError('[hub.sms] gateway must be "gammu" or "http" (or "" for none)')
        if not 1 <= values["timeout_seconds"] <= 300:
            raise ConfigError("[hub.sms] timeout_seconds must be 1-300")
        if values["gateway"] == "gammu" and not values["smsd_config"]:
            raise ConfigError("[hub.sms] smsd_config must name gammu-smsd's configuration file")
        if values["gateway"] == "http" and not values["url"].startswith(("https://", "http://")):
            raise ConfigError("[hub.sms] url must be the SMS API's address, e.g. https://...")
        return cls(**values)

    def make_gateway(self) -> Gateway:
        if self.gateway == "gammu":
            return GammuGateway(self.smsd_config, self.inject_command, self.timeout_seconds)
        return HttpGateway(self.url, self.token, self.timeout_seconds)


class GammuGateway:
    """gammu-smsd's outbox, through ``gammu-smsd-inject -c <config> TEXT <number> -text ...``."""

    def __init__(self, smsd_config: str, command: str, timeout: int) -> None:
        self.smsd_config, self.command, self.timeout = smsd_config, command, timeout

    def send(self, number: str, text: str, key: str) -> None:
        program = shutil.which(self.command)
        if program is None:
            raise GatewayLater(f"{self.command} not found")
        try:
            done = subprocess.run(
                [program, "-c", self.smsd_config, "TEXT", number, "-len", "160", "-text", text],
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GatewayUncertain(f"{self.command} did not finish") from exc
        if done.returncode != 0:  # the daemon's outbox could not be written: nothing queued
            error = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
            raise GatewayLater(error.splitlines()[-1] if error else f"exit {done.returncode}")


class HttpGateway:
    """An SMS API over HTTP(S): one JSON POST per message."""

    def __init__(self, url: str, token: str, timeout: int) -> None:
        self.url, self.token, self.timeout = urlsplit(url), token, timeout

    def send(self, number: str, text: str, key: str) -> None:
        kind = (
            http.client.HTTPSConnection
            if self.url.scheme == "https"
            else http.client.HTTPConnection
        )
        connection = kind(self.url.hostname, self.url.port, timeout=self.timeout)
        try:
            try:
                connection.connect()
            except OSError as exc:  # nothing went out
                raise GatewayLater(f"gateway out of reach: {exc}") from exc
            body = json.dumps({"to": number, "text": text, "id": key}).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": key}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            try:
                connection.request("POST", self.url.path or "/", body, headers)
                answer = connection.getresponse()
                answer.read(4096)
            except (OSError, http.client.HTTPException) as exc:
                raise GatewayUncertain(f"no answer from the gateway: {exc}") from exc
        finally:
            connection.close()
        if 200 <= answer.status < 300:
            return
        if answer.status in (408, 429) or answer.status >= 500:
            raise GatewayLater(f"gateway answered {answer.status}")
        raise GatewayRefused(f"gateway answered {answer.status}")


# --------------------------------------------------------------------------- words

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM = frozenset(GSM_BASIC) - {"\n", "\r"}
_SPELLED = {"œ": "oe", "Œ": "OE", "€": "EUR", "…": "...", "«": '"', "»": '"', "’": "'"}


def gsm_text(text: str) -> str:
    """``text`` in the GSM 7-bit basic alphabet (one character each): spaces and line breaks
    as one space, a letter it lacks without its accent ("ê" -> "e"), else "?"."""
    out = []
    for char in " ".join(text.split()):
        if char in _GSM:
            out.append(char)
        elif char in _SPELLED:
            out.append(_SPELLED[char])
        else:
            bare = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
            out.append(bare if bare and all(c in _GSM for c in bare) else "?")
    return "".join(out)


def compose(row: Any, building: str | None = None) -> str:
    """The SMS of one outbox row, in its resident's language, at most 160 GSM characters."""
    language = row["language"]
    gettext = i18n.gettext_for(language)
    kind = gettext(KIND_WORDS.get(row["kind"], KIND_WORDS["other"]))
    stop = gsm_text(gettext(N_("To stop these SMS: kiosk in the hall, Be told.")))
    head = gsm_text(
        i18n.fill(
            gettext(N_("Alert, %(building)s: %(kind)s.")),
            {"building": building or row["building"], "kind": kind},
            language,
        )
    )
    if len(head) + len(stop) + 2 > SMS_LENGTH - 20:  # a long building name: the kind alone
        head = gsm_text(i18n.fill(gettext(N_("Alert: %(kind)s.")), {"kind": kind}, language))
    room = SMS_LENGTH - len(head) - len(stop) - 2
    words = gsm_text(row["text"])
    if len(words) > room:
        words = words[: room - 3].rsplit(" ", 1)[0] + "..."
    return f"{head} {words} {stop}"[:SMS_LENGTH]


# --------------------------------------------------------------------------- sending


def send_due(db: Database, gateway: Gateway) -> dict[str, int]:
    """One pass: send the due SMS (at most ``BATCH``); counts by outcome."""
    rows = dbmod.query(
        db,
        "SELECT * FROM sms_outbox WHERE state = 'queued' AND next_try_at <= ? ORDER BY id LIMIT ?",
        (now_iso(), BATCH),
    )
    counts = {"sent": 0, "later": 0, "refused": 0, "uncertain": 0}
    for index, row in enumerate(rows):
        text = compose(row)  # before the claim: a fault here leaves it queued
        with dbmod.write(db):  # claimed first: never sent twice, a cut send never resent
            if not db.execute(
                "UPDATE sms_outbox SET state = 'sending' WHERE id = ? AND state = 'queued'",
                [row["id"]],
            ).rowcount:
                continue
        try:
            gateway.send(row["phone"], text, f"{row['alert_id']}:{row['resident_id']}")
        except GatewayLater as exc:  # the gateway is down: this one and the rest wait
            rest = [row["id"], *(other["id"] for other in rows[index + 1 :])]
            later(db, rest, str(exc), TABLE)
            counts["later"] += len(rest)
            break
        except GatewayRefused as exc:
            mark(db, row["id"], "refused", str(exc)[:300], TABLE)
            counts["refused"] += 1
        except Exception as exc:  # noqa: BLE001 (cut while handed over, or a bug: it may have gone)
            mark(db, row["id"], "uncertain", str(exc)[:300], TABLE)
            counts["uncertain"] += 1
        else:
            mark(db, row["id"], "sent", None, TABLE)
            counts["sent"] += 1
    return counts


class SmsSender(MailSender):
    """The hub's SMS thread (started by ``create_hub_app`` when ``[hub.sms]`` names a
    gateway): woken after a batch queued an alert, else every ``POLL_SECONDS``."""

    table = TABLE
    name = "hub-sms"

    def __init__(
        self,
        database_path,
        settings: SmsSettings,
        gateway: Gateway | None = None,
        *,
        files: str | None = None,
    ):
        super().__init__(database_path, settings, files=files)
        self.gateway = gateway or settings.make_gateway()

    def send_pass(self, db: Database) -> None:
        send_due(db, self.gateway)
