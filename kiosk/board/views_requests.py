"""Payment requests at the kiosk: send one from the exchange form, answer one (PIN or reason),
withdraw one you sent, print one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for

from kiosk.board import payment_requests
from kiosk.board.errors import NotYourRequest
from kiosk.errors import KioskError
from kiosk.residents import auth
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext
from kiosk.web.session_state import current_resident, db, login_required

bp = Blueprint("requests", __name__, template_folder="templates", url_prefix="/requests")

DRAFT = "exchange_draft"  # kiosk.web.exchange's session draft


@bp.get("/")
@login_required
def index():
    me = current_resident()
    items = payment_requests.requests_of(db(), me.id)
    return render_template(
        "requests/index.html",
        to_pay=[r for r in items if r.payer_id == me.id],
        sent=[r for r in items if r.provider_id == me.id],
    )


@bp.post("/from-draft")
@login_required
@once.guarded
def from_draft():
    """The provider sends the exchange being recorded as a request instead of asking a PIN."""
    if (first := once.earlier()) is not None:
        return first  # sent again (a second tap, an older cookie): the first answer
    me = current_resident()
    draft = session.get(DRAFT)
    if not draft or draft.get("payee_id") != me.id:
        flash(
            gettext("Only the neighbour who gave the service can send a payment request."), "error"
        )
        return redirect(url_for("exchange.new"))
    sent = []

    def send_it() -> str:
        item = payment_requests.request_payment(
            db(),
            g.config,
            provider_id=me.id,
            payer_id=draft["payer_id"],
            description=draft["description"],
            category=draft["category"],
            minutes=draft["minutes"],
            amount=None if draft["minutes"] else draft["amount"],
            post_id=draft.get("post_id"),
            created_by=me.id,
        )
        sent.append(item)
        return url_for("requests.show", request_id=item.id)

    try:
        answer = once.record(send_it)
    except KioskError as exc:
        flash(error_message(exc), "error")
        return redirect(url_for("exchange.confirm"))
    session.pop(DRAFT, None)
    for item in sent:
        flash(
            gettext(
                "Your request was sent: %(name)s will see it at their next login.",
                name=item.payer_name,
            ),
            "success",
        )
    return answer


def _visible(request_id: str):
    item = payment_requests.get_request(db(), request_id)
    me = current_resident()
    if me.id not in (item.payer_id, item.provider_id) and not me.is_admin:
        abort(403)
    return item


@bp.route("/<request_id>", methods=["GET", "POST"])
@login_required
@once.guarded
def show(request_id: str):
    """The request; its payer accepts it with their PIN here."""
    item = _visible(request_id)
    me = current_resident()
    error = None
    if request.method == "POST":
        try:
            if me.id != item.payer_id:
                raise NotYourRequest()
            if (first := once.earlier()) is not None:
                return first  # sent again: the first answer
            auth.verify_pin(db(), g.config, me.id, request.form.get("pin"))
            answer = once.record(
                lambda: url_for(
                    "exchange.done",
                    reference=payment_requests.accept(
                        db(), g.config, request_id, payer=me
                    ).reference,
                )
            )
        except KioskError as exc:
            error = error_message(exc)
            item = payment_requests.get_request(db(), request_id)
        else:
            flash(gettext("You accepted the request: the exchange is recorded."), "success")
            return answer
    return render_template(
        "requests/show.html",
        item=item,
        error=error,
        reason=request.form.get("reason", ""),
        note="",
    ), (400 if error else 200)


@bp.post("/<request_id>/decline")
@login_required
@once.guarded
def decline(request_id: str):
    item = _visible(request_id)

    def decline_it() -> str:
        payment_requests.decline(
            db(), request_id, payer=current_resident(), reason=request.form.get("reason")
        )
        return url_for("requests.show", request_id=request_id)

    try:
        answer = once.record(decline_it)
    except KioskError as exc:
        return render_template(
            "requests/show.html",
            item=item,
            error=error_message(exc),
            reason=request.form.get("reason", ""),
            note="",
        ), 400
    flash(gettext("You declined the request. Nothing was paid."), "success")
    return answer


@bp.post("/<request_id>/withdraw")
@login_required
@once.guarded
def withdraw(request_id: str):
    """The neighbour who sent the request takes it back, with a note for the payer."""
    item = _visible(request_id)

    def withdraw_it() -> str:
        payment_requests.withdraw(
            db(), request_id, provider=current_resident(), note=request.form.get("note", "")
        )
        return url_for("requests.show", request_id=request_id)

    try:
        answer = once.record(withdraw_it)
    except KioskError as exc:
        return render_template(
            "requests/show.html",
            item=payment_requests.get_request(db(), request_id),
            error=error_message(exc),
            reason="",
            note=request.form.get("note", ""),
        ), 400
    flash(
        gettext("You withdrew the request: %(name)s can no longer pay it.", name=item.payer_name),
        "success",
    )
    return answer


@bp.post("/<request_id>/print")
@login_required
def print_request(request_id: str):
    _visible(request_id)
    payment_requests.queue_print(db(), g.config, request_id, resident=current_resident())
    flash(gettext("The request is being printed."), "success")
    return redirect(url_for("requests.show", request_id=request_id))
