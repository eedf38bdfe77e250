"""Enrol this kiosk at a hub with a one-time code, or rebuild a dead kiosk's database from the
hub's copy of its building's events with a restore code (``restore_from_hub``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from kiosk import clock, store
from kiosk.config import Config
from kiosk.store import keys
from kiosk.store.restoring import restore_state
from sync import protocol
from sync.client import SyncClient, SyncResult
from sync.connection import HubConnection
from sync.errors import SyncError
from sync.restore import begin_restore, enrolled_for_restore, resume_restore
from sync.state import set_state, state


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
    resumed: bool = False  # went on with a restore a cut or a crash had stopped
    sync_error: str | None = None  # the first sync after it failed (it is tried again later)


def restore_from_hub(db: Database, config: Config, url: str, code: str) -> RestoreResult:
    """Rebuild an empty kiosk database from the hub's copy of its building's events, or go on
    with a restore a cut or a crash stopped (``sync.restore``: nothing is fetched twice, and
    nothing can be recorded until it is complete).

    ``code`` is a restore code (``kiosk hub enrol-code --restore ORIGIN``): the kiosk takes back
    its old id with a new key; the same code serves again for the same kiosk and key. A
    ``kiosk.restored`` event above every seq the hub holds or acknowledged marks the restore in
    the log, so the numbering continues without collision. Card and PIN hashes never left the
    kiosk: residents get new cards.
    """
    resumed = restore_state(db) is not None
    begin_restore(db, url)
    connection = HubConnection.from_config(url, config)
    if not (restore_state(db) or {}).get("origin"):
        key = keys.load_or_create_signing_key(config)
        answer = _enrol_request(connection, key, code, "", config["building"]["name"])
        enrolled_for_restore(db, answer, connection.url)
        _learn_hub_key(db, answer)
    elif connection.url != state(db)["hub_url"]:
        set_state(db, hub_url=connection.url)
    restored = resume_restore(db, config, connection=connection)
    sync_error = None
    try:
        result = SyncClient(db, config, connection=connection).sync()
    except SyncError as exc:  # restored all the same: the next sync sends the marker and key
        result, sync_error = SyncResult(), str(exc)
    origin = restored.origin
    people = store.scalar(db, "SELECT COUNT(*) FROM residents WHERE home_origin = ?", (origin,))
    building = state(db)["building"]
    return RestoreResult(
        origin, building, restored.events, people, restored.next_seq, result, resumed, sync_error
    )
