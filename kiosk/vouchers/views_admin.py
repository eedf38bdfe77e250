"""The volunteer's voucher pages: what is in circulation, finding a voucher, cancelling,
expired vouchers (the association decides), the redeemed history and honouring an expired
voucher for its bearer. The residents' pages: kiosk/vouchers/views.py."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from kiosk.errors import KioskError
from kiosk.residents import residents
from kiosk.vouchers import cancel as voucher_cancel
from kiosk.vouchers import codes as voucher_codes
from kiosk.vouchers import conflicts as voucher_conflicts
from kiosk.vouchers import errors as voucher_errors
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import reports as voucher_reports
from kiosk.vouchers import vouchers
from kiosk.vouchers.views import code_from, wake_printer
from kiosk.web import once
from kiosk.web.formatting import ceec, error_message, gettext, ngettext
from kiosk.web.session_state import admin_required, current_resident, db

bp = Blueprint("voucher_admin", __name__, template_folder="templates", url_prefix="/admin/vouchers")


@bp.get("")
@admin_required
def admin_report():
    return render_template(
        "vouchers/admin.html",
        report=voucher_reports.outstanding_report(db(), g.config),
        check=voucher_reports.circulation_check(db()),
        buckets=[key for _, key in voucher_reports.AGE_BUCKETS],
        conflicts=voucher_conflicts.conflicts(db(), limit=50),
    )


def _admin_list(
    title: str,
    items,
    *,
    action: str | None = None,
    reason: str | None = None,
    refund_choice: bool = False,
    status: int = 200,
):
    return render_template(
        "vouchers/admin_list.html",
        title=title,
        items=items,
        action=action,
        reason=reason,
        refund_choice=refund_choice,
        policy=g.config["vouchers"]["expired_policy"],
        today=vouchers.today(g.config),
        # A voucher whose paper is not known printed is not in circulation yet (its issuer, or
        # the volunteer, may print it again or cancel it).
        not_printed={
            v.serial: state
            for v in items
            if v.outstanding
            and (state := vouchers.print_state(db(), v.serial)) in vouchers.NOT_PRINTED_STATES
        },
        here=request.full_path.rstrip("?"),
    ), status


@bp.route("/find", methods=["GET", "POST"])
@admin_required
def admin_find():
    """A voucher by its number (what its issuer sees on "My vouchers"), or by its code."""
    code = code_from(request.form if request.method == "POST" else request.args)
    try:
        if voucher_codes.looks_like_qr(code):
            serial = voucher_redeeming.read_voucher(db(), code).serial
        else:
            serial = voucher_codes.serial_of_number(code)
        voucher = vouchers.get_voucher(db(), serial)
    except (KioskError, ValueError) as exc:
        text = (
            error_message(exc)
            if isinstance(exc, KioskError)
            else error_message(voucher_errors.MalformedVoucher())
        )
        flash(text, "error")
        return redirect(url_for("voucher_admin.admin_report"))
    return _admin_list(
        gettext("Voucher %(serial)s", serial=voucher.serial),
        [voucher],
        action=url_for("voucher_admin.admin_cancel"),
        reason="lost",
    )


@bp.get("/issuer/<resident_id>")
@admin_required
def admin_issuer(resident_id: str):
    person = residents.get(db(), resident_id)
    items = [v for v in vouchers.vouchers_of(db(), person.id) if v.outstanding]
    return _admin_list(
        gettext(
            "Vouchers of %(name)s (%(apartment)s) in circulation",
            name=person.name,
            apartment=person.apartment,
        ),
        items,
        action=url_for("voucher_admin.admin_cancel"),
        reason="batch",
    )


@bp.post("/cancel")
@admin_required
@once.guarded
def admin_cancel():
    serials = request.form.getlist("serial")
    reason = request.form.get("reason", "")
    if reason not in ("lost", "batch"):
        abort(400)
    return once.record_flashing(
        lambda: voucher_cancel.cancel_vouchers(
            db(), g.config, serials, by_id=current_resident().id, reason=reason
        ),
        url_for("voucher_admin.admin_report"),
        lambda done: ngettext(
            "%(num)d voucher cancelled and refunded to its issuer (%(total)s).",
            "%(num)d vouchers cancelled and refunded to their issuer (%(total)s).",
            len(done),
            total=ceec(sum(v.amount for v in done)),
        ),
    )


@bp.route("/expired", methods=["GET", "POST"])
@admin_required
@once.guarded
def admin_expired():
    if request.method == "POST":
        return once.record_flashing(
            lambda: voucher_cancel.cancel_vouchers(
                db(),
                g.config,
                request.form.getlist("serial"),
                by_id=current_resident().id,
                reason="expired",
                refund_to=request.form.get("refund_to", ""),
            ),
            url_for("voucher_admin.admin_expired"),
            lambda done: ngettext(
                "%(num)d expired voucher settled (%(total)s).",
                "%(num)d expired vouchers settled (%(total)s).",
                len(done),
                total=ceec(sum(v.amount for v in done)),
            ),
        )
    return _admin_list(
        gettext("Expired vouchers not redeemed"),
        voucher_reports.expired_outstanding(db(), g.config),
        action=url_for("voucher_admin.admin_expired"),
        reason="expired",
        refund_choice=True,
    )


@bp.get("/redeemed")
@admin_required
def admin_redeemed():
    return _admin_list(gettext("Redeemed vouchers"), voucher_reports.redeemed_history(db()))


@bp.route("/honour", methods=["GET", "POST"])
@admin_required
@once.guarded
def admin_honour():
    """An admin accepts an expired voucher, or one printed before secret codes, for a bearer who
    is present with the paper."""
    code = code_from(request.form if request.method == "POST" else request.args)
    error = None
    # The redeem page posts only the code here; this form also says it is sent ("honour"), so a
    # send without a neighbour chosen (radio buttons post nothing) gets its error.
    if request.method == "POST" and ("resident_id" in request.form or "honour" in request.form):

        def honour_it() -> str:
            voucher = voucher_redeeming.redeem_voucher(
                db(),
                g.config,
                code,
                resident_id=request.form.get("resident_id", ""),
                honoured_by=current_resident().id,
            )
            return url_for("vouchers.redeemed", serial=voucher.serial)

        try:
            answer = once.record(honour_it)
        except KioskError as exc:
            error = error_message(exc)
        else:
            wake_printer()
            return answer
    people = residents.verified_residents(db())
    return render_template("vouchers/admin_honour.html", code=code, people=people, error=error), (
        400 if error else 200
    )
