"""Enrol this kiosk at a hub with a one-time code, or rebuild a dead kiosk's database from the
hub's copy of its building's events with a restore code (``restore_from_hub``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.config import Config
from kiosk.store import events as eventlog
from kiosk.store import keys
from sync import protocol
from sync.catch_up import mark_restored
from sync.client import SyncClient, SyncResult
from sync.connection import HubConnection
from sync.errors import SyncError
from sync.state import set_state


def _enrol_request(connection: HubConnection, key, code: str, origin: str, building: str) -> dict:
    body = protocol.encode_body(
        {
            "code": code.strip(),
            "origin": origin,
            "public_key": keys.public_key_b64(key),
            "building": building,
        }
    )
    headers = protocol.sign_request(key, "POST", "/api/enrol", body, origin, 0)
    return connection.send("POST", "/api/enrol", body, headers)


def enrol(db: Database, config: Config, url: str, code: str) -> dict[str, Any]:
    """Enrol this kiosk at the hub at ``url`` with a one-time ``code`` (once per kiosk)."""
    connection = HubConnection.from_config(url, config)
    keys.publish_public_key(db, config)
    key = keys.load_or_create_signing_key(config)
    answer = _enrol_request(connection, key, code, store.kiosk_id(db), config["building"]["name"])
    _learn_hub_key(db, answer)
    set_state(
        db,
        hub_url=connection.url,
        building=answer["building"],
        enrolled_at=clock.now_iso(),
        acked_seq=int(answer["acked_seq"]),
        failures=0,
        last_error=None,
    )
    return answer


def _learn_hub_key(db: Database, answer: dict) -> None:
    """The hub's public key, as the enrolment's answer names it: it verifies what the hub
    signs (its verdicts, the keys it introduces)."""
    if isinstance(answer.get("hub_key"), str):
        keys.set_hub_public_key(db, answer["hub_key"])


@dataclass
class RestoreResult:
    origin: str
    building: str
    events: int
    residents: int
    next_seq: int
    sync: SyncResult = field(default_factory=SyncResult)


def restore_from_hub(db: Database, config: Config, url: str, code: str) -> RestoreResult:
    """Rebuild an empty kiosk database from the hub's copy of its building's events.

    ``code`` is a restore code (``kiosk hub enrol-code --restore ORIGIN``): the kiosk takes back
    its old id with a new key. A ``kiosk.restored`` event above every seq the hub acknowledged
    marks the restore in the log, so the numbering continues without collision. Card and PIN
    hashes never left the kiosk: residents get new cards.
    """
    if store.scalar(db, "SELECT COUNT(*) FROM events"):
        raise SyncError("this database already has events: restore into a new, empty data folder")
    connection = HubConnection.from_config(url, config)
    key = keys.load_or_create_signing_key(config)
    answer = _enrol_request(connection, key, code, "", config["building"]["name"])
    origin = answer["origin"]
    with store.write(db):
        store.set_meta(db, "kiosk_id", origin)
        _learn_hub_key(db, answer)
        db.execute(
            "UPDATE sync_state SET hub_url = ?, building = ?, enrolled_at = ?, acked_seq = ?, "
            "pull_cursor = 0, request_counter = 0, failures = 0, last_error = NULL WHERE id = 1",
            [connection.url, answer["building"], clock.now_iso(), int(answer["acked_seq"])],
        )
    client = SyncClient(db, config, connection=connection)
    _received, applied = client.pull(include_own=True)
    with store.write(db):
        held = eventlog.last_seq(db, origin)
        seq = mark_restored(
            db, origin, held, int(answer["acked_seq"]), {"events_restored": applied}
        )
    keys.publish_public_key(db, config)
    result = client.sync()
    people = store.scalar(db, "SELECT COUNT(*) FROM residents WHERE home_origin = ?", (origin,))
    return RestoreResult(origin, answer["building"], applied, people, seq + 1, result)
