"""Typed errors of the community features: notices, alerts, polls.

Each refusal changes nothing; the web layer shows ``msgid`` translated with ``params``.
"""

from __future__ import annotations

from kiosk.errors import N_, InvalidInput, KioskError, Nn_


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
