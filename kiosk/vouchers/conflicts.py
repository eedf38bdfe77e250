"""A voucher settled twice: the hub's verdict, putting the books right, and telling people.

A voucher is checked offline by its signature, so two kiosks cut off from the hub can both
redeem it (or one redeems it while its building cancels it). Nobody can tell until the
settlements meet at the hub, which judges: the first settlement it committed wins; for each
later one it writes a verdict of its own, ``voucher.settlement_rejected`` (a ``network``
event of origin HUB, see sync/hub/vouchers.py), which every kiosk pulls like any other event.

Nothing is rewritten. The losing settlement and its transfer stay in the log; the projections
keep the winner in ``voucher_settlements`` and the loser in ``voucher_rival_settlements``
(kiosk/vouchers/projections.py). The books are put right by new events, recorded by one
kiosk only: the one holding the account the losing settlement credited (a resident's home
kiosk, since a resident's account is debited only there; for a system account, the kiosk that
recorded the losing settlement). After applying a pulled page, ``compensate_conflicts`` records
there, in one transaction, per conflict:

- a ``transfer.recorded`` of that building: with ``[sync] voucher_conflict_policy = "reverse"``
  a reversal taking the credit back (account -> vouchers in circulation); with "loss_fund", or
  when taking it back would push a resident below the credit floor (the floor holds, even for
  a correction), the loss fund ("system:loss_fund", opened on first use) pays it into
  circulation instead and the resident keeps the credit. Its description says what happened,
  in the kiosk's language: it is the line the resident reads in their statement.
- a ``voucher.conflict_compensated`` of the network naming that transfer, so every kiosk knows
  the conflict is settled and how (the admins' voucher report lists conflicts and outcomes).

Afterwards the circulation account of every building again equals what its vouchers owe. The
residents on both sides see a notice on their home screen until they dismiss it
(``voucher.conflict_notice_read``, a building event: dismissed at one kiosk, gone at all).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import i18n, store
from kiosk.config import Config
from kiosk.errors import N_, NotFound
from kiosk.ledger.transfers import (
    CIRCULATION_ACCOUNT,
    LOSS_FUND_ACCOUNT,
    record_transfer,
    transfer_refusal,
)
from kiosk.vouchers import reads as vreads

TAKEN_BACK = N_(
    "Voucher %(serial)s was used twice and %(where)s had it first: this credit is taken back"
)
REFUND_TAKEN_BACK = N_(
    "Voucher %(serial)s was used at %(where)s before it was cancelled: the refund is taken back"
)
LOSS_FUND_PAYS = N_("Voucher %(serial)s was used twice (first at %(where)s): the loss fund pays")


@dataclass(frozen=True)
class VoucherConflict:
    """One voucher settled twice, as the admins' report and the residents' notices show it."""

    serial: str
    amount: int
    losing_event_id: str
    losing_outcome: str | None  # "redeemed", "cancelled" (None: not known in this building)
    losing_where: str
    loser_id: str | None
    loser_name: str | None
    loser_apartment: str | None
    winning_type: str | None
    winning_where: str
    winner_id: str | None
    winner_name: str | None
    winner_apartment: str | None
    decided_at: str | None
    policy: str | None  # None until the kiosk holding the losing credit has settled it
    compensating_origin: str | None
    compensation_reference: str | None

    @classmethod
    def from_row(cls, row) -> VoucherConflict:
        return cls(
            serial=row["serial"],
            amount=row["amount"] or 0,
            losing_event_id=row["losing_event_id"],
            losing_outcome=row["losing_outcome"],
            losing_where=_where(row["losing_building"], row["losing_origin"]),
            loser_id=row["loser_id"],
            loser_name=row["loser_name"],
            loser_apartment=row["loser_apartment"],
            winning_type=row["winning_type"],
            winning_where=_where(row["winning_building"], row["winning_origin"]),
            winner_id=row["winner_id"],
            winner_name=row["winner_name"],
            winner_apartment=row["winner_apartment"],
            decided_at=row["decided_at"],
            policy=row["policy"],
            compensating_origin=row["compensating_origin"],
            compensation_reference=row["compensation_reference"],
        )

    @property
    def settled(self) -> bool:
        return self.policy is not None


def _where(building: str | None, origin: str | None) -> str:
    if building and origin:
        return f"{building} ({origin})"
    return origin or "?"


def conflicts(db: Database, *, limit: int = 200) -> list[VoucherConflict]:
    """Every voucher settled twice known here, the latest verdict first (admin report)."""
    return [VoucherConflict.from_row(row) for row in vreads.conflicts(db, limit=limit)]


def notices_for(db: Database, resident_id: str) -> list[VoucherConflict]:
    """The conflicts a resident took part in and has not dismissed yet (home screen)."""
    return [VoucherConflict.from_row(row) for row in vreads.conflicts_of_resident(db, resident_id)]


def dismiss_notice(db: Database, resident_id: str, losing_event_id: str) -> None:
    """The resident has read the notice: it is not shown again, at any kiosk of the building."""
    with store.write(db):
        if not any(c.losing_event_id == losing_event_id for c in notices_for(db, resident_id)):
            raise NotFound(N_("This notice is not yours, or was already dismissed."))
        store.record(
            db,
            "voucher.conflict_notice_read",
            {"losing_event_id": losing_event_id, "resident_id": resident_id},
        )


def compensate_conflicts(db: Database, config: Config) -> int:
    """Record the compensation of every judged conflict that falls to this kiosk; how many.

    Idempotent: a conflict once compensated (here or, after a restore, by this kiosk's past
    self) is not picked again.
    """
    done = 0
    with store.write(db):
        for row in vreads.conflicts_to_compensate(db, store.kiosk_id(db)):
            _compensate(db, config, row)
            done += 1
    return done


def _compensate(db: Database, config: Config, row) -> None:
    gettext = i18n.gettext_for(config.language)
    amount = row["amount"]
    account = row["credit_account"]
    where = _where(vreads.kiosk_building(db, row["winning_origin"]), row["winning_origin"])
    policy = config["sync"]["voucher_conflict_policy"]
    if policy == "reverse" and transfer_refusal(
        db,
        config,
        kind="reversal",
        debit_account=account,
        credit_account=CIRCULATION_ACCOUNT,
        amount=amount,
    ):
        # The floor holds, even for a correction (and a closed account only goes back to
        # zero): the association bears the loss.
        policy = "loss_fund"
    if policy == "reverse":
        text = REFUND_TAKEN_BACK if row["losing_outcome"] == "cancelled" else TAKEN_BACK
        debited = account
        transfer = record_transfer(
            db,
            config,
            kind="reversal",
            debit_account=account,
            credit_account=CIRCULATION_ACCOUNT,
            amount=amount,
            description=i18n.fill(
                gettext(text), {"serial": row["serial"], "where": where}, config.language
            ),
            reverses=row["transfer_id"],
        )
    else:
        debited = LOSS_FUND_ACCOUNT
        transfer = record_transfer(
            db,
            config,
            kind="voucher_issue",  # the loss fund puts the value back into circulation
            debit_account=LOSS_FUND_ACCOUNT,
            credit_account=CIRCULATION_ACCOUNT,
            amount=amount,
            description=i18n.fill(
                gettext(LOSS_FUND_PAYS), {"serial": row["serial"], "where": where}, config.language
            ),
        )
    store.record(
        db,
        "voucher.conflict_compensated",
        {
            "serial": row["serial"],
            "losing_event_id": row["losing_event_id"],
            "policy": policy,
            "amount": amount,
            "debited_account": debited,
            "transfer_id": transfer.id,
        },
    )
