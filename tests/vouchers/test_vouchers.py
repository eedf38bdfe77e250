"""Printed CEEC vouchers: issuing, redeeming once, every refusal, cancelling, the circulation."""

from __future__ import annotations

import base64
import dataclasses
import io
import sqlite3
from datetime import timedelta

import pytest
import zxingcpp
from app_fixtures import make_test_config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from kiosk import clock, ids, store
from kiosk.errors import AboveCeiling, BelowFloor, InvalidInput, KioskError, PermissionDenied
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.store import events, keys
from kiosk.vouchers import cancel as voucher_cancel
from kiosk.vouchers import codes as voucher_codes
from kiosk.vouchers import errors as voucher_errors
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import reports as voucher_reports
from kiosk.vouchers import vouchers
from printing import queue as print_queue
from printing.admin import job_preview_png, layout_preview_png
from printing.settings import PrintSettings
from printing.status import PrinterState, PrinterStatus


def balance(db, who) -> int:
    return residents.get(db, who.id).balance


def circulation(db) -> int:
    return store.scalar(db, "SELECT balance FROM accounts WHERE id = 'system:vouchers'") or 0


def settle_jobs(db, serials, state="done"):
    for serial in serials:
        for job in print_queue.list_jobs(db, reference=serial):
            if state == "done":
                print_queue.mark_done(db, job.id)
            else:
                print_queue.mark_failed(db, job.id, "paper jam")


@pytest.fixture
def jeanne_has_80(db, config, building):
    """Paul owes Jeanne for a long afternoon of sewing: she has 80 CEEC to spend."""
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlets",
        category="sewing",
        amount=8000,
    )
    return building


def issue(db, config, who, counts, **kwargs):
    return vouchers.issue_vouchers(db, config, resident_id=who.id, counts=counts, **kwargs)


# --------------------------------------------------------------------------- issuing


def test_jeanne_prints_two_vouchers_and_their_value_leaves_her_account(db, config, jeanne_has_80):
    b = jeanne_has_80
    issued = issue(db, config, b.jeanne, {1000: 1, 500: 1})
    assert [v.amount for v in issued] == [1000, 500]
    assert balance(db, b.jeanne) == 8000 - 1500
    assert circulation(db) == 1500
    origin = store.kiosk_id(db)
    assert [v.serial for v in issued] == [f"{origin}-1", f"{origin}-2"]
    for voucher in issued:
        assert voucher.qr.startswith("KV") and set(voucher.qr[2:]) <= set(ids.SCAN_ALPHABET)
        (job,) = print_queue.list_jobs(db, reference=voucher.serial)
        assert job.layout == "voucher" and job.state == "queued"
        assert job.payload["qr"] == voucher.qr and job.payload["check_code"] == voucher.typed_code
        assert voucher.expires_on == voucher.issued_on + timedelta(days=365)
    assert store.scalar(db, "SELECT SUM(balance) FROM accounts") == 0


def test_serials_go_on_without_gaps_after_a_refused_issue(db, config, jeanne_has_80):
    b = jeanne_has_80
    issue(db, config, b.jeanne, {500: 1})
    with pytest.raises(voucher_errors.BalanceTooLow):
        issue(db, config, b.jeanne, {2000: 4})
    second = issue(db, config, b.jeanne, {500: 1})
    assert second[0].serial.endswith("-2")


def test_vouchers_come_only_from_a_positive_balance(db, config, building):
    with pytest.raises(voucher_errors.BalanceTooLow):
        issue(db, config, building.paul, {500: 1})
    assert balance(db, building.paul) == 0 and circulation(db) == 0
    assert print_queue.list_jobs(db) == []


def test_the_association_may_allow_vouchers_on_credit(db, tmp_path, building):
    config = make_test_config(
        tmp_path, vouchers={"allow_credit": True, "max_outstanding_amount": 500}
    )
    issue(db, config, building.paul, {2000: 1})
    assert balance(db, building.paul) == -2000
    with pytest.raises(BelowFloor):  # the credit floor (-100 CEEC) still holds
        issue(db, config, building.paul, {2000: 5})


def test_caps_on_vouchers_in_circulation(db, tmp_path, jeanne_has_80):
    b = jeanne_has_80
    config = make_test_config(
        tmp_path, vouchers={"max_outstanding_count": 3, "max_outstanding_amount": 25}
    )
    issue(db, config, b.jeanne, {500: 2})
    with pytest.raises(voucher_errors.TooManyOutstanding):
        issue(db, config, b.jeanne, {500: 2})
    with pytest.raises(voucher_errors.OutstandingTooLarge):
        issue(db, config, b.jeanne, {2000: 1})
    issue(db, config, b.jeanne, {500: 1})
    assert circulation(db) == 1500


@pytest.mark.parametrize("state", [PrinterState.PAPER_OUT, PrinterState.OFFLINE])
def test_no_voucher_while_the_printer_cannot_print(db, config, jeanne_has_80, state):
    with pytest.raises(voucher_errors.PrinterNotReadyForVouchers):
        issue(db, config, jeanne_has_80.jeanne, {500: 1}, printer_status=PrinterStatus(state))
    assert balance(db, jeanne_has_80.jeanne) == 8000
    assert [job for job in print_queue.list_jobs(db) if job.layout == "voucher"] == []


@pytest.mark.parametrize(
    ("counts", "error"),
    [
        ({}, voucher_errors.NoVoucherChosen),
        ({500: 0}, voucher_errors.NoVoucherChosen),
        ({700: 1}, InvalidInput),
        ({500: -1}, InvalidInput),
        ({500: 100}, InvalidInput),
    ],
)
def test_bad_counts_are_refused(db, config, jeanne_has_80, counts, error):
    with pytest.raises(error):
        issue(db, config, jeanne_has_80.jeanne, counts)


# --------------------------------------------------------------------------- redeeming


def test_paul_redeems_jeanne_s_voucher_and_gets_a_receipt(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {1000: 1})
    redeemed = voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.paul.id)
    assert redeemed.outcome == "redeemed" and redeemed.bearer_id == b.paul.id
    assert balance(db, b.paul) == -8000 + 1000 and circulation(db) == 0
    receipts = [job for job in print_queue.list_jobs(db) if job.layout == "receipt"]
    assert receipts[0].payload["amount"] == 1000
    assert receipts[0].payload["payee"]["name"] == "Paul Durand"


def test_the_typed_code_finds_a_voucher_this_kiosk_knows(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {500: 1})
    typed = voucher.typed_code.lower().replace("-", " ").replace("0", "o")
    voucher_redeeming.redeem_voucher(db, config, typed, resident_id=b.paul.id)
    assert balance(db, b.paul) == -7500


def test_a_second_redemption_says_when_and_where_the_first_was(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {500: 1})
    voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.paul.id)
    with pytest.raises(voucher_errors.AlreadyRedeemed) as refused:
        voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.admin.id)
    assert refused.value.params["where"] == f"Résidence des Tilleuls ({store.kiosk_id(db)})"
    assert balance(db, b.admin) == 0 and circulation(db) == 0


def test_the_database_itself_refuses_a_second_redemption(db, config, jeanne_has_80, monkeypatch):
    """Even when two requests both pass the Python check, the PRIMARY KEY lets one through."""
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {500: 1})
    voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.paul.id)
    monkeypatch.setattr(voucher_redeeming, "check_redeemable", lambda *args, **kwargs: None)
    events_before = store.scalar(db, "SELECT COUNT(*) FROM events")
    with pytest.raises(voucher_errors.AlreadyRedeemed):
        voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.admin.id)
    assert store.scalar(db, "SELECT COUNT(*) FROM events") == events_before
    assert balance(db, b.admin) == 0
    with pytest.raises(sqlite3.IntegrityError), store.write(db):
        db.execute(
            "INSERT INTO voucher_settlements (serial, outcome, credit_account, origin, "
            "event_id, settled_at) VALUES (?, 'redeemed', 'x', 'y', 'z', 'now')",
            [voucher.serial],
        )


def altered(qr: str, **fields) -> str:
    """The same signature on other fields."""
    return dataclasses.replace(voucher_codes.read_code(qr), **fields).text()


def test_a_voucher_with_its_amount_altered_is_refused(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {500: 1})
    with pytest.raises(voucher_errors.ForgedVoucher):
        voucher_redeeming.redeem_voucher(
            db, config, altered(voucher.qr, amount=5000), resident_id=b.paul.id
        )
    with pytest.raises(voucher_errors.ForgedVoucher):
        voucher_redeeming.redeem_voucher(
            db,
            config,
            altered(voucher.qr, expires_on=voucher.expires_on + timedelta(days=999)),
            resident_id=b.paul.id,
        )
    assert balance(db, b.paul) == -8000 and circulation(db) == 500


def test_one_character_changed_anywhere_in_the_qr_is_never_accepted(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {500: 1})
    for position in range(2, len(voucher.qr), 7):
        char = voucher.qr[position]
        other = ids.SCAN_ALPHABET[(ids.SCAN_ALPHABET.index(char) + 1) % len(ids.SCAN_ALPHABET)]
        text = voucher.qr[:position] + other + voucher.qr[position + 1 :]
        with pytest.raises(
            (
                voucher_errors.ForgedVoucher,
                voucher_errors.MalformedVoucher,
                voucher_errors.UnknownIssuerKey,
            )
        ):
            voucher_redeeming.read_voucher(db, text)
    assert circulation(db) == 500


def test_a_voucher_signed_by_another_key_is_forged(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {500: 1})
    code = voucher_codes.read_code(voucher.qr)
    forged = voucher_codes.sign_voucher(
        Ed25519PrivateKey.generate(),
        issuer_origin=code.issuer_origin,
        seq=99,
        amount=2000,
        issued_on=code.issued_on,
        expires_on=code.expires_on,
        building="Résidence des Tilleuls",
    )
    with pytest.raises(voucher_errors.ForgedVoucher):
        voucher_redeeming.redeem_voucher(db, config, forged.text(), resident_id=b.paul.id)


@pytest.mark.parametrize(
    "text",
    [
        "KV",
        "KVBCD",
        "KVAAAA",
        "KC" + "B" * 30,
        "KV" + "B" * 170,
        "hello",
        "",
        "AAAAAA-17-K7N29-HX4FR-3PV23",
        "BCDFGH-K7N29-HX4FR-3PV23",
    ],
)
def test_unreadable_codes_are_refused(db, config, building, text):
    with pytest.raises(voucher_errors.MalformedVoucher):
        voucher_redeeming.redeem_voucher(db, config, text, resident_id=building.paul.id)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("BCDFGH-17-K7N29-HX4FR-3PV2B", voucher_errors.TypoInCode),
        ("BCDFGH-17-Z", voucher_errors.TypoInCode),
        ("BCDFGH-17-K7N29-HX4FR-3PV2", voucher_errors.TypoInCode),  # one character left out
        ("BCDFGH-17", voucher_errors.IncompleteCode),
        ("bcdfgh 17", voucher_errors.IncompleteCode),
    ],
)
def test_a_typo_or_the_number_alone_is_named_as_such(db, config, building, text, error):
    with pytest.raises(error):
        voucher_redeeming.redeem_voucher(db, config, text, resident_id=building.paul.id)


def test_a_typed_code_of_a_voucher_never_seen_here_is_unknown(db, config, building):
    code = voucher_codes.typed_code("BCDFGH-17", voucher_codes.new_secret())
    with pytest.raises(voucher_errors.UnknownVoucher):
        voucher_redeeming.redeem_voucher(db, config, code, resident_id=building.paul.id)


def test_a_secret_has_68_bits_drawn_afresh(db):
    drawn = {voucher_codes.new_secret() for _ in range(2000)}
    assert len(drawn) == 2000
    assert all(len(s) == 14 and set(s) <= set(voucher_codes.CHECK_ALPHABET) for s in drawn)
    assert len(voucher_codes.CHECK_ALPHABET) ** voucher_codes.SECRET_LENGTH > 2**68
    # Every symbol turns up at every position: nothing fixed an adversary could count on.
    for position in range(14):
        assert {s[position] for s in drawn} == set(voucher_codes.CHECK_ALPHABET)


@pytest.mark.parametrize("serial", ["PGFBFE-1234", "BBBBBB-1", "YYYYYY-987654321"])
def test_every_single_typo_and_neighbour_swap_in_a_typed_code_is_caught(serial):
    secret = voucher_codes.new_secret()
    code = voucher_codes.typed_code(serial, secret)
    assert voucher_codes.read_typed_code(code) == voucher_codes.TypedCode(serial, secret)
    _assert_typos_caught(code)


@pytest.mark.parametrize("serial", ["PGFBFE-1234", "BBBBBB-1", "YYYYYY-987654321"])
def test_every_single_typo_in_an_old_short_code_is_caught(serial):
    code = voucher_codes.old_short_code(serial)
    assert voucher_codes.read_typed_code(code) == voucher_codes.TypedCode(serial, None)
    _assert_typos_caught(code)


def _assert_typos_caught(code):
    plain = code.replace("-", "")
    typos = {
        plain[:i] + other + plain[i + 1 :]
        for i in range(len(plain))
        for other in voucher_codes.CHECK_ALPHABET
    }
    typos |= {plain[:i] + plain[i + 1] + plain[i] + plain[i + 2 :] for i in range(len(plain) - 1)}
    typos.discard(plain)
    for typo in typos:
        with pytest.raises(voucher_codes.MalformedCode):
            voucher_codes.read_typed_code(typo)


def other_kiosk(db, origin="XYXYXY", building="Les Lilas"):
    """A kiosk of another building: its key and a voucher it signed."""
    key = Ed25519PrivateKey.generate()
    publish = events.Event(
        id=ids.uuid7(),
        origin=origin,
        seq=1,
        type="kiosk.key_published",
        scope="network",
        created_at=clock.now_iso(),
        payload={"public_key": keys.public_key_b64(key), "building": building},
    )
    day = clock.now().date()
    code = voucher_codes.sign_voucher(
        key,
        issuer_origin=origin,
        seq=7,
        amount=1000,
        issued_on=day,
        expires_on=day + timedelta(days=30),
        building=building,
    )
    return publish, code


def test_a_voucher_of_an_unknown_kiosk_waits_for_its_key(db, config, building):
    publish, code = other_kiosk(db)
    with pytest.raises(voucher_errors.UnknownIssuerKey) as refused:
        voucher_redeeming.redeem_voucher(db, config, code.text(), resident_id=building.paul.id)
    assert refused.value.params == {"origin": "XYXYXY"}
    with store.write(db):
        events.apply_foreign(db, publish)
    voucher = voucher_redeeming.redeem_voucher(
        db, config, code.text(), resident_id=building.paul.id
    )
    assert voucher.building == "Les Lilas" and not voucher.issued_here
    check = voucher_reports.circulation_check(db)
    assert check.foreign_redeemed_here_total == 1000 and check.balance == -1000 and check.ok
    payload = store.query(db, "SELECT payload FROM events WHERE type = 'voucher.redeemed'")[0][0]
    for name in (
        "serial",
        "issuer_origin",
        "amount",
        "expires_on",
        "signature",
        "redeeming_origin",
    ):
        assert f'"{name}"' in payload


def test_an_expired_voucher_is_refused_but_an_admin_may_honour_it(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {500: 1})
    clock.shift(366 * 86400 + 86400)
    with pytest.raises(voucher_errors.ExpiredVoucher) as refused:
        voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.paul.id)
    assert refused.value.params["day"] == voucher.expires_on
    with pytest.raises(PermissionDenied):
        voucher_redeeming.redeem_voucher(
            db, config, voucher.qr, resident_id=b.paul.id, honoured_by=b.paul.id
        )
    honoured = voucher_redeeming.redeem_voucher(
        db, config, voucher.qr, resident_id=b.paul.id, honoured_by=b.admin.id
    )
    assert honoured.honoured_expired and balance(db, b.paul) == -7500


def test_a_voucher_above_the_bearer_s_ceiling_is_refused(db, tmp_path, jeanne_has_80):
    b = jeanne_has_80
    config = make_test_config(tmp_path, currency={"credit_ceiling": 75})
    (voucher,) = issue(db, config, b.jeanne, {1000: 1})  # 80 -> 70
    with pytest.raises(AboveCeiling):
        voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.jeanne.id)
    assert circulation(db) == 1000


# --------------------------------------------------------------------------- cancelling


def test_a_voucher_that_failed_to_print_is_reprinted_or_refunded(db, config, jeanne_has_80):
    b = jeanne_has_80
    first, second = issue(db, config, b.jeanne, {500: 2})
    settle_jobs(db, [first.serial, second.serial], state="failed")
    assert vouchers.print_state(db, first.serial) == "failed"
    voucher_cancel.reprint_voucher(db, first.serial, by_id=b.jeanne.id)
    assert vouchers.print_state(db, first.serial) == "queued"
    with pytest.raises(PermissionDenied):
        voucher_cancel.cancel_vouchers(
            db, config, [second.serial], by_id=b.paul.id, reason="not_printed"
        )
    voucher_cancel.cancel_vouchers(
        db, config, [second.serial], by_id=b.jeanne.id, reason="not_printed"
    )
    assert balance(db, b.jeanne) == 8000 - 500 and circulation(db) == 500
    with pytest.raises(voucher_errors.CancelledVoucher):
        voucher_redeeming.redeem_voucher(db, config, second.qr, resident_id=b.paul.id)


def test_the_secret_waits_in_the_print_job_until_the_paper_is_out_then_is_forgotten(
    db, config, jeanne_has_80
):
    """A failed job keeps the secret to print it again; an interrupted one ("uncertain") is
    copied with it; once any paper of it is out, every job of that voucher forgets it and no
    copy can be made any more."""
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {500: 1})
    secret = voucher_codes.read_code(voucher.qr).secret
    settle_jobs(db, [voucher.serial], state="failed")
    voucher_cancel.reprint_voucher(db, voucher.serial, by_id=b.jeanne.id)
    (job,) = print_queue.list_jobs(db, reference=voucher.serial)
    assert job.payload["qr"] == voucher.qr and job.payload["check_code"] == voucher.typed_code
    with store.write(db):  # the kiosk stopped mid-job: it may be on paper
        db.execute(
            "UPDATE print_jobs SET state = 'printing', document_sent_at = 'x' WHERE id = ?",
            [job.id],
        )
    print_queue.mark_interrupted_uncertain(db)
    assert voucher_cancel.reprint_voucher(db, voucher.serial, by_id=b.jeanne.id) == "queued"
    copy = next(j for j in print_queue.list_jobs(db, reference=voucher.serial) if j.is_copy)
    assert copy.payload["qr"] == voucher.qr
    print_queue.mark_done(db, copy.id)
    for stored in print_queue.list_jobs(db, reference=voucher.serial):
        assert stored.payload["qr"] is None and stored.payload["check_code"] is None
    tables = "".join(
        str(tuple(row))
        for table in db.table_names()
        for row in db.execute(f"SELECT * FROM [{table}]")  # noqa: S608 (names from the schema)
    )
    assert secret not in tables and voucher.qr not in tables and voucher.typed_code not in tables
    with pytest.raises(print_queue.CopyRefused):
        print_queue.reprint_as_copy(db, copy.id)
    with pytest.raises(KioskError):
        voucher_cancel.reprint_voucher(db, voucher.serial, by_id=b.jeanne.id)
    # The paper still redeems it: the kiosk checks the secret against the commitment.
    voucher_redeeming.redeem_voucher(db, config, voucher.typed_code, resident_id=b.paul.id)
    assert circulation(db) == 0


def test_a_printed_voucher_can_only_be_reported_lost_to_an_admin(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {1000: 1})
    settle_jobs(db, [voucher.serial])
    with pytest.raises(voucher_errors.VoucherNotCancellable):
        voucher_cancel.cancel_vouchers(
            db, config, [voucher.serial], by_id=b.jeanne.id, reason="not_printed"
        )
    with pytest.raises(PermissionDenied):
        voucher_cancel.cancel_vouchers(
            db, config, [voucher.serial], by_id=b.jeanne.id, reason="lost"
        )
    voucher_cancel.cancel_vouchers(db, config, [voucher.serial], by_id=b.admin.id, reason="lost")
    assert balance(db, b.jeanne) == 8000 and circulation(db) == 0
    with pytest.raises(voucher_errors.CancelledVoucher):
        voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.paul.id)


def test_a_redeemed_voucher_cannot_be_reported_lost(db, config, jeanne_has_80):
    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {1000: 1})
    voucher_redeeming.redeem_voucher(db, config, voucher.qr, resident_id=b.paul.id)
    with pytest.raises(voucher_errors.AlreadyRedeemed):
        voucher_cancel.cancel_vouchers(
            db, config, [voucher.serial], by_id=b.admin.id, reason="lost"
        )
    assert balance(db, b.jeanne) == 7000


def test_an_admin_cancels_a_batch_all_or_nothing(db, config, jeanne_has_80):
    b = jeanne_has_80
    issued = issue(db, config, b.jeanne, {500: 3})
    voucher_redeeming.redeem_voucher(db, config, issued[2].qr, resident_id=b.paul.id)
    serials = [v.serial for v in issued]
    with pytest.raises(voucher_errors.AlreadyRedeemed):
        voucher_cancel.cancel_vouchers(db, config, serials, by_id=b.admin.id, reason="batch")
    assert circulation(db) == 1000
    voucher_cancel.cancel_vouchers(db, config, serials[:2], by_id=b.admin.id, reason="batch")
    assert circulation(db) == 0 and balance(db, b.jeanne) == 8000 - 500
    # their print jobs, still queued, will not print a cancelled voucher
    assert vouchers.print_state(db, serials[0]) == "cancelled"


def test_expired_vouchers_are_listed_and_the_association_decides(db, config, jeanne_has_80):
    b = jeanne_has_80
    first, second = issue(db, config, b.jeanne, {500: 2})
    with pytest.raises(voucher_errors.NotExpired):
        voucher_cancel.cancel_vouchers(
            db, config, [first.serial], by_id=b.admin.id, reason="expired"
        )
    clock.shift(400 * 86400)
    assert [v.serial for v in voucher_reports.expired_outstanding(db, config)] == [
        first.serial,
        second.serial,
    ]
    voucher_cancel.cancel_vouchers(
        db, config, [first.serial], by_id=b.admin.id, reason="expired", refund_to="common_fund"
    )
    voucher_cancel.cancel_vouchers(db, config, [second.serial], by_id=b.admin.id, reason="expired")
    assert store.scalar(db, "SELECT balance FROM accounts WHERE id = 'system:common_fund'") == 500
    assert balance(db, b.jeanne) == 8000 - 500
    assert voucher_reports.expired_outstanding(db, config) == []


# --------------------------------------------------------------------------- reports, rebuild


def test_the_report_counts_outstanding_vouchers_by_issuer_and_age(db, config, jeanne_has_80):
    b = jeanne_has_80
    issue(db, config, b.jeanne, {500: 1})
    clock.shift(100 * 86400)
    issue(db, config, b.jeanne, {2000: 1})
    report = voucher_reports.outstanding_report(db, config)
    assert (report.count, report.total) == (2, 2500)
    assert [(line.name, line.count, line.total) for line in report.by_issuer] == [
        ("Jeanne Martin", 2, 2500)
    ]
    assert report.by_age["under_30"] == (1, 2000) and report.by_age["under_180"] == (1, 500)


def test_the_circulation_check_raises_the_alarm_when_the_account_is_wrong(
    db, config, jeanne_has_80
):
    issue(db, config, jeanne_has_80.jeanne, {500: 2})
    assert voucher_reports.circulation_check(db).ok
    db.execute("UPDATE accounts SET balance = balance - 1 WHERE id = 'system:vouchers'")
    check = voucher_reports.circulation_check(db)
    assert not check.ok and check.difference == -1


def test_the_rebuilt_database_equals_the_live_one_with_vouchers(
    db, config, jeanne_has_80, tmp_path
):
    b = jeanne_has_80
    issued = issue(db, config, b.jeanne, {500: 2, 1000: 2})
    voucher_redeeming.redeem_voucher(db, config, issued[0].qr, resident_id=b.paul.id)
    voucher_cancel.cancel_vouchers(db, config, [issued[1].serial], by_id=b.admin.id, reason="lost")
    voucher_cancel.cancel_vouchers(
        db, config, [issued[2].serial], by_id=b.jeanne.id, reason="not_printed"
    )
    rebuilt = store.rebuild(db, tmp_path / "rebuilt.sqlite3")
    snapshot = store.projection_snapshot(rebuilt)
    assert snapshot == store.projection_snapshot(db)
    assert len(snapshot["vouchers"]) == 4 and len(snapshot["voucher_settlements"]) == 3


def test_voucher_events_are_network_events_and_their_transfers_stay_in_the_building(
    db, config, jeanne_has_80
):
    (voucher,) = issue(db, config, jeanne_has_80.jeanne, {500: 1})
    scopes = dict(store.query(db, "SELECT type, scope FROM events"))
    assert scopes["voucher.issued"] == "network" and scopes["transfer.recorded"] == "building"
    row = store.query_one(db, "SELECT payload FROM events WHERE type = 'voucher.issued'")
    signature = base64.b64decode(__import__("json").loads(row[0])["signature"])
    assert voucher_codes.read_code(voucher.qr).signature == signature


def test_the_printed_voucher_s_qr_code_reads_back_and_redeems(db, config, jeanne_has_80):

    b = jeanne_has_80
    (voucher,) = issue(db, config, b.jeanne, {1000: 1})
    (job,) = print_queue.list_jobs(db, reference=voucher.serial)
    # The paper as the printer draws it (the volunteer's preview never shows the code).
    settings = PrintSettings.from_config(config.values, config.preview_dir)
    png = layout_preview_png(job.layout, job.payload, settings)
    (read,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    masked = job_preview_png(db, job.id, settings)
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(masked))) == []
    voucher_redeeming.redeem_voucher(db, config, read.text, resident_id=b.paul.id)
    assert balance(db, b.paul) == -7000
