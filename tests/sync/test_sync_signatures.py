"""The hub cannot forge a building's history: every event carries its origin's seal, kiosks
check it before applying anything, key changes are signed events kept as a history, and a
voucher signed by an earlier key of its kiosk stays good."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from app_fixtures import PIN
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sync_fixtures import shared_events, shared_snapshot, sync_until_quiet

from kiosk import store
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.store import keys
from kiosk.store.events import Event
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import vouchers
from sync import event_signatures, key_rotation, protocol, seals
from sync.enrolment import restore_from_hub
from sync.errors import SyncError
from sync.hub import signing
from sync.key_rotation import rotate_key

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"


def a_building(hub, make_kiosk):
    """Lobby (which records) and community room at Les Tilleuls, one kiosk at Les Lilas."""
    lobby = make_kiosk("lobby", TILLEULS, enrol_at=hub)
    room = make_kiosk("room", TILLEULS, enrol_at=hub)
    lilas = make_kiosk("lilas", LILAS, enrol_at=hub)
    return lobby, room, lilas


def claire(kiosk):
    return residents.register(kiosk.db, apartment="A-001", name="Claire Petit", pin=PIN)


def rename(kiosk, person, name: str) -> None:
    with store.write(kiosk.db):
        store.record(kiosk.db, "resident.updated", {"resident_id": person.id, "name": name})


def name_at(kiosk, person) -> str | None:
    return store.scalar(kiosk.db, "SELECT name FROM residents WHERE id = ?", (person.id,))


def hub_write(hub, *statements) -> None:
    """Change the hub's database behind its back (a compromised hub), append-only or not."""
    db = hub.db
    try:
        with store.write(db):
            db.execute("DROP TRIGGER hub_events_are_append_only_update")
            for sql, params in statements:
                db.execute(sql, params)
    finally:
        db.close()


def hub_event(hub, origin: str, seq: int) -> dict:
    db = hub.db
    try:
        row = store.query_one(
            db, "SELECT * FROM events WHERE origin = ? AND seq = ?", (origin, seq)
        )
        return dict(row)
    finally:
        db.close()


def key_history(kiosk) -> list[tuple]:
    return sorted(
        (r["origin"], r["public_key"], r["from_seq"], r["source"])
        for r in store.query(kiosk.db, "SELECT * FROM kiosk_key_history")
    )


def test_an_event_altered_at_the_hub_is_refused_by_both_kiosks_of_the_building(hub, make_kiosk):
    lobby, room, lilas = a_building(hub, make_kiosk)
    person = claire(lobby)
    rename(lobby, person, "Claire Petit-Martin")
    lobby.sync()
    seq = store.scalar(lobby.db, "SELECT MAX(seq) FROM events WHERE type = 'resident.updated'", ())
    # The hub gives Claire another name in the event it keeps (its digest altered alike).
    row = hub_event(hub, lobby.origin, seq)
    wire = json.loads(row["body"])
    wire["payload"]["name"] = "Mallory"
    body = protocol.canonical_json(wire)
    digest = hashlib.sha256(body.encode()).hexdigest()
    hub_write(
        hub,
        (
            "UPDATE events SET body = ?, digest = ? WHERE hub_seq = ?",
            [body, digest, row["hub_seq"]],
        ),
    )
    rename(lobby, person, "Claire P.")  # a later valid event of the same kiosk
    lobby.sync()
    for kiosk in (room, lilas):
        client = kiosk.client()
        client.sync()
        assert client.refused_events == (1 if kiosk is room else 0)  # a building event
    assert name_at(room, person) == "Claire P."  # the valid events applied, the altered one not
    held = store.scalar(
        room.db, "SELECT COUNT(*) FROM events WHERE origin = ? AND seq = ?", (lobby.origin, seq)
    )
    assert held == 0 and "Mallory" not in json.dumps(shared_snapshot(room.db))


def test_an_event_invented_by_the_hub_is_refused_everywhere(hub, make_kiosk):
    lobby, room, lilas = a_building(hub, make_kiosk)
    person = claire(lobby)
    lobby.sync()
    top = max(e[2] for e in shared_events(lobby.db) if e[1] == lobby.origin)
    # The hub makes up an admin role for Claire as the lobby's next event, with or without
    # borrowing the seal of the lobby's last batch.
    seal_id = hub_event(hub, lobby.origin, top)["seal_id"]
    invented = []
    for offset, seal in ((1, seal_id), (2, None)):
        wire = {
            "id": f"01900000-0000-7000-8000-00000000000{offset}",
            "origin": lobby.origin,
            "seq": top + offset,
            "type": "resident.updated",
            "scope": "building",
            "payload": {"resident_id": person.id, "role": "admin"},
            "created_at": "2026-01-01T00:00:00Z",
        }
        body = protocol.canonical_json(wire)
        invented.append(
            (
                "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, "
                "received_at, seal_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    wire["id"],
                    lobby.origin,
                    top + offset,
                    wire["type"],
                    "building",
                    TILLEULS,
                    body,
                    hashlib.sha256(body.encode()).hexdigest(),
                    "2026-01-01T00:00:00Z",
                    seal,
                ],
            )
        )
    hub_write(hub, *invented)
    for kiosk in (room, lilas):
        client = kiosk.client()
        client.sync()
        assert client.refused_events == (2 if kiosk is room else 0)  # Les Lilas never gets them
    role = store.scalar(room.db, "SELECT role FROM residents WHERE id = ?", (person.id,))
    assert role != "admin" and name_at(room, person) == "Claire Petit"


def test_a_hub_that_changes_its_key_or_reintroduces_a_kiosk_under_its_history_is_refused(
    hub, make_kiosk
):
    lobby, room, lilas = a_building(hub, make_kiosk)
    person = claire(lobby)
    sync_until_quiet([lobby, room, lilas])
    history = key_history(room)
    # A hub introduces a key of its own making for the lobby from seq 1: it could then sign
    # the lobby's whole history again. The room holds those events: refused.
    db = hub.db
    try:
        with store.write(db):
            signing.append_hub_event(
                db,
                "kiosk.key_introduced",
                {
                    "origin": lobby.origin,
                    "public_key": keys.public_key_b64(
                        keys.load_or_create_key_file(hub.path.parent / "mallory.pem")
                    ),
                    "from_seq": 1,
                    "building": TILLEULS,
                },
            )
    finally:
        db.close()
    client = room.client()
    client.pull()
    assert client.refused_events == 1 and key_history(room) == history
    rename(lobby, person, "Claire P.")
    sync_until_quiet([lobby, room])
    assert name_at(room, person) == "Claire P."


def test_a_hub_event_sealed_by_a_key_the_kiosk_does_not_trust_is_refused(hub, make_kiosk):
    lobby, room, _lilas = a_building(hub, make_kiosk)
    lobby.sync()
    room.sync()
    event = Event(
        "e1",
        protocol.HUB_ORIGIN,
        50,
        "voucher.settlement_rejected",
        "network",
        {"serial": "X-1", "losing_event_id": "a", "winning_event_id": "b"},
        "now",
    )
    digest = seals.event_digest(protocol.event_to_wire(event))
    other = seals.read_seal(seals.make_seal(Ed25519PrivateKey.generate(), "HUB", [50], [digest]))
    assert (
        event_signatures.signature_refusal(room.db, event, other) == "not signed by the hub's key"
    )
    real = seals.read_seal(seals.make_seal(_hub_private_key(hub), "HUB", [50], [digest]))
    assert event_signatures.signature_refusal(room.db, event, real) is None
    assert "unsigned" in event_signatures.signature_refusal(room.db, event, None)


def _hub_private_key(hub):
    db = hub.db
    try:
        return signing.hub_key(db)
    finally:
        db.close()


def test_a_voucher_printed_before_a_restore_from_the_hub_is_redeemed_after_it(hub, make_kiosk):
    lobby, room, lilas = a_building(hub, make_kiosk)
    jeanne = residents.register(lobby.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(lobby.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        lobby.db,
        lobby.config,
        payer_id=paul.id,
        payee_id=jeanne.id,
        description="Ourlets",
        amount=2000,
    )
    (voucher,) = vouchers.issue_vouchers(
        lobby.db, lobby.config, resident_id=jeanne.id, counts={2000: 1}
    )
    lobby.sync()
    # The lobby's SD card dies; it is restored from the hub with a new key.
    new = make_kiosk("lobby-new", TILLEULS)
    new.db.close()
    new.config.database_path.unlink()
    new.db = store.connect(new.config.database_path)
    restore_from_hub(new.db, new.config, hub.url, hub.enrol_code("", restore_origin=lobby.origin))
    assert keys.known_public_key_b64(new.db, lobby.origin) != keys.public_key_b64(
        keys.load_or_create_signing_key(lobby.config)
    )
    rename(new, paul, "Paul D.")  # signed with the new key
    sync_until_quiet([new, room, lilas])
    assert name_at(room, paul) == "Paul D."
    sources = [row[3] for row in key_history(room) if row[0] == lobby.origin]
    assert sources == ["hub", "hub"]  # the first key and the restored one, both introduced
    louise = residents.register(lilas.db, apartment="C-3", name="Louise Bernard", pin=PIN)
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    assert residents.get(lilas.db, louise.id).balance == 2000
    # the restored kiosk's own events, pulled back, were checked like any other
    assert shared_events(new.db) >= {e for e in shared_events(lobby.db) if e[1] == lobby.origin}


def test_a_key_rotation_is_signed_by_the_previous_key_and_the_old_vouchers_stay_good(
    hub, make_kiosk
):
    lobby, room, lilas = a_building(hub, make_kiosk)
    jeanne = residents.register(lobby.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(lobby.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        lobby.db,
        lobby.config,
        payer_id=paul.id,
        payee_id=jeanne.id,
        description="Ourlets",
        amount=2000,
    )
    (voucher,) = vouchers.issue_vouchers(
        lobby.db, lobby.config, resident_id=jeanne.id, counts={2000: 1}
    )
    rename(lobby, paul, "Paul D.")
    with pytest.raises(SyncError):
        rotate_key(lobby.db, lobby.config)  # not everything is at the hub yet
    lobby.sync()
    old_key = keys.public_key_b64(keys.load_or_create_signing_key(lobby.config))
    seq = rotate_key(lobby.db, lobby.config)
    new_key = keys.public_key_b64(keys.load_or_create_signing_key(lobby.config))
    assert new_key != old_key
    rename(lobby, paul, "Paul Durand-Roy")  # signed with the new key
    lobby.sync()  # requests still signed by the old key until the hub has the rotation
    lobby.sync()  # now by the new one
    sync_until_quiet([lobby, room, lilas])
    assert name_at(room, paul) == "Paul Durand-Roy"
    for kiosk in (room, lilas):
        mine = [row[1:] for row in key_history(kiosk) if row[0] == lobby.origin]
        assert sorted(mine) == sorted([(old_key, 1, "hub"), (new_key, seq, "rotation")])
    louise = residents.register(lilas.db, apartment="C-3", name="Louise Bernard", pin=PIN)
    voucher_redeeming.redeem_voucher(lilas.db, lilas.config, voucher.qr, resident_id=louise.id)
    assert not (lobby.config.data_dir / "kiosk_ed25519.previous.pem").exists()
    # the old key may sign nothing from the rotation on: a batch sealed by it is refused
    event = store.query_one(
        lobby.db, "SELECT * FROM events WHERE origin = ? ORDER BY seq DESC", (lobby.origin,)
    )
    last = Event.from_row(event)
    digest = seals.event_digest(protocol.event_to_wire(last))
    forged = seals.read_seal(
        seals.make_seal(_previous_key_of(lobby, old_key), lobby.origin, [last.seq], [digest])
    )
    assert "does not verify" in event_signatures.signature_refusal(room.db, last, forged)


def _previous_key_of(kiosk, old_b64):
    """The old key, as an attacker who stole it would hold it (kept by the test)."""
    return _STOLEN[old_b64]


_STOLEN: dict = {}


@pytest.fixture(autouse=True)
def _keep_old_keys(monkeypatch):
    """Keep every key a rotation retires, so a test can play the thief who stole one."""
    real = key_rotation._write_key

    def write(path, key):
        _STOLEN[keys.public_key_b64(key)] = key
        real(path, key)

    monkeypatch.setattr(key_rotation, "_write_key", write)


def test_a_replayed_old_key_event_changes_nothing(hub, make_kiosk):
    lobby, room, lilas = a_building(hub, make_kiosk)
    person = claire(lobby)
    lobby.sync()
    seq = rotate_key(lobby.db, lobby.config)
    lobby.sync()
    sync_until_quiet([lobby, room, lilas])
    history = key_history(room), key_history(lilas)
    # The hub serves the lobby's first key introduction again, as a new event of its own.
    db = hub.db
    try:
        body = store.query_one(
            db,
            "SELECT body FROM events WHERE origin = 'HUB' AND type = 'kiosk.key_introduced' "
            "AND json_extract(body, '$.payload.origin') = ?",
            (lobby.origin,),
        )["body"]
        payload = json.loads(body)["payload"]
        with store.write(db):
            signing.append_hub_event(db, "kiosk.key_introduced", {**payload, "from_seq": seq + 5})
    finally:
        db.close()
    sync_until_quiet([room, lilas])
    assert (key_history(room), key_history(lilas)) == history
    rename(lobby, person, "Claire P.")  # the old key's introduction gave it nothing back
    sync_until_quiet([lobby, room, lilas])
    assert name_at(room, person) == "Claire P."
    stored = store.scalar(
        room.db,
        "SELECT COUNT(*) FROM events WHERE origin = 'HUB' AND type = 'kiosk.key_introduced'",
    )
    assert stored == 4  # three enrolments and the replay, kept in the log, changing nothing


def test_a_kiosk_enrolled_before_the_hub_signed_learns_its_key_at_the_first_sync(hub, make_kiosk):
    lobby, room, _lilas = a_building(hub, make_kiosk)
    with store.write(room.db):
        room.db.execute("DELETE FROM kiosk_meta WHERE key = ?", [keys.HUB_KEY])
    claire(lobby)
    sync_until_quiet([lobby, room])
    assert (
        keys.hub_public_key_b64(room.db)
        == base64.b64encode(_hub_private_key(hub).public_key().public_bytes_raw()).decode()
    )
    assert shared_snapshot(room.db) == shared_snapshot(lobby.db)
