"""Why closing a resident's account (moving out) was refused (``KioskError`` subclasses).

Each refusal changes nothing; the web layer shows ``msgid`` translated with ``params``.
"""

from __future__ import annotations

from kiosk.errors import N_, KioskError


class AlreadyMovedOut(KioskError):
    msgid = N_("%(name)s has already moved out.")


class DebtMustBeRepaid(KioskError):
    msgid = N_("%(name)s owes %(amount)s: the debt must be repaid before the account is closed.")


class CannotCloseOwnAccount(KioskError):
    msgid = N_("You cannot close your own account: ask another administrator.")
