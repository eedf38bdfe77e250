"""Building projects: the list, proposing one, its page (members, news, tasks, its CEEC account,
a recurring contribution) and its printed sheets. Group purchases: kiosk/web/purchases.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from kiosk.errors import N_, InvalidInput, KioskError
from kiosk.money import parse_amount, parse_duration
from kiosk.projects import dues as project_dues
from kiosk.projects import fund as project_fund
from kiosk.projects import project_sheet, projects, purchase_reports, volunteering
from kiosk.projects import purchases as group_purchases
from kiosk.projects import reads as project_reads
from kiosk.projects.purchase_numbers import parse_euros
from kiosk.projects.views_purchases import savings_chart
from kiosk.residents import residents
from kiosk.store import write
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext
from kiosk.web.session_state import current_resident, db, login_required
from printing import queue as print_queue

bp = Blueprint("projects", __name__, template_folder="templates", url_prefix="/projects")


def _back(project_id: str):
    return redirect(url_for("projects.show", project_id=project_id))


def _done(project_id: str, message: str):
    flash(message, "success")
    return _back(project_id)


def _refused(project_id: str, exc: KioskError):
    flash(error_message(exc), "error")
    return _back(project_id)


def _once(project_id: str, work, message: str):
    """``work`` recorded once for this form (kiosk/web/once.py), then the project's page."""
    return once.record_flashing(work, url_for("projects.show", project_id=project_id), message)


@bp.get("/")
@login_required
def home():
    if request.args.get("closed"):
        items = [p for p in projects.all_projects(db()) if p.is_closed]
    else:
        items = projects.all_projects(db(), include_closed=False)
        # A purchase past its deadline shows its outcome even before the job runs.
        if any(p.purchase_state == "open" for p in items):
            group_purchases.close_due_purchases(db())
            items = projects.all_projects(db(), include_closed=False)
    return render_template(
        "projects/list.html",
        projects=items,
        kinds=projects.KINDS,
        statuses=projects.STATUSES,
        showing_closed=bool(request.args.get("closed")),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
@once.guarded
def new():
    form = request.form if request.method == "POST" else request.args
    error = None
    if request.method == "POST":

        def propose_it() -> str:
            project = projects.propose(
                db(),
                resident_id=current_resident().id,
                title=form.get("title"),
                description=form.get("description"),
                kind=form.get("kind", ""),
            )
            if project.kind == "group_purchase":
                return url_for("purchases.setup", project_id=project.id)
            flash(gettext("Your project is proposed. Neighbours can join it now."), "success")
            return url_for("projects.show", project_id=project.id)

        try:
            return once.record(propose_it)
        except KioskError as exc:
            error = error_message(exc)
    return render_template("projects/new.html", form=form, error=error, kinds=projects.KINDS), (
        400 if error else 200
    )


@bp.get("/<project_id>")
@login_required
def show(project_id: str):
    me = current_resident()
    project = projects.get(db(), project_id)
    purchase = None
    if group_purchases.has_purchase(db(), project_id):
        purchase = group_purchases.get_purchase(db(), project_id)
        project = projects.get(db(), project_id)
    dues = None
    if project.dues_currency:
        period = project_dues.current_period(g.config, project.dues_period)
        shares = project_dues.shares(db(), project_id, period)
        dues = {
            "period": period,
            "shares": shares,
            "mine": next((s for s in shares if s.member.id == me.id), None),
            "payee": residents.get(db(), project.dues_payee_id) if project.dues_payee_id else None,
        }
    purchase_view = None
    if purchase is not None:
        purchase_view = _purchase_view(purchase, me)
    return render_template(
        "projects/show.html",
        project=project,
        kinds=projects.KINDS,
        statuses=projects.STATUSES,
        coordinators=projects.coordinators(db(), project_id),
        members=projects.members(db(), project_id),
        updates=projects.updates(db(), project_id),
        tasks=projects.tasks(db(), project_id),
        is_member=projects.is_member(db(), project_id, me.id),
        can_coordinate=projects.can_coordinate(db(), project_id, me),
        dues=dues,
        periods=project_dues.PERIODS,
        purchase=purchase,
        pv=purchase_view,
    )


def _purchase_view(purchase, me) -> dict:

    total, ordered = group_purchases.totals(db(), purchase.project_id)
    mine = group_purchases.order_of(db(), purchase.project_id, me.id)
    products = {p.id: p for p in purchase.products}
    my_total = sum(
        group_purchases.line_amount(q, products[pid].unit_price) for pid, q in mine.items()
    )
    chart = None
    if purchase_reports.has_retail_prices(purchase) and total:
        per_household, saved = purchase_reports.savings(db(), purchase)
        chart = {"svg": savings_chart(per_household, saved), "rows": per_household, "total": saved}
    return {
        "total": total,
        "ordered": ordered,
        "mine": mine,
        "my_total": my_total,
        "minimum_met": group_purchases.minimum_met(purchase, total, ordered),
        "fee": group_purchases.fee_for(db(), purchase, me.id),
        "can_manage": group_purchases.can_manage(db(), purchase, me),
        "chart": chart,
    }


@bp.post("/<project_id>/join")
@login_required
@once.guarded
def join(project_id: str):
    def work():
        projects.join(db(), project_id, current_resident().id)

    return _once(project_id, work, gettext("Welcome to the project!"))


@bp.post("/<project_id>/leave")
@login_required
@once.guarded
def leave(project_id: str):
    def work():
        projects.leave(db(), project_id, current_resident().id)

    return _once(project_id, work, gettext("You have left the project."))


@bp.post("/<project_id>/status")
@login_required
@once.guarded
def status(project_id: str):
    def work():
        projects.set_status(
            db(), project_id, request.form.get("status", ""), by=current_resident().id
        )

    return _once(project_id, work, gettext("The project's status was changed."))


@bp.post("/<project_id>/updates")
@login_required
@once.guarded
def post_update(project_id: str):
    def work():
        projects.post_update(
            db(), project_id, by=current_resident().id, body=request.form.get("body")
        )

    return _once(project_id, work, gettext("Your news was posted."))


def _whole_number(text: str | None, *, default: int | None = None) -> int:
    value = (text or "").strip()
    if not value and default is not None:
        return default
    if not value.isdigit() or len(value) > 4:
        raise InvalidInput(N_("Type a whole number."))
    return int(value)


@bp.post("/<project_id>/tasks")
@login_required
@once.guarded
def add_task(project_id: str):
    def work():
        volunteering.add_task(
            db(),
            project_id,
            by=current_resident().id,
            title=request.form.get("title"),
            when_label=request.form.get("when_label"),
            slots=_whole_number(request.form.get("slots"), default=1),
        )

    return _once(project_id, work, gettext("The task was added."))


def _task_project(task_id: str) -> str:

    row = project_reads.task(db(), task_id)
    if row is None:
        abort(404)
    return row["project_id"]


@bp.post("/tasks/<task_id>/signup")
@login_required
@once.guarded
def sign_up(task_id: str):
    project_id = _task_project(task_id)

    def work():
        volunteering.sign_up(db(), task_id, current_resident().id)

    return _once(project_id, work, gettext("Thank you! You are signed up."))


@bp.post("/tasks/<task_id>/withdraw")
@login_required
@once.guarded
def withdraw(task_id: str):
    project_id = _task_project(task_id)

    def work():
        volunteering.withdraw(db(), task_id, current_resident().id)

    return _once(project_id, work, gettext("You are no longer signed up for this task."))


@bp.post("/tasks/<task_id>/pay")
@login_required
@once.guarded
def pay_volunteer(task_id: str):
    project_id = _task_project(task_id)

    def work():
        minutes = parse_duration(request.form.get("hours"), request.form.get("minutes"))
        volunteering.pay_volunteer(
            db(),
            g.config,
            task_id,
            request.form.get("resident_id", ""),
            minutes=minutes,
            by=current_resident().id,
        )

    return _once(project_id, work, gettext("The volunteer was paid from the project's account."))


@bp.post("/<project_id>/contribute")
@login_required
@once.guarded
def contribute(project_id: str):
    def work():
        amount = parse_amount(request.form.get("amount"))
        project_fund.contribute(db(), g.config, project_id, current_resident().id, amount)

    return _once(project_id, work, gettext("Thank you for your contribution to the project."))


@bp.post("/<project_id>/fund")
@login_required
@once.guarded
def fund(project_id: str):
    def work():
        amount = parse_amount(request.form.get("amount"))
        project_fund.fund_from_association(
            db(), g.config, project_id, amount, admin_id=current_resident().id
        )

    return _once(project_id, work, gettext("The association funded the project."))


@bp.post("/<project_id>/dues")
@login_required
@once.guarded
def set_dues(project_id: str):
    form = request.form

    def work():
        currency = form.get("currency", "")
        if currency == "eur":
            amount = parse_euros(form.get("amount"), what=gettext("contribution"))
        else:
            amount = parse_amount(form.get("amount"))
        project_dues.set_dues(
            db(),
            project_id,
            by=current_resident().id,
            currency=currency,
            amount=amount,
            period=form.get("period", ""),
            payee_id=form.get("payee_id") or None,
        )

    return _once(
        project_id, work, gettext("The contribution was set. Each member sees their share.")
    )


@bp.post("/<project_id>/dues/pay")
@login_required
@once.guarded
def pay_dues(project_id: str):
    def work():
        project_dues.pay_ceec_share(db(), g.config, project_id, current_resident().id)

    return _once(project_id, work, gettext("Your share was paid to the project's account."))


@bp.post("/<project_id>/dues/mark")
@login_required
@once.guarded
def mark_dues(project_id: str):
    def work():
        project_dues.mark_euro_share_paid(
            db(),
            g.config,
            project_id,
            request.form.get("resident_id", ""),
            by=current_resident().id,
        )

    return _once(project_id, work, gettext("The payment was marked."))


@bp.post("/<project_id>/dues/print")
@login_required
def print_dues(project_id: str):

    try:
        payload = project_dues.paid_list_payload(db(), g.config, project_id)
        with write(db()):
            print_queue.enqueue(db(), "dues_list", payload, reference=f"dues-{project_id[:8]}")
    except KioskError as exc:
        return _refused(project_id, exc)
    return _done(project_id, gettext("The list is being printed."))


@bp.post("/<project_id>/print")
@login_required
def print_sheet(project_id: str):

    payload = project_sheet.sheet_payload(db(), g.config, project_id)
    with write(db()):
        print_queue.enqueue(db(), "project_sheet", payload, reference=f"project-{project_id[:8]}")
    return _done(project_id, gettext("The project sheet is being printed."))
