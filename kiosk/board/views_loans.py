"""The lending register at the kiosk: lend an item, mark it returned, see overdue loans."""

from __future__ import annotations

from flask import Blueprint, flash, g, render_template, request, url_for

from kiosk.board import lending
from kiosk.errors import KioskError
from kiosk.money import parse_amount
from kiosk.residents import residents
from kiosk.web import once
from kiosk.web.formatting import ceec, error_message, gettext
from kiosk.web.safety import local_next
from kiosk.web.session_state import admin_required, current_resident, db, login_required

bp = Blueprint("loans", __name__, template_folder="templates", url_prefix="/loans")


@bp.get("/")
@login_required
def index():
    me = current_resident()
    return render_template("loans/index.html", loans=lending.loans_of(db(), g.config, me.id))


def _form_context(me, form, error=None):
    neighbours = [r for r in residents.verified_residents(db()) if r.id != me.id]
    return {
        "form": form,
        "error": error,
        "neighbours": neighbours,
        "rate_modes": lending.RATE_MODES,
        "due_choices": lending.DUE_CHOICES,
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
@once.guarded
def new():
    me = current_resident()
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        lent = []

        def lend_it() -> str:
            rate_mode = form.get("rate_mode", "none")
            rate = parse_amount(form.get("rate")) if rate_mode in ("per_day", "per_loan") else None
            loan = lending.lend(
                db(),
                g.config,
                lender_id=me.id,
                borrower_id=form.get("borrower", ""),
                item=form.get("item"),
                due_on=lending.due_date(g.config, form.get("due_in")),
                rate_mode=rate_mode,
                rate=rate,
                post_id=form.get("post") or None,
                recorded_by=me.id,
            )
            lent.append(loan.item)
            return url_for("loans.index")

        try:
            answer = once.record(lend_it)
        except KioskError as exc:
            return render_template(
                "loans/new.html", **_form_context(me, form, error_message(exc))
            ), 400
        for item in lent:  # none when the same form was sent again
            flash(gettext("The loan of “%(item)s” is in the register.", item=item), "success")
        return answer
    return render_template("loans/new.html", **_form_context(me, form))


@bp.post("/<loan_id>/returned")
@login_required
@once.guarded
def returned(loan_id: str):
    return once.record_flashing(
        lambda: lending.mark_returned(db(), g.config, loan_id, actor=current_resident()),
        local_next(url_for("loans.index")),
        _returned_message,
    )


def _returned_message(loan: lending.Loan) -> str:
    if loan.request_id:
        return gettext(
            "Marked as returned. A payment request of %(amount)s was sent to %(name)s.",
            amount=ceec(loan.request_amount),
            name=loan.borrower_name,
        )
    return gettext("Marked as returned.")


@bp.get("/admin")
@admin_required
def admin():
    return render_template(
        "loans/admin.html",
        overdue=lending.overdue(db(), g.config),
        open_loans=lending.open_loans(db(), g.config),
    )
