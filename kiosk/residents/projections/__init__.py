"""The residents' event types, by topic: people (registration and changes, PINs and cards,
neighbour verification, how to be told: ``people``) and a resident's own devices and what they
asked from home (``devices``). The registry imports this package; each module declares its
types next to their projectors."""

from kiosk.residents.projections import devices, people
from kiosk.residents.projections.people import (
    EMAIL_MAX,
    RESIDENT,
    plausible_contact,
    plausible_email,
    plausible_phone,
    resident_account_id,
)

__all__ = [
    "EMAIL_MAX",
    "RESIDENT",
    "devices",
    "people",
    "plausible_contact",
    "plausible_email",
    "plausible_phone",
    "resident_account_id",
]
