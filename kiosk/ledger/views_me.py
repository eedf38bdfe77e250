"""A logged-in resident's own pages: home with the balance, the statement."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from kiosk.errors import KioskError
from kiosk.ledger import ledger, overruns, statements
from kiosk.ledger.transfers import account_name as name_account
from kiosk.web.formatting import error_message, gettext
from kiosk.web.session_state import current_resident, db, login_required

bp = Blueprint("me", __name__, template_folder="templates", url_prefix="/me")


@bp.app_template_global()
def account_name(account_id: str, name: str) -> str:
    """An account as the page's reader names it (every page: statements, transfers, reversals)."""
    return name_account(account_id, name, gettext)


@bp.get("/")
@login_required
def home():
    resident = current_resident()
    recent = ledger.latest_lines(db(), resident)
    overrun = overruns.overrun_of(db(), g.config, resident.id)
    return render_template("me/home.html", resident=resident, recent=recent, overrun=overrun)


@bp.get("/statement")
@login_required
def statement():
    resident = current_resident()
    try:
        month = ledger.parse_month(request.args.get("month"))
    except KioskError as exc:
        flash(error_message(exc), "error")
        month = None
    st = ledger.statement(db(), g.config, resident.id, month=month)
    return render_template("me/statement.html", st=st)


@bp.post("/statement/print")
@login_required
def print_statement():
    resident = current_resident()
    try:
        month = ledger.parse_month(request.form.get("month"))
        statements.queue_statement(db(), g.config, resident.id, month=month)
    except KioskError as exc:
        flash(error_message(exc), "error")
    else:
        flash(gettext("Your statement is being printed."), "success")
    return redirect(url_for("me.statement", month=request.form.get("month") or None))
