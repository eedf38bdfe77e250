"""Printed CEEC vouchers: paper money a resident issues at the kiosk and a neighbour redeems.

Issuing moves the amount from the issuer's account to the system account "vouchers in
circulation" and queues one print job per voucher, all in one transaction; redeeming moves it
from that account to the bearer, once; cancelling (lost, never printed, expired) gives it back
to the issuer or to the common fund. Each step is a transfer recorded through the one write
path of money (kiosk/ledger/transfers.py) followed by a ``voucher.*`` event of the network
(kiosk/vouchers/projections.py).

Every rule is checked inside the write transaction that records the step. Two kiosks offline
may each settle a voucher once: the hub judges, see kiosk/vouchers/conflicts.py.

Redeeming: kiosk/vouchers/redeeming.py; codes and signatures: kiosk/vouchers/codes.py;
refusals: kiosk/vouchers/errors.py; cancelling and reprinting: kiosk/vouchers/cancel.py;
reports and the circulation check: kiosk/vouchers/reports.py.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlite_utils import Database

from kiosk import clock, formatting, store
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput
from kiosk.ledger.transfers import CIRCULATION_ACCOUNT, debit_refusal, record_transfer
from kiosk.residents.residents import get as get_resident
from kiosk.residents.residents import require_may_exchange
from kiosk.store import keys, reads
from kiosk.vouchers import codes
from kiosk.vouchers import reads as vreads
from kiosk.vouchers.errors import (
    AlreadyRedeemed,
    BalanceTooLow,
    CancelledVoucher,
    ClockWrong,
    NoVoucherChosen,
    OutstandingTooLarge,
    PrinterNotReadyForVouchers,
    TooManyOutstanding,
    UnknownVoucher,
    VoucherError,
)
from printing import queue as print_queue
from printing.status import printer_ready_for_vouchers

# Print job states in which a voucher is surely not on paper: its issuer may cancel it.
# A voucher whose paper is not known printed (its job waits, failed, was cancelled or was cut
# off mid-print): not in circulation yet; its issuer may cancel it or print it again (a COPY
# when some of it may be on paper: redeem-once keeps the two harmless).
NOT_PRINTED_STATES = ("queued", "failed", "cancelled", "uncertain")


# --------------------------------------------------------------------------- the voucher


@dataclass(frozen=True)
class Voucher:
    serial: str
    issuer_origin: str
    amount: int
    issued_on: date
    expires_on: date
    building: str
    commitment: str | None  # hex; None: a version 1 voucher, printed without a secret
    issuer_resident_id: str | None
    issuer_name: str | None
    issuer_apartment: str | None
    outcome: str | None  # None (in circulation), "redeemed", "cancelled"
    reason: str | None
    settled_at: str | None
    settled_origin: str | None
    settled_building: str | None
    bearer_id: str | None
    bearer_name: str | None
    bearer_apartment: str | None
    honoured_expired: bool
    issued_here: bool
    # The paper: only on the vouchers ``issue_vouchers`` returns (the kiosk keeps neither).
    qr: str | None = None
    typed_code: str | None = None

    @classmethod
    def from_row(cls, row) -> Voucher:
        return cls(
            serial=row["serial"],
            issuer_origin=row["issuer_origin"],
            amount=row["amount"],
            issued_on=date.fromisoformat(row["issued_on"]),
            expires_on=date.fromisoformat(row["expires_on"]),
            building=row["building"],
            commitment=row["commitment"],
            issuer_resident_id=row["issuer_resident_id"],
            issuer_name=row["issuer_name"],
            issuer_apartment=row["issuer_apartment"],
            outcome=row["outcome"],
            reason=row["reason"],
            settled_at=row["settled_at"],
            settled_origin=row["settled_origin"],
            settled_building=row["settled_building"],
            bearer_id=row["bearer_id"],
            bearer_name=row["bearer_name"],
            bearer_apartment=row["bearer_apartment"],
            honoured_expired=bool(row["honoured_expired"]),
            issued_here=row["issue_transfer"] is not None,
        )

    @property
    def outstanding(self) -> bool:
        return self.outcome is None

    def is_expired(self, today: date) -> bool:
        return today > self.expires_on


def today(config: Config) -> date:
    """Today in the building's time zone (vouchers are valid by whole days)."""
    return clock.now().astimezone(config.timezone).date()


def denominations(config: Config) -> list[int]:
    """The values on offer, in hundredths, smallest first."""
    return sorted(value * 100 for value in config["vouchers"]["denominations"])


def get_voucher(db: Database, serial: str) -> Voucher:
    row = vreads.voucher(db, serial)
    if row is None:
        raise UnknownVoucher()
    return Voucher.from_row(row)


def vouchers_of(db: Database, resident_id: str) -> list[Voucher]:
    return [Voucher.from_row(row) for row in vreads.vouchers_of_resident(db, resident_id)]


def print_state(db: Database, serial: str) -> str | None:
    """The state of the voucher's original print job ("done" once any job printed it)."""

    jobs = print_queue.list_jobs(db, reference=serial)
    if any(job.state == "done" for job in jobs):
        return "done"
    originals = [job for job in jobs if not job.is_copy]
    return originals[0].state if originals else None


def _settlement_error(db: Database, serial: str) -> VoucherError | None:
    row = vreads.voucher(db, serial)
    if row is None or row["outcome"] is None:
        return None
    when = clock.parse_iso(row["settled_at"])
    if row["outcome"] == "redeemed":
        where = row["settled_origin"]
        if row["settled_building"]:
            where = f"{row['settled_building']} ({where})"
        return AlreadyRedeemed(when=when, where=where)
    return CancelledVoucher(when=when)


# --------------------------------------------------------------------------- issuing


def clean_counts(config: Config, counts: dict[int, int]) -> dict[int, int]:
    """{hundredths: how many} with only offered values and at least one voucher."""
    offered = set(denominations(config))
    cleaned = {}
    for value, count in counts.items():
        if value not in offered:
            raise InvalidInput(N_("This voucher value is not offered."))
        if not isinstance(count, int) or count < 0 or count > 99:
            raise InvalidInput(N_("Choose between 0 and 99 vouchers of each value."))
        if count:
            cleaned[value] = count
    if not cleaned:
        raise NoVoucherChosen()
    return cleaned


def issue_vouchers(
    db: Database,
    config: Config,
    *,
    resident_id: str,
    counts: dict[int, int],
    printer_status=None,
    recorded_by: str | None = None,
) -> list[Voucher]:
    """The resident pays for ``counts`` ({hundredths: how many}) vouchers, each printed.

    ``printer_status`` is the print worker's last ``PrinterStatus`` (None: not known, trusted).
    The PIN is checked by the caller, as for an exchange.
    """

    counts = clean_counts(config, counts)
    if not clock.plausible():
        raise ClockWrong(date=clock.now_iso()[:10])
    if not printer_ready_for_vouchers(printer_status):
        raise PrinterNotReadyForVouchers()
    settings = config["vouchers"]
    key = keys.load_or_create_signing_key(config)
    keys.publish_public_key(db, config)
    building = config["building"]["name"]
    issued_on = today(config)
    expires_on = issued_on + timedelta(days=settings["validity_days"])
    total = sum(value * count for value, count in counts.items())
    number = sum(counts.values())
    papers: list[codes.VoucherCode] = []
    with store.write(db):
        resident = get_resident(db, resident_id)
        require_may_exchange(resident)
        count_out, total_out = vreads.outstanding_of_resident(db, resident.id)
        if count_out + number > settings["max_outstanding_count"]:
            raise TooManyOutstanding(max=settings["max_outstanding_count"], count=count_out)
        max_amount = settings["max_outstanding_amount"] * 100
        if total_out + total > max_amount:
            raise OutstandingTooLarge(
                max=formatting.ceec_for(config, max_amount),
                total=formatting.ceec_for(config, total_out),
            )
        balance = reads.account_balance(db, resident.account_id)
        if not settings["allow_credit"] and balance - total < 0:
            raise BalanceTooLow(
                total=formatting.ceec_for(config, total),
                balance=formatting.ceec_for(config, balance),
            )
        # All the vouchers or none: the floor is checked for the total before any is signed.
        error = debit_refusal(db, config, resident.account_id, total, kind="voucher_issue")
        if error is not None:
            raise error
        origin = store.kiosk_id(db)
        seq = vreads.next_voucher_seq(db, origin)
        for value in sorted(counts, reverse=True):
            for _ in range(counts[value]):
                code = codes.sign_voucher(
                    key,
                    issuer_origin=origin,
                    seq=seq,
                    amount=value,
                    issued_on=issued_on,
                    expires_on=expires_on,
                    building=building,
                )
                transfer = record_transfer(
                    db,
                    config,
                    kind="voucher_issue",
                    debit_account=resident.account_id,
                    credit_account=CIRCULATION_ACCOUNT,
                    amount=value,
                    description=f"Voucher {code.serial}",
                    recorded_by=recorded_by or resident.id,
                )
                store.record(
                    db,
                    "voucher.issued",
                    {
                        **_code_fields(code, building),
                        "issuer_resident_id": resident.id,
                        "transfer_id": transfer.id,
                    },
                )
                # The only place the secret is written: the print job, until it is printed
                # (printing/queue.py scrubs it then).
                print_queue.enqueue(
                    db,
                    "voucher",
                    {
                        "serial": code.serial,
                        "amount": value,
                        "issued_at": issued_on.isoformat(),
                        "expires_at": expires_on.isoformat(),
                        "qr": code.text(),
                        "check_code": code.typed_code,
                        "issued_to": None,  # a bearer voucher: nobody's name on it
                    },
                    reference=code.serial,
                )
                papers.append(code)
                seq += 1
    return [
        replace(get_voucher(db, code.serial), qr=code.text(), typed_code=code.typed_code)
        for code in papers
    ]


def _code_fields(code: codes.VoucherCode, building: str) -> dict:
    """The voucher's signed fields as events carry them: its commitment, never its secret."""
    fields = {
        "serial": code.serial,
        "issuer_origin": code.issuer_origin,
        "voucher_seq": code.seq,
        "amount": code.amount,
        "issued_on": code.issued_on.isoformat(),
        "expires_on": code.expires_on.isoformat(),
        "building": building,
        "signature": base64.b64encode(code.signature).decode("ascii"),
    }
    fields["building_hash"] = code.building_hash.hex()  # signed, whatever the name says
    if code.commitment is not None:
        fields["commitment"] = code.commitment.hex()
    return fields
