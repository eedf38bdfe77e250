"""Vouchers at the kiosk: issue them (PIN), redeem one (scan or short code), and the admin's
reports, lost vouchers, batch and expired decisions."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from kiosk.errors import N_, InvalidInput, KioskError
from kiosk.residents import auth
from kiosk.vouchers import cancel as voucher_cancel
from kiosk.vouchers import codes as voucher_codes
from kiosk.vouchers import conflicts as voucher_conflicts
from kiosk.vouchers import errors as voucher_errors
from kiosk.vouchers import redeeming as voucher_redeeming
from kiosk.vouchers import vouchers
from kiosk.web import once
from kiosk.web.formatting import ceec, error_message, gettext, ngettext
from kiosk.web.safety import local_next
from kiosk.web.session_state import current_resident, db, login_required
from printing.status import printer_ready_for_vouchers

bp = Blueprint("vouchers", __name__, template_folder="templates")

DRAFT = "voucher_draft"
MAX_CODE_LENGTH = 400


def _printer_status():
    worker = current_app.extensions.get("print_worker")  # set by `kiosk serve`
    return worker.status if worker is not None else None


def wake_printer() -> None:
    worker = current_app.extensions.get("print_worker")
    if worker is not None:
        worker.wake()


def code_from(source) -> str:
    """The scanned or typed code, upper case, its spaces kept single (shown back after a typo)."""
    code = " ".join((source.get("code") or "").split()).upper()
    return code[:MAX_CODE_LENGTH]


# --------------------------------------------------------------------------- residents


@bp.get("/vouchers/")
@login_required
def home():
    me = current_resident()
    mine = vouchers.vouchers_of(db(), me.id)
    states = {v.serial: vouchers.print_state(db(), v.serial) for v in mine if v.outstanding}
    return render_template(
        "vouchers/home.html", mine=mine, states=states, today=vouchers.today(g.config)
    )


@bp.route("/vouchers/issue", methods=["GET", "POST"])
@login_required
def issue():
    me = current_resident()
    values = vouchers.denominations(g.config)
    error = None
    form = request.form if request.method == "POST" else {}
    if request.method == "POST":
        try:
            counts = {}
            for value in values:
                text = (form.get(f"count_{value}") or "").strip() or "0"
                if not text.isdigit() or len(text) > 2:
                    raise InvalidInput(N_("Choose between 0 and 99 vouchers of each value."))
                counts[value] = int(text)
            counts = vouchers.clean_counts(g.config, counts)
        except KioskError as exc:
            error = error_message(exc)
        else:
            session[DRAFT] = {str(value): count for value, count in counts.items()}
            return redirect(url_for("vouchers.issue_confirm"))
    status = _printer_status()
    return render_template(
        "vouchers/issue.html",
        values=values,
        form=form,
        error=error,
        me=me,
        printer_ready=_printer_ready(status),
        settings=g.config["vouchers"],
    ), (400 if error else 200)


def _printer_ready(status) -> bool:

    return printer_ready_for_vouchers(status)


@bp.route("/vouchers/issue/confirm", methods=["GET", "POST"])
@login_required
@once.guarded
def issue_confirm():
    if request.method == "POST" and (first := once.earlier()) is not None:
        return first  # sent again (a second tap, an older cookie): the first answer
    me = current_resident()
    draft = session.get(DRAFT)
    if not draft:
        return redirect(url_for("vouchers.issue"))
    counts = {int(value): count for value, count in draft.items()}
    error = None
    if request.method == "POST":
        issued = []

        def issue_them() -> str:
            issued.extend(
                vouchers.issue_vouchers(
                    db(),
                    g.config,
                    resident_id=me.id,
                    counts=counts,
                    printer_status=_printer_status(),
                )
            )
            return url_for("vouchers.home")

        try:
            auth.verify_pin(db(), g.config, me.id, request.form.get("pin"))
            answer = once.record(issue_them)
        except KioskError as exc:
            error = error_message(exc)
        else:
            session.pop(DRAFT, None)
            if not issued:
                return answer  # the same form sent again: nothing more was printed
            wake_printer()
            flash(
                ngettext(
                    "%(num)d voucher is being printed: %(total)s was taken from your account.",
                    "%(num)d vouchers are being printed: %(total)s was taken from your account.",
                    len(issued),
                    total=ceec(sum(v.amount for v in issued)),
                ),
                "success",
            )
            return answer
    total = sum(value * count for value, count in counts.items())
    return render_template(
        "vouchers/issue_confirm.html", counts=sorted(counts.items()), total=total, error=error
    ), (400 if error else 200)


@bp.post("/vouchers/issue/cancel")
@login_required
def issue_cancel():
    session.pop(DRAFT, None)
    flash(gettext("No voucher was issued."), "info")
    return redirect(url_for("vouchers.home"))


@bp.post("/vouchers/<serial>/reprint")
@login_required
def reprint(serial: str):
    target = local_next(url_for("vouchers.home"))
    try:
        voucher_cancel.reprint_voucher(db(), serial, by_id=current_resident().id)
    except KioskError as exc:
        flash(error_message(exc), "error")
    else:
        wake_printer()
        flash(gettext("Voucher %(serial)s is being printed again.", serial=serial), "success")
    return redirect(target)


@bp.post("/vouchers/<serial>/cancel")
@login_required
@once.guarded
def cancel(serial: str):
    return once.record_flashing(
        lambda: voucher_cancel.cancel_vouchers(
            db(), g.config, [serial], by_id=current_resident().id, reason="not_printed"
        ),
        url_for("vouchers.home"),
        gettext(
            "Voucher %(serial)s is cancelled: its value is back in your account.", serial=serial
        ),
    )


@bp.app_context_processor
def voucher_notices_context() -> dict:
    def voucher_notices() -> list:
        """Vouchers settled twice that the logged-in resident took part in (home screen)."""
        me = current_resident()
        return voucher_conflicts.notices_for(db(), me.id) if me is not None else []

    return {"voucher_notices": voucher_notices}


@bp.post("/vouchers/notices/<losing_event_id>/read")
@login_required
def notice_read(losing_event_id: str):
    try:
        voucher_conflicts.dismiss_notice(db(), current_resident().id, losing_event_id)
    except KioskError as exc:
        flash(error_message(exc), "error")
    return redirect(url_for("me.home"))


@bp.get("/vouchers/redeem")
@login_required
def redeem():
    """Scan a voucher or type its code (sent by POST: the code never sits in an address)."""
    return render_template("vouchers/redeem.html", checked=None, error=None, code="")


@bp.post("/vouchers/check")
@login_required
def redeem_check():
    """What the scanned or typed voucher is worth, before the bearer confirms."""
    code = code_from(request.form)
    if not code:
        return redirect(url_for("vouchers.redeem"))
    me = current_resident()
    checked, error, honourable = None, None, False
    try:
        checked = voucher_redeeming.read_voucher(db(), code)
        voucher_redeeming.check_redeemable(db(), g.config, checked)
    except (voucher_errors.ExpiredVoucher, voucher_errors.OldVoucher) as exc:
        error, honourable = error_message(exc), True
    except KioskError as exc:
        error = error_message(exc)
    return render_template(
        "vouchers/redeem.html",
        checked=None if error else checked,
        error=error,
        code=code,
        scanned=voucher_codes.looks_like_qr(code),
        honourable=honourable and me.is_admin,
    ), (400 if error else 200)


@bp.post("/vouchers/redeem")
@login_required
@once.guarded
def redeem_confirm():
    code = code_from(request.form)
    me = current_resident()

    def redeem_it() -> str:
        voucher = voucher_redeeming.redeem_voucher(db(), g.config, code, resident_id=me.id)
        return url_for("vouchers.redeemed", serial=voucher.serial)

    try:
        answer = once.record(redeem_it)
    except KioskError as exc:
        return render_template(
            "vouchers/redeem.html",
            checked=None,
            error=error_message(exc),
            code=code,
            scanned=voucher_codes.looks_like_qr(code),
        ), 400
    wake_printer()
    return answer


@bp.get("/vouchers/redeemed/<serial>")
@login_required
def redeemed(serial: str):
    voucher = vouchers.get_voucher(db(), serial)
    me = current_resident()
    if voucher.outcome != "redeemed":
        abort(404)
    if voucher.bearer_id != me.id and not me.is_admin:
        abort(403)
    return render_template("vouchers/redeemed.html", voucher=voucher, me=me)
