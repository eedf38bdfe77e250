"""Logging in at the kiosk: card scans, apartment and name, PIN, lockout, log-out."""

from __future__ import annotations

import stat
import time

import pytest
from app_fixtures import PIN, csrf_token, login, post, text_of

from kiosk import clock
from kiosk.residents import residents


def card_for(db, resident):
    return residents.issue_card(db, resident.id, print_it=False)


def test_the_welcome_page_invites_to_scan_and_shows_no_one(client, building):
    html = text_of(client.get("/"))
    assert "Passez votre carte de membre" in html
    assert "Jeanne" not in html and "CEEC" not in html


def test_scanning_a_card_asks_for_that_residents_pin(client, db, building):
    token = card_for(db, building.jeanne)
    response = post(client, "/scan", {"code": token})
    assert response.status_code == 302 and response.location.endswith("/login/pin")
    html = text_of(client.get("/login/pin"))
    assert "Jeanne Martin" in html and "B-204" in html


def test_a_scan_typed_in_lower_case_still_works(client, db, building):
    token = card_for(db, building.jeanne)
    response = post(client, "/scan", {"code": token.lower() + "\r\n"})
    assert response.location.endswith("/login/pin")


def test_the_right_pin_logs_in_and_shows_the_balance(client, db, building):
    post(client, "/scan", {"code": card_for(db, building.jeanne)})
    response = post(client, "/login/pin", {"pin": PIN}, follow_redirects=True)
    html = text_of(response)
    assert "Bonjour Jeanne Martin" in html
    assert "0,00\u00a0CEEC" in html


@pytest.mark.parametrize(
    "code", ["KCBBBBBBBBBBBBBBBBBBBBBBBB", "nonsense", "", "KC" + "B" * 200, "<script>"]
)
def test_unknown_cards_are_refused_with_a_message(client, building, code):
    response = post(client, "/scan", {"code": code}, follow_redirects=True)
    html = text_of(response)
    assert "n'est pas reconnue" in html or "n'est pas une carte" in html
    assert "<script>" not in html


def test_a_replaced_card_stops_working_at_once(client, db, building):
    old = card_for(db, building.jeanne)
    new = card_for(db, building.jeanne)
    html = text_of(post(client, "/scan", {"code": old}, follow_redirects=True))
    assert "a été remplacée" in html
    assert post(client, "/scan", {"code": new}).location.endswith("/login/pin")


def test_choosing_apartment_then_name_leads_to_the_pin(client, building):
    html = text_of(client.get("/login/apartments"))
    assert "B-204" in html and "C-302" not in html  # suspended residents are not offered
    html = text_of(client.get("/login/apartments/B-204"))
    assert "Jeanne Martin" in html
    response = post(client, "/login/choose", {"resident_id": building.jeanne.id})
    assert response.location.endswith("/login/pin")


def test_an_empty_apartment_sends_back_to_the_list(client, building):
    response = client.get("/login/apartments/Z-999")
    assert response.status_code == 302


def test_a_wrong_pin_says_how_many_tries_are_left(client, building):
    post(client, "/login/choose", {"resident_id": building.jeanne.id})
    response = post(client, "/login/pin", {"pin": "0000"})
    assert response.status_code == 400
    assert "Essais restants avant le blocage du compte : 4" in text_of(response)
    assert client.get("/me/").status_code == 302


@pytest.mark.parametrize("pin", ["", "abc", "12", "1234567890123", "' OR 1=1 --"])
def test_malformed_pins_are_wrong_pins(client, building, pin):
    post(client, "/login/choose", {"resident_id": building.jeanne.id})
    response = post(client, "/login/pin", {"pin": pin})
    assert response.status_code == 400


def test_five_wrong_pins_lock_the_account_and_show_until_when(client, building):
    post(client, "/login/choose", {"resident_id": building.jeanne.id})
    for _ in range(5):
        response = post(client, "/login/pin", {"pin": "0000"})
    html = text_of(response)
    assert "bloqué jusqu'au" in html
    # even the right PIN is refused while locked
    response = post(client, "/login/pin", {"pin": PIN})
    assert response.status_code == 400 and client.get("/me/").status_code == 302
    # the lock ends by itself after the configured time (15 minutes by default)
    clock.shift(16 * 60)
    response = post(client, "/login/pin", {"pin": PIN})
    assert response.status_code == 302 and response.location.endswith("/me/")


def test_a_suspended_resident_cannot_log_in(client, db, building):
    token = card_for(db, building.suspended)
    html = text_of(post(client, "/scan", {"code": token}, follow_redirects=True))
    assert "suspendu" in html
    response = post(
        client, "/login/choose", {"resident_id": building.suspended.id}, follow_redirects=True
    )
    assert "suspendu" in text_of(response)


def test_logging_out_hides_everything_again(client, building):
    login(client, building.jeanne)
    assert client.get("/me/").status_code == 200
    post(client, "/logout")
    assert client.get("/me/").status_code == 302
    assert "Jeanne" not in text_of(client.get("/"))


def test_the_server_logs_out_an_idle_session(client, building, monkeypatch):
    login(client, building.jeanne)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    response = client.get("/me/")
    assert response.status_code == 302


def test_forms_without_a_csrf_token_are_refused(client, building):
    response = client.post("/login/choose", data={"resident_id": building.jeanne.id})
    assert response.status_code == 400
    assert "expiré" in text_of(response)


def test_the_session_cookie_is_httponly_and_samesite_strict(client, building):
    csrf_token(client)
    cookie = client.get_cookie("kiosk_session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"


def test_english_is_one_touch_away(client, building):
    post(client, "/language", {"lang": "en", "next": "/"})
    assert "Scan your member card" in text_of(client.get("/"))
    post(client, "/language", {"lang": "fr", "next": "/me/"})
    assert "Passez votre carte" in text_of(client.get("/"))


def test_the_secret_key_file_is_private(app, config):

    mode = stat.S_IMODE(config.secret_key_path.stat().st_mode)
    assert mode == 0o600
