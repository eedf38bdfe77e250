"""Statistics page for the association (admins): charts drawn on the server, and the figures."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from kiosk.ledger import stats
from kiosk.web import svg_charts
from kiosk.web.formatting import category_label, duration, gettext, short_month
from kiosk.web.session_state import admin_required, db

bp = Blueprint("stats", __name__, template_folder="templates", url_prefix="/admin/stats")


def _hours(minutes: int) -> float:
    return round(minutes / 60, 1)


@bp.get("/")
@admin_required
def home():
    figures = stats.gather(db(), g.config)
    month_bars = [
        svg_charts.Bar(short_month(line.month), line.exchanges, str(line.exchanges))
        for line in figures.months
    ]
    hour_bars = [
        svg_charts.Bar(short_month(line.month), _hours(line.minutes), duration(line.minutes) or "0")
        for line in figures.months
    ]
    category_bars = [
        svg_charts.Bar(
            category_label(line.category),
            line.exchanges,
            gettext("%(n)s · %(time)s", n=line.exchanges, time=duration(line.minutes) or "0"),
        )
        for line in figures.categories[:8]
    ]
    charts = {
        "months": svg_charts.column_chart(
            "chart-months", gettext("Exchanges per month"), month_bars
        ),
        "hours": svg_charts.column_chart(
            "chart-hours", gettext("Hours exchanged per month"), hour_bars
        ),
        "categories": svg_charts.bar_chart(
            "chart-categories", gettext("Most active categories"), category_bars
        ),
    }
    return render_template("stats/home.html", figures=figures, charts=charts)
