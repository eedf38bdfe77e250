"""The one write path of money: every ``transfer.recorded`` event is recorded by
``record_transfer``, whatever moves the CEEC (an exchange and its reversal, a voucher issued,
redeemed, cancelled or compensated, a move-out settlement, project contributions and payments,
group purchase fees).

It checks, inside the write transaction that records the transfer (so two transfers racing on
one account cannot both pass; called inside a caller's transaction it joins it, and several
transfers commit or fail together), what every transfer must satisfy:

- a known kind (``KINDS``), a positive integer amount, two different accounts that exist;
- for the kinds a resident asks for, the resident may exchange (verified); a moved-out
  resident's account is closed: settled to zero, it only moves back towards zero;
- a resident keeps to the credit floor and ceiling of the configuration; a system account
  (a project's fund, the association's accounts) has no ceiling (the ceiling limits what one
  household holds, a fund collects for everyone) and may not go below zero (it spends only
  what it holds), except the association's accounts named in ``SYSTEM_ACCOUNTS``.

The association's system accounts are opened on first use by ``open_system_account``, the one
function that records ``account.opened``. ``transfer_refusal``, ``debit_refusal``,
``credit_refusal`` and ``would_go_below_floor`` ask the same rules before a transfer is tried
(all the fees of a group purchase at once, a warning on a form, a conflict's compensation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import formatting, store
from kiosk.config import Config
from kiosk.errors import (
    N_,
    AboveCeiling,
    AccountClosed,
    BelowFloor,
    FundsTooLow,
    InvalidAmount,
    KioskError,
    NotFound,
    ResidentNotActive,
    SelfPayment,
)
from kiosk.residents.residents import Resident
from kiosk.store import Event

DESCRIPTION_MAX = 200

CIRCULATION_ACCOUNT = "system:vouchers"
COMMON_FUND_ACCOUNT = "system:common_fund"
LOSS_FUND_ACCOUNT = "system:loss_fund"
PROJECT_ACCOUNT_PREFIX = "project:"  # "project:<id>", labelled with the project's title


@dataclass(frozen=True)
class SystemAccount:
    """One of the association's accounts: its label (an English msgid) and whether it may go
    below zero, and why."""

    label: str
    may_go_negative: bool
    why: str


SYSTEM_ACCOUNTS: dict[str, SystemAccount] = {
    CIRCULATION_ACCOUNT: SystemAccount(
        N_("Vouchers in circulation"),
        may_go_negative=True,
        why="a voucher printed in another building and redeemed here is paid by this "
        "building's circulation account; the issuer's building still holds its value",
    ),
    COMMON_FUND_ACCOUNT: SystemAccount(
        N_("Common fund"),
        may_go_negative=True,
        why="the association vouches for the CEEC it grants to projects and for the debts of "
        "residents who move out: the ledger still sums to zero",
    ),
    LOSS_FUND_ACCOUNT: SystemAccount(
        N_("Loss fund"),
        may_go_negative=True,
        why="it pays a voucher settled twice (kiosk/vouchers/conflicts.py): the association "
        "bears the loss",
    ),
}


@dataclass(frozen=True)
class Kind:
    """A kind of transfer (the transfers table's CHECK lists them) and whether the residents
    on both sides must be allowed to exchange (a correction, a refund or a settlement also
    reaches a suspended or pending resident's account, never a closed one)."""

    residents_must_be_verified: bool


KINDS: dict[str, Kind] = {
    "exchange": Kind(residents_must_be_verified=True),
    "reversal": Kind(residents_must_be_verified=False),
    "voucher_issue": Kind(residents_must_be_verified=True),
    "voucher_redeem": Kind(residents_must_be_verified=True),
    "voucher_refund": Kind(residents_must_be_verified=False),
    "project_contribution": Kind(residents_must_be_verified=True),
    "project_payment": Kind(residents_must_be_verified=True),
    "purchase_fee": Kind(residents_must_be_verified=True),
    "settlement": Kind(residents_must_be_verified=False),
}


@dataclass(frozen=True)
class _Account:
    id: str
    label: str
    balance: int
    resident: Resident | None  # None: a system account


def _account(db: Database, account_id: str) -> _Account:
    """The account and its resident, if any, in one read."""
    row = store.query_one(
        db,
        "SELECT a.id AS account_id, a.label, a.balance, r.id, r.apartment, r.name, r.role, "
        "r.status FROM accounts a LEFT JOIN residents r ON r.id = a.resident_id WHERE a.id = ?",
        (account_id,),
    )
    if row is None:
        raise NotFound(N_("This account does not exist."))
    resident = Resident.from_row(row) if row["id"] else None
    return _Account(row["account_id"], row["label"] or "", row["balance"], resident)


def _refused_party(account: _Account, kind: str, change: int) -> KioskError | None:
    """The resident may take part in this kind of transfer, and the account is open: a closed
    (moved-out) account, settled to zero, only moves back towards zero (a credit that reached
    it afterwards, pulled from another kiosk, can be taken back), never away from it."""
    resident = account.resident
    if resident is None:
        return None
    if resident.moved_out:
        # Asked first, so that the reason given is the true one: the account is closed (not
        # "not verified", not "below the floor"). A kind a resident asks for never reaches it;
        # a settlement or refund only brings it back towards zero.
        after = account.balance + change
        towards_zero = min(0, account.balance) <= after <= max(0, account.balance)
        if KINDS[kind].residents_must_be_verified or not towards_zero:
            return AccountClosed(name=resident.name)
        return None
    if KINDS[kind].residents_must_be_verified and not resident.may_exchange:
        return ResidentNotActive(name=resident.name, status=resident.status)
    return None


def _below_floor(config: Config, account: _Account, amount: int) -> KioskError | None:
    if account.resident is not None:
        floor = config.amount("credit_floor")
        if account.balance - amount < floor:
            return BelowFloor(name=account.resident.name, floor=formatting.ceec_for(config, floor))
        return None
    exemption = SYSTEM_ACCOUNTS.get(account.id)
    if account.balance - amount < 0 and not (exemption and exemption.may_go_negative):
        return FundsTooLow(
            label=account.label,
            balance=formatting.ceec_for(config, account.balance),
            amount=formatting.ceec_for(config, amount),
        )
    return None


def _above_ceiling(config: Config, account: _Account, amount: int) -> KioskError | None:
    if account.resident is None:
        return None  # a fund has no ceiling
    ceiling = config.amount("credit_ceiling")
    if account.balance + amount > ceiling:
        return AboveCeiling(
            name=account.resident.name, ceiling=formatting.ceec_for(config, ceiling)
        )
    return None


def _check_kind_and_amount(kind: str, amount: int) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown transfer kind {kind!r}")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidAmount()


def debit_refusal(
    db: Database, config: Config, account_id: str, amount: int, *, kind: str
) -> KioskError | None:
    """Why taking ``amount`` from the account would be refused (closed, not verified, floor,
    an empty fund), or None."""
    _check_kind_and_amount(kind, amount)
    account = _account(db, account_id)
    return _refused_party(account, kind, -amount) or _below_floor(config, account, amount)


def credit_refusal(
    db: Database, config: Config, account_id: str, amount: int, *, kind: str
) -> KioskError | None:
    """Why giving ``amount`` to the account would be refused (closed, not verified, ceiling),
    or None."""
    _check_kind_and_amount(kind, amount)
    account = _account(db, account_id)
    return _refused_party(account, kind, amount) or _above_ceiling(config, account, amount)


def would_go_below_floor(db: Database, config: Config, account_id: str, amount: int) -> bool:
    """Whether taking ``amount`` (zero or more) would take the account below its floor (a
    warning shown before the transfer is asked for)."""
    return _below_floor(config, _account(db, account_id), amount) is not None


def transfer_refusal(
    db: Database,
    config: Config,
    *,
    kind: str,
    debit_account: str,
    credit_account: str,
    amount: int,
) -> KioskError | None:
    """Why this transfer would be refused, or None: both parties first (who may take part),
    then the amounts (the debited account's floor, the credited account's ceiling)."""
    _check_kind_and_amount(kind, amount)
    if debit_account == credit_account:
        return SelfPayment()
    debit = _account(db, debit_account)
    credit = _account(db, credit_account)
    return (
        _refused_party(debit, kind, -amount)
        or _refused_party(credit, kind, amount)
        or _below_floor(config, debit, amount)
        or _above_ceiling(config, credit, amount)
    )


def record_transfer(
    db: Database,
    config: Config,
    *,
    kind: str,
    debit_account: str,
    credit_account: str,
    amount: int,
    description: str,
    recorded_by: str | None = None,
    minutes: int | None = None,
    category: str = "other",
    reverses: str | None = None,
    post_id: str | None = None,
) -> Event:
    """Move ``amount`` hundredths from ``debit_account`` to ``credit_account``; returns the
    transfer's event (its id is the transfer's id). Refused with the first broken rule, and then
    nothing is changed.

    ``reverses``: the transfer this one corrects; ``post_id``: the board post an exchange came
    from. The association's accounts are opened on first use.
    """
    _check_kind_and_amount(kind, amount)
    with store.write(db):
        for account_id in (debit_account, credit_account):
            if account_id in SYSTEM_ACCOUNTS:
                _open_if_missing(db, account_id, SYSTEM_ACCOUNTS[account_id].label)
        error = transfer_refusal(
            db,
            config,
            kind=kind,
            debit_account=debit_account,
            credit_account=credit_account,
            amount=amount,
        )
        if error is not None:
            raise error
        payload = {
            "kind": kind,
            "debit_account": debit_account,
            "credit_account": credit_account,
            "amount": amount,
            "minutes": minutes,
            "description": description[:DESCRIPTION_MAX],
            "category": category,
            "recorded_by": recorded_by,
        }
        if reverses is not None:
            payload["reverses"] = reverses
        if post_id:
            payload["post_id"] = post_id
        return store.record(db, "transfer.recorded", payload)


def account_name(account_id: str, name: str, gettext: Callable[[str], str]) -> str:
    """What a reader sees for an account: ``name`` (a resident's name, or the stored label) for
    a resident; the translated name of one of the association's accounts; "Project “<title>”"
    for a project's fund. ``gettext`` translates a msgid into the reader's language."""
    system = SYSTEM_ACCOUNTS.get(account_id)
    if system is not None:
        return gettext(system.label)
    if account_id.startswith(PROJECT_ACCOUNT_PREFIX):
        return gettext(N_("Project “%(title)s”")) % {"title": name}
    return name


def open_system_account(db: Database, account_id: str, label: str | None = None) -> None:
    """Open a system account once: a second call, or after the account.opened of another kiosk
    of the building was pulled, changes nothing.

    ``label``: a project's title; the association's accounts take theirs from
    ``SYSTEM_ACCOUNTS`` (an English msgid, translated where it is shown).
    """
    with store.write(db):
        _open_if_missing(db, account_id, label or SYSTEM_ACCOUNTS[account_id].label)


def _open_if_missing(db: Database, account_id: str, label: str) -> None:
    """Inside a write transaction: record ``account.opened`` unless the account exists."""
    if store.scalar(db, "SELECT 1 FROM accounts WHERE id = ?", (account_id,)) is None:
        store.record(db, "account.opened", {"account_id": account_id, "label": label})
