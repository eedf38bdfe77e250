"""Logged out for inactivity, in Chromium at 800x480: the resident who comes back reads why
("after one minute without activity"), not the goodbye of a log-out they asked for; the
server records the session as ended for inactivity."""

from __future__ import annotations

import pytest
from app_fixtures import make_test_config
from browser import assert_accessible, log_in
from playwright.sync_api import expect

from kiosk import store

pytestmark = pytest.mark.browser

IDLE = "Vous avez été déconnecté après une minute sans activité."


@pytest.fixture
def config(tmp_path):
    # one minute, the lobby's setting, with a short warning: the test's clock runs it out
    return make_test_config(tmp_path, kiosk={"idle_timeout_seconds": 60, "idle_warning_seconds": 5})


def test_a_resident_logged_out_for_inactivity_is_told_why(page, app, db, building, live_server):
    server = live_server(app)
    page.clock.install()
    log_in(page, server, "B-204", "Jeanne Martin")
    page.clock.fast_forward("00:56")
    expect(page.get_by_role("alertdialog")).to_be_visible()
    page.clock.run_for("00:06")
    page.wait_for_url(server.url_for("/"))
    expect(page.get_by_text(IDLE)).to_be_visible()
    expect(page.get_by_text("Vous êtes déconnecté")).to_have_count(0)
    assert_accessible(page)
    [row] = store.query(db, "SELECT ended_why FROM sessions")
    assert row["ended_why"] == "idle"


def test_a_resident_who_logs_out_is_wished_goodbye(page, app, db, building, live_server):
    server = live_server(app)
    log_in(page, server, "B-204", "Jeanne Martin")
    page.get_by_role("button", name="Se déconnecter").first.tap()
    page.wait_for_url(server.url_for("/"))
    expect(page.get_by_text("Vous êtes déconnecté", exact=False)).to_be_visible()
    expect(page.get_by_text(IDLE)).to_have_count(0)
    [row] = store.query(db, "SELECT ended_why FROM sessions")
    assert row["ended_why"] == "logout"
