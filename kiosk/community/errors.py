"""Typed errors of the community features (verification, notices, alerts, polls, moving out).

Each refusal changes nothing; the web layer shows ``msgid`` translated with ``params``.
"""

from __future__ import annotations

from kiosk.errors import N_, InvalidInput, KioskError, Nn_


class SelfRegistrationClosed(KioskError):
    msgid = N_("Registering at the kiosk is turned off here. Ask the kiosk volunteer.")


class PinsDiffer(KioskError):
    msgid = N_("The two PINs are different. Type the same PIN twice.")


class AlreadyVerified(KioskError):
    msgid = N_("%(name)s is already verified.")


class SelfVouch(KioskError):
    msgid = N_("You cannot vouch for yourself: ask two neighbours.")


class AlreadyVouched(KioskError):
    msgid = N_("%(name)s has already vouched for this newcomer: another neighbour is needed.")


class VoucherNotVerified(KioskError):
    msgid = N_("%(name)s is not verified yet and cannot vouch for a neighbour.")


class SameApartmentVouch(KioskError):
    msgid = N_(
        "A neighbour from the same apartment (%(apartment)s) cannot vouch: ask someone from another apartment."
    )


class WrongMailboxCode(KioskError):
    msgid = N_("This code is not right. Tries left: %(left)d.")


class MailboxCodeUnusable(KioskError):
    msgid = N_(
        "There is no valid code for apartment %(apartment)s: it expired, was already used or was tried too many times. Ask the kiosk volunteer for a new slip."
    )


class ProofMissing(KioskError):
    msgid = N_("Choose which proof of address you saw.")


class NoticeNotFound(KioskError):
    msgid = N_("This notice does not exist.")


class NoticeTooLong(InvalidInput):
    msgid = Nn_("A notice stays at most %(days)d day.", "A notice stays at most %(days)d days.")
    count_param = "days"


class NotYourNotice(KioskError):
    msgid = N_("Only its author or an administrator can withdraw this notice.")


class NoticeAlreadyWithdrawn(KioskError):
    msgid = N_("This notice has already been withdrawn.")


class RemoteNotice(KioskError):
    msgid = N_("This notice comes from %(building)s: it can only be withdrawn there.")


class AlertNotAllowed(KioskError):
    msgid = N_(
        "Only a kiosk administrator can raise an urgent alert here. Call one, or the emergency services: 112."
    )


class AlertNotFound(KioskError):
    msgid = N_("This alert does not exist.")


class AlertAlreadyResolved(KioskError):
    msgid = N_("This alert has already been resolved.")


class PollNotFound(KioskError):
    msgid = N_("This poll does not exist.")


class TooFewOptions(KioskError):
    msgid = N_("A poll needs at least two different answers.")


class PollNotOpen(KioskError):
    msgid = N_("This poll is not open yet: voting starts on %(date)s.")


class PollClosed(KioskError):
    msgid = N_("This poll is closed: votes are no longer accepted.")


class SameVoteAgain(KioskError):
    msgid = N_(
        "You have already voted for this answer. You may choose another one until the poll closes."
    )


class UnknownOption(KioskError):
    msgid = N_("Choose one of the answers.")


class AlreadyMovedOut(KioskError):
    msgid = N_("%(name)s has already moved out.")


class DebtMustBeRepaid(KioskError):
    msgid = N_("%(name)s owes %(amount)s: the debt must be repaid before the account is closed.")


class CannotCloseOwnAccount(KioskError):
    msgid = N_("You cannot close your own account: ask another administrator.")
