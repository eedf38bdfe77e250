"""Keeping a copy of someone's session cookie, as an attacker at a shared kiosk would (or a
browser's saved state): the server ends sessions, so the copy is refused once the resident
logged out, was logged out for inactivity, had a new PIN or was suspended, even after the kiosk
restarts; and logging in makes a new session id, so a cookie planted before login is worth
nothing."""

from __future__ import annotations

import time

import pytest
from app_fixtures import PIN, login, post

from kiosk.app import create_app
from kiosk.residents import residents

COOKIE = "kiosk_session"


def stolen_copy(client) -> str:
    return client.get_cookie(COOKIE).value


def with_cookie(app, value: str):
    thief = app.test_client()
    thief.set_cookie(COOKIE, value)
    return thief


def me_page(client) -> int:
    return client.get("/me/").status_code


def test_a_cookie_kept_from_before_logout_is_refused(app, client, building):
    login(client, building.jeanne)
    copy = stolen_copy(client)
    assert me_page(with_cookie(app, copy)) == 200  # the copy works while she is logged in
    post(client, "/logout")
    assert me_page(with_cookie(app, copy)) == 302
    # even after the kiosk restarts
    restarted = create_app(app.config["KIOSK"])
    restarted.config["TESTING"] = True
    assert me_page(with_cookie(restarted, copy)) == 302


def test_logging_out_one_screen_ends_every_session_of_the_resident(app, building):
    first, second = app.test_client(), app.test_client()
    login(first, building.jeanne)
    login(second, building.jeanne)
    post(first, "/logout")
    assert me_page(second) == 302


def test_a_cookie_copied_before_an_idle_logout_is_refused(app, client, building, monkeypatch):
    login(client, building.jeanne)
    copy = stolen_copy(client)
    real = time.time
    later = real() + app.config["KIOSK"]["kiosk"]["idle_timeout_seconds"] + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert me_page(client) == 302  # the server logged her out
    monkeypatch.setattr(time, "time", real)  # a clock put back changes nothing: ended for good
    assert me_page(with_cookie(app, copy)) == 302


@pytest.mark.parametrize("what", ["pin_reset", "suspended"])
def test_a_pin_reset_or_a_suspension_ends_her_sessions(app, client, db, building, what):
    login(client, building.jeanne)
    copy = stolen_copy(client)
    volunteer = app.test_client()
    login(volunteer, building.admin)
    if what == "pin_reset":
        post(volunteer, f"/admin/residents/{building.jeanne.id}/pin", {"pin": "1357"})
    else:
        residents.update(db, building.jeanne.id, status="suspended")
        residents.update(db, building.jeanne.id, status="verified")  # reinstated at once
    assert me_page(client) == 302 and me_page(with_cookie(app, copy)) == 302
    assert me_page(volunteer) == 200  # the volunteer's own session goes on


def test_the_session_id_changes_at_login(app, client, building):
    before = stolen_copy(client) if client.get_cookie(COOKIE) else None
    post(client, "/login/choose", {"resident_id": building.jeanne.id})
    planted = stolen_copy(client)  # a cookie fixed before the PIN was typed
    post(client, "/login/pin", {"pin": PIN})
    assert stolen_copy(client) not in (before, planted)
    assert me_page(with_cookie(app, planted)) == 302
