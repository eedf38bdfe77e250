"""Why a project or group-purchase operation was refused (each a ``KioskError``, English msgid)."""

from __future__ import annotations

from kiosk.errors import N_, KioskError


class ProjectError(KioskError):
    msgid = N_("This project operation was refused.")


class ProjectClosed(ProjectError):
    msgid = N_("This project is closed: it can no longer be joined or changed.")


class NotCoordinator(ProjectError):
    msgid = N_("Only a coordinator of this project can do this.")


class NotMember(ProjectError):
    msgid = N_("Join the project first.")


class AlreadyMember(ProjectError):
    msgid = N_("You are already a member of this project.")


class LastCoordinator(ProjectError):
    msgid = N_("The last coordinator cannot leave: add another coordinator first.")


class TaskFull(ProjectError):
    msgid = N_("Every place for this task is taken.")


class AlreadySignedUp(ProjectError):
    msgid = N_("%(name)s is already signed up for this task.")


class AlreadyPaid(ProjectError):
    msgid = N_("%(name)s has already been paid for this task.")


class DuesNotSet(ProjectError):
    msgid = N_("This project has no recurring contribution.")


class DuesAlreadyPaid(ProjectError):
    msgid = N_("%(name)s has already paid the contribution for %(period)s.")


class PurchaseError(ProjectError):
    msgid = N_("This group purchase operation was refused.")


class NotAPurchase(PurchaseError):
    msgid = N_("This project is not a group purchase.")


class PurchaseAlreadyOpen(PurchaseError):
    msgid = N_("This group purchase is already open.")


class OrdersClosed(PurchaseError):
    msgid = N_(
        "Orders closed on %(deadline)s: the order cannot be placed, changed or cancelled any more."
    )


class DeadlineInPast(PurchaseError):
    msgid = N_("The order deadline must be in the future.")


class WholeUnitsOnly(PurchaseError):
    msgid = N_("“%(product)s” is sold by whole %(unit)s: type a whole number.")


class BeyondStock(PurchaseError):
    msgid = N_("Only %(left)s of “%(product)s” are left.")


class FeeBelowFloor(PurchaseError):
    msgid = N_(
        "The organiser's fee of %(fee)s would take %(name)s below the credit floor of %(floor)s: "
        "the order cannot be accepted."
    )


class NotConfirmed(PurchaseError):
    msgid = N_("Only a confirmed purchase can be marked distributed.")


class AlreadyDistributed(PurchaseError):
    msgid = N_("This purchase has already been marked distributed.")


class HouseholdAlreadyPaid(PurchaseError):
    msgid = N_("Apartment %(apartment)s is already marked as paid.")


class HouseholdAlreadyPickedUp(PurchaseError):
    msgid = N_("Apartment %(apartment)s is already marked as picked up.")


class NoSuchHousehold(PurchaseError):
    msgid = N_("Apartment %(apartment)s has nothing in this purchase.")
