"""Balances below the credit floor, and why: the rule for a building with several kiosks.

Each kiosk checks the floor against what it holds (``record_transfer``). Two kiosks of one
building that cannot reach each other (the hub is down, or one of them is offline) each see only
their own payments: a resident who pays at the lobby kiosk and again at the community-room kiosk
may end below the floor once both have synced. The exchange happened in real life, so nothing is
refused after the fact and nothing is rewritten: the overrun is settled the way a voucher
redeemed twice is, in the open.

- Both kiosks converge on the same balance (the ledger still sums to zero).
- The resident may still be paid; every payment out is refused by ``record_transfer`` until
  the balance is back at the floor (the same rule as always).
- The resident's home screen says by how much the balance is below the floor and why; the
  volunteer's administration page lists every resident below the floor, by how much, and the
  kiosks whose payments took them there, so the association can talk to them.

Why is read from the ledger itself: walking back from the newest transfer of the account to the
last moment the balance was at or above zero, the payments out that make up the debt were
recorded by ``kiosks`` (origins). A kiosk refuses a payment that would cross the floor by what
it holds, so a balance below the floor made of payments at two or more kiosks is an overrun
made while they were apart; otherwise it follows a correction or a floor raised in the
configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.store import query

OFFLINE = "offline"  # payments at two or more kiosks while they were apart
OTHER = "other"  # a correction, or a floor raised in the configuration


@dataclass(frozen=True)
class Overrun:
    resident_id: str
    name: str
    apartment: str
    balance: int
    floor: int
    kiosks: tuple[str, ...]  # origins of the payments out that make up the debt
    corrected: bool  # the newest payment out is a correction (a reversal)

    @property
    def shortfall(self) -> int:
        """How far below the floor (hundredths, positive)."""
        return self.floor - self.balance

    @property
    def cause(self) -> str:
        """A balance goes below the floor only when kiosks recorded payments out while apart
        (each checks the floor against what it holds), after a correction, or when the floor is
        raised: payments from two or more kiosks make up the debt, and the newest is not a
        correction, means the first."""
        return OFFLINE if len(self.kiosks) > 1 and not self.corrected else OTHER


_BELOW = (
    "SELECT r.id, r.name, r.apartment, a.id AS account_id, a.balance FROM residents r "
    "JOIN accounts a ON a.resident_id = r.id WHERE a.balance < :floor "
)


def _debiting_kiosks(db: Database, account_id: str, balance: int) -> tuple[str, ...]:
    """The kiosks (origins) of the payments out that make up the resident's debt: walking back
    from the newest transfer to the last moment the balance was at or above zero. A
    correction (a reversal) among them is named by the kiosk that recorded it too."""
    kiosks: set[str] = set()
    for row in query(
        db,
        "SELECT debit_account, credit_account, amount, origin FROM transfers "
        "WHERE debit_account = :acc OR credit_account = :acc ORDER BY rowid DESC",
        {"acc": account_id},
    ):
        if balance >= 0:
            break
        if row["debit_account"] == account_id:
            balance += row["amount"]
            kiosks.add(row["origin"])
        else:
            balance -= row["amount"]
    return tuple(sorted(kiosks))


def _last_debit_kind(db: Database, account_id: str) -> str | None:
    return store.scalar(
        db,
        "SELECT kind FROM transfers WHERE debit_account = ? ORDER BY rowid DESC LIMIT 1",
        (account_id,),
    )


def _overruns(db: Database, config: Config, where: str, params: dict) -> list[Overrun]:
    floor = config.amount("credit_floor")
    return [
        Overrun(
            row["id"],
            row["name"],
            row["apartment"],
            row["balance"],
            floor,
            _debiting_kiosks(db, row["account_id"], row["balance"]),
            _last_debit_kind(db, row["account_id"]) == "reversal",
        )
        for row in query(db, _BELOW + where, {"floor": floor, **params})
    ]


def below_floor(db: Database, config: Config) -> list[Overrun]:
    """Every resident whose balance is below the credit floor, by apartment."""
    return _overruns(db, config, "ORDER BY r.apartment, r.name", {})


def overrun_of(db: Database, config: Config, resident_id: str) -> Overrun | None:
    """The resident's overrun, or None when the balance is at or above the floor."""
    found = _overruns(db, config, "AND r.id = :resident", {"resident": resident_id})
    return found[0] if found else None
