"""The volunteer's pages: residents, cards, PINs and lockouts, transfers and reversals."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from kiosk.admin import departure_plan, moving_out, returning
from kiosk.errors import KioskError, SelfDemotion
from kiosk.ledger import ledger, overruns, reversals
from kiosk.residents import auth, devices, residents
from kiosk.web import once
from kiosk.web.formatting import error_message, gettext
from kiosk.web.session_state import admin_required, current_resident, db

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")

PAGE_SIZE = 30


@bp.get("/")
@admin_required
def home():
    return render_template(
        "admin/home.html",
        locked=auth.locked_residents(db()),
        pin_paused_until=auth.pin_entry_paused_until(db()),
        overruns=overruns.below_floor(db(), g.config),
        recent=ledger.recent_transfers(db(), limit=5),
    )


@bp.get("/residents")
@admin_required
def resident_list():
    return render_template("admin/residents.html", people=residents.all_residents(db()))


@bp.route("/residents/new", methods=["GET", "POST"])
@admin_required
@once.guarded
def resident_new():
    error = None
    if request.method == "POST":
        form = request.form

        def register_it() -> str:
            resident = residents.register(
                db(),
                apartment=form.get("apartment"),
                name=form.get("name"),
                pin=form.get("pin"),
                role=form.get("role", "resident"),
                status=form.get("status", "verified"),
            )
            if form.get("print_card"):
                residents.issue_card(db(), resident.id, building=g.config["building"]["name"])
            flash(
                gettext(
                    "%(name)s (%(apartment)s) was added.",
                    name=resident.name,
                    apartment=resident.apartment,
                ),
                "success",
            )
            return url_for("admin.resident_edit", resident_id=resident.id)

        try:
            return once.record(register_it)
        except KioskError as exc:
            error = error_message(exc)
    return render_template("admin/resident_new.html", form=request.form, error=error), (
        400 if error else 200
    )


@bp.route("/residents/<resident_id>", methods=["GET", "POST"])
@admin_required
@once.guarded
def resident_edit(resident_id: str):
    resident = residents.get(db(), resident_id)
    error = None
    if request.method == "POST":
        form = request.form

        def save_it() -> str:
            if resident.id == current_resident().id and (
                form.get("role") != "admin" or form.get("status") != residents.VERIFIED
            ):
                raise SelfDemotion()
            residents.update(
                db(),
                resident.id,
                apartment=form.get("apartment"),
                name=form.get("name"),
                role=form.get("role"),
                status=form.get("status"),
            )
            return url_for("admin.resident_edit", resident_id=resident.id)

        try:
            answer = once.record(save_it)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(gettext("Saved."), "success")
            return answer
    return render_template(
        "admin/resident_edit.html",
        resident=resident,
        locked_until=auth.locked_until(db(), resident.id),
        card_number=residents.card_number(db(), resident.id),
        statement_months=ledger.statement(db(), g.config, resident.id).months[:24],
        devices=devices.devices_of(db(), resident.id),
        error=error,
    ), (400 if error else 200)


@bp.post("/residents/<resident_id>/card")
@admin_required
@once.guarded
def resident_card(resident_id: str):
    resident = residents.get(db(), resident_id)
    return once.record_flashing(
        lambda: residents.issue_card(db(), resident.id, building=g.config["building"]["name"]),
        url_for("admin.resident_edit", resident_id=resident.id),
        gettext("A new card is being printed. The previous card no longer works."),
    )


@bp.post("/residents/<resident_id>/pin")
@admin_required
@once.guarded
def resident_pin(resident_id: str):
    resident = residents.get(db(), resident_id)
    return once.record_flashing(
        lambda: residents.set_pin(db(), resident.id, request.form.get("pin")),
        url_for("admin.resident_edit", resident_id=resident.id),
        gettext("The new PIN is set and any lockout is lifted."),
    )


@bp.post("/pin-entry/resume")
@admin_required
def pin_entry_resume():
    auth.resume_pin_entry(db())
    flash(gettext("PIN entry is open again on this kiosk."), "success")
    return redirect(url_for("admin.home"))


@bp.post("/residents/<resident_id>/unlock")
@admin_required
def resident_unlock(resident_id: str):
    resident = residents.get(db(), resident_id)
    auth.unlock(db(), resident.id)
    flash(gettext("The account is unlocked."), "success")
    return redirect(url_for("admin.resident_edit", resident_id=resident.id))


@bp.get("/transfers")
@admin_required
def transfers():
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    rows = ledger.recent_transfers(db(), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template(
        "admin/transfers.html",
        transfers=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
    )


@bp.route("/transfers/<reference>/reverse", methods=["GET", "POST"])
@admin_required
@once.guarded
def reverse(reference: str):
    transfer = ledger.find_transfer(db(), reference)
    error = None
    if request.method == "POST":
        reversed_by = []

        def reverse_it() -> str:
            reversal = reversals.reverse_transfer(
                db(),
                g.config,
                transfer.id,
                admin_id=current_resident().id,
                reason=request.form.get("reason"),
            )
            reversed_by.append(reversal.reference)
            return url_for("admin.transfers")

        try:
            answer = once.record(reverse_it)
        except KioskError as exc:
            error = error_message(exc)
        else:
            for new in reversed_by:  # none when the same form was sent again
                flash(
                    gettext(
                        "Transfer %(ref)s was reversed by %(new)s.", ref=transfer.reference, new=new
                    ),
                    "success",
                )
            return answer
    return render_template("admin/reverse.html", transfer=transfer, error=error), (
        400 if error else 200
    )


@bp.route("/residents/<resident_id>/move-out", methods=["GET", "POST"])
@admin_required
@once.guarded
def move_out(resident_id: str):
    leaver = residents.get(db(), resident_id)
    error = None
    if request.method == "POST":

        def close_it() -> str:
            moving_out.close_resident(
                db(),
                g.config,
                resident_id=leaver.id,
                admin_id=current_resident().id,
                expected_plan=request.form.get("plan"),
            )
            return url_for("admin.move_out", resident_id=leaver.id)

        try:
            answer = once.record(close_it)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(
                gettext(
                    "The account of %(name)s is closed. Their history is kept.", name=leaver.name
                ),
                "success",
            )
            return answer
    plan = None if leaver.moved_out else departure_plan.plan_for(db(), g.config, leaver)
    return render_template(
        "admin/move_out.html",
        leaver=leaver,
        error=error,
        plan=plan,
        items=[(item, *departure_plan.describe(item, gettext)) for item in plan.items]
        if plan
        else [],
        settlement=moving_out.settlement_preview(g.config, leaver, plan and plan.final_balance),
        departure=moving_out.departure(db(), leaver.id),
    ), (400 if error else 200)


@bp.post("/residents/<resident_id>/settle-after-departure")
@admin_required
@once.guarded
def settle_after_departure(resident_id: str):
    """What reached a closed account after its departure goes to (or comes from) the fund."""
    leaver = residents.get(db(), resident_id)
    return once.record_flashing(
        lambda: moving_out.settle_after_departure(
            db(), g.config, resident_id=leaver.id, admin_id=current_resident().id
        ),
        url_for("admin.move_out", resident_id=leaver.id),
        gettext("The account of %(name)s is settled again: its balance is zero.", name=leaver.name),
    )


@bp.route("/residents/<resident_id>/bring-back", methods=["GET", "POST"])
@admin_required
@once.guarded
def bring_back(resident_id: str):
    """ "Bring this resident back": a moved-out resident's account reopens on purpose, with a
    reason, a new PIN and a new card (kiosk/admin/returning.py)."""
    person = residents.get(db(), resident_id)
    error = None
    if request.method == "POST":
        form = request.form

        def bring_it_back() -> str:
            returning.bring_back(
                db(),
                g.config,
                resident_id=person.id,
                admin_id=current_resident().id,
                reason=form.get("reason"),
                pin=form.get("pin"),
            )
            return url_for("admin.resident_edit", resident_id=person.id)

        try:
            answer = once.record(bring_it_back)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(
                gettext(
                    "%(name)s is back: the account is open again from a zero balance. "
                    "A new card is being printed.",
                    name=person.name,
                ),
                "success",
            )
            return answer
    return render_template(
        "admin/bring_back.html",
        person=person,
        departure=moving_out.departure(db(), person.id),
        form=request.form,
        error=error,
    ), (400 if error else 200)
