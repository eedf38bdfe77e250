"""Attacks on a voucher's paper, tried from the outside: over HTTP against the kiosk's app served
by waitress, with the events every kiosk of the network and the hub hold, and with the paper as
the loopback printer received it.

Only the paper holds a voucher's secret (kiosk/vouchers/codes.py). A neighbour who knows its
number and how numbers count up, someone who reads every event of the network, and a hostile
kiosk of another building that signs its requests correctly each try to take it; each is
refused with a reason in French, nothing is credited, and the genuine paper still works after:
its QR code at a kiosk of another building that never heard of it, its typed code at the other
kiosk of its building. A voucher printed before secret codes is redeemed only with the volunteer.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
import urllib.request
from datetime import date

import pytest
from app_fixtures import PIN
from printer_loopback import decode, network_settings
from sync_fixtures import sync_until_quiet
from visitor import CSRF, Visitor

from kiosk import ids, store
from kiosk.admin import exports
from kiosk.app import create_app
from kiosk.ledger import exchanges
from kiosk.ledger.transfers import CIRCULATION_ACCOUNT, record_transfer
from kiosk.residents import residents
from kiosk.store import backup, keys
from kiosk.vouchers import codes, reports, vouchers
from printing import queue
from printing.settings import load_profile
from printing.transports import make_printer
from printing.worker import print_pending
from sync import protocol

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"
ONCE = re.compile(r'name="once_key" value="([^"]+)"')
NOTHING = "Rien n'a été crédité"
ONLY_THE_NUMBER = "Ce n'est que le numéro du bon"
WRONG_SECRET = "Ce code ne correspond pas au bon"
NOT_GENUINE = "Ce bon n'est pas authentique"
PRINTED_BEFORE = "a été imprimé avant que les bons aient un code secret"
UNKNOWN_HERE = "Aucun bon avec ce code n'est connu de cette borne"
ALREADY = "déjà été utilisé"
CODE_PAGES = load_profile("TM-T20II").get_code_pages()  # the loopback printer's profile


def draw_origins(monkeypatch, origin: str) -> None:
    """A new kiosk's origin (``ids.scan_token(6)``, kiosk/store/events.py) is ``origin``."""
    draw = ids.scan_token

    def scan_token(length: int, prefix: str = "") -> str:
        return origin if (length, prefix) == (6, "") else draw(length, prefix)

    monkeypatch.setattr(ids, "scan_token", scan_token)


class Screen:
    """A resident at a kiosk's screen over HTTP: a check or a redemption is one POST, with the
    session's CSRF token and a one-time key drawn for them (a refused request does not use it)."""

    def __init__(self, server, resident):
        self.visitor = Visitor(server.url)
        self.visitor.login(resident)
        self.new_key()

    def new_key(self) -> None:
        page = self.visitor.get("/board/new")[1]
        self.csrf, self.once = CSRF.search(page).group(1), ONCE.search(page).group(1)

    def send(self, path: str, form: dict) -> tuple[int, str]:
        data = urllib.parse.urlencode({"csrf_token": self.csrf, **form}).encode()
        return self.visitor._open(urllib.request.Request(self.visitor.base + path, data=data))

    def check(self, code: str) -> tuple[int, str]:
        return self.send("/vouchers/check", {"code": code})

    def redeem(self, code: str) -> tuple[int, str]:
        return self.send_once("/vouchers/redeem", {"code": code})

    def honour(self, form: dict) -> tuple[int, str]:
        """The volunteer's "Honorer un bon" form (one tap, one record, as every such form)."""
        return self.send_once("/admin/vouchers/honour", form)

    def send_once(self, path: str, form: dict) -> tuple[int, str]:
        answer = self.send(path, {**form, "once_key": self.once})
        if answer[0] == 302:  # the key is used: the next form would carry a new one
            self.used = self.once
            self.new_key()
        return answer


def screen(live_server, kiosk, resident) -> Screen:
    return Screen(live_server(create_app(kiosk.config)), resident)


def balance(kiosk, person) -> int:
    return residents.get(kiosk.db, person.id).balance


def circulation(kiosk) -> int:
    return store.scalar(kiosk.db, "SELECT balance FROM accounts WHERE id = ?", (CIRCULATION_ACCOUNT,))  # fmt: skip


def jeanne_and_paul(kiosk):
    """Jeanne sewed for Paul (30 CEEC); Claire is the building's volunteer."""
    jeanne = residents.register(kiosk.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(kiosk.db, apartment="A-101", name="Paul Durand", pin=PIN)
    claire = residents.register(kiosk.db, apartment="Loge", name="Claire Petit", pin=PIN, role="admin")  # fmt: skip
    exchanges.record_exchange(
        kiosk.db, kiosk.config, payer_id=paul.id, payee_id=jeanne.id, description="Ourlets",
        amount=3000,
    )  # fmt: skip
    return jeanne, paul, claire


def issue(kiosk, person, amount=2000):
    return vouchers.issue_vouchers(kiosk.db, kiosk.config, resident_id=person.id, counts={amount: 1})[0]  # fmt: skip


def print_queue(kiosk, printer, tmp_path) -> list:
    """Every job of the kiosk's queue printed on the loopback printer: what it received."""
    settings = network_settings(printer, tmp_path)
    before = len(printer.jobs())
    print_pending(kiosk.db, make_printer(settings), settings)
    printer.settled()
    return printer.jobs()[before:]


def paper_of(raw_jobs) -> tuple[str, str]:
    """The voucher's QR code and typed code, read from the printer's bytes as a person would."""
    (paper,) = [p for p in (decode(job, CODE_PAGES) for job in raw_jobs) if p.qr]
    at = paper.lines.index("Code du bon")
    return paper.qr[0], f"{paper.lines[at + 2]} {paper.lines[at + 3]}"


def test_a_neighbour_who_knows_the_number_cannot_redeem_it(
    make_kiosk, live_server, loopback_printer, tmp_path
):
    tilleuls = make_kiosk("tilleuls", TILLEULS)
    jeanne, paul, claire = jeanne_and_paul(tilleuls)
    voucher = issue(tilleuls, jeanne)
    serial, origin, seq = voucher.serial, tilleuls.origin, int(voucher.serial.split("-")[1])
    # What a resident can see: the number on Jeanne's "Mes bons", in her statement and the CSV.
    seen = screen(live_server, tilleuls, jeanne).visitor
    assert serial in seen.get("/vouchers/")[1] and serial in seen.get("/me/statement")[1]
    period = exports.Period("2000-01", "2100-12")
    assert f"Voucher {serial}" in exports.transfers_csv(tilleuls.db, tilleuls.config, period)
    paul_at = screen(live_server, tilleuls, paul)
    tries = {
        serial: ONLY_THE_NUMBER,
        serial.replace("-", " "): ONLY_THE_NUMBER,
        codes.old_short_code(serial): ONLY_THE_NUMBER,
        f"{origin}-{seq + 1}": ONLY_THE_NUMBER,  # the next number, not yet printed
    }
    for _ in range(200):
        tries[codes.typed_code(serial, codes.new_secret())] = WRONG_SECRET
    for _ in range(5):  # numbers count up: the next voucher, before it exists
        tries[codes.typed_code(f"{origin}-{seq + 1}", codes.new_secret())] = UNKNOWN_HERE
    for code, reason in tries.items():
        for status, page in (paul_at.check(code), paul_at.redeem(code)):
            assert status == 400 and reason in page, (code, page[:300])
    assert (balance(tilleuls, paul), circulation(tilleuls)) == (-3000, 2000)
    assert store.scalar(tilleuls.db, "SELECT COUNT(*) FROM voucher_settlements") == 0

    # The real holder types the code printed on the paper: credited once.
    qr, typed = paper_of(print_queue(tilleuls, loopback_printer, tmp_path))
    assert typed.replace(" ", "-") == voucher.typed_code and qr == voucher.qr
    status, page = paul_at.check(typed)
    assert status == 200 and "20,00\u00a0CEEC" in page and serial in page
    assert paul_at.redeem(typed)[0] == 302
    assert (balance(tilleuls, paul), circulation(tilleuls)) == (-1000, 0)
    again = paul_at.send("/vouchers/redeem", {"code": typed, "once_key": paul_at.used})
    assert again[0] == 302  # sent again: the first answer, nothing more
    status, page = paul_at.redeem(typed)
    assert status == 400 and ALREADY in page and balance(tilleuls, paul) == -1000


def test_the_typed_code_works_when_the_kiosks_origin_starts_like_a_qr_code(
    make_kiosk, live_server, monkeypatch
):
    draw_origins(monkeypatch, "KVBCDF")
    kiosk = make_kiosk("kv", TILLEULS)
    assert kiosk.origin == "KVBCDF"
    jeanne, paul, claire = jeanne_and_paul(kiosk)
    voucher = issue(kiosk, jeanne)
    status, page = screen(live_server, kiosk, paul).redeem(voucher.typed_code)
    assert "Ce code ne peut pas être lu comme un bon" not in page  # what Paul reads today
    assert status == 302 and balance(kiosk, paul) == -1000


@pytest.fixture
def network(hub, make_kiosk):
    """Two kiosks at Les Tilleuls, one at Les Lilas, all enrolled and synced (each knows the
    others' keys); Jeanne, Paul and Claire live at Les Tilleuls (Paul has a PIN at both its
    kiosks), Louise at Les Lilas."""
    tilleuls = make_kiosk("tilleuls", TILLEULS, enrol_at=hub)
    hall = make_kiosk("hall", TILLEULS, enrol_at=hub)
    lilas = make_kiosk("lilas", LILAS, enrol_at=hub)
    jeanne, paul, claire = jeanne_and_paul(tilleuls)
    louise = residents.register(lilas.db, apartment="C-3", name="Louise Bernard", pin=PIN)
    sync_until_quiet([tilleuls, hall, lilas])
    residents.set_pin(hall.db, paul.id, PIN)  # a PIN is known at the kiosk it was set at
    return tilleuls, hall, lilas, jeanne, paul, claire, louise


def code_from_event(p: dict, *, commitment: bytes | None, secret: str | None) -> codes.VoucherCode:
    """A code built from what the ``voucher.issued`` event says, with a guessed secret."""
    day = date.fromisoformat
    return codes.VoucherCode(
        p["issuer_origin"], p["voucher_seq"], p["amount"], day(p["issued_on"]),
        day(p["expires_on"]), codes.building_hash(p["building"]),
        base64.b64decode(p["signature"]), commitment, secret,
    )  # fmt: skip


def test_whoever_reads_every_event_cannot_build_the_paper(network, hub, live_server):
    tilleuls, hall, lilas, jeanne, paul, claire, louise = network
    voucher = issue(tilleuls, jeanne)
    sync_until_quiet([tilleuls, hall, lilas])
    (row,) = store.query(lilas.db, "SELECT payload FROM events WHERE type = 'voucher.issued'")
    payload = json.loads(row["payload"])  # as a kiosk of another building holds it
    assert payload["commitment"] == voucher.commitment and "qr" not in payload
    guess = codes.new_secret()
    forged_v2 = code_from_event(
        payload, commitment=codes.commitment(voucher.serial, guess), secret=guess
    ).text()
    forged_v1 = code_from_event(payload, commitment=None, secret=None).text()
    for kiosk, person in ((tilleuls, paul), (hall, paul), (lilas, louise)):
        at = screen(live_server, kiosk, person)
        for forged in (forged_v2, forged_v1):
            for status, page in (at.check(forged), at.redeem(forged)):
                assert status == 400 and NOT_GENUINE in page and NOTHING in page
    # Brought to the volunteer, who honours papers printed before secret codes: refused too.
    volunteer = screen(live_server, tilleuls, claire)
    for forged in (forged_v2, forged_v1):
        form = {"code": forged, "resident_id": paul.id}
        status, page = volunteer.honour(form)
        assert status == 400 and NOT_GENUINE in page
    assert balance(tilleuls, paul) == -3000 and balance(lilas, louise) == 0
    for kiosk in (tilleuls, hall, lilas):
        assert vouchers.get_voucher(kiosk.db, voucher.serial).outstanding
    assert circulation(tilleuls) == 2000


def secrets_of(voucher) -> list[bytes]:
    """The secret as it may be written: alone, grouped as typed, grouped as printed, inside the
    QR code (whole or a slice), as the 9 bytes the QR code carries."""
    grouped = voucher.typed_code.split("-", 2)[2]
    secret = grouped.replace("-", "")[:-1]
    assert codes.read_code(voucher.qr).secret == secret
    number = sum(codes.CHECK_ALPHABET.index(c) * 29**i for i, c in enumerate(secret[::-1]))
    return [
        secret.encode(),
        grouped.encode(),
        grouped.replace("-", " ").encode(),
        voucher.qr.encode(),
        voucher.qr[20:60].encode(),
        number.to_bytes(codes.SECRET_BYTES, "big"),
    ]


def assert_nowhere(secrets: list[bytes], data: bytes, where: str) -> None:
    found = [s for s in secrets if s in data]
    assert not found, f"the voucher's secret is in {where}"


def database_files(path) -> list:
    return [f for f in (path, path.with_name(path.name + "-wal")) if f.exists()]


def test_the_secret_is_kept_nowhere_but_on_the_paper(
    network, hub, loopback_printer, tmp_path, live_server
):
    tilleuls, hall, lilas, jeanne, paul, claire, louise = network
    voucher = issue(tilleuls, jeanne)
    (job,) = queue.list_jobs(tilleuls.db, reference=voucher.serial)
    assert (job.payload["qr"], job.payload["check_code"]) == (voucher.qr, voucher.typed_code)
    secrets = secrets_of(voucher)
    checkpoint = "PRAGMA wal_checkpoint(TRUNCATE)"
    tilleuls.db.conn.execute(checkpoint)  # the job waited for paper: SQLite checkpointed it
    assert secrets[1] in tilleuls.config.database_path.read_bytes()
    printed = print_queue(tilleuls, loopback_printer, tmp_path)
    assert secrets[2] in b"".join(printed)  # the paper holds it...
    receipts = [job for job in printed if voucher.qr.encode() not in job]
    for raw in receipts:  # ...no other paper the issuer printed
        assert_nowhere(secrets, raw, "a receipt")
    sync_until_quiet([tilleuls, hall, lilas])
    assert screen(live_server, hall, paul).redeem(voucher.typed_code)[0] == 302
    sync_until_quiet([tilleuls, hall, lilas])
    for kiosk in (tilleuls, hall, lilas):
        for table in ("events", "print_jobs"):
            payloads = [r["payload"] for r in store.query(kiosk.db, f"SELECT payload FROM {table}")]  # noqa: S608
            assert_nowhere(secrets, "\n".join(payloads).encode(), f"{table} of {kiosk.name}")
        kiosk.db.conn.execute(checkpoint)
        for file in database_files(kiosk.config.database_path):
            assert_nowhere(secrets, file.read_bytes(), f"{file.name} of {kiosk.name}")
    copy = backup.backup_database(tilleuls.config.database_path, tmp_path / "backups")
    assert_nowhere(secrets, copy.read_bytes(), "the kiosk's backup")
    db = hub.db
    bodies = "\n".join(r["body"] for r in store.query(db, "SELECT body FROM events"))
    db.close()
    assert_nowhere(secrets, bodies.encode(), "the hub's events")
    for file in database_files(hub.path):
        assert_nowhere(secrets, file.read_bytes(), f"the hub's {file.name}")
    period = exports.Period("2000-01", "2100-12")
    for csv in (
        exports.transfers_csv(tilleuls.db, tilleuls.config, period),
        exports.vouchers_csv(tilleuls.db, tilleuls.config, period),
        exports.residents_csv(tilleuls.db, tilleuls.config),
    ):
        assert_nowhere(secrets, csv.encode(), "a CSV export")


def test_the_secret_is_not_left_in_the_write_ahead_log_once_printed(
    make_kiosk, loopback_printer, tmp_path
):
    tilleuls = make_kiosk("tilleuls", TILLEULS)
    jeanne, paul, claire = jeanne_and_paul(tilleuls)
    voucher = issue(tilleuls, jeanne)
    print_queue(tilleuls, loopback_printer, tmp_path)
    (job,) = queue.list_jobs(tilleuls.db, reference=voucher.serial)
    assert job.state == "done" and job.payload["qr"] is None
    for file in database_files(tilleuls.config.database_path):
        assert_nowhere(secrets_of(voucher), file.read_bytes(), file.name)


def test_the_paper_redeems_where_it_should_and_nowhere_it_cannot_be_checked(
    network, loopback_printer, tmp_path, live_server
):
    tilleuls, hall, lilas, jeanne, paul, claire, louise = network
    first, second = issue(tilleuls, jeanne, 1000), issue(tilleuls, jeanne, 1000)
    raw = print_queue(tilleuls, loopback_printer, tmp_path)
    assert len([job for job in raw if decode(job, CODE_PAGES).qr]) == 2
    qr_first, typed_first = paper_of([j for j in raw if first.qr.encode() in j])
    qr_second, typed_second = paper_of([j for j in raw if second.qr.encode() in j])
    # Les Lilas never heard of these vouchers (no sync since they were issued), but knows
    # Tilleuls' key: the QR code is checked by its signature, offline.
    assert store.query_one(lilas.db, "SELECT 1 FROM vouchers") is None
    at_lilas = screen(live_server, lilas, louise)
    status, page = at_lilas.check(typed_first)
    assert status == 400 and UNKNOWN_HERE in page  # it cannot be checked there
    status, page = at_lilas.check(qr_first)
    assert status == 200 and "10,00\u00a0CEEC" in page and first.serial in page
    assert at_lilas.redeem(qr_first)[0] == 302 and balance(lilas, louise) == 1000
    # The hall kiosk of Les Tilleuls learnt the commitment at sync: the typed code redeems there.
    sync_until_quiet([tilleuls, hall, lilas])
    at_hall = screen(live_server, hall, paul)
    status, page = at_hall.redeem(typed_first)
    assert status == 400 and ALREADY in page
    assert at_hall.redeem(typed_second)[0] == 302
    sync_until_quiet([tilleuls, hall, lilas])
    assert balance(tilleuls, paul) == -2000
    for kiosk in (tilleuls, hall, lilas):
        assert reports.circulation_check(kiosk.db).ok


def hostile_push(kiosk, event_type: str, payload: dict) -> None:
    """The hostile kiosk writes an event into its own log as its next one and pushes it like
    any batch, its requests correctly signed."""
    with store.write(kiosk.db):
        seq = store.events.last_seq(kiosk.db, kiosk.origin) + 1
        kiosk.db.execute(
            "INSERT INTO events (id, origin, seq, type, scope, payload, created_at) "
            "VALUES (?, ?, ?, ?, 'network', ?, '2026-03-01T10:00:00Z')",
            [ids.uuid7(), kiosk.origin, seq, event_type, protocol.canonical_json(payload)],
        )
    kiosk.client().push()


def test_a_hostile_kiosk_cannot_announce_the_victims_vouchers(
    network, hub, loopback_printer, tmp_path, live_server
):
    tilleuls, hall, lilas, jeanne, paul, claire, louise = network
    genuine = issue(tilleuls, jeanne, 1000)
    sync_until_quiet([tilleuls, hall, lilas])
    # Les Lilas' kiosk turned hostile: it signs, with its own key, vouchers numbered as
    # Tilleuls' own, one already issued and the next one, and announces them.
    key = keys.load_or_create_signing_key(lilas.config)
    seq = int(genuine.serial.split("-")[1])
    forged = []
    for number in (seq, seq + 1):
        code = codes.sign_voucher(
            key, issuer_origin=tilleuls.origin, seq=number, amount=5000,
            issued_on=date(2026, 3, 1), expires_on=date(2027, 3, 1), building=TILLEULS,
        )  # fmt: skip
        forged.append(code)
        payload = {
            "serial": code.serial, "issuer_origin": code.issuer_origin, "voucher_seq": number,
            "amount": 5000, "issued_on": "2026-03-01", "expires_on": "2027-03-01",
            "building": TILLEULS, "signature": base64.b64encode(code.signature).decode(),
            "commitment": code.commitment.hex(), "issuer_resident_id": None,
        }  # fmt: skip
        hostile_push(lilas, "voucher.issued", payload)
    db = hub.db
    refused = store.query(db, "SELECT reason FROM hub_refused WHERE origin = ?", (lilas.origin,))
    db.close()
    assert [r["reason"] for r in refused] == [
        f"only kiosk {tilleuls.origin} may send voucher.issued about it"
    ] * 2  # refused by authority at the hub
    sync_until_quiet([tilleuls, hall])
    for kiosk in (tilleuls, hall):
        rows = store.query(kiosk.db, "SELECT serial, amount FROM vouchers")
        assert [tuple(r) for r in rows] == [(genuine.serial, 1000)]
    # The forged papers are refused; Tilleuls' next voucher takes the number the hostile
    # kiosk tried to take; both genuine papers redeem at the hall kiosk by their typed code.
    at_hall = screen(live_server, hall, paul)
    refusals = {
        forged[0].text(): NOT_GENUINE,
        forged[0].typed_code: WRONG_SECRET,
        forged[1].text(): NOT_GENUINE,
        forged[1].typed_code: UNKNOWN_HERE,
    }
    for code, reason in refusals.items():
        for status, page in (at_hall.check(code), at_hall.redeem(code)):
            assert status == 400 and reason in page, code
    after = issue(tilleuls, jeanne, 1000)
    assert after.serial == forged[1].serial
    print_queue(tilleuls, loopback_printer, tmp_path)
    sync_until_quiet([tilleuls, hall, lilas])
    for voucher in (genuine, after):
        assert at_hall.redeem(voucher.typed_code)[0] == 302
    assert balance(hall, paul) == -1000 and balance(lilas, louise) == 0
    for kiosk in (tilleuls, hall):
        assert reports.circulation_check(kiosk.db).ok


def test_a_hostile_kiosk_cannot_redeem_a_voucher_it_never_saw(network, hub, live_server):
    tilleuls, hall, lilas, jeanne, paul, claire, louise = network
    genuine = issue(tilleuls, jeanne, 1000)
    sync_until_quiet([tilleuls, hall, lilas])
    (row,) = store.query(lilas.db, "SELECT payload FROM events WHERE type = 'voucher.issued'")
    issued = json.loads(row["payload"])
    fields = {k: v for k, v in issued.items() if k not in ("issuer_resident_id", "transfer_id")}
    redeemed = {**fields, "credit_account": louise.account_id, "resident_id": louise.id}
    hostile_push(lilas, "voucher.redeemed", {**redeemed, "redeeming_origin": lilas.origin})
    sync_until_quiet([tilleuls, hall])
    assert vouchers.get_voucher(hall.db, genuine.serial).outstanding
    assert screen(live_server, hall, paul).redeem(genuine.typed_code)[0] == 302


def an_old_voucher(kiosk, issuer, amount=1500) -> codes.VoucherCode:
    """A voucher printed before secret codes: version 1, signed with the kiosk's key, announced
    by a ``voucher.issued`` event carrying its QR code, as old kiosks wrote it."""
    key = keys.load_or_create_signing_key(kiosk.config)
    seq = store.scalar(kiosk.db, "SELECT COALESCE(MAX(voucher_seq), 0) + 1 FROM vouchers")
    unsigned = codes.VoucherCode(
        kiosk.origin, seq, amount, date(2026, 1, 10), date(2099, 1, 10),
        codes.building_hash(TILLEULS), b"",
    )  # fmt: skip
    code = codes.VoucherCode(
        **{**unsigned.__dict__, "signature": key.sign(unsigned.signed_message())}
    )
    assert code.version == codes.OLD_VERSION and code.is_signed_by(key.public_key())
    with store.write(kiosk.db):
        transfer = record_transfer(
            kiosk.db, kiosk.config, kind="voucher_issue", debit_account=issuer.account_id,
            credit_account=CIRCULATION_ACCOUNT, amount=amount, description=f"Voucher {code.serial}",
            recorded_by=issuer.id,
        )  # fmt: skip
        store.record(
            kiosk.db,
            "voucher.issued",
            {
                "serial": code.serial, "issuer_origin": kiosk.origin, "voucher_seq": seq,
                "amount": amount, "issued_on": "2026-01-10", "expires_on": "2099-01-10",
                "building": TILLEULS, "signature": base64.b64encode(code.signature).decode(),
                "qr": code.text(), "issuer_resident_id": issuer.id, "transfer_id": transfer.id,
            },
        )  # fmt: skip
    return code


def test_an_old_voucher_is_redeemed_only_with_the_volunteer(network, live_server):
    tilleuls, hall, lilas, jeanne, paul, claire, louise = network
    old = an_old_voucher(tilleuls, jeanne)
    sync_until_quiet([tilleuls, hall, lilas])
    server = live_server(create_app(tilleuls.config))
    at = Screen(server, paul)
    for code in (old.text(), old.typed_code):
        for status, page in (at.check(code), at.redeem(code)):
            assert status == 400 and PRINTED_BEFORE in page and old.serial in page
    assert balance(tilleuls, paul) == -3000 and circulation(tilleuls) == 1500
    # Claire, the volunteer, sees the paper and honours it for Paul: credited once.
    volunteer = Screen(server, claire)
    status, page = volunteer.check(old.text())
    assert status == 400 and PRINTED_BEFORE in page and "Honorer ce bon" in page
    form = {"code": old.text(), "resident_id": paul.id}
    assert volunteer.honour(form)[0] == 302
    status, page = volunteer.honour(form)
    assert status == 400 and ALREADY in page
    assert balance(tilleuls, paul) == -1500 and circulation(tilleuls) == 0
    sync_until_quiet([tilleuls, hall, lilas])
    status, page = screen(live_server, lilas, louise).check(old.text())
    assert status == 400 and ALREADY in page and balance(lilas, louise) == 0
