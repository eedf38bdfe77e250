"""Voucher timings, run by hand (not a test): ``.venv/bin/python bench/bench_vouchers.py``.

Prints, in milliseconds: decoding a scanned QR code, verifying its Ed25519 signature, checking
a voucher as the redeem page does (decode + key look-up + signature + status), the same from
its typed code (commitment look-up), the proof a redemption event passes where it enters
(kiosk/vouchers/proofs.py: signature and opening), a full redemption (check, write transaction
with two events, receipt queued), marking a printed voucher done (its secret scrubbed and the
write-ahead log checkpointed) against a printed receipt, and a plain exchange with and without
``secure_delete`` measured in the same run, with each as a ratio against the exchange.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import store
from kiosk.config import make_config
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.store import keys
from kiosk.store.authority import KioskView
from kiosk.store.registry import registry
from kiosk.vouchers import codes as voucher_codes
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import vouchers
from printing import queue as print_queue

ROUNDS = 200


def timed(fn, rounds: int = ROUNDS) -> float:
    """Median milliseconds of ``fn(i)`` over ``rounds`` calls."""
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = make_config(
            {
                "storage": {"data_dir": folder},
                "vouchers": {"max_outstanding_count": 10_000, "max_outstanding_amount": 1_000_000},
                "currency": {
                    "credit_ceiling": 1_000_000,
                    "credit_floor": -1_000_000,
                    "max_exchange": 1_000_000,
                },
            }
        )
        db = store.connect(config.database_path)
        issuer = residents.register(db, apartment="B-204", name="Jeanne Martin")
        bearer = residents.register(db, apartment="A-101", name="Paul Durand")
        exchanges.record_exchange(
            db,
            config,
            payer_id=bearer.id,
            payee_id=issuer.id,
            description="Avance",
            amount=ROUNDS * 1000 + 100_000,
        )
        issued = []
        for _ in range(ROUNDS // 50):
            issued += vouchers.issue_vouchers(db, config, resident_id=issuer.id, counts={1000: 50})
        code = voucher_codes.read_code(issued[0].qr)
        public_key = keys.known_public_key(db, code.issuer_origin)

        typed = timed(
            lambda i: voucher_redeeming.check_redeemable(
                db, config, voucher_redeeming.read_voucher(db, issued[i].typed_code)
            )
        )
        proof_of = registry.get("voucher.redeemed").proof
        redemption = {
            **vouchers._code_fields(code, config["building"]["name"]),
            "opening": voucher_codes.read_code(issued[0].qr).opening.hex(),
        }
        keys_of = KioskView(db).keys_of
        proof = timed(lambda i: proof_of(redemption, keys_of))
        assert proof_of(redemption, keys_of) is None
        decode = timed(lambda i: voucher_codes.read_code(issued[i].qr))
        verify = timed(lambda i: code.is_signed_by(public_key))
        check = timed(
            lambda i: voucher_redeeming.check_redeemable(
                db, config, voucher_redeeming.read_voucher(db, issued[i].qr)
            )
        )
        redeem = timed(
            lambda i: voucher_redeeming.redeem_voucher(
                db, config, issued[i].qr, resident_id=bearer.id
            )
        )
        voucher_jobs = [
            job.id
            for job in print_queue.list_jobs(db, limit=10 * ROUNDS)
            if job.layout == "voucher" and job.state == "queued"
        ][:ROUNDS]
        receipt_jobs = [
            job.id
            for job in print_queue.list_jobs(db, limit=10 * ROUNDS)
            if job.layout == "receipt" and job.state == "queued"
        ][:ROUNDS]
        voucher_done = timed(lambda i: print_queue.mark_done(db, voucher_jobs[i]))
        receipt_done = timed(lambda i: print_queue.mark_done(db, receipt_jobs[i]))

        def exchange_once(i: int) -> None:
            exchanges.record_exchange(
                db,
                config,
                payer_id=bearer.id,
                payee_id=issuer.id,
                description="Courses",
                amount=100,
            )

        exchange = timed(exchange_once)
        db.conn.execute("PRAGMA secure_delete = OFF")
        exchange_plain_delete = timed(exchange_once)
        db.close()
    print(f"vouchers: {ROUNDS} rounds, median ms (ratio against a plain exchange)")
    for name, value in [
        ("decode QR", decode),
        ("verify signature", verify),
        ("check voucher", check),
        ("check typed code", typed),
        ("redemption proof", proof),
        ("full redeem", redeem),
        ("voucher printed", voucher_done),
        ("receipt printed", receipt_done),
        ("plain exchange", exchange),
        ("  secure_delete off", exchange_plain_delete),
    ]:
        print(f"  {name:20} {value:8.3f} ms   x{value / exchange:.2f}")


if __name__ == "__main__":
    main()
