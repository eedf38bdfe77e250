"""The accounts that belong to no resident, and the one way a screen or paper names an account.

An account's stored label (``account.opened``) is data: the English msgid of a system account,
or a project's title. A resident never reads it as it is: ``account_name`` gives the words of
the reader's language ("Bons en circulation", "Fonds commun", "Projet « Composteur »").
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.errors import N_

CIRCULATION_ACCOUNT = "system:vouchers"  # the value of the vouchers on paper
COMMON_FUND_ACCOUNT = "system:common_fund"  # the association's fund
LOSS_FUND_ACCOUNT = "system:loss_fund"  # pays a voucher settled twice (kiosk/vouchers/conflicts.py)
SYSTEM_ACCOUNTS = {
    CIRCULATION_ACCOUNT: N_("Vouchers in circulation"),
    COMMON_FUND_ACCOUNT: N_("Common fund"),
    LOSS_FUND_ACCOUNT: N_("Loss fund"),
}
PROJECT_ACCOUNT_PREFIX = "project:"  # "project:<id>", labelled with the project's title


def account_name(account_id: str, name: str, gettext: Callable[[str], str]) -> str:
    """What a reader sees for an account: ``name`` (a resident's name, or the stored label)
    for a resident; the translated name of a system account; "Project “<title>”" for a
    project's fund. ``gettext`` translates a msgid into the reader's language."""
    if account_id in SYSTEM_ACCOUNTS:
        return gettext(SYSTEM_ACCOUNTS[account_id])
    if account_id.startswith(PROJECT_ACCOUNT_PREFIX):
        return gettext(N_("Project “%(title)s”")) % {"title": name}
    return name
