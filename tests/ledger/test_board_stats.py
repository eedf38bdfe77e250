"""Statistics for the association: exchanges per month and category, hours, the most active
categories, residents to invite; drawn as SVG charts with text alternatives."""

from __future__ import annotations

from app_fixtures import login, text_of

from kiosk import clock
from kiosk.ledger import exchanges, reversals, stats
from kiosk.web import svg_charts


def test_the_figures_count_exchanges_hours_and_categories_but_not_reversed_ones(
    db, config, building
):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlet",
        category="sewing",
        minutes=90,
    )
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.jeanne.id,
        payee_id=building.paul.id,
        description="Ourlet 2",
        category="sewing",
        minutes=30,
    )
    wrong = exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.admin.id,
        description="Erreur",
        category="diy",
        amount=500,
    )
    reversals.reverse_transfer(
        db, config, wrong.id, admin_id=building.admin.id, reason="erreur de saisie"
    )
    figures = stats.gather(db, config)
    assert figures.total_exchanges == 2 and figures.total_minutes == 120
    assert [(c.category, c.exchanges) for c in figures.categories] == [("sewing", 2)]
    assert figures.months[-1].exchanges == 2 and len(figures.months) == 12
    # the admin's only exchange was reversed; the others did not exchange at all
    assert {p.name for p in figures.inactive} == {"Claire Petit"}


def test_residents_with_no_exchange_in_three_months_are_listed(db, config, building):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlet",
        category="sewing",
        minutes=60,
    )
    assert building.paul.id not in {p.id for p in stats.gather(db, config).inactive}
    clock.shift(92 * 24 * 3600)
    assert {building.paul.id, building.jeanne.id} <= {
        p.id for p in stats.gather(db, config).inactive
    }


def test_charts_are_svg_with_a_title_and_every_value_and_escape_labels():
    chart = str(
        svg_charts.bar_chart(
            "c",
            "Catégories <b>",
            [svg_charts.Bar("<script>", 3, "3"), svg_charts.Bar("Couture", 0, "0")],
        )
    )
    assert (
        chart.startswith("<svg")
        and 'role="img"' in chart
        and 'aria-labelledby="c-title c-desc"' in chart
    )
    assert '<title id="c-title">Catégories &lt;b&gt;</title>' in chart
    assert "&lt;script&gt;: 3; Couture: 0" in chart and "<script>" not in chart
    column = str(svg_charts.column_chart("m", "Mois", [svg_charts.Bar("nov. 26", 2, "2")]))
    assert column.count("<rect") == 1


def test_the_statistics_page_draws_charts_for_admins_only(client, db, config, building):
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlet",
        category="sewing",
        minutes=90,
    )
    login(client, building.paul)
    assert client.get("/admin/stats/").status_code == 403
    client.post("/logout")
    login(client, building.admin)
    assert "Statistiques" in text_of(client.get("/admin/"))
    page = text_of(client.get("/admin/stats/"))
    assert page.count("<svg") == 3
    assert "Échanges par mois" in page and "Couture: 1 · 1 h 30" in page
    assert "1 échange en tout, 1 h 30 d'entraide" in page
    assert "Claire Petit" in page  # to invite
