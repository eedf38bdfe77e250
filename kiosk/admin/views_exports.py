"""The association's exports: CSV files for a period, and statements printed for a resident."""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from kiosk.admin import exports
from kiosk.errors import KioskError
from kiosk.ledger import ledger, statements
from kiosk.residents import residents
from kiosk.web.formatting import error_message, gettext
from kiosk.web.session_state import admin_required, db

bp = Blueprint("exports", __name__, template_folder="templates", url_prefix="/admin/exports")

KINDS = ("residents", "transfers", "vouchers")


@bp.get("/")
@admin_required
def home():
    months = exports.months_with_transfers(db(), g.config)
    return render_template("admin/exports.html", months=months)


@bp.get("/<kind>.csv")
@admin_required
def download(kind: str):
    if kind not in KINDS:
        flash(gettext("Unknown export."), "error")
        return redirect(url_for("exports.home"))
    try:
        if kind == "residents":
            text, name = exports.residents_csv(db(), g.config), "residents.csv"
        else:
            period = exports.parse_period(request.args.get("start"), request.args.get("end"))
            maker = exports.transfers_csv if kind == "transfers" else exports.vouchers_csv
            text = maker(db(), g.config, period)
            name = f"{kind}-{period.start}-{period.end}.csv"
    except KioskError as exc:
        flash(error_message(exc), "error")
        return redirect(url_for("exports.home"))
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/statement/<resident_id>")
@admin_required
def print_statement(resident_id: str):
    resident = residents.get(db(), resident_id)
    try:
        month = ledger.parse_month(request.form.get("month"))
        statements.queue_statement(db(), g.config, resident.id, month=month)
    except KioskError as exc:
        flash(error_message(exc), "error")
    else:
        flash(gettext("The statement of %(name)s is being printed.", name=resident.name), "success")
    return redirect(url_for("admin.resident_edit", resident_id=resident.id))
