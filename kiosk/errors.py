"""Typed errors of the domain.

Each error carries an English message id, marked with ``N_`` for extraction, and its
parameters; the web layer and the CLI translate ``error.msgid`` and format it with
``error.params``. A message that counts carries a singular and plural pair (``Nn_``), the
form chosen by the parameter ``error.count_param``. The domain never imports Flask.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a string for translation without translating it (done where it is shown)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural msgid pair for extraction (the form is chosen where shown)."""
    return singular, plural


class KioskError(Exception):
    """A refused operation. Nothing was changed."""

    msgid: str | tuple[str, str] = N_("This operation was refused.")
    count_param = "count"  # for a (singular, plural) msgid: the parameter that counts

    def __init__(self, msgid: str | tuple[str, str] | None = None, **params: Any) -> None:
        if msgid is not None:
            self.msgid = msgid
        self.params = params
        english = self.msgid if isinstance(self.msgid, str) else self.msgid[1]
        super().__init__(english % params if params else english)


class InvalidInput(KioskError):
    msgid = N_("This value is not valid.")


class NotFound(KioskError):
    msgid = N_("Not found.")


class UnknownCard(KioskError):
    msgid = N_("This card is not recognised. Ask the kiosk volunteer for a new one.")


class CardRevoked(UnknownCard):
    msgid = N_("This card has been replaced by a newer one and no longer works.")


class WrongPin(KioskError):
    msgid = N_("Wrong PIN. Tries left before the account is locked: %(left)d.")


class AccountLocked(KioskError):
    msgid = N_(
        "Too many wrong PINs: this account is locked until %(until)s. "
        "The kiosk volunteer can unlock it sooner."
    )


class NeighbourWrongPin(WrongPin):
    """A wrong PIN typed for someone else than the one logged in (the payer of an exchange)."""

    msgid = Nn_(
        "Wrong PIN for %(name)s. %(left)d more wrong try locks %(name)s's account.",
        "Wrong PIN for %(name)s. %(left)d more wrong tries lock %(name)s's account.",
    )
    count_param = "left"


class NeighbourLocked(AccountLocked):
    msgid = N_(
        "Too many wrong PINs: %(name)s's account is locked until %(until)s. "
        "The kiosk volunteer can unlock it sooner."
    )


class PinEntryPaused(KioskError):
    """Too many wrong PINs across all accounts of this kiosk: every PIN try waits."""

    msgid = N_(
        "Too many wrong PINs on this kiosk: PIN entry is paused until %(until)s. "
        "The kiosk volunteer can resume it sooner."
    )


class NoPin(KioskError):
    msgid = N_("No PIN has been set for this resident yet. Ask the kiosk volunteer.")


class PinToSetAgain(NoPin):
    """The PIN was set under another pepper: this kiosk was restored without its pepper file."""

    msgid = N_("This PIN must be set again on this kiosk. Ask the kiosk volunteer.")


class ResidentNotActive(KioskError):
    msgid = N_("%(name)s cannot exchange: the account is %(status)s.")


class SelfPayment(KioskError):
    msgid = N_("You cannot pay yourself: choose another neighbour.")


class InvalidAmount(KioskError):
    msgid = N_("Enter an amount above zero.")


class AmountTooLarge(KioskError):
    msgid = N_("This amount is larger than the maximum of %(max)s for one exchange.")


class BelowFloor(KioskError):
    msgid = N_("%(name)s would go below the credit floor of %(floor)s.")


class AboveCeiling(KioskError):
    msgid = N_("%(name)s would go above the ceiling of %(ceiling)s.")


class FundsTooLow(KioskError):
    """A system account (a project's fund) would go below zero: it spends only what it holds."""

    msgid = N_("The account “%(label)s” holds %(balance)s: not enough to pay %(amount)s.")


class AccountClosed(KioskError):
    """The resident has moved out: their account, settled to zero, only goes back to zero."""

    msgid = N_("%(name)s has already moved out.")


class AlreadyReversed(KioskError):
    msgid = N_("This transfer has already been reversed.")


class NotReversible(KioskError):
    msgid = N_(
        "Only an exchange can be reversed: record a new exchange instead, or cancel a voucher from the vouchers page."
    )


class PermissionDenied(KioskError):
    msgid = N_("Only a kiosk administrator can do this.")


class SelfDemotion(KioskError):
    msgid = N_("You cannot remove your own administrator access or suspend yourself.")


class NotVerified(KioskError):
    """A pending (or suspended, moved-out) resident tried something only verified ones may do."""

    msgid = N_(
        "Your account is not verified yet: you can look around, but not exchange, post, vote or vouch. Ask two neighbours to vouch for you, or the kiosk volunteer."
    )
