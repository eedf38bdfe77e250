"""What an exchange is about: the building's categories, with translatable labels."""

from __future__ import annotations

from kiosk.errors import N_

CATEGORIES: dict[str, str] = {
    "diy": N_("DIY and small plumbing"),
    "sewing": N_("Sewing"),
    "haircut": N_("Haircut"),
    "school": N_("School support"),
    "moving": N_("Moving help"),
    "computer": N_("Computer help"),
    "childcare": N_("Childcare"),
    "pets": N_("Pet care"),
    "plants": N_("Plant watering"),
    "cooking": N_("Cooking"),
    "transport": N_("Transport"),
    "other": N_("Other"),
}
