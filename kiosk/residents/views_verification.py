"""Joining the building: registering at the kiosk, being verified (neighbours vouching, a code
from the mailbox, an admin who saw a proof of address), and an admin closing the account of a
resident who moves out."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from kiosk.errors import KioskError
from kiosk.residents import residents, verification
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext, ngettext
from kiosk.web.session_state import (
    admin_required,
    current_resident,
    db,
    login_required,
    start_session,
)

bp = Blueprint("verification", __name__, template_folder="templates")


@bp.route("/join", methods=["GET", "POST"])
def join():
    """Self-registration: apartment, name, PIN twice. The newcomer starts pending, logged in."""
    if not g.config["community"]["self_registration"]:
        flash(
            gettext("Registering at the kiosk is turned off here. Ask the kiosk volunteer."), "info"
        )
        return redirect(url_for("login.home"))
    error = None
    if request.method == "POST":
        form = request.form
        try:
            resident = verification.register_self(
                db(),
                g.config,
                apartment=form.get("apartment"),
                name=form.get("name"),
                pin=form.get("pin"),
                pin_again=form.get("pin_again"),
            )
        except KioskError as exc:
            error = error_message(exc)
        else:
            start_session(resident)
            flash(
                gettext(
                    "Welcome %(name)s! Your account is waiting to be verified.", name=resident.name
                ),
                "success",
            )
            return redirect(url_for("verification.status"))
    return render_template("residents/join.html", form=request.form, error=error), (
        400 if error else 200
    )


def _status_page(error: str | None = None, status_code: int = 200, error_about: str = ""):
    """``error_about="code"`` opens the mailbox-code way, whose answer the error is."""
    me = current_resident()
    return render_template(
        "residents/verification.html",
        vouches=verification.vouches_for(db(), me.id),
        needed=g.config["community"]["vouches_needed"],
        neighbours=verification.possible_vouchers(db(), me) if me.status == "pending" else [],
        history=verification.verifications_of(db(), me.id),
        error=error,
        error_about=error_about,
    ), status_code


@bp.get("/verification")
@login_required
def status():
    return _status_page()


def _pin_step(voucher, error: str | None = None, status_code: int = 200):
    return render_template("residents/vouch_pin.html", voucher=voucher, error=error), status_code


@bp.get("/verification/vouch")
@login_required
def vouch_pin():
    """The second step of vouching: the chosen neighbour, named, types their own PIN on the
    only pad of the page."""
    try:
        voucher = verification.voucher_for(
            db(), newcomer_id=current_resident().id, voucher_id=request.args.get("voucher_id", "")
        )
    except KioskError as exc:
        return _status_page(error_message(exc), 400)
    return _pin_step(voucher)


@bp.post("/verification/vouch")
@login_required
def vouch():
    """A verified neighbour, at the kiosk beside the newcomer, vouches with their own PIN."""
    me = current_resident()
    voucher_id = request.form.get("voucher_id", "")
    try:
        voucher = verification.voucher_for(db(), newcomer_id=me.id, voucher_id=voucher_id)
    except KioskError as exc:
        return _status_page(error_message(exc), 400)
    try:
        result = verification.vouch(
            db(),
            g.config,
            newcomer_id=me.id,
            voucher_id=voucher_id,
            pin=request.form.get("pin"),
        )
    except KioskError as exc:
        return _pin_step(voucher, error_message(exc), 400)
    if result.verified:
        flash(
            gettext("Thank you! Your account is now verified: welcome to the building."), "success"
        )
        return redirect(url_for("me.home"))
    flash(
        ngettext(
            "Thank you! %(num)d of %(needed)d neighbours has vouched.",
            "Thank you! %(num)d of %(needed)d neighbours have vouched.",
            result.vouches,
            needed=result.needed,
        ),
        "success",
    )
    return redirect(url_for("verification.status"))


@bp.post("/verification/code")
@login_required
def code():
    me = current_resident()
    try:
        verification.enter_mailbox_code(
            db(), g.config, resident_id=me.id, code=request.form.get("code")
        )
    except KioskError as exc:
        return _status_page(error_message(exc), 400, error_about="code")
    flash(
        gettext("The code is right: your account is now verified. Welcome to the building!"),
        "success",
    )
    return redirect(url_for("me.home"))


# --------------------------------------------------------------------------- admin


@bp.get("/admin/verification")
@admin_required
def admin_home():
    return render_template(
        "residents/admin_verification.html",
        pending=verification.waiting_newcomers(db()),
        history=verification.history(db()),
        codes=verification.mailbox_codes(db()),
        proof_kinds=verification.PROOF_KINDS,
        methods=verification.METHODS,
    )


@bp.post("/admin/verification/slip")
@admin_required
@once.guarded
def print_slip():
    apartment = request.form.get("apartment", "")
    return once.record_flashing(
        lambda: verification.issue_mailbox_code(
            db(), g.config, apartment=apartment, admin_id=current_resident().id
        ),
        url_for("verification.admin_home"),
        gettext(
            "The slip for %(apartment)s is being printed. Fold it so the code is hidden and put it in the mailbox.",
            apartment=apartment.upper(),
        ),
    )


@bp.post("/admin/verification/<resident_id>/proof")
@admin_required
@once.guarded
def proof(resident_id: str):
    return once.record_flashing(
        lambda: verification.verify_with_proof(
            db(),
            g.config,
            resident_id=resident_id,
            admin_id=current_resident().id,
            proof_kind=request.form.get("proof_kind"),
        ),
        url_for("verification.admin_home"),
        lambda _: gettext("%(name)s is verified.", name=residents.get(db(), resident_id).name),
    )
