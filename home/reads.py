"""What the home pages gather, by the kiosk's own read functions on the building's replica
(and the hub's ``kiosks`` table for when the building's kiosks last synced)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from kiosk.config import Config
from kiosk.ledger import ledger
from kiosk.projects import projects, purchases
from kiosk.residents.residents import Resident
from kiosk.vouchers import vouchers


@dataclass(frozen=True)
class ProjectView:
    project: projects.Project
    member: bool
    purchase: purchases.Purchase | None
    my_order: dict[str, int]


def projects_for(db: Database, config: Config, resident_id: str) -> list[ProjectView]:
    """Every open project, whether the resident is a member, and its group purchase (with
    the resident's order) if it has one."""
    found = []
    for project in projects.all_projects(db, include_closed=False):
        purchase = (
            purchases.get_purchase(db, project.id)
            if purchases.has_purchase(db, project.id)
            else None
        )
        found.append(
            ProjectView(
                project=project,
                member=projects.is_member(db, project.id, resident_id),
                purchase=purchase,
                my_order=purchases.order_of(db, project.id, resident_id) if purchase else {},
            )
        )
    return found


def papers_of(db: Database, me: Resident) -> dict:
    """The resident's papers that exist: a receipt for each of their transfers (reprinted at
    the kiosk by its reference) and the vouchers they issued."""
    return {
        "transfers": ledger.latest_lines(db, me, limit=200),
        "vouchers": vouchers.vouchers_of(db, me.id),
    }
