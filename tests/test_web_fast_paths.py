"""The shortcuts that keep pages fast give the same results as the slow way: amounts and
dates as Babel writes them, cached option lists and board lists that follow every change, one
database connection per serving thread that never carries a transaction or a stale read from
one request to the next. (Their speed is measured in bench/bench_board.py, not here.)"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import flask_babel
import pytest
from app_fixtures import ROOT, login, text_of
from babel.numbers import format_decimal
from flask import session

from kiosk import clock, store
from kiosk.board import board
from kiosk.residents import residents
from kiosk.web import formatting
from kiosk.web.page_cache import LRUCache, log_version
from kiosk.web.session_state import db as request_db


def in_language(app, lang: str):
    """A request context in ``lang`` with the app's before-request hooks run."""
    context = app.test_request_context("/")
    context.push()
    session["lang"] = lang
    app.preprocess_request()
    return context


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_amounts_are_written_exactly_as_babel_writes_them(app, lang):
    amounts = [
        0,
        1,
        5,
        99,
        100,
        1500,
        123456,
        100000,
        99999999,
        1234567890123,
        -1,
        -1500,
        -123456,
        -100000000,
    ]
    context = in_language(app, lang)
    try:
        for hundredths in amounts:
            expected = format_decimal(
                Decimal(abs(hundredths)) / 100, format="#,##0.00", locale=lang
            )
            sign = "-" if hundredths < 0 else ""
            assert formatting.ceec(hundredths) == f"{sign}{expected}\u00a0CEEC", hundredths
            if hundredths > 0:
                assert formatting.ceec(hundredths, signed=True) == f"+{expected}\u00a0CEEC"
        assert formatting.ceec(None) == ""
    finally:
        context.pop()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_dates_are_written_as_flask_babel_writes_them_in_the_building_time_zone(app, lang):
    patterns = {
        "fr": {"date": "dd/MM/yyyy", "medium": "dd/MM/yyyy HH:mm", "time": "HH:mm"},
        "en": {"date": "yyyy-MM-dd", "medium": "yyyy-MM-dd HH:mm", "time": "HH:mm"},
    }[lang]
    utc = ZoneInfo("UTC")
    # Around both daylight-saving changes of Europe/Paris, a new year and a leap day, in UTC.
    moments = [
        datetime(2026, 3, 29, 0, 59, tzinfo=utc),
        datetime(2026, 3, 29, 1, 0, tzinfo=utc),
        datetime(2026, 10, 25, 0, 30, tzinfo=utc),
        datetime(2026, 10, 25, 1, 30, tzinfo=utc),
        datetime(2026, 12, 31, 23, 30, tzinfo=utc),
        datetime(2028, 2, 29, 12, 0, tzinfo=utc),
    ]
    context = in_language(app, lang)
    try:
        for moment in moments:
            for fmt, pattern in patterns.items():
                expected = flask_babel.format_datetime(moment, pattern)
                assert formatting.when(moment, fmt) == expected, (moment, fmt)
                assert formatting.when(moment.isoformat(), fmt) == expected
                naive = moment.replace(tzinfo=None)  # stored times without a zone are UTC
                assert formatting.when(naive, fmt) == expected
        assert formatting.when(None) == "" and formatting.when("") == ""
    finally:
        context.pop()


def test_select_options_translate_escape_and_select_and_ignore_unknown_choices(app):
    choices = {"diy": "DIY and small plumbing", "odd": 'Tom & "Jerry" <b>'}
    context = in_language(app, "fr")
    try:
        html = str(formatting.select_options(choices, "diy", blank="All"))
        assert html.startswith('<option value="">Tout</option>')
        assert '<option value="diy" selected>Bricolage et petite plomberie</option>' in html
        assert "Tom &amp; &#34;Jerry&#34; &lt;b&gt;" in html and "<b>" not in html
        # A query string's unknown value selects nothing (and is not a new cache entry).
        before = len(formatting._OPTIONS)
        for junk in ("nope", "x" * 500, "<script>"):
            assert " selected" not in str(formatting.select_options(choices, junk))
        assert len(formatting._OPTIONS) <= before + 1
    finally:
        context.pop()


def test_pages_link_static_files_by_their_content_and_the_browser_keeps_them(client):
    """A changed file gets a new URL, so the browser keeps each one without asking again."""
    static = ROOT / "kiosk" / "web" / "static"
    html = client.get("/").get_data(as_text=True)
    for name, attribute in (("kiosk.css", "href"), ("js/scanner.js", "src")):
        assert f'{attribute}="/static/{name}?v={digest_of(static / name)}"' in html
    response = client.get(f"/static/kiosk.css?v={digest_of(static / 'kiosk.css')}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    response.close()
    # An old page's link (an old digest, or none): the file is asked for again next time.
    for url in ("/static/kiosk.css?v=0.1.0", "/static/kiosk.css"):
        response = client.get(url)
        assert response.status_code == 200 and "immutable" not in response.headers["Cache-Control"]
        response.close()
    assert client.get("/static/nothing.css?v=abc").status_code == 404


def digest_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_a_serving_thread_keeps_its_connection_and_no_transaction_outlives_a_request(
    app, db, building
):
    seen = []

    @app.get("/test/leave-a-transaction-open")
    def leave_open():
        connection = request_db()
        seen.append(connection)
        connection.conn.execute("BEGIN IMMEDIATE")  # as a view that failed half-way would
        connection.conn.execute("INSERT INTO kiosk_meta (key, value) VALUES ('left-open', 'x')")
        return "ok"

    @app.get("/test/what-do-i-see")
    def what_do_i_see():
        connection = request_db()
        seen.append(connection)
        assert not connection.conn.in_transaction
        return str(store.scalar(connection, "SELECT count(*) FROM residents"))

    client = app.test_client()
    assert client.get("/test/leave-a-transaction-open").status_code == 200
    assert client.get("/test/what-do-i-see").get_data(as_text=True) == "5"
    assert seen[0] is seen[1]  # the same thread's connection, reused
    # The half-done write was rolled back, and the write lock released: others can write.
    assert store.scalar(db, "SELECT count(*) FROM kiosk_meta WHERE key = 'left-open'") == 0
    residents.register(db, apartment="D-401", name="Nouvelle Voisine")
    # A write by another connection between two requests is seen by the next one.
    assert client.get("/test/what-do-i-see").get_data(as_text=True) == "6"


def test_a_post_card_follows_every_change_of_what_it_shows(client, db, config, building):
    post = board.publish(
        db,
        config,
        poster_id=building.jeanne.id,
        direction="offer",
        kind="service",
        category="sewing",
        title="Ourlets de pantalons",
        price_mode="per_hour",
        price=1000,
    )
    page = text_of(client.get("/board/"))
    assert (
        "Ourlets de pantalons" in page
        and "Jeanne Martin · B-204" in page
        and "10,00\u00a0CEEC par heure" in page
    )
    residents.update(db, building.jeanne.id, name="Jeanne Martin-Roux", apartment="B-205")
    page = text_of(client.get("/board/"))
    assert "Jeanne Martin-Roux · B-205" in page and "Jeanne Martin · B-204" not in page
    board.withdraw(db, config, post.id, actor=building.jeanne)
    assert "Ourlets de pantalons" not in text_of(client.get("/board/"))


def test_a_post_card_is_drawn_in_the_visitors_language(app, db, config, building):
    board.publish(
        db,
        config,
        poster_id=building.paul.id,
        direction="request",
        kind="lend",
        category="diy",
        title="Perceuse",
        price_mode="fixed",
        price=250,
    )
    french, english = app.test_client(), app.test_client()
    with english.session_transaction() as english_session:
        english_session["lang"] = "en"
    assert "Demande" in text_of(french.get("/board/")) and "2,50\u00a0CEEC" in text_of(
        french.get("/board/")
    )
    page = text_of(english.get("/board/"))
    assert "Request" in page and "2.50\u00a0CEEC" in page and "Demande" not in page


def test_a_post_ending_today_is_on_the_board_until_tomorrow(client, db, config, building):

    ends = board.today(config) + timedelta(days=1)
    board.publish(
        db,
        config,
        poster_id=building.paul.id,
        direction="offer",
        kind="give",
        category="other",
        title="Cartons de déménagement",
        price_mode="free",
        ends_on=ends,
    )
    assert "Cartons de déménagement" in text_of(client.get("/board/"))
    clock.shift(2 * 86400)
    assert "Cartons de déménagement" not in text_of(client.get("/board/"))


def test_the_board_list_is_drawn_again_after_any_new_event_and_reused_until_then(
    app, client, db, config, building
):

    pages = app.extensions["board_pages"]
    assert "Le tableau est vide" in text_of(client.get("/board/"))
    drawn = len(pages)
    assert "Le tableau est vide" in text_of(client.get("/board/"))
    assert len(pages) == drawn  # the same log version: reused
    version = log_version(db)
    board.publish(
        db,
        config,
        poster_id=building.paul.id,
        direction="offer",
        kind="service",
        category="computer",
        title="Aide informatique",
        price_mode="free",
    )
    assert log_version(db) > version
    assert "Aide informatique" in text_of(client.get("/board/"))
    assert len(pages) == drawn + 1


def test_the_search_bar_offers_to_post_only_to_someone_logged_in(client, building):

    assert "Publier une offre ou une demande" not in text_of(client.get("/board/?q=velo"))
    login(client, building.jeanne)
    assert "Publier une offre ou une demande" in text_of(client.get("/board/?q=velo"))


def test_the_page_cache_keeps_the_most_recently_used_and_stays_bounded():

    cache, made = LRUCache(3), []

    def make(key):
        return lambda: made.append(key) or f"<{key}>"

    for key in "abcab":
        assert cache.get_or_make(key, make(key)) == f"<{key}>"
    assert made == ["a", "b", "c"] and len(cache) == 3
    cache.get_or_make("d", make("d"))  # "c" is the least recently used now
    assert len(cache) == 3
    cache.get_or_make("a", make("a"))
    cache.get_or_make("c", make("c"))
    assert made == ["a", "b", "c", "d", "c"]


def test_a_huge_or_hostile_search_is_clipped_escaped_and_cached_small(app, client, building):
    for query in ("x" * 50_000, "<script>alert(1)</script>", "électricité -1 OR 1=1"):
        response = client.get("/board/", query_string={"q": query, "page": "-5", "category": "<b>"})
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "<script>alert" not in html and "<b>" not in html
        assert 'value="' + "x" * 101 not in html  # the search box holds what was searched: 100
    cached = app.extensions["board_pages"]._items.values()
    assert max(len(fragment) for fragment in cached) < 10_000
