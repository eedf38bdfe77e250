"""The hub's mail sender: the SMTP relay of ``[hub.mail]`` and a loop that sends the outbox.

``MailSettings.from_config`` reads ``[hub.mail]`` (no ``host``: nothing is ever sent).
``send_due`` sends what is due, at most ``BATCH`` messages a pass, with ``smtplib``:

- a message is claimed (``queued`` -> ``sending``, committed) before the relay hears of it and
  marked ``sent`` once the relay took it, so two senders never send one message, and a
  message cut while being sent (the hub killed mid-send) becomes ``uncertain`` at the next
  start, never sent again: at most once, whatever the restarts;
- a relay that cannot be reached (refused connection, time-out) sends nothing: every due
  message is tried again later (30 s, doubling up to 30 min), until it is older than
  ``MAX_AGE`` (an urgent alert a day late is noise: ``expired``);
- a relay that refuses a message for good (5xx) marks it ``refused``; 4xx: tried again.

``MailSender`` runs ``send_due`` in one thread of the hub's process: woken when a batch queued
messages, else every ``POLL_SECONDS``; it stops with the hub (``stop``). Each message is in
the resident's language, with the alert's words and a stop link to the hub
(``/mail/stop?t=<token>``, sync/hub/mail_outbox.py) and a ``List-Unsubscribe`` header. The
weekly digest and the answers to one's post (sync/hub/mail_news.py) go through the same outbox.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlite_utils import Database

from kiosk import clock, i18n
from kiosk.config import ConfigError
from kiosk.errors import N_
from kiosk.store import db as dbmod
from sync.hub.db import open_store
from sync.hub.mail_news import compose_news, queue_digests
from sync.hub.mail_outbox import stop_token
from sync.hub.records import now_iso

log = logging.getLogger(__name__)

BATCH = 50  # messages a pass at most
POLL_SECONDS = 30.0
RETRY_FIRST_SECONDS = 30
RETRY_MAX_SECONDS = 1800
MAX_AGE = timedelta(hours=24)

KIND_WORDS = {  # kiosk/community/alerts.py's kinds (the same msgids, so one translation)
    "safety": N_("Safety"),
    "flood": N_("Flood or water leak"),
    "theft": N_("Theft or break-in"),
    "accident": N_("Accident"),
    "other": N_("Other"),
}


MAIL_DEFAULTS: dict[str, Any] = {
    "host": "",  # empty: nothing is sent
    "port": 25,
    "from_address": "",
    "public_url": "",  # the hub's address as the stop link shows it
    "starttls": False,
    "username": "",
    "password": "",
    "timeout_seconds": 10,
}


@dataclass(frozen=True)
class MailSettings:
    """``[hub.mail]``: the relay, the sender's address, the hub's address as links show it."""

    host: str
    port: int = 25
    from_address: str = ""
    public_url: str = ""
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout_seconds: int = 10

    @classmethod
    def from_config(cls, config) -> MailSettings | None:
        """``[hub.mail]`` checked key by key (``ConfigError``); None without a ``host``."""
        values = dict(MAIL_DEFAULTS)
        for key, value in config["hub"]["mail"].items():
            if key not in MAIL_DEFAULTS:
                raise ConfigError(
                    f"unknown key {key!r} in [hub.mail] (known: {', '.join(MAIL_DEFAULTS)})"
                )
            if type(value) is not type(MAIL_DEFAULTS[key]):
                raise ConfigError(
                    f"[hub.mail] {key} must be like {MAIL_DEFAULTS[key]!r}, not {value!r}"
                )
            values[key] = value
        if not values["host"]:
            return None
        if not 1 <= values["port"] <= 65535 or not 1 <= values["timeout_seconds"] <= 300:
            raise ConfigError("[hub.mail] port must be 1-65535, timeout_seconds 1-300")
        if "@" not in values["from_address"] or any(c in values["from_address"] for c in "\r\n"):
            raise ConfigError("[hub.mail] from_address must be an e-mail address")
        if not values["public_url"].startswith(("https://", "http://")):
            raise ConfigError(
                "[hub.mail] public_url must be the hub's address, e.g. https://hub.example.org"
            )
        return cls(**values)


def compose(db: Database, settings: MailSettings, row) -> EmailMessage:
    """The message of one outbox row, in its resident's language: an urgent alert here, a
    digest or an answer to one's post by ``sync.hub.mail_news``."""
    language = row["language"]
    gettext = i18n.gettext_for(language)
    link = (
        f"{settings.public_url.rstrip('/')}/mail/stop?t="
        f"{quote(stop_token(db, row['resident_id'], row['contact_event']))}"
    )
    if row["topic"] == "alert":
        kind = gettext(KIND_WORDS.get(row["kind"], KIND_WORDS["other"]))
        subject = i18n.fill(
            gettext("Urgent alert in your building: %(kind)s"), {"kind": kind}, language
        )
        paragraphs = [
            row["text"],
            gettext("It is shown on the building's kiosk until it is resolved."),
        ]
    else:
        subject, paragraphs = compose_news(row, gettext, language)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.from_address
    message["To"] = row["email"]
    message["Message-ID"] = make_msgid(domain="building-kiosk")
    message["List-Unsubscribe"] = f"<{link}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        "\n\n".join(
            (
                subject,
                *paragraphs,
                i18n.fill(
                    gettext("To receive no more of these e-mails, open: %(link)s"),
                    {"link": link},
                    language,
                ),
            )
        )
        + "\n"
    )
    return message


OUTBOXES = ("mail_outbox", "sms_outbox")  # the same rules for both (sync/hub/sms.py)


def forget_cut_sends(db: Database, table: str = "mail_outbox") -> int:
    """At start: a message left ``sending`` was cut mid-send; it may have gone: never again."""
    assert table in OUTBOXES
    with dbmod.write(db):
        return db.execute(
            f"UPDATE {table} SET state = 'uncertain', last_error = 'cut while being sent' "  # noqa: S608 (a fixed name)
            "WHERE state = 'sending'"
        ).rowcount


def later(db: Database, ids: list[int], error: str, table: str = "mail_outbox") -> None:
    """Try these messages again later (30 s, doubling up to 30 min), or expire them once older
    than ``MAX_AGE``."""
    assert table in OUTBOXES
    now = clock.now()
    with dbmod.write(db):
        for row in db.execute(
            f"SELECT id, tries, queued_at FROM {table} WHERE id IN ({','.join('?' * len(ids))})",  # noqa: S608 (placeholders)
            ids,
        ).fetchall():
            tries = row[1] + 1
            wait = min(RETRY_FIRST_SECONDS * 2 ** (tries - 1), RETRY_MAX_SECONDS)
            expired = now - clock.parse_iso(row[2]) > MAX_AGE
            db.execute(
                f"UPDATE {table} SET state = ?, tries = ?, next_try_at = ?, last_error = ? "  # noqa: S608 (a fixed name)
                "WHERE id = ? AND state IN ('queued', 'sending')",
                [
                    "expired" if expired else "queued",
                    tries,
                    (now + timedelta(seconds=wait)).isoformat(timespec="seconds"),
                    error[:300],
                    row[0],
                ],
            )


def _connect(settings: MailSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    try:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def mark(
    db: Database, outbox_id: int, state: str, error: str | None = None, table: str = "mail_outbox"
) -> None:
    assert table in OUTBOXES
    with dbmod.write(db):
        db.execute(
            f"UPDATE {table} SET state = ?, sent_at = ?, last_error = ? WHERE id = ?",  # noqa: S608 (a fixed name)
            [state, now_iso() if state == "sent" else None, error, outbox_id],
        )


def send_due(db: Database, settings: MailSettings) -> dict[str, int]:
    """One pass: queue the weekly digests whose moment came (``queue_digests``), then send
    what is due (at most ``BATCH``); counts by outcome."""
    queue_digests(db)
    now = now_iso()
    rows = dbmod.query(
        db,
        "SELECT * FROM mail_outbox WHERE state = 'queued' AND next_try_at <= ? ORDER BY id LIMIT ?",
        (now, BATCH),
    )
    counts = {"sent": 0, "later": 0, "refused": 0, "uncertain": 0}
    if not rows:
        return counts
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, TLS, login
        later(db, [row["id"] for row in rows], f"relay out of reach: {exc}")
        counts["later"] = len(rows)
        return counts
    try:
        for row in rows:
            outcome = _send_one(db, settings, smtp, row)
            counts[outcome] += 1
            if outcome == "uncertain":
                break  # the connection is gone: the rest waits for the next pass
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return counts


def _send_one(db: Database, settings: MailSettings, smtp: smtplib.SMTP, row: Any) -> str:
    message = compose(db, settings, row)  # before the claim: a fault here leaves it queued
    with dbmod.write(db):  # claimed first: no other sender takes it, a cut send is not resent
        if not db.execute(
            "UPDATE mail_outbox SET state = 'sending' WHERE id = ? AND state = 'queued'",
            [row["id"]],
        ).rowcount:
            return "later"
    try:
        smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        return _refused(db, row["id"], exc.recipients, str(exc))
    except smtplib.SMTPResponseException as exc:  # the relay answered: 4xx later, 5xx never
        if 400 <= exc.smtp_code < 500:
            later(db, [row["id"]], f"{exc.smtp_code} {exc.smtp_error!r}")
            return "later"
        mark(db, row["id"], "refused", f"{exc.smtp_code} {exc.smtp_error!r}")
        return "refused"
    except (OSError, smtplib.SMTPException) as exc:  # cut mid-send: it may have gone
        mark(db, row["id"], "uncertain", str(exc)[:300])
        return "uncertain"
    mark(db, row["id"], "sent")
    return "sent"


def _refused(db: Database, outbox_id: int, recipients: dict, error: str) -> str:
    codes = [code for code, _text in recipients.values()]
    if codes and all(400 <= code < 500 for code in codes):
        later(db, [outbox_id], error)
        return "later"
    mark(db, outbox_id, "refused", error[:300])
    return "refused"


class MailSender:
    """The hub's one sending thread (started by ``create_hub_app`` when ``[hub.mail]`` names a
    relay): ``wake`` after a batch queued messages, ``stop`` with the hub. The SMS sender
    (sync/hub/sms.py) is one too, with its own outbox and pass."""

    table = "mail_outbox"
    name = "hub-mail"

    def __init__(
        self, database_path: str | Path, settings: Any, *, files: str | Path | None = None
    ) -> None:
        self.path = str(database_path)
        self.files = files
        self.settings = settings
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def send_pass(self, db: Database) -> None:
        send_due(db, self.settings)

    def start(self) -> MailSender:
        db = open_store(self.path, files=self.files)
        try:
            forget_cut_sends(db, self.table)
        finally:
            db.close()
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        db = open_store(self.path, files=self.files)
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    self.send_pass(db)
                except Exception:  # a bad pass must not end the loop: logged, tried again
                    log.exception("%s: a sending pass failed", self.name)
                self._wake.wait(POLL_SECONDS)
        finally:
            db.close()
