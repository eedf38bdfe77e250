"""Building projects: proposing, members, news, tasks with volunteers paid from the project's
own account, the association's funding, and recurring contributions in euros or CEEC."""

from __future__ import annotations

import pytest

from kiosk import clock, store
from kiosk.errors import BelowFloor, FundsTooLow, InvalidInput, KioskError, PermissionDenied
from kiosk.ledger import ledger, transfers
from kiosk.projects import dues as project_dues
from kiosk.projects import fund as project_fund
from kiosk.projects import projects, volunteering
from kiosk.projects.errors import (
    AlreadyMember,
    AlreadyPaid,
    DuesAlreadyPaid,
    LastCoordinator,
    NotCoordinator,
    ProjectClosed,
    TaskFull,
)
from kiosk.residents import residents
from kiosk.store import reads


def composter(db, building):
    return projects.propose(
        db,
        resident_id=building.jeanne.id,
        title="Composteur collectif",
        description="Un bac dans la cour",
        kind="shared_equipment",
    )


def balance(db, resident):
    return residents.get(db, resident.id).balance


def test_a_proposed_project_has_its_coordinator_as_member_and_its_own_empty_account(db, building):
    project = composter(db, building)
    assert project.status == "proposed" and project.balance == 0
    assert project.account_id == f"project:{project.id}"
    assert [c.name for c in projects.coordinators(db, project.id)] == ["Jeanne Martin"]
    assert [m.name for m in projects.members(db, project.id)] == ["Jeanne Martin"]


def test_residents_join_and_leave_and_the_last_coordinator_stays(db, building):
    project = composter(db, building)
    projects.join(db, project.id, building.paul.id)
    with pytest.raises(AlreadyMember):
        projects.join(db, project.id, building.paul.id)
    projects.leave(db, project.id, building.paul.id)
    projects.join(db, project.id, building.paul.id)  # back again
    assert projects.get(db, project.id).member_count == 2
    with pytest.raises(LastCoordinator):
        projects.leave(db, project.id, building.jeanne.id)


def test_joining_a_closed_project_is_refused_and_changes_nothing(db, building):
    project = composter(db, building)
    projects.set_status(db, project.id, "closed", by=building.jeanne.id)
    before = store.projection_snapshot(db)
    with pytest.raises(ProjectClosed):
        projects.join(db, project.id, building.paul.id)
    with pytest.raises(ProjectClosed):
        projects.set_status(db, project.id, "open", by=building.jeanne.id)
    assert store.projection_snapshot(db) == before


def test_only_coordinators_and_admins_post_news_and_change_the_status(db, building):
    project = composter(db, building)
    with pytest.raises(NotCoordinator):
        projects.post_update(db, project.id, by=building.paul.id, body="Coucou")
    projects.post_update(db, project.id, by=building.jeanne.id, body="Le bac arrive lundi")
    projects.set_status(db, project.id, "open", by=building.admin.id)
    assert [u["body"] for u in projects.updates(db, project.id)] == ["Le bac arrive lundi"]
    assert projects.get(db, project.id).status == "open"
    with pytest.raises(InvalidInput):
        projects.post_update(db, project.id, by=building.jeanne.id, body="   ")


def test_a_turning_rota_fills_up_and_a_volunteer_is_paid_from_the_project_account(
    db, config, building
):
    project = composter(db, building)
    task_id = volunteering.add_task(
        db,
        project.id,
        by=building.jeanne.id,
        title="Retourner le compost",
        when_label="semaine 48",
        slots=1,
    )
    volunteering.sign_up(db, task_id, building.paul.id)  # joins the project too
    assert projects.is_member(db, project.id, building.paul.id)
    with pytest.raises(TaskFull):
        volunteering.sign_up(db, task_id, building.admin.id)
    # the project's account is empty: nothing can be paid yet
    with pytest.raises(FundsTooLow):
        volunteering.pay_volunteer(
            db, config, task_id, building.paul.id, minutes=60, by=building.jeanne.id
        )
    project_fund.contribute(db, config, project.id, building.jeanne.id, 1500)
    volunteering.pay_volunteer(
        db, config, task_id, building.paul.id, minutes=60, by=building.jeanne.id
    )
    assert balance(db, building.paul) == 1000
    assert projects.get(db, project.id).balance == 500
    with pytest.raises(AlreadyPaid):
        volunteering.pay_volunteer(
            db, config, task_id, building.paul.id, minutes=60, by=building.jeanne.id
        )
    with pytest.raises(AlreadyPaid):
        volunteering.withdraw(db, task_id, building.paul.id)
    assert reads.balances_sum(db) == 0


def test_a_contribution_keeps_to_the_credit_floor(db, config, building):
    project = composter(db, building)
    with pytest.raises(BelowFloor):
        project_fund.contribute(
            db, config, project.id, building.paul.id, config.amount("credit_floor") * -1 + 1
        )
    assert balance(db, building.paul) == 0


def test_the_association_funds_a_project_from_its_common_fund(db, config, building):
    project = composter(db, building)
    with pytest.raises(PermissionDenied):
        project_fund.fund_from_association(db, config, project.id, 5000, admin_id=building.paul.id)
    project_fund.fund_from_association(db, config, project.id, 5000, admin_id=building.admin.id)
    assert projects.get(db, project.id).balance == 5000
    assert reads.account_balance(db, transfers.COMMON_FUND_ACCOUNT) == -5000
    assert reads.balances_sum(db) == 0


def test_a_wifi_bill_in_euros_is_shared_and_each_share_marked_paid_once(db, config, building):
    project = projects.propose(
        db,
        resident_id=building.paul.id,
        title="Wifi partagé",
        description="",
        kind="shared_equipment",
    )
    projects.join(db, project.id, building.jeanne.id)
    projects.join(db, project.id, building.admin.id)
    project_dues.set_dues(
        db,
        project.id,
        by=building.paul.id,
        currency="eur",
        amount=3001,
        period="month",
        payee_id=building.paul.id,
    )
    period = project_dues.current_period(config, "month")
    shares = project_dues.shares(db, project.id, period)
    assert [s.amount for s in shares] == [1001, 1000, 1000]  # adds up to the bill
    with pytest.raises(NotCoordinator):
        project_dues.mark_euro_share_paid(
            db, config, project.id, building.jeanne.id, by=building.jeanne.id
        )
    project_dues.mark_euro_share_paid(
        db, config, project.id, building.jeanne.id, by=building.paul.id
    )
    with pytest.raises(DuesAlreadyPaid):
        project_dues.mark_euro_share_paid(
            db, config, project.id, building.jeanne.id, by=building.paul.id
        )
    payload = project_dues.paid_list_payload(db, config, project.id)
    assert [(m["name"], m["paid"]) for m in payload["members"]] == [
        ("Paul Durand", False),
        ("Jeanne Martin", True),
        ("Claire Petit", False),
    ]
    assert reads.balances_sum(db) == 0 and balance(db, building.paul) == 0  # euros never touch CEEC


def test_a_composter_contribution_in_ceec_goes_to_the_project_account_once_per_period(
    db, config, building
):
    project = composter(db, building)
    projects.join(db, project.id, building.paul.id)
    project_dues.set_dues(
        db,
        project.id,
        by=building.jeanne.id,
        currency="ceec",
        amount=300,
        period="quarter",
        payee_id=None,
    )
    project_dues.pay_ceec_share(db, config, project.id, building.paul.id)
    assert balance(db, building.paul) == -150
    assert projects.get(db, project.id).balance == 150
    with pytest.raises(DuesAlreadyPaid):
        project_dues.pay_ceec_share(db, config, project.id, building.paul.id)
    clock.shift(100 * 86400)  # next quarter: a new share is due
    project_dues.pay_ceec_share(db, config, project.id, building.paul.id)
    assert balance(db, building.paul) == -300


@pytest.mark.parametrize(("total", "count"), [(3001, 3), (1, 4), (999, 7), (100, 1)])
def test_shares_always_add_up_to_the_bill(total, count):
    shares = project_dues.split(total, count)
    assert sum(shares) == total and max(shares) - min(shares) <= 1


@pytest.mark.parametrize(
    ("kind", "title"), [("garden", "Potager"), ("other", ""), ("other", "x" * 81)]
)
def test_bad_project_proposals_are_refused(db, building, kind, title):
    with pytest.raises(KioskError):
        projects.propose(db, resident_id=building.jeanne.id, title=title, description="", kind=kind)
    assert projects.all_projects(db) == []


def test_a_pending_resident_cannot_propose_or_join(db, building):
    project = composter(db, building)
    with pytest.raises(KioskError):
        projects.propose(
            db, resident_id=building.pending.id, title="Fête", description="", kind="event"
        )
    with pytest.raises(KioskError):
        projects.join(db, project.id, building.pending.id)


def test_project_transfers_show_on_the_statement_with_the_project_as_counterparty(
    db, config, building
):
    project = composter(db, building)
    project_fund.contribute(db, config, project.id, building.paul.id, 500)
    [line] = ledger.statement(db, config, building.paul.id).lines
    assert line.signed_amount == -500 and line.counterparty_name == "Composteur collectif"
