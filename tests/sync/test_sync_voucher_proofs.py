"""A kiosk of the network that signs its batches correctly, but never held the paper, tries to
settle or take over a voucher of another building. Every voucher event must prove itself where
it enters (kiosk/vouchers/proofs.py): the issuer's signature over the fields and the secret's
commitment, and for a redemption the opening of that commitment, which only reading the paper
gives. The hub refuses what cannot be proved; a kiosk refuses it too, should a compromised hub
serve it. The real holder's paper still redeems the voucher, once, at every kiosk."""

from __future__ import annotations

import base64
import json

import pytest
from app_fixtures import PIN
from sync_fixtures import inject_at_hub, sync_until_quiet

from kiosk import clock, ids, store
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.store import keys
from kiosk.store.authority import KioskView
from kiosk.store.events import Event
from kiosk.vouchers import codes, vouchers
from kiosk.vouchers import errors as voucher_errors
from kiosk.vouchers import redeeming as voucher_redeeming
from sync import protocol

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"


@pytest.fixture
def network(hub, make_kiosk):
    """Two kiosks at Les Tilleuls, one at Les Lilas (the hostile one), all enrolled; Jeanne's
    voucher of 20 CEEC, issued at Les Tilleuls, known everywhere."""
    tilleuls = make_kiosk("tilleuls", TILLEULS, enrol_at=hub)
    hall = make_kiosk("hall", TILLEULS, enrol_at=hub)
    lilas = make_kiosk("lilas", LILAS, enrol_at=hub)
    jeanne = residents.register(tilleuls.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(tilleuls.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        tilleuls.db,
        tilleuls.config,
        payer_id=paul.id,
        payee_id=jeanne.id,
        description="Ourlets",
        amount=2000,
    )
    (voucher,) = vouchers.issue_vouchers(
        tilleuls.db, tilleuls.config, resident_id=jeanne.id, counts={2000: 1}
    )
    intruder = residents.register(lilas.db, apartment="C-3", name="Marc Intrus", pin=PIN)
    sync_until_quiet([tilleuls, hall, lilas])
    return tilleuls, hall, lilas, paul, intruder, voucher


def issued_payload(kiosk, serial: str) -> dict:
    """What every kiosk of the network learnt of the voucher: the ``voucher.issued`` payload."""
    row = store.query(
        kiosk.db,
        "SELECT payload FROM events WHERE type = 'voucher.issued' AND payload ->> 'serial' = ?",
        (serial,),
    )[0]
    return json.loads(row["payload"])


def redemption(seen: dict, intruder, **changes) -> dict:
    payload = {
        **seen,
        "credit_account": intruder.account_id,
        "resident_id": intruder.id,
        "redeeming_origin": "",
        **changes,
    }
    return {k: v for k, v in payload.items() if v is not None}


def push_own(kiosk, attempts: list[tuple[str, dict]]) -> list[int]:
    """The kiosk's log gets these events as its own next ones; it pushes them, correctly
    signed, like any batch. Returns their seqs."""
    seqs = []
    with store.write(kiosk.db):
        seq = store.events.last_seq(kiosk.db, kiosk.origin)
        for event_type, payload in attempts:
            seq += 1
            kiosk.db.execute(
                "INSERT INTO events (id, origin, seq, type, scope, payload, created_at) "
                "VALUES (?, ?, ?, ?, 'network', ?, ?)",
                [
                    ids.uuid7(),
                    kiosk.origin,
                    seq,
                    event_type,
                    protocol.canonical_json(payload),
                    clock.now_iso(),
                ],
            )
            seqs.append(seq)
    kiosk.client().push()
    return seqs


def hub_refusals(hub, origin: str, seqs: list[int]) -> list[str]:
    db = hub.db
    try:
        return [
            row["reason"]
            for row in store.query(
                db,
                "SELECT r.reason FROM hub_refused r JOIN events e ON e.hub_seq = r.hub_seq "  # noqa: S608
                f"WHERE e.origin = ? AND e.seq IN ({', '.join('?' for _ in seqs)}) ORDER BY e.seq",
                (origin, *seqs),
            )
        ]
    finally:
        db.close()


def outstanding_everywhere(kiosks, serial: str) -> None:
    for kiosk in kiosks:
        assert vouchers.get_voucher(kiosk.db, serial).outstanding, kiosk.name
        assert store.scalar(kiosk.db, "SELECT COALESCE(SUM(balance), 0) FROM accounts") == 0


def test_a_kiosk_that_never_read_the_paper_cannot_settle_or_announce_the_voucher(hub, network):
    tilleuls, hall, lilas, paul, intruder, voucher = network
    seen = issued_payload(lilas, voucher.serial)
    assert "qr" not in seen and "opening" not in seen and "commitment" in seen
    # A voucher of its own, signed with its own key, under the victim's serial and commitment.
    own_key = keys.load_or_create_signing_key(lilas.config)
    made_up = codes.sign_voucher(
        own_key,
        issuer_origin=voucher.issuer_origin,
        seq=int(voucher.serial.rsplit("-", 1)[1]),
        amount=2000,
        issued_on=voucher.issued_on,
        expires_on=voucher.expires_on,
        building=TILLEULS,
    )
    forged_fields = {
        "commitment": made_up.commitment.hex(),
        "signature": base64.b64encode(made_up.signature).decode(),
    }
    attempts = [
        ("voucher.redeemed", redemption(seen, intruder)),  # no proof at all
        ("voucher.redeemed", redemption(seen, intruder, opening="ab" * 32)),  # a guess
        ("voucher.redeemed", redemption(seen, intruder, commitment=None)),  # "an old voucher"
        (
            "voucher.redeemed",
            redemption(seen, intruder, opening=made_up.opening.hex(), **forged_fields),
        ),
        ("voucher.issued", {**seen, **forged_fields, "issuer_resident_id": intruder.id}),
    ]
    seqs = push_own(lilas, attempts)

    reasons = hub_refusals(hub, lilas.origin, seqs)
    assert len(reasons) == len(attempts), reasons
    assert "opening" in reasons[0] and "paper was not read" in reasons[1]
    assert "not signed by its issuing kiosk" in reasons[2]  # the v1 message is not what was signed
    assert "not signed by its issuing kiosk" in reasons[3]
    assert f"only kiosk {voucher.issuer_origin}" in reasons[4]
    sync_until_quiet([tilleuls, hall, lilas])
    outstanding_everywhere([tilleuls, hall], voucher.serial)

    # Paul holds the paper: its code redeems the voucher at the hall's kiosk, once.
    voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.typed_code, resident_id=paul.id)
    sync_until_quiet([tilleuls, hall, lilas])
    for kiosk in (tilleuls, hall, lilas):
        settled = vouchers.get_voucher(kiosk.db, voucher.serial)
        assert settled.outcome == "redeemed" and settled.bearer_id == paul.id, kiosk.name
    assert residents.get(tilleuls.db, paul.id).balance == -2000 + 2000


def test_kiosks_refuse_an_unproved_redemption_a_compromised_hub_serves(hub, network):
    tilleuls, hall, lilas, paul, intruder, voucher = network
    seen = issued_payload(lilas, voucher.serial)
    next_seq = store.events.last_seq(lilas.db, lilas.origin) + 1
    event = {
        "id": ids.uuid7(),
        "origin": lilas.origin,
        "seq": next_seq,
        "type": "voucher.redeemed",
        "scope": "network",
        "payload": redemption(seen, intruder, opening="cd" * 32),
        "created_at": clock.now_iso(),
    }
    inject_at_hub(hub, event, LILAS)
    tilleuls.sync()
    hall.sync()
    outstanding_everywhere([tilleuls, hall], voucher.serial)
    for kiosk in (tilleuls, hall):
        reason = store.scalar(
            kiosk.db, "SELECT reason FROM refused_events WHERE id = ?", (event["id"],)
        )
        assert reason is not None, kiosk.name  # here its missing seal already gave it away
        # Sealed or not, the check every kiosk makes on pull proves it wrong by itself.
        view = KioskView(kiosk.db)
        proved = view.check(view.screen(), Event(**event))
        assert proved is not None and "paper was not read" in proved, kiosk.name
    with pytest.raises(voucher_errors.WrongSecret):  # the opening redeems nothing either
        voucher_redeeming.redeem_voucher(
            hall.db, hall.config, codes.typed_code(voucher.serial, "0" * 14), resident_id=paul.id
        )
    voucher_redeeming.redeem_voucher(hall.db, hall.config, voucher.qr, resident_id=paul.id)
    assert vouchers.get_voucher(hall.db, voucher.serial).bearer_id == paul.id
