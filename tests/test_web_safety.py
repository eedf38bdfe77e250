"""Only the kiosk's own pages: a forged form cannot send a resident to another site through
``next`` (nor break the Location header with CR/LF), and every response of every route carries
the headers that keep the page out of frames, caches and foreign scripts."""

from __future__ import annotations

import re

import pytest
from app_fixtures import login, post, text_of
from werkzeug.routing.converters import NumberConverter

from kiosk.board import lending

HOSTILE_NEXTS = [
    "https://evil.example/",
    "//evil.example/me/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "http:/evil.example",
    " //evil.example",
    "/me/\r\nSet-Cookie: kiosk_session=stolen",
    "/me/\nLocation: https://evil.example/",
    "/me/\x00",
    "/me/\x1b[31m",
]


@pytest.fixture
def routes_with_next(db, config, building):
    """Every POST route that follows a ``next``, with a form that would otherwise succeed."""
    loan = lending.lend(
        db, config, lender_id=building.jeanne.id, borrower_id=building.paul.id, item="Escabeau"
    )
    return [
        ("/language", {"lang": "en"}, "/"),
        (f"/loans/{loan.id}/returned", {}, "/loans/"),
        ("/vouchers/NOPE-1/reprint", {}, "/vouchers/"),
    ]


@pytest.mark.parametrize("target", HOSTILE_NEXTS)
def test_every_next_refuses_another_site_and_changes_nothing(
    client, db, config, building, routes_with_next, target
):
    login(client, building.jeanne)
    for path, form, _default in routes_with_next:
        response = post(client, path, {**form, "next": target})
        assert response.status_code == 400, (path, target)
        assert "Location" not in response.headers
        assert "autre page du kiosque" in text_of(response)
    assert "Scan your member card" not in text_of(client.get("/"))  # the language stayed French
    [loan] = lending.loans_of(db, config, building.jeanne.id)
    assert loan.returned_at is None


def test_every_next_follows_a_page_of_the_kiosk(client, building, routes_with_next):
    login(client, building.jeanne)
    for path, form, default in routes_with_next:
        response = post(client, path, {**form, "next": "/me/?tab=history#top"})
        assert response.status_code == 302 and response.location == "/me/?tab=history#top", path
        response = post(client, path, {**form, "next": ""})
        assert response.status_code == 302 and response.location == default, path


# --------------------------------------------------------------------------- headers


def urls_of_every_route(app, building) -> list[str]:
    """One URL per GET route of the URL map, its arguments filled with real or made-up ids."""
    known = {"resident_id": building.jeanne.id, "filename": "kiosk.css"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {}
        for name in rule.arguments:
            numeric = isinstance(rule._converters[name], NumberConverter)
            values[name] = 1 if numeric else known.get(name, "x1")
        url = rule.build(values, append_unknown=False)[1]
        urls.append(url)
    return sorted(set(urls))


@pytest.mark.parametrize("who", ["nobody", "resident", "admin"])
def test_every_page_carries_the_safety_headers(app, client, building, who):
    if who != "nobody":
        login(client, building.admin if who == "admin" else building.jeanne)
    urls = urls_of_every_route(app, building)
    assert len(urls) > 60
    for url in urls:
        response = client.get(url)
        headers = response.headers
        csp = headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("Referrer-Policy") in ("no-referrer", "same-origin"), url
        if not url.startswith("/static/"):
            assert headers.get("Cache-Control") == "no-store", url
        if response.mimetype == "text/html":
            for tag in re.findall(r"<script\b[^>]*>", response.get_data(as_text=True)):
                assert "src=" in tag or 'type="application/json"' in tag, (url, tag)
        response.close()
