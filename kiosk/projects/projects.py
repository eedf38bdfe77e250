"""Building projects: a composter, shared wifi, a tool library, a group purchase, an event.

A project has coordinators, members who join and leave, a status (proposed, open, running,
closed), a timeline of updates posted by coordinators, tasks with volunteer sign-up, and its
own CEEC system account ``project:<id>``: members contribute to it, the association may fund
it, and volunteers' hours are paid from it. Every change is a ``building`` event
(kiosk/projects/projections.py); money moves through the ledger (kiosk/ledger/transfers.py).

Tasks and volunteers: kiosk/projects/volunteering.py. The fund: kiosk/projects/fund.py.
Recurring contributions: kiosk/projects/dues.py. Group purchases: kiosk/projects/purchases.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import ids, store
from kiosk import text as text_rules
from kiosk.errors import N_, InvalidInput, NotFound
from kiosk.ledger.transfers import (
    PROJECT_ACCOUNT_PREFIX,
    open_system_account,
)
from kiosk.projects import reads as preads
from kiosk.projects.errors import (
    AlreadyMember,
    LastCoordinator,
    NotCoordinator,
    NotMember,
    ProjectClosed,
)
from kiosk.residents.residents import Resident, require_may_exchange
from kiosk.residents.residents import get as get_resident

KINDS = {
    "group_purchase": N_("Group purchase"),
    "shared_equipment": N_("Shared equipment or subscription"),
    "event": N_("Event"),
    "other": N_("Other project"),
}
STATUSES = {
    "proposed": N_("proposed"),
    "open": N_("open"),
    "running": N_("running"),
    "closed": N_("closed"),
}
TITLE_MAX = 80
TEXT_MAX = 1000


@dataclass(frozen=True)
class Project:
    id: str
    title: str
    description: str
    kind: str
    status: str
    account_id: str
    balance: int
    member_count: int
    created_at: str
    dues_currency: str | None
    dues_amount: int | None
    dues_period: str | None
    dues_payee_id: str | None
    purchase_state: str | None

    @classmethod
    def from_row(cls, row) -> Project:
        return cls(
            id=row["id"],
            title=row["title"],
            description=row["description"],
            kind=row["kind"],
            status=row["status"],
            account_id=row["account_id"],
            balance=row["account_balance"],
            member_count=row["member_count"],
            created_at=row["created_at"],
            dues_currency=row["dues_currency"],
            dues_amount=row["dues_amount"],
            dues_period=row["dues_period"],
            dues_payee_id=row["dues_payee_id"],
            purchase_state=row["purchase_state"],
        )

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    apartment: str


@dataclass(frozen=True)
class Volunteer:
    resident_id: str
    name: str
    apartment: str
    minutes: int | None
    paid: bool


@dataclass(frozen=True)
class Task:
    id: str
    project_id: str
    title: str
    when_label: str
    slots: int
    volunteers: list[Volunteer]

    @property
    def places_left(self) -> int:
        return max(0, self.slots - len(self.volunteers))

    def has(self, resident_id: str) -> bool:
        return any(v.resident_id == resident_id for v in self.volunteers)


def account_id_for(project_id: str) -> str:
    return f"{PROJECT_ACCOUNT_PREFIX}{project_id}"


# --------------------------------------------------------------------------- cleaning


def clean_text(
    text: str | None,
    *,
    required: bool,
    maximum: int = TEXT_MAX,
    empty_msg: str = N_("Write a few words."),
) -> str:
    return text_rules.clean_text(
        text, maximum=maximum, empty=empty_msg if required else None, lines=True
    )


def clean_title(text: str | None) -> str:
    return clean_text(
        text, required=True, maximum=TITLE_MAX, empty_msg=N_("Give the project a title.")
    )


# --------------------------------------------------------------------------- reading


def get(db: Database, project_id: str) -> Project:
    row = preads.project(db, project_id or "")
    if row is None:
        raise NotFound(N_("This project does not exist."))
    return Project.from_row(row)


def all_projects(db: Database, *, include_closed: bool = True) -> list[Project]:
    return [Project.from_row(row) for row in preads.projects(db, include_closed=include_closed)]


def coordinators(db: Database, project_id: str) -> list[Person]:
    return [Person(r["id"], r["name"], r["apartment"]) for r in preads.coordinators(db, project_id)]


def members(db: Database, project_id: str) -> list[Person]:
    return [Person(r["id"], r["name"], r["apartment"]) for r in preads.members(db, project_id)]


def is_member(db: Database, project_id: str, resident_id: str) -> bool:
    return preads.is_member(db, project_id, resident_id)


def can_coordinate(db: Database, project_id: str, resident: Resident) -> bool:
    """Coordinators of the project, and the kiosk's administrators."""
    return resident.is_admin or preads.is_coordinator(db, project_id, resident.id)


def require_coordinator(db: Database, project_id: str, resident_id: str) -> Resident:
    resident = get_resident(db, resident_id)
    if not can_coordinate(db, project_id, resident):
        raise NotCoordinator()
    return resident


def updates(db: Database, project_id: str) -> list:
    return preads.updates(db, project_id)


def tasks(db: Database, project_id: str) -> list[Task]:
    result = []
    for row in preads.tasks(db, project_id):
        volunteers = [
            Volunteer(
                v["resident_id"],
                v["name"],
                v["apartment"],
                v["minutes"],
                v["transfer_id"] is not None,
            )
            for v in preads.volunteers(db, row["id"])
        ]
        result.append(
            Task(
                row["id"],
                row["project_id"],
                row["title"],
                row["when_label"],
                row["slots"],
                volunteers,
            )
        )
    return result


def check_open(project: Project) -> None:
    if project.is_closed:
        raise ProjectClosed()


# --------------------------------------------------------------------------- the project


def propose(db: Database, *, resident_id: str, title: str, description: str, kind: str) -> Project:
    """A resident proposes a project and becomes its first coordinator (and member)."""
    resident = get_resident(db, resident_id)
    require_may_exchange(resident)
    title = clean_title(title)
    description = clean_text(description, required=False)
    if kind not in KINDS:
        raise InvalidInput(N_("Choose what kind of project it is."))
    project_id = ids.uuid7()
    account_id = account_id_for(project_id)
    with store.write(db):
        open_system_account(db, account_id, title)
        store.record(
            db,
            "project.proposed",
            {
                "project_id": project_id,
                "title": title,
                "description": description,
                "kind": kind,
                "account_id": account_id,
                "coordinators": [resident_id],
                "created_by": resident_id,
            },
        )
    return get(db, project_id)


def set_status(db: Database, project_id: str, status: str, *, by: str) -> Project:
    """A coordinator moves the project on: proposed, open, running, closed (closed is final).

    A group purchase's status follows its orders (kiosk/projects/purchases.py).
    """
    if status not in STATUSES:
        raise InvalidInput(N_("Unknown status."))
    with store.write(db):
        require_coordinator(db, project_id, by)
        project = get(db, project_id)
        check_open(project)
        if project.purchase_state is not None:
            raise InvalidInput(
                N_("The status of a group purchase follows its orders and deadline.")
            )
        if status != project.status:
            store.record(db, "project.status_changed", {"project_id": project_id, "status": status})
    return get(db, project_id)


def add_coordinator(db: Database, project_id: str, resident_id: str, *, by: str) -> None:
    with store.write(db):
        require_coordinator(db, project_id, by)
        check_open(get(db, project_id))
        resident = get_resident(db, resident_id)
        require_may_exchange(resident)
        if not preads.is_coordinator(db, project_id, resident_id):
            store.record(
                db,
                "project.coordinator_added",
                {"project_id": project_id, "resident_id": resident_id},
            )


def join(db: Database, project_id: str, resident_id: str) -> None:
    """A resident joins; refused on a closed project and for a member already in."""
    with store.write(db):
        project = get(db, project_id)
        check_open(project)
        resident = get_resident(db, resident_id)
        require_may_exchange(resident)
        if preads.is_member(db, project_id, resident_id):
            raise AlreadyMember()
        store.record(
            db, "project.member_joined", {"project_id": project_id, "resident_id": resident_id}
        )


def leave(db: Database, project_id: str, resident_id: str) -> None:
    with store.write(db):
        get(db, project_id)
        if not preads.is_member(db, project_id, resident_id):
            raise NotMember()
        if preads.is_coordinator(db, project_id, resident_id):
            still = [
                c
                for c in preads.coordinators(db, project_id)
                if c["id"] != resident_id and preads.is_member(db, project_id, c["id"])
            ]
            if not still:
                raise LastCoordinator()
        store.record(
            db, "project.member_left", {"project_id": project_id, "resident_id": resident_id}
        )


def post_update(db: Database, project_id: str, *, by: str, body: str) -> None:
    body = clean_text(body, required=True, empty_msg=N_("Write the news to share."))
    with store.write(db):
        require_coordinator(db, project_id, by)
        check_open(get(db, project_id))
        store.record(
            db, "project.update_posted", {"project_id": project_id, "author_id": by, "body": body}
        )
