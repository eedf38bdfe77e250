"""Why closing a resident's account (moving out) was refused (``KioskError`` subclasses).

Each refusal changes nothing; the web layer shows ``msgid`` translated with ``params``.
"""

from __future__ import annotations

from kiosk.errors import N_, AccountClosed, KioskError


class AlreadyMovedOut(AccountClosed):
    """Closing an account twice (the message is the ledger's, kiosk/errors.py)."""


class DebtMustBeRepaid(KioskError):
    msgid = N_("%(name)s owes %(amount)s: the debt must be repaid before the account is closed.")


class CannotCloseOwnAccount(KioskError):
    msgid = N_("You cannot close your own account: ask another administrator.")


class NotMovedOut(KioskError):
    """Bringing back a resident whose account is open (already brought back: a second tap)."""

    msgid = N_("%(name)s has not moved out: their account is open.")


class BalanceNotSettled(KioskError):
    """A closed account whose balance is not zero (it moved after the departure, e.g. an
    exchange another kiosk recorded before it heard of the departure): settle it first."""

    msgid = N_(
        "The balance of %(name)s is %(amount)s, not zero: a resident comes back with a settled "
        "account. Settle it first on the moving-out page."
    )


class DeparturePlanChanged(KioskError):
    msgid = N_(
        "What %(name)s leaves open changed since this page was shown: nothing was done. "
        "Read the list again before closing the account."
    )
