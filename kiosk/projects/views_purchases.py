"""Group purchases at the kiosk: the organiser's set-up form, a resident's order, and the
organiser's page (payments, pick-ups, printed order and list, CSV, "distributed")."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup

from kiosk import clock, formatting, store
from kiosk.errors import KioskError
from kiosk.money import parse_amount
from kiosk.projects import projects, purchase_distribution, purchase_orders, purchase_reports
from kiosk.projects import purchases as group_purchases
from kiosk.projects import reads as project_reads
from kiosk.projects.purchase_numbers import local_datetime, parse_euros, parse_quantity
from kiosk.residents import residents
from kiosk.web import once
from kiosk.web.formatting import error_message, euros, gettext, ngettext
from kiosk.web.session_state import current_resident, db, login_required
from kiosk.web.svg_charts import Bar, bar_chart
from printing import queue as print_queue

bp = Blueprint("purchases", __name__, template_folder="templates", url_prefix="/purchases")

PRODUCT_ROWS = 5


def _to_project(project_id: str):
    return redirect(url_for("projects.show", project_id=project_id))


# --------------------------------------------------------------------------- set-up


def _default_dates(config) -> dict:
    local = clock.now().astimezone(config.timezone)
    deadline = local + timedelta(days=config["projects"]["default_order_days"])
    pickup = deadline + timedelta(days=3)
    form = {}
    for prefix, moment, hour in (("deadline", deadline, 20), ("pickup", pickup, 18)):
        form.update(
            {
                f"{prefix}_day": str(moment.day),
                f"{prefix}_month": str(moment.month),
                f"{prefix}_year": str(moment.year),
                f"{prefix}_hour": str(hour),
            }
        )
    return form


def _optional_euros(text: str | None, what: str) -> int | None:
    return parse_euros(text, what=what) if (text or "").strip() else None


def _parse_setup(form) -> dict:
    config = g.config
    products = []
    for index in range(1, PRODUCT_ROWS + 1):
        name = (form.get(f"name_{index}") or "").strip()
        if not name:
            continue
        whole = form.get(f"whole_{index}") == "1"
        stock = parse_quantity(form.get(f"stock_{index}")) or None
        products.append(
            group_purchases.ProductDraft(
                name=name,
                unit=form.get(f"unit_{index}", ""),
                unit_price=parse_euros(form.get(f"price_{index}"), what=name),
                whole_units=whole,
                stock_limit=stock,
                retail_price=_optional_euros(form.get(f"retail_{index}"), name),
            )
        )
    fee_kind = form.get("fee_kind", "none")
    return {
        "supplier": form.get("supplier"),
        "pickup_place": form.get("pickup_place"),
        "deadline": local_datetime(
            config, *(form.get(f"deadline_{k}") for k in ("day", "month", "year", "hour"))
        ),
        "pickup_at": local_datetime(
            config, *(form.get(f"pickup_{k}") for k in ("day", "month", "year", "hour"))
        ),
        "minimum_total": _optional_euros(form.get("minimum_total"), gettext("minimum total")),
        "minimum_quantity": parse_quantity(form.get("minimum_quantity")) or None,
        "fee_kind": fee_kind,
        "fee_amount": parse_amount(form.get("fee_amount")) if fee_kind != "none" else 0,
        "products": products,
    }


@bp.route("/<project_id>/setup", methods=["GET", "POST"])
@login_required
@once.guarded
def setup(project_id: str):
    me = current_resident()
    project = projects.get(db(), project_id)
    if not projects.can_coordinate(db(), project_id, me):
        abort(403)
    if group_purchases.has_purchase(db(), project_id):
        return _to_project(project_id)
    error = None
    form = request.form if request.method == "POST" else _default_dates(g.config)
    if request.method == "POST":

        def open_it() -> str:
            group_purchases.open_purchase(
                db(), g.config, project_id, by=me.id, **_parse_setup(form)
            )
            return url_for("projects.show", project_id=project_id)

        try:
            answer = once.record(open_it)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(
                gettext("The group purchase is open: neighbours can order until the deadline."),
                "success",
            )
            return answer
    return render_template(
        "projects/purchase_setup.html",
        project=project,
        form=form,
        error=error,
        rows=range(1, PRODUCT_ROWS + 1),
        fee_kinds=group_purchases.FEE_KINDS,
    ), (400 if error else 200)


# --------------------------------------------------------------------------- ordering


@bp.route("/<project_id>/order", methods=["GET", "POST"])
@login_required
@once.guarded
def order(project_id: str):
    me = current_resident()
    purchase = group_purchases.get_purchase(db(), project_id)
    error = None
    current = group_purchases.order_of(db(), project_id, me.id)
    form = (
        request.form
        if request.method == "POST"
        else {f"qty_{pid}": formatting.quantity(q, g.config.language) for pid, q in current.items()}
    )
    if request.method == "POST":

        def place() -> str:
            quantities = {p.id: parse_quantity(form.get(f"qty_{p.id}")) for p in purchase.products}
            purchase_orders.place_order(db(), g.config, project_id, me.id, quantities)
            return url_for("projects.show", project_id=project_id)

        try:
            answer = once.record(place)
        except KioskError as exc:
            error = error_message(exc)
        else:
            flash(gettext("Your order is saved. You can change it until the deadline."), "success")
            return answer
    return render_template(
        "projects/order.html",
        purchase=purchase,
        closed=not purchase.is_open or purchase.deadline_passed(),
        current=current,
        form=form,
        error=error,
        has_order=bool(current),
        fee=group_purchases.fee_for(db(), purchase, me.id),
        fee_breaks_floor=group_purchases.fee_would_break_floor(db(), g.config, purchase, me.id),
        fee_kinds=group_purchases.FEE_KINDS,
    ), (400 if error else 200)


@bp.post("/<project_id>/order/cancel")
@login_required
@once.guarded
def cancel_order(project_id: str):
    return once.record_flashing(
        lambda: purchase_orders.cancel_order(db(), g.config, project_id, current_resident().id),
        url_for("projects.show", project_id=project_id),
        gettext("Your order was cancelled."),
    )


# --------------------------------------------------------------------------- the organiser


def _managed(project_id: str):
    purchase = group_purchases.get_purchase(db(), project_id)
    if not group_purchases.can_manage(db(), purchase, current_resident()):
        abort(403)
    return purchase


def _to_organise(project_id: str):
    return redirect(url_for("purchases.organise", project_id=project_id))


@bp.get("/<project_id>/organise")
@login_required
def organise(project_id: str):
    purchase = _managed(project_id)

    shares = group_purchases.fee_shares(
        purchase.fee_kind,
        purchase.fee_amount,
        purchase.organiser_id,
        project_reads.participant_ids(db(), project_id),
    )

    fee_rows = []
    for resident_id, amount in shares.items():
        person = residents.get(db(), resident_id)
        refusal = purchase_distribution.fee_refusal(db(), g.config, purchase, resident_id, amount)
        fee_rows.append(
            {
                "person": person,
                "amount": amount,
                "refusal": error_message(refusal[0]) if refusal else None,
            }
        )
    words = purchase_distribution.REFUSAL_WORDS
    fees_refused = [
        {
            "apartment": row["apartment"],
            "name": row["name"],
            "amount": row["amount"],
            "reason": gettext(words.get(row["reason"], words["refused"]), name=row["name"]),
        }
        for row in project_reads.fee_refusals(db(), project_id)
    ]
    return render_template(
        "projects/organise.html",
        purchase=purchase,
        households=purchase_reports.households(db(), purchase),
        products=purchase_reports.supplier_order(db(), purchase),
        total=purchase_reports.order_total(db(), purchase),
        fee_rows=fee_rows,
        fees_paid=project_reads.fees(db(), project_id),
        fees_refused=fees_refused,
        methods=purchase_distribution.PAYMENT_METHODS,
    )


@bp.post("/<project_id>/paid")
@login_required
@once.guarded
def mark_paid(project_id: str):
    apartment = request.form.get("apartment", "")
    return once.record_flashing(
        lambda: purchase_distribution.mark_paid(
            db(),
            project_id,
            apartment,
            method=request.form.get("method", ""),
            by=current_resident().id,
        ),
        url_for("purchases.organise", project_id=project_id),
        gettext("Apartment %(apartment)s is marked as paid.", apartment=apartment),
    )


@bp.post("/<project_id>/picked")
@login_required
@once.guarded
def mark_picked_up(project_id: str):
    apartment = request.form.get("apartment", "")
    return once.record_flashing(
        lambda: purchase_distribution.mark_picked_up(
            db(), project_id, apartment, by=current_resident().id
        ),
        url_for("purchases.organise", project_id=project_id),
        gettext("Apartment %(apartment)s picked up its order.", apartment=apartment),
    )


@bp.post("/<project_id>/distributed")
@login_required
@once.guarded
def distributed(project_id: str):
    return once.record_flashing(
        lambda: purchase_distribution.mark_distributed(
            db(), g.config, project_id, by=current_resident().id
        ),
        url_for("purchases.organise", project_id=project_id),
        _distributed_words,
    )


def _distributed_words(outcome: dict) -> str:
    if not outcome["refused"]:
        return gettext("The purchase is distributed and the organiser's fees were paid.")
    return ngettext(
        "The purchase is distributed. %(num)d fee was not taken: the reason is next to its row.",
        "The purchase is distributed. %(num)d fees were not taken: the reasons are next to "
        "their rows.",
        len(outcome["refused"]),
    )


@bp.post("/<project_id>/print/<document>")
@login_required
def print_document(project_id: str, document: str):
    purchase = _managed(project_id)
    makers = {
        "supplier": ("purchase_order", purchase_reports.supplier_order_payload),
        "distribution": ("distribution_list", purchase_reports.distribution_payload),
    }
    if document not in makers:
        abort(404)
    layout, maker = makers[document]
    payload = maker(db(), g.config, purchase)
    with store.write(db()):
        print_queue.enqueue(db(), layout, payload, reference=f"{document}-{project_id[:8]}")
    flash(gettext("The document is being printed."), "success")
    return _to_organise(project_id)


@bp.get("/<project_id>/export.csv")
@login_required
def export(project_id: str):
    purchase = _managed(project_id)
    text = purchase_reports.purchase_csv(db(), g.config, purchase)
    name = f"group-purchase-{purchase.closed_at[:10] if purchase.closed_at else 'open'}-{project_id[:8]}.csv"
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# --------------------------------------------------------------------------- the savings chart


def savings_chart(rows: list[tuple[str, int]], total: int) -> Markup:
    """A horizontal bar chart of the euros saved per household (kiosk/svg_charts.py: a title
    and a description listing every value; the page shows the same figures as a table)."""

    bars = [Bar(apartment, saving, euros(saving)) for apartment, saving in rows]
    return bar_chart("chart-savings", gettext("Euros saved per household"), bars, label_width=120)
