""" "Be told": a resident's e-mail address for urgent alerts, the weekly digest and answers to
their posts, a mobile number for urgent alerts by SMS, and "Stop the e-mails" / "Stop the SMS"
in one touch (kiosk/residents/contact.py)."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for

from kiosk.errors import KioskError
from kiosk.residents import contact
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext, locale_code
from kiosk.web.session_state import current_resident, db, login_required

YES_NO = {"yes": True, "no": False}

bp = Blueprint("contact", __name__, template_folder="templates", url_prefix="/me/told")


@bp.route("/", methods=["GET", "POST"])
@login_required
@once.guarded
def edit():
    me = current_resident()
    error = None
    form = request.form
    if request.method == "POST":

        def save() -> str:
            contact.set_contact(
                db(),
                me.id,
                email=form.get("email"),
                urgent=form.get("urgent") == "yes",
                digest=form.get("digest") == "yes",
                answers=YES_NO.get(form.get("answers", "")),
                phone=form.get("phone"),
                sms=form.get("sms") == "yes",
                language=locale_code(),  # the language the kiosk speaks to them now
            )
            return url_for("contact.edit")

        try:
            answer = once.record(save)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(gettext("Saved: this is how you will be told."), "success")
            return answer
    current = contact.contact_of(db(), me.id)
    return render_template("residents/contact.html", current=current, form=form, error=error), (
        400 if error else 200
    )


@bp.post("/stop")
@login_required
@once.guarded
def stop():
    return once.record_flashing(
        lambda: contact.stop_emails(db(), current_resident().id, language=locale_code()),
        url_for("contact.edit"),
        gettext("Done: no more e-mails, and your address is forgotten."),
    )


@bp.post("/stop-sms")
@login_required
@once.guarded
def stop_sms():
    return once.record_flashing(
        lambda: contact.stop_sms(db(), current_resident().id, language=locale_code()),
        url_for("contact.edit"),
        gettext("Done: no more SMS, and your number is forgotten."),
    )
