"""Authority where events enter: a hostile kiosk of Les Lilas, enrolled and signing its requests
correctly, tries every event type of the registry in every scope, about residents, accounts
and posts of its own building and of Résidence des Tilleuls, in order, out of order and
replayed. Nothing outside its authority is served by the hub or applied by either kiosk of Les
Tilleuls; its valid events still flow; the Tilleuls kiosks still agree and their balances sum
to zero. An event forged straight into the hub's database is refused by the kiosks on pull;
revoking a kiosk after a seq sets aside, everywhere, what it sent after it."""

from __future__ import annotations

import base64
import datetime
import random

import pytest
from app_fixtures import PIN, login, text_of
from device_keys import Device
from sync_fixtures import (
    dashboard,
    inject_at_hub,
    send,
    shared_snapshot,
    sync_until_quiet,
)

from kiosk import ids, store
from kiosk.app import create_app
from kiosk.board import board
from kiosk.cli_ops import check_database
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.store import keys, refused
from kiosk.store.registry import (
    NETWORK,
    PRIVATE,
    SCOPES,
    Authority,
    NoneType,
    registry,
)
from kiosk.vouchers import codes
from sync import protocol
from sync.hub import dashboard as hub_dashboard
from sync.hub.kiosks import revoke

# The hub's core behaviour, on both of its stores (PostgreSQL: two hub apps, one database).
pytestmark = pytest.mark.both_stores

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"
SAMPLES = {str: "x", int: 1, bool: True, list: [], dict: {}, NoneType: None, float: 1.5}


def _sample(types) -> object:
    types = types if isinstance(types, tuple) else (types,)
    return SAMPLES[types[0]]


@pytest.fixture
def network(hub, make_kiosk):
    """Two kiosks of Les Tilleuls with Alice (admin), Bob and a network post of Alice's, and
    the hostile kiosk of Les Lilas with Carole and her network post; all synced."""
    a1 = make_kiosk("a1", TILLEULS, enrol_at=hub)
    a2 = make_kiosk("a2", TILLEULS, enrol_at=hub)
    b = make_kiosk("b", LILAS, enrol_at=hub)
    alice = residents.register(a1.db, apartment="A-1", name="Alice Roux", pin=PIN, role="admin")
    bob = residents.register(a1.db, apartment="A-2", name="Bob Lenoir", pin=PIN)
    exchanges.record_exchange(
        a1.db, a1.config, payer_id=bob.id, payee_id=alice.id, description="Courses", amount=500
    )
    alice_post = board.publish(
        a1.db,
        a1.config,
        poster_id=alice.id,
        direction="offer",
        kind="service",
        category=a1.config["board"]["categories"][0],
        title="Cours de piano",
        network=True,
    )
    carole = residents.register(b.db, apartment="L-1", name="Carole Blanc", pin=PIN)
    carole_post = board.publish(
        b.db,
        b.config,
        poster_id=carole.id,
        direction="offer",
        kind="give",
        category=b.config["board"]["categories"][0],
        title="Pots de confiture",
        network=True,
    )
    sync_until_quiet([a1, a2, b])
    return {
        "a1": a1,
        "a2": a2,
        "b": b,
        "entities": {
            "A": {
                "resident": alice.id,
                "account": f"resident:{alice.id}",
                "post": alice_post.id,
                "kiosk": a1.origin,
            },
            "B": {
                "resident": carole.id,
                "account": f"resident:{carole.id}",
                "post": carole_post.id,
                "kiosk": b.origin,
            },
        },
        "credit": {"A": f"resident:{bob.id}", "B": "system:common_fund"},
    }


def signed_voucher(kiosk, issuer: str, seq: int) -> dict:
    """A voucher's fields signed with ``kiosk``'s key, and the opening of its commitment."""
    code = codes.sign_voucher(
        keys.load_or_create_signing_key(kiosk.config),
        issuer_origin=issuer,
        seq=seq,
        amount=500,
        issued_on=datetime.date(2026, 3, 1),
        expires_on=datetime.date(2027, 3, 1),
        building=LILAS,
    )
    return {
        "serial": code.serial,
        "issuer_origin": issuer,
        "voucher_seq": seq,
        "amount": 500,
        "issued_on": "2026-03-01",
        "expires_on": "2027-03-01",
        "building": LILAS,
        "building_hash": code.building_hash.hex(),
        "signature": base64.b64encode(code.signature).decode(),
        "commitment": code.commitment.hex(),
        "opening": code.opening.hex(),
    }


def hostile_attempts(net) -> list[dict]:
    """Every declared type in every scope, about an entity of Les Tilleuls ("A") and of Les
    Lilas ("B"): (what, wire event without origin and seq, whether it is within b's
    authority)."""
    attempts = []
    for declared in registry:
        for scope in SCOPES:
            for target in ("A", "B"):
                payload = {name: _sample(types) for name, types in declared.payload.fields.items()}
                kind = declared.about.kind if declared.about else None
                known = net["entities"][target].get(kind) if kind else None
                entity = known or f"{target}-{kind}-{ids.uuid7()}"
                if declared.about is not None:
                    payload[declared.about.field] = entity
                if declared.name == "transfer.recorded":
                    payload.update(amount=50_000, credit_account=net["credit"][target])
                if declared.name == "kiosk.key_published":
                    payload["building"] = TILLEULS if target == "A" else LILAS
                if declared.name == "resident.contact_set":  # its rule: a plausible address
                    payload.update(email="hostile@example.net", language="en")
                if declared.name == "device.paired":  # its rule: the id is the key's
                    device = Device()
                    payload.update(device_id=device.id, public_key=device.public_key)
                if declared.name == "device.removed":  # its rule: a known reason
                    payload["reason"] = "volunteer"
                if declared.name == "home.request_answered":  # its rule: an outcome
                    payload.update(outcome="applied", message="")
                if declared.name in ("voucher.issued", "voucher.redeemed"):
                    # A voucher must prove itself (kiosk/vouchers/proofs.py): one b signed.
                    issuer = payload["issuer_origin"]
                    if declared.name == "voucher.redeemed":
                        issuer = net["entities"]["B"]["kiosk"]
                    payload.update(signed_voucher(net["b"], issuer, payload["voucher_seq"]))
                event_id = ids.uuid7()
                creates = any(
                    made.kind == kind and made.entity_id(event_id, payload) == entity
                    for made in declared.creates
                )
                # Any kiosk may issue or redeem a voucher, or say it was restored; a kiosk
                # publishes its key for its own building only. The others speak about an
                # entity: only one of b's building, or one this very event creates there.
                # (A made-up id of no entity, that the event creates, is a new entity of b's.)
                about_own = (
                    target == "B"
                    and (
                        declared.authority is not Authority.HOME_BUILDING
                        or known is not None
                        or creates
                    )
                ) or (known is None and creates)
                within = (
                    scope == declared.scope != PRIVATE
                    and declared.authority is not Authority.HUB
                    and (
                        about_own
                        if declared.authority is not Authority.ANY_KIOSK
                        or declared.name == "kiosk.key_published"
                        else True
                    )
                )
                attempts.append(
                    {
                        "what": f"{declared.name}/{scope}/{target}",
                        "event": {
                            "id": event_id,
                            "type": declared.name,
                            "scope": scope,
                            "payload": payload,
                            "created_at": "2026-03-01T10:00:00Z",
                        },
                        "within": within,
                    }
                )
    return attempts


def hostile_push(b, attempts, *, order) -> dict[int, dict]:
    """b's log gets the attempts as its own next events (in ``order``), then b pushes them like
    any batch, correctly signed: {seq: attempt}."""
    by_seq = {}
    with store.write(b.db):
        seq = store.events.last_seq(b.db, b.origin)
        for attempt in order(attempts):
            seq += 1
            event = {**attempt["event"], "origin": b.origin, "seq": seq}
            b.db.execute(
                "INSERT INTO events (id, origin, seq, type, scope, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    event["id"],
                    b.origin,
                    seq,
                    event["type"],
                    # a private scope is sent as it is: the hub refuses it
                    event["scope"],
                    protocol.canonical_json(event["payload"]),
                    event["created_at"],
                ],
            )
            by_seq[seq] = {**attempt, "event": event}
    return by_seq


def served_by_hub(hub, origin) -> set[int]:
    db = hub.db
    try:
        return {
            row["seq"]
            for row in store.query(
                db,
                "SELECT seq FROM events e WHERE origin = ? AND NOT EXISTS "
                "(SELECT 1 FROM hub_refused r WHERE r.hub_seq = e.hub_seq)",
                (origin,),
            )
        }
    finally:
        db.close()


def balances_sum(db) -> int:
    return store.scalar(db, "SELECT COALESCE(SUM(balance), 0) FROM accounts")


def people(db) -> list[tuple]:
    return [
        tuple(r)
        for r in store.query(
            db,
            "SELECT r.id, r.role, r.status, a.balance, c.pin_hash FROM residents r "
            "JOIN accounts a ON a.resident_id = r.id JOIN credentials c ON c.resident_id = r.id "
            "ORDER BY r.id",
        )
    ]


@pytest.mark.parametrize("order", ["in_order", "shuffled", "reversed"])
def test_a_hostile_kiosk_changes_nothing_outside_its_authority(hub, network, order):
    a1, a2, b = network["a1"], network["a2"], network["b"]
    before = {name: people(k.db) for name, k in (("a1", a1), ("a2", a2))}
    attempts = hostile_attempts(network)
    shuffle = {
        "in_order": list,
        "shuffled": lambda items: random.Random(15).sample(items, len(items)),
        "reversed": lambda items: list(reversed(items)),
    }[order]
    by_seq = hostile_push(b, attempts, order=shuffle)
    assert len({a["event"]["type"] for a in by_seq.values()}) == len(registry)
    pushed = b.client().push()
    assert pushed == len([a for a in by_seq.values() if a["event"]["scope"] != PRIVATE])
    # Replayed: the same batch again, and again as a fresh request (a new counter).
    b.client().push()
    batch = {
        "from_seq": min(by_seq),
        "to_seq": max(by_seq),
        "events": [a["event"] for a in by_seq.values() if a["event"]["scope"] != PRIVATE],
    }
    again = send(b, "POST", "/api/push", protocol.encode_body(batch))
    assert again["accepted"] == 0 and again["refused"] == 0

    served = served_by_hub(hub, b.origin)
    wrongly_served = [by_seq[s]["what"] for s in by_seq if s in served and not by_seq[s]["within"]]
    assert wrongly_served == []
    refused_valid = [
        by_seq[s]["what"]
        for s in by_seq
        if by_seq[s]["event"]["scope"] != PRIVATE and s not in served and by_seq[s]["within"]
    ]
    assert refused_valid == []

    sync_until_quiet([a1, a2])
    for kiosk in (a1, a2):
        held = {
            r["seq"]
            for r in store.query(kiosk.db, "SELECT seq FROM events WHERE origin = ?", (b.origin,))
        }
        assert not [by_seq[s]["what"] for s in held if s in by_seq and not by_seq[s]["within"]]
        # Alice is still the only admin, PINs and balances as they were, the books balanced
        assert people(kiosk.db) == before[kiosk.name]
        assert balances_sum(kiosk.db) == 0
    assert shared_snapshot(a1.db) == shared_snapshot(a2.db)
    # b's valid network events still flow: a post of Carole's published now reaches Tilleuls
    carole = network["entities"]["B"]["resident"]
    post = board.publish(
        b.db,
        b.config,
        poster_id=carole,
        direction="request",
        kind="service",
        category=b.config["board"]["categories"][0],
        title="Cherche perceuse",
        network=True,
    )
    sync_until_quiet([b, a1, a2])
    for kiosk in (a1, a2):
        assert store.scalar(kiosk.db, "SELECT title FROM board_posts WHERE id = ?", (post.id,))
    # The hub's administrator sees what was refused, with the reasons
    db = hub.db
    try:
        summary = hub_dashboard.dashboard(db)
    finally:
        db.close()
    row = next(k for k in summary["kiosks"] if k["origin"] == b.origin)
    assert row["refused"]["count"] == len(
        [a for a in by_seq.values() if not a["within"] and a["event"]["scope"] != PRIVATE]
    )
    assert row["refused"]["latest"]


def a_forged_event(origin, seq, event_type, scope, payload) -> dict:
    return {
        "id": ids.uuid7(),
        "origin": origin,
        "seq": seq,
        "type": event_type,
        "scope": scope,
        "payload": payload,
        "created_at": "2026-03-01T10:00:00Z",
    }


def test_events_forged_into_the_hubs_database_are_refused_by_the_kiosks(hub, network):
    """The three events of the issue, served by a hub whose database was altered (no push,
    so no hub check): every kiosk of Les Tilleuls refuses them on pull and keeps them aside;
    a valid event served after them still applies."""
    a1, a2, b = network["a1"], network["a2"], network["b"]
    alice = network["entities"]["A"]["resident"]
    bob_account = network["credit"]["A"]
    before = {k.name: people(k.db) for k in (a1, a2)}
    top = store.events.last_seq(b.db, b.origin)
    forged = [
        a_forged_event(
            b.origin, top + 1, "resident.updated", NETWORK, {"resident_id": alice, "role": "admin"}
        ),
        a_forged_event(
            b.origin, top + 2, "resident.pin_set", NETWORK, {"resident_id": alice, "pin_hash": "x"}
        ),
        a_forged_event(
            b.origin,
            top + 3,
            "transfer.recorded",
            NETWORK,
            {
                "debit_account": bob_account,
                "credit_account": f"resident:{alice}",
                "amount": 50_000,
                "kind": "exchange",
            },
        ),
        # the same, as building events filed under Tilleuls at the hub
        a_forged_event(
            b.origin,
            top + 4,
            "resident.updated",
            "building",
            {"resident_id": alice, "status": "suspended"},
        ),
        a_forged_event(
            b.origin,
            top + 5,
            "transfer.recorded",
            "building",
            {
                "debit_account": bob_account,
                "credit_account": f"resident:{alice}",
                "amount": 50_000,
                "kind": "exchange",
            },
        ),
    ]
    for event in forged:
        inject_at_hub(hub, event, TILLEULS)
    # a valid event of Tilleuls after them
    newcomer = residents.register(a1.db, apartment="A-3", name="Chloé Petit", pin=PIN)
    sync_until_quiet([a1, a2])
    for kiosk in (a1, a2):
        assert all(row in people(kiosk.db) for row in before[kiosk.name])
        held = {r["id"] for r in store.query(kiosk.db, "SELECT id FROM events")}
        assert not held & {e["id"] for e in forged}
        kept = {r["type"] for r in store.query(kiosk.db, "SELECT type FROM refused_events")}
        assert kept == {"resident.updated", "resident.pin_set", "transfer.recorded"}
        assert len(refused.refused_events(kiosk.db)) == len(forged)
        assert balances_sum(kiosk.db) == 0
    assert residents.get(a2.db, newcomer.id).name == "Chloé Petit"
    assert shared_snapshot(a1.db) == shared_snapshot(a2.db)


def test_revoking_a_kiosk_after_a_seq_sets_aside_what_it_sent_after_everywhere(
    hub, network, make_kiosk
):
    a1, a2, b = network["a1"], network["a2"], network["b"]
    carole = network["entities"]["B"]["resident"]
    good_until = store.events.last_seq(b.db, b.origin)
    later = board.publish(
        b.db,
        b.config,
        poster_id=carole,
        direction="offer",
        kind="lend",
        category=b.config["board"]["categories"][0],
        title="Prête une échelle (volée)",
        network=True,
    )
    sync_until_quiet([b, a1])
    assert store.scalar(a1.db, "SELECT COUNT(*) FROM board_posts WHERE id = ?", (later.id,)) == 1
    db = hub.db
    try:
        assert revoke(db, b.origin, after_seq=good_until, reason="stolen on 3 March")
    finally:
        db.close()
    sync_until_quiet([a1, a2])
    for kiosk in (a1, a2):
        # gone from the board, still in a1's log (append-only), set aside with the reason
        assert (
            store.scalar(kiosk.db, "SELECT COUNT(*) FROM board_posts WHERE id = ?", (later.id,))
            == 0
        )
        first_post = network["entities"]["B"]["post"]
        assert (
            store.scalar(kiosk.db, "SELECT COUNT(*) FROM board_posts WHERE id = ?", (first_post,))
            == 1
        )
        assert balances_sum(kiosk.db) == 0
    assert store.scalar(a1.db, "SELECT COUNT(*) FROM events WHERE id = ?", (later.id,)) == 1
    aside = store.query_one(a1.db, "SELECT * FROM refused_events WHERE id = ?", (later.id,))
    assert aside["in_log"] == 1 and "stolen on 3 March" in aside["reason"]
    assert shared_snapshot(a1.db) == shared_snapshot(a2.db)
    # a kiosk enrolled later never gets it
    a3 = make_kiosk("a3", TILLEULS, enrol_at=hub)
    sync_until_quiet([a3])
    assert store.scalar(a3.db, "SELECT COUNT(*) FROM events WHERE id = ?", (later.id,)) == 0
    assert shared_snapshot(a3.db)["board_posts"] == shared_snapshot(a1.db)["board_posts"]


def test_check_db_names_events_the_kiosk_would_now_refuse(hub, network):
    a1, b = network["a1"], network["b"]
    alice = network["entities"]["A"]["resident"]
    assert "refuse" not in " ".join(check_database(a1.config))
    # an event that entered before this check existed (written straight into the log)
    with store.write(a1.db):
        store.events.apply_foreign(
            a1.db,
            store.Event(
                id=ids.uuid7(),
                origin=b.origin,
                seq=900,
                type="resident.updated",
                scope="building",
                payload={"resident_id": alice, "name": "Alice (forged)"},
                created_at="2026-03-01T10:00:00Z",
            ),
        )
    report = " ".join(check_database(a1.config))
    assert "1 event" in report and "would refuse" in report and f"{b.origin}-900" in report


def test_the_hub_dashboard_and_the_sync_page_show_refused_events(hub, network):
    b = network["b"]
    alice = network["entities"]["A"]["resident"]
    hostile_push(
        b,
        [
            {
                "what": "admin",
                "event": {
                    "id": ids.uuid7(),
                    "type": "resident.updated",
                    "scope": "building",
                    "payload": {"resident_id": alice, "role": "admin"},
                    "created_at": "2026-03-01T10:00:00Z",
                },
                "within": False,
            }
        ],
        order=list,
    )
    b.sync()
    db = hub.db
    try:
        hub_dashboard.set_dashboard_password(db, "correct horse battery")
    finally:
        db.close()
    page = dashboard(hub, "admin", "correct horse battery")
    assert "Refused events" in page and "only a kiosk of that building" in page
    french = dashboard(hub, "admin", "correct horse battery", language="fr")
    assert "Événements refusés" in french


def test_the_kiosks_sync_page_lists_refused_events_with_their_reason(hub, network):
    """Alice, the admin of Les Tilleuls, opens the sync page after a forged event was refused:
    she reads how many, which, and why, in French (the kiosk's language); the English
    reason is kept beside it."""
    a1, b = network["a1"], network["b"]
    alice_id = network["entities"]["A"]["resident"]
    inject_at_hub(
        hub,
        a_forged_event(
            b.origin,
            store.events.last_seq(b.db, b.origin) + 1,
            "resident.updated",
            "building",
            {"resident_id": alice_id, "role": "resident"},
        ),
        TILLEULS,
    )
    a1.sync()
    app = create_app(a1.config)
    app.config["TESTING"] = True
    client = app.test_client()
    login(client, residents.get(a1.db, alice_id))
    page = text_of(client.get("/admin/sync/"))
    assert 'data-testid="sync-refused"' in page
    assert "1 événement venu du réseau a été refusé" in page
    assert f"{b.origin}-" in page
    # Injected at the hub, it carries no signature of Les Lilas' kiosk: refused for that first.
    assert "sa signature n'est pas valide" in page
    (kept,) = refused.refused_events(a1.db)
    assert kept["reason"].startswith("its signature does not verify: unsigned")
