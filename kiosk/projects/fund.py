"""A project's fund (the system account ``project:<id>``): members contribute to it and the
association may fund it from its common fund (each one transfer, through
kiosk/ledger/transfers.py). Volunteers are paid from it: kiosk/projects/volunteering.py."""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import store
from kiosk.config import Config
from kiosk.errors import PermissionDenied
from kiosk.ledger.transfers import COMMON_FUND_ACCOUNT, record_transfer
from kiosk.projects.projects import check_open, get
from kiosk.residents.residents import get as get_resident


def contribute(db: Database, config: Config, project_id: str, resident_id: str, amount: int) -> str:
    """A member gives CEEC to the project's account (floor rules apply); returns the transfer id."""
    with store.write(db):
        project = get(db, project_id)
        check_open(project)
        resident = get_resident(db, resident_id)
        event = record_transfer(
            db,
            config,
            kind="project_contribution",
            debit_account=resident.account_id,
            credit_account=project.account_id,
            amount=amount,
            recorded_by=resident_id,
            description=project.title,
        )
    return event.id


def fund_from_association(
    db: Database, config: Config, project_id: str, amount: int, *, admin_id: str
) -> str:
    """An administrator funds the project from the association's common fund.

    The common fund is the association's own account: it may go below zero (the association
    vouches for the CEEC it grants), and the ledger still sums to zero.
    """
    admin = get_resident(db, admin_id)
    if not admin.is_admin:
        raise PermissionDenied()
    with store.write(db):
        project = get(db, project_id)
        check_open(project)
        event = record_transfer(
            db,
            config,
            kind="project_contribution",
            debit_account=COMMON_FUND_ACCOUNT,
            credit_account=project.account_id,
            amount=amount,
            recorded_by=admin_id,
            description=project.title,
        )
    return event.id
