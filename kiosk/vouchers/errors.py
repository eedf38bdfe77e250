"""Why a voucher operation was refused (each a ``KioskError`` with an English msgid)."""

from __future__ import annotations

from kiosk.errors import N_, KioskError, Nn_


class VoucherError(KioskError):
    msgid = N_("This voucher cannot be used.")


class PrinterNotReadyForVouchers(VoucherError):
    msgid = N_(
        "Vouchers cannot be issued while the printer is out of paper or offline. "
        "Nothing was taken from your account."
    )


class ClockWrong(VoucherError):
    msgid = N_(
        "The kiosk's clock says %(date)s, which cannot be right: vouchers cannot be issued "
        "until the volunteer sets the date. Nothing was taken from your account."
    )


class NoVoucherChosen(VoucherError):
    msgid = N_("Choose how many vouchers of each value you want.")


class BalanceTooLow(VoucherError):
    msgid = N_(
        "Vouchers are issued from a positive balance: %(total)s of vouchers is more "
        "than your balance of %(balance)s."
    )


class TooManyOutstanding(VoucherError):
    msgid = Nn_(
        "At most %(max)d of your vouchers can be in circulation at once (you have %(count)d).",
        "At most %(max)d of your vouchers can be in circulation at once (you have %(count)d).",
    )
    count_param = "max"


class OutstandingTooLarge(VoucherError):
    msgid = N_("Your vouchers in circulation can total at most %(max)s (you have %(total)s).")


class MalformedVoucher(VoucherError):
    msgid = N_(
        "This code cannot be read as a voucher. Type the voucher code printed under the QR code: "
        "the voucher's number, then three groups of five letters and figures."
    )


class TypoInCode(VoucherError):
    msgid = N_(
        "One letter or figure of this code is wrong (its last character does not match). "
        "Check the code against the paper and type it again."
    )


class IncompleteCode(VoucherError):
    msgid = N_(
        "This is only the voucher's number. Type the whole voucher code printed under the QR code: "
        "the number, then three groups of five letters and figures."
    )


class WrongSecret(VoucherError):
    msgid = N_(
        "This code does not match voucher %(serial)s: only the code printed on its paper "
        "redeems it. Check every letter and figure, or scan the QR code. Nothing was credited."
    )


class OldVoucher(VoucherError):
    msgid = N_(
        "Voucher %(serial)s was printed before vouchers had a secret code: it is redeemed only "
        "with the volunteer, who checks the paper. Nothing was credited."
    )


class ForgedVoucher(VoucherError):
    msgid = N_(
        "This voucher is not genuine: its signature does not match (forged or altered). "
        "Nothing was credited."
    )


class UnknownIssuerKey(VoucherError):
    msgid = N_(
        "This voucher comes from kiosk %(origin)s, whose key this kiosk does not know "
        "yet. Try again after the next synchronisation."
    )


class UnknownVoucher(VoucherError):
    msgid = N_("No voucher with this code is known at this kiosk. Scan its QR code instead.")


class ExpiredVoucher(VoucherError):
    msgid = N_("This voucher expired on %(day)s. An administrator may still honour it.")


class AlreadyRedeemed(VoucherError):
    msgid = N_("This voucher was already redeemed on %(when)s at %(where)s.")


class CancelledVoucher(VoucherError):
    msgid = N_("This voucher was cancelled on %(when)s: it is worth nothing now.")


class VoucherNotCancellable(VoucherError):
    msgid = N_("This voucher may already be on paper: report it lost to an administrator.")


class NotExpired(VoucherError):
    msgid = N_("This voucher has not expired yet.")


class ForeignVoucher(VoucherError):
    msgid = N_("This voucher was issued in another building: only its building can cancel it.")
