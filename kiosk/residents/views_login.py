"""The welcome screen and logging in: scan a card or choose apartment and name, then a PIN."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from kiosk import ids, signals
from kiosk.errors import KioskError, NotFound
from kiosk.residents import auth, residents
from kiosk.web.formatting import error_message, gettext
from kiosk.web.safety import local_next
from kiosk.web.session_state import (
    current_resident,
    db,
    end_session,
    idle_logout_message,
    start_session,
)

bp = Blueprint("login", __name__, template_folder="templates")


@bp.get("/")
def home():
    if current_resident() is not None:
        return redirect(url_for("me.home"))
    return render_template("login/home.html", idle_items=signals.all_answers(signals.welcome_items))


@bp.post("/scan")
def scan():
    """Whatever the scanner typed, ending with Enter (see kiosk.js)."""
    code = auth.normalise_scan(request.form.get("code"))
    if ids.looks_like_scan(code, "KV") and current_resident() is not None:
        # A voucher's QR code: what is it worth?
        # 307: the browser posts the same form there, so the code stays out of any address.
        return redirect(url_for("vouchers.redeem_check"), code=307)
    if not auth.is_card_code(code):
        if current_resident() is None:
            flash(gettext("This code is not a member card. Scan your card first."), "error")
        else:
            flash(gettext("This code is not a member card."), "error")
        return redirect(url_for("login.home"))
    try:
        resident = auth.resident_for_card(db(), code, g.config)
    except KioskError as exc:
        flash(error_message(exc), "error")
        return redirect(url_for("login.home"))
    return _ask_pin_for(resident)


@bp.get("/login/apartments")
def apartments():
    return render_template("login/apartments.html", apartments=residents.apartments(db()))


@bp.get("/login/apartments/<apartment>")
def apartment(apartment: str):
    people = residents.in_apartment(db(), apartment)
    if not people:
        flash(gettext("Nobody lives in this apartment yet."), "error")
        return redirect(url_for("login.apartments"))
    return render_template("login/names.html", apartment=apartment, people=people)


@bp.post("/login/choose")
def choose():
    try:
        resident = residents.get(db(), request.form.get("resident_id", ""))
    except NotFound:
        flash(gettext("This resident does not exist."), "error")
        return redirect(url_for("login.apartments"))
    return _ask_pin_for(resident)


def _ask_pin_for(resident: residents.Resident):
    try:
        auth.refuse_unless_may_log_in(db(), g.config, resident)
    except KioskError as exc:  # moved out (since when) or suspended
        flash(error_message(exc), "error")
        return redirect(url_for("login.home"))
    end_session("other_login")
    session["pending_login"] = resident.id
    return redirect(url_for("login.pin"))


@bp.route("/login/pin", methods=["GET", "POST"])
def pin():
    resident_id = session.get("pending_login")
    if not resident_id:
        return redirect(url_for("login.home"))
    try:
        resident = residents.get(db(), resident_id)
    except NotFound:
        session.pop("pending_login", None)
        return redirect(url_for("login.home"))
    try:  # closed or suspended since the name was chosen: no keypad, the words say why
        auth.refuse_unless_may_log_in(db(), g.config, resident)
    except KioskError as exc:
        session.pop("pending_login", None)
        flash(error_message(exc), "error")
        return redirect(url_for("login.home"))
    error = None
    if request.method == "POST":
        try:
            auth.verify_pin(db(), g.config, resident.id, request.form.get("pin"))
        except KioskError as exc:
            error = error_message(exc)
        else:
            start_session(resident)
            flash(gettext("Hello %(name)s!", name=resident.name), "success")
            return redirect(url_for("me.home"))
    locked_until = auth.locked_until(db(), resident.id)
    paused_until = None if resident.is_admin else auth.pin_entry_paused_until(db())
    status = 400 if error else 200
    return render_template(
        "login/pin.html",
        resident=resident,
        error=error,
        locked_until=locked_until,
        paused_until=paused_until,
    ), status


@bp.post("/login/cancel")
def cancel():
    session.pop("pending_login", None)
    return redirect(url_for("login.home"))


@bp.post("/logout")
def logout():
    was_logged_in = current_resident() is not None
    idle = request.form.get("why") == "idle"  # sent by idle.js when nobody touched the screen
    end_session("idle" if idle else "logout")
    if was_logged_in and idle:
        flash(idle_logout_message(), "info")
    elif was_logged_in:
        flash(gettext("You are logged out. See you soon!"), "success")
    return redirect(url_for("login.home"))


@bp.post("/keepalive")
def keepalive():
    """The page says someone is still typing (see idle.js); _check_idle refreshed the session."""
    return ("", 204)


@bp.post("/language")
def language():
    target = local_next(url_for("login.home"))
    lang = request.form.get("lang")
    if lang in ("fr", "en"):
        session["lang"] = lang
    return redirect(target)
