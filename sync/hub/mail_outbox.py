"""The hub's outboxes: who asked to be told, and one message queued per (alert, resident).

As the hub stores a kiosk's batch (``sync.hub.store.accept_batch``, same transaction), the
events the authority check accepted feed these tables: ``resident.contact_set`` sets the
resident's row of ``mail_contacts`` (the latest received wins; its address, its mobile number
for SMS), ``alert.raised`` queues one ``mail_outbox`` row per resident of that building who
asked for urgent alerts by e-mail and one ``sms_outbox`` row per resident who asked for them by
SMS (unique key: alert id, resident id), in the language the contact event carries;
``board.message_sent``
queues one message to the post's author (sync/hub/mail_news.py); ``resident.moved_out``
forgets the leaver's address and number and expires what was queued for them. A refused event
feeds nothing. The senders (``sync.hub.mail``, ``sync.hub.sms``) send what is queued.

The stop link of every message carries ``stop_token``: the resident's id and the contact event
it was sent under, signed with HMAC-SHA256 by the hub's own secret (a file beside its
database, never in it). ``stop`` puts that contact in ``mail_suppressed``: nothing more goes to
it, until the resident makes a new choice at the kiosk (a new contact event). The hub says so
to the building's kiosks with an event of its own, sealed like its verdicts
(``resident.contact_stopped`` {resident_id, contact_event_id, channel: "email"}), so the
resident's "Be told" page no longer shows the address as active. The SMS are stopped at the
kiosk (a reply to an SMS is not read).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk.secrets_file import load_or_create_secret_key
from kiosk.store import db as dbmod
from sync.hub.db import files_prefix
from sync.hub.mail_news import queue_answer
from sync.hub.records import now_iso
from sync.hub.signing import append_hub_event

CONTACT_STOPPED = "resident.contact_stopped"

MAIL_TYPES = (
    "resident.contact_set",
    "alert.raised",
    "resident.moved_out",
    "board.message_sent",
)


def note_events(
    db: Database, rows: Sequence[tuple], sent: Mapping[int, dict], refused_seqs: set[int]
) -> int:
    """Inside a batch's write: learn contacts, queue alerts (``rows``: the stored rows, their
    seq at [2], type at [3], building at [5]; ``sent``: the events by seq). Messages queued."""
    queued = 0
    for row in rows:
        if row[3] not in MAIL_TYPES or row[2] in refused_seqs:
            continue
        event, building = sent[row[2]], row[5]
        if row[3] == "resident.contact_set":
            _set_contact(db, event, building)
        elif row[3] == "resident.moved_out":
            _forget_leaver(db, event["payload"]["resident_id"])
        elif row[3] == "board.message_sent":
            queued += queue_answer(db, event, building)
        else:
            queued += queue_alert(db, event["id"], building, event["payload"])
            queued += queue_sms(db, event["id"], building, event["payload"])
    return queued


def _set_contact(db: Database, event: dict, building: str) -> None:
    p = event["payload"]
    email, phone, answers = p["email"], p.get("phone", ""), p.get("answers")
    db.execute(
        "INSERT INTO mail_contacts (resident_id, building, email, urgent, digest, language, "
        "event_id, phone, sms_urgent, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (resident_id) DO UPDATE SET "
        "building = excluded.building, email = excluded.email, urgent = excluded.urgent, "
        "digest = excluded.digest, language = excluded.language, event_id = excluded.event_id, "
        "phone = excluded.phone, sms_urgent = excluded.sms_urgent, answers = excluded.answers",
        [
            p["resident_id"],
            building,
            email,
            int(bool(email) and p["urgent"]),
            int(bool(email) and p["digest"]),
            p["language"],
            event["id"],
            phone,
            int(bool(phone) and bool(p.get("sms_urgent"))),
            None if answers is None else int(bool(email) and answers),
        ],
    )


def _forget_leaver(db: Database, resident_id: str) -> None:
    """A resident who moved out is told nothing more about the building: their address is
    forgotten and what was queued for them and not yet sent is not sent (kept, expired);
    brought back, they choose again at the kiosk."""
    db.execute("DELETE FROM mail_contacts WHERE resident_id = ?", [resident_id])
    for table in ("mail_outbox", "sms_outbox"):
        db.execute(
            f"UPDATE {table} SET state = 'expired', last_error = 'moved out' "  # noqa: S608 (fixed names)
            "WHERE resident_id = ? AND state = 'queued'",
            [resident_id],
        )


def queue_alert(db: Database, alert_id: str, building: str, payload: Mapping[str, Any]) -> int:
    """One message per resident of ``building`` who asked for urgent alerts and did not stop
    them; an alert already queued queues nothing again. How many were queued."""
    now = now_iso()
    cursor = db.execute(
        "INSERT INTO mail_outbox (alert_id, resident_id, building, email, language, "
        "contact_event, kind, text, next_try_at, queued_at) "
        "SELECT ?, c.resident_id, c.building, c.email, c.language, c.event_id, ?, ?, ?, ? "
        "FROM mail_contacts c WHERE c.building = ? AND c.urgent = 1 AND c.email <> '' "
        "AND NOT EXISTS (SELECT 1 FROM mail_suppressed s "
        "WHERE s.resident_id = c.resident_id AND s.contact_event = c.event_id) "
        "ON CONFLICT DO NOTHING",
        [alert_id, payload["kind"], payload["text"], now, now, building],
    )
    return cursor.rowcount


def queue_sms(db: Database, alert_id: str, building: str, payload: Mapping[str, Any]) -> int:
    """One SMS per resident of ``building`` who asked for urgent alerts by SMS; an alert
    already queued queues nothing again. How many were queued."""
    now = now_iso()
    return db.execute(
        "INSERT INTO sms_outbox (alert_id, resident_id, building, phone, language, "
        "contact_event, kind, text, next_try_at, queued_at) "
        "SELECT ?, c.resident_id, c.building, c.phone, c.language, c.event_id, ?, ?, ?, ? "
        "FROM mail_contacts c WHERE c.building = ? AND c.sms_urgent = 1 AND c.phone <> '' "
        "ON CONFLICT DO NOTHING",
        [alert_id, payload["kind"], payload["text"], now, now, building],
    ).rowcount


# --------------------------------------------------------------------------- the stop link


def secret_path(db: Database) -> Path:
    """The hub's mail secret: beside its database file (like its key), never in it."""
    return Path(files_prefix(db) + "-mail-secret")


def _mac(secret: bytes, message: str) -> str:
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def stop_token(db: Database, resident_id: str, contact_event: str) -> str:
    message = f"stop.{resident_id}.{contact_event}"
    return (
        f"{resident_id}.{contact_event}.{_mac(load_or_create_secret_key(secret_path(db)), message)}"
    )


def stop(db: Database, token: str) -> bool:
    """Turn off the e-mails of the contact a valid token names; False for a forged, altered or
    malformed token (nothing changes)."""
    parts = token.split(".") if isinstance(token, str) and len(token) < 300 else []
    if len(parts) != 3:
        return False
    resident_id, contact_event, mac = parts
    expected = _mac(
        load_or_create_secret_key(secret_path(db)), f"stop.{resident_id}.{contact_event}"
    )
    if not hmac.compare_digest(mac.encode(), expected.encode()):
        return False
    with dbmod.write(db):
        already = db.execute(
            "SELECT 1 FROM mail_suppressed WHERE resident_id = ? AND contact_event = ?",
            [resident_id, contact_event],
        ).fetchone()
        if not already:  # the kiosks learn it once, however often the link is touched
            append_hub_event(
                db,
                CONTACT_STOPPED,
                {"resident_id": resident_id, "contact_event_id": contact_event, "channel": "email"},
            )
        db.execute(
            "INSERT INTO mail_suppressed (resident_id, contact_event, suppressed_at) "
            "VALUES (?, ?, ?) ON CONFLICT (resident_id) DO UPDATE SET "
            "contact_event = excluded.contact_event, suppressed_at = excluded.suppressed_at",
            [resident_id, contact_event, now_iso()],
        )
        # what was queued for that contact and not sent yet goes no further
        db.execute(
            "UPDATE mail_outbox SET state = 'refused', last_error = 'stopped by the resident' "
            "WHERE resident_id = ? AND state = 'queued'",
            [resident_id],
        )
    return True
