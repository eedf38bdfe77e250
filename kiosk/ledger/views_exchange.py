"""Recording an exchange: what, with whom, how long or how much; then the payer's PIN."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from kiosk import signals
from kiosk.categories import CATEGORIES
from kiosk.errors import N_, InvalidInput, KioskError, NotFound, ResidentNotActive, SelfPayment
from kiosk.ledger import exchanges, ledger
from kiosk.money import parse_amount, parse_duration
from kiosk.residents import auth, residents
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext
from kiosk.web.session_state import current_resident, db, login_required
from printing import queue as print_queue

bp = Blueprint("exchange", __name__, template_folder="templates", url_prefix="/exchange")

DRAFT = "exchange_draft"


def _neighbours(me_id: str):
    return [r for r in residents.verified_residents(db()) if r.id != me_id]


def _parse_form(form, me) -> dict:
    """Check the form; returns the draft kept in the session until the payer's PIN."""
    direction = form.get("direction")
    if direction not in ("paid", "earned"):
        raise InvalidInput(N_("Say whether you received or gave the service."))
    neighbour_id = form.get("neighbour", "")
    if neighbour_id == me.id:
        raise SelfPayment()
    try:
        neighbour = residents.get(db(), neighbour_id)
    except NotFound:
        raise InvalidInput(N_("Choose the neighbour from the list.")) from None
    residents.require_may_exchange(neighbour)
    description = exchanges.clean_description(form.get("description"))
    category = form.get("category", "")
    if category not in CATEGORIES:
        raise InvalidInput(N_("Choose a category from the list."))
    hours, minutes, amount_text = (
        form.get("hours", ""),
        form.get("minutes", ""),
        form.get("amount", ""),
    )
    has_time = bool(hours.strip() or minutes.strip())
    has_amount = bool(amount_text.strip())
    if has_time and has_amount:
        raise InvalidInput(N_("Give either a duration or an amount, not both."))
    if not has_time and not has_amount:
        raise InvalidInput(N_("Give the duration of the service, or an amount."))
    duration = parse_duration(hours, minutes) if has_time else None
    amount = exchanges.exchange_amount(
        g.config, minutes=duration, amount=None if has_time else parse_amount(amount_text)
    )
    payer, payee = (me, neighbour) if direction == "paid" else (neighbour, me)
    post = _post_of(form)
    return {
        "post_id": post.id if post else None,
        "payer_id": payer.id,
        "payee_id": payee.id,
        "description": description,
        "category": category,
        "minutes": duration,
        "amount": amount,
        "direction": direction,
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    me = current_resident()
    if not me.may_exchange:
        flash(error_message(_not_active(me)), "error")
        return redirect(url_for("me.home"))
    form = request.form if request.method == "POST" else request.args
    error = None
    if request.method == "POST":
        try:
            session[DRAFT] = _parse_form(form, me)
        except KioskError as exc:
            error = error_message(exc)
        else:
            return redirect(url_for("exchange.confirm"))
    return render_template(
        "exchange/new.html",
        neighbours=_neighbours(me.id),
        categories=CATEGORIES,
        form=form,
        error=error,
        per_hour=g.config["currency"]["units_per_hour"],
        post=_post_of(form),
    ), (400 if error else 200)


def _post_of(form):
    """The board post this exchange comes from (``post`` in the form), or None."""
    if not form.get("post"):
        return None
    return signals.first_answer(signals.exchange_subject, post_id=form["post"])


def _not_active(resident):
    return ResidentNotActive(name=resident.name, status=resident.status)


@bp.route("/confirm", methods=["GET", "POST"])
@login_required
@once.guarded
def confirm():
    if request.method == "POST" and (first := once.earlier()) is not None:
        return first  # sent again (a second tap, an older cookie): the first answer
    draft = session.get(DRAFT)
    if not draft:
        return redirect(url_for("exchange.new"))
    try:
        payer = residents.get(db(), draft["payer_id"])
        payee = residents.get(db(), draft["payee_id"])
    except NotFound:
        session.pop(DRAFT, None)
        return redirect(url_for("exchange.new"))
    error = None
    if request.method == "POST":
        try:
            auth.verify_pin(
                db(), g.config, payer.id, request.form.get("pin"), asked_by=current_resident().id
            )
            answer = once.record(lambda: _record(draft, payer, payee))
        except KioskError as exc:
            error = error_message(exc)
        else:
            session.pop(DRAFT, None)
            return answer
    return render_template(
        "exchange/confirm.html", draft=draft, payer=payer, payee=payee, error=error
    ), (400 if error else 200)


def _record(draft: dict, payer, payee) -> str:
    transfer = exchanges.record_exchange(
        db(),
        g.config,
        payer_id=payer.id,
        payee_id=payee.id,
        description=draft["description"],
        category=draft["category"],
        minutes=draft["minutes"],
        amount=None if draft["minutes"] else draft["amount"],
        recorded_by=current_resident().id,
        post_id=draft.get("post_id"),
    )
    return url_for("exchange.done", reference=transfer.reference)


@bp.post("/cancel")
@login_required
def cancel():
    session.pop(DRAFT, None)
    flash(gettext("The exchange was cancelled. Nothing was recorded."), "info")
    return redirect(url_for("me.home"))


@bp.get("/done/<reference>")
@login_required
def done(reference: str):
    me = current_resident()
    transfer = ledger.find_transfer(db(), reference)
    if me.id not in (transfer.payer_id, transfer.payee_id) and not me.is_admin:
        abort(403)
    payer = residents.get(db(), transfer.payer_id)
    payee = residents.get(db(), transfer.payee_id)
    jobs = [
        job for job in print_queue.list_jobs(db(), reference=transfer.reference) if not job.is_copy
    ]
    return render_template(
        "exchange/done.html", transfer=transfer, payer=payer, payee=payee, jobs=jobs
    )


@bp.post("/done/<reference>/reprint")
@login_required
def reprint(reference: str):
    me = current_resident()
    transfer = ledger.find_transfer(db(), reference)
    if me.id not in (transfer.payer_id, transfer.payee_id) and not me.is_admin:
        abort(403)
    originals = [
        job for job in print_queue.list_jobs(db(), reference=transfer.reference) if not job.is_copy
    ]
    if originals:
        print_queue.reprint_as_copy(db(), originals[-1].id)
        flash(gettext("A copy of the receipt is being printed."), "success")
    return redirect(url_for("exchange.done", reference=reference))
