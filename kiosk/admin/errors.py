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


class DeparturePlanChanged(KioskError):
    msgid = N_(
        "What %(name)s leaves open changed since this page was shown: nothing was done. "
        "Read the list again before closing the account."
    )
