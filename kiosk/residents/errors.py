"""Why joining the building or being verified was refused (``KioskError`` subclasses).

Each refusal changes nothing; the web layer shows ``msgid`` translated with ``params``.
"""

from __future__ import annotations

from kiosk.errors import N_, KioskError, Nn_


class SelfRegistrationClosed(KioskError):
    msgid = N_("Registering at the kiosk is turned off here. Ask the kiosk volunteer.")


class NameTakenAtApartment(KioskError):
    msgid = N_(
        "Someone named %(name)s already has an account at %(apartment)s. If it is you, log in "
        "with your PIN; otherwise ask the kiosk volunteer."
    )


class TooManyPendingAtApartment(KioskError):
    msgid = Nn_(
        "%(apartment)s already has %(count)d newcomer waiting to be verified. Ask the kiosk "
        "volunteer.",
        "%(apartment)s already has %(count)d newcomers waiting to be verified. Ask the kiosk "
        "volunteer.",
    )


class TooManyJoins(KioskError):
    msgid = N_(
        "Many newcomers registered at this kiosk in the last hour: try again later, or ask the "
        "kiosk volunteer."
    )


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
    """Whose tries: the slip of the apartment, not a resident's PIN."""

    msgid = Nn_(
        "This is not the code of the slip for apartment %(apartment)s. %(left)d more try is allowed for this slip.",
        "This is not the code of the slip for apartment %(apartment)s. %(left)d more tries are allowed for this slip.",
    )
    count_param = "left"


class MailboxCodeUnusable(KioskError):
    msgid = N_(
        "There is no valid code for apartment %(apartment)s: it expired, was already used or was tried too many times. Ask the kiosk volunteer for a new slip."
    )


class ProofMissing(KioskError):
    msgid = N_("Choose which proof of address you saw.")


class AccountMovedOut(KioskError):
    """A moved-out resident tries to log in (card, name, PIN): the account is closed, and the
    words say since when (``date``: the day of the departure, in the building's time zone)."""

    msgid = N_("This account is closed: moved out of the building on %(date)s.")


class AccountSuspended(KioskError):
    msgid = N_("This account is suspended. Ask the kiosk volunteer.")


class StatusOfMovedOut(KioskError):
    """An ordinary edit (the admin's form, an update) tried to change a moved-out resident's
    status: only the explicit bring-back may reopen the account."""

    msgid = N_(
        "%(name)s has moved out: their status cannot be changed here. To reopen the account, "
        "use “Bring this resident back” on the moving-out page."
    )


class PairingNeedsHub(KioskError):
    msgid = N_(
        "Linking a phone needs the building's network hub, and this kiosk is not connected to "
        "one. Ask the kiosk volunteer."
    )


class TooManyDevices(KioskError):
    msgid = N_("You already have %(max)d linked devices: remove one before linking another.")


class DevicesClosed(KioskError):
    """A suspended or moved-out resident: no device may be linked or act for them."""

    msgid = N_("The account of %(name)s is %(status)s: no device can act for it.")


class DeviceNotFound(KioskError):
    msgid = N_("This device is not linked to the account any more.")


class PairingRefused(KioskError):
    """A pairing request the kiosk cannot take (``msgid`` says why; the phone shows it). The
    first two are the words the hub accepts for a pairing the kiosk does not answer with an
    event (sync/hub/home_requests.DISMISS_MESSAGES): no stranger's junk enters the log."""

    msgid = N_("This pairing code is unknown or was already used.")


PAIRING_EXPIRED = N_("This pairing code has expired: make a new one at the kiosk.")
PAIRING_TAKEN = N_("This device is already linked to another account.")
# What a request from home is refused with when it cannot be taken (sync/home_inbox.py); the
# home site shows these words translated.
NOT_PAIRED = N_("This device is not paired with the kiosk any more.")
BAD_SIGNATURE = N_(
    "This request was changed after it was signed, or signed by another device: it was not applied."
)
UNKNOWN_ACTION = N_("This kiosk cannot do this yet.")
