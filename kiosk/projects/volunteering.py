"""A project's tasks and their volunteers: coordinators add tasks, members sign up and
withdraw, and a volunteer's hours are paid from the project's fund (one transfer, through
kiosk/ledger/transfers.py)."""

from __future__ import annotations

from sqlite_utils import Database

from kiosk import ids, store
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, NotFound
from kiosk.ledger.transfers import record_transfer
from kiosk.money import minutes_to_amount
from kiosk.projects import reads as preads
from kiosk.projects.errors import AlreadyPaid, AlreadySignedUp, TaskFull
from kiosk.projects.projects import TITLE_MAX, check_open, clean_text, get, require_coordinator
from kiosk.residents.residents import get as get_resident
from kiosk.residents.residents import require_may_exchange


def add_task(
    db: Database, project_id: str, *, by: str, title: str, when_label: str, slots: int
) -> str:
    title = clean_text(
        title, required=True, maximum=TITLE_MAX, empty_msg=N_("Say what the task is.")
    )
    when_label = clean_text(when_label, required=False, maximum=TITLE_MAX)
    if not isinstance(slots, int) or not 1 <= slots <= 50:
        raise InvalidInput(N_("A task has 1 to 50 places."))
    task_id = ids.uuid7()
    with store.write(db):
        require_coordinator(db, project_id, by)
        check_open(get(db, project_id))
        store.record(
            db,
            "project.task_added",
            {
                "project_id": project_id,
                "task_id": task_id,
                "title": title,
                "when_label": when_label,
                "slots": slots,
            },
        )
    return task_id


def _task(db: Database, task_id: str):
    row = preads.task(db, task_id or "")
    if row is None:
        raise NotFound(N_("This task does not exist."))
    return row


def sign_up(db: Database, task_id: str, resident_id: str) -> None:
    """A resident volunteers for a task (joining the project if needed)."""
    with store.write(db):
        task = _task(db, task_id)
        check_open(get(db, task["project_id"]))
        resident = get_resident(db, resident_id)
        require_may_exchange(resident)
        if preads.volunteer(db, task_id, resident_id) is not None:
            raise AlreadySignedUp(name=resident.name)
        if len(preads.volunteers(db, task_id)) >= task["slots"]:
            raise TaskFull()
        if not preads.is_member(db, task["project_id"], resident_id):
            store.record(
                db,
                "project.member_joined",
                {"project_id": task["project_id"], "resident_id": resident_id},
            )
        store.record(db, "project.task_signed_up", {"task_id": task_id, "resident_id": resident_id})


def withdraw(db: Database, task_id: str, resident_id: str) -> None:
    with store.write(db):
        _task(db, task_id)
        row = preads.volunteer(db, task_id, resident_id)
        if row is None:
            raise NotFound(N_("You are not signed up for this task."))
        if row["transfer_id"]:
            raise AlreadyPaid(name=get_resident(db, resident_id).name)
        store.record(db, "project.task_withdrawn", {"task_id": task_id, "resident_id": resident_id})


def pay_volunteer(
    db: Database, config: Config, task_id: str, resident_id: str, *, minutes: int, by: str
) -> str:
    """A coordinator pays a volunteer's hours from the project's account; returns the transfer id."""
    if not isinstance(minutes, int) or minutes <= 0:
        raise InvalidInput(N_("Enter a duration above zero."))
    amount = minutes_to_amount(minutes, config["currency"]["units_per_hour"])
    with store.write(db):
        task = _task(db, task_id)
        project = get(db, task["project_id"])
        require_coordinator(db, project.id, by)
        row = preads.volunteer(db, task_id, resident_id)
        resident = get_resident(db, resident_id)
        if row is None:
            raise NotFound(N_("This resident is not signed up for this task."))
        if row["transfer_id"]:
            raise AlreadyPaid(name=resident.name)
        event = record_transfer(
            db,
            config,
            kind="project_payment",
            debit_account=project.account_id,
            credit_account=resident.account_id,
            amount=amount,
            minutes=minutes,
            recorded_by=by,
            description=f"{project.title}: {task['title']}",
        )
        store.record(
            db,
            "project.volunteer_paid",
            {
                "task_id": task_id,
                "resident_id": resident_id,
                "minutes": minutes,
                "transfer_id": event.id,
            },
        )
    return event.id
