"""Why a board, payment request or loan operation was refused (``KioskError`` subclasses)."""

from __future__ import annotations

from kiosk.errors import N_, InvalidInput, KioskError, NotFound


class PostNotFound(NotFound):
    msgid = N_("This post does not exist.")


class PostNotActive(KioskError):
    msgid = N_("This post has been withdrawn or has ended.")


class EndDateInPast(InvalidInput):
    msgid = N_("The end date is already past: choose a later date, or no end.")


class OwnPost(KioskError):
    msgid = N_("This is your own post: you cannot answer it.")


class RemotePost(KioskError):
    msgid = N_("This post is from another building: answer it at the kiosk of %(building)s.")


class NotYourPost(KioskError):
    msgid = N_("Only the person who posted it or an administrator can withdraw this post.")


class NotAHelper(KioskError):
    msgid = N_("Only an administrator or a super neighbour can post for another resident.")


class RequestNotFound(NotFound):
    msgid = N_("This payment request does not exist.")


class RequestAlreadyDecided(KioskError):
    msgid = N_("This payment request has already been answered: nothing was changed.")


class RequestCancelled(KioskError):
    msgid = N_("This payment request was cancelled: %(reason)s Nothing was paid.")


class RequestExpired(KioskError):
    msgid = N_("This payment request has expired: ask your neighbour to send a new one.")


class NotYourRequest(KioskError):
    msgid = N_("Only the neighbour asked to pay can answer this request.")


class NotYourRequestToWithdraw(KioskError):
    msgid = N_("Only the neighbour who sent this request can withdraw it.")


class RequestWithdrawn(KioskError):
    msgid = N_("%(name)s withdrew this payment request: nothing can be paid.")


class RequestPartyMovedOut(KioskError):
    msgid = N_("%(name)s has moved out: this payment request is closed and nothing can be paid.")


class LoanNotFound(NotFound):
    msgid = N_("This loan does not exist.")


class LoanAlreadyReturned(KioskError):
    msgid = N_("This item has already been marked as returned.")


class NotTheLender(KioskError):
    msgid = N_("Only the lender or an administrator can mark this item as returned.")


class MessageNotFound(NotFound):
    msgid = N_("This message does not exist.")
