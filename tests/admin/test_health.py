"""Health: /healthz for monitoring and the volunteer's status page."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from app_fixtures import login, text_of

from kiosk import __version__, clock, store
from kiosk.admin.health import gather_health
from kiosk.store import backup


@pytest.fixture(autouse=True)
def honest_clock():
    yield
    clock.reset()


def test_healthz_says_ok_in_json_without_paths(client, building):
    response = client.get("/healthz")
    assert response.status_code == 200
    health = response.get_json()
    assert health["version"] == __version__
    assert health["database"]["ok"] is True and health["database"]["events"] > 0
    assert "path" not in health["database"]
    assert health["clock"]["ok"] is True
    assert health["status"] == "warning"  # no backup yet on a fresh kiosk
    assert health["problems"] == ["backup: no backup yet (run `kiosk backup`)"]


def test_a_fresh_backup_makes_the_kiosk_fully_healthy(client, building, config):
    backup.nightly_backup(config)
    health = client.get("/healthz").get_json()
    assert health["backup"]["ok"] is True and health["backup"]["last"].startswith("kiosk-")
    assert health["status"] == "ok", health["problems"]


def test_an_old_backup_is_flagged(db, building, config):
    backup.backup_database(
        config.database_path, backup.backup_dir(config), now=clock.now() - timedelta(days=3)
    )
    health = gather_health(db, config, time.time())
    assert health["backup"]["ok"] is False and health["backup"]["age_hours"] >= 72


def test_a_clock_earlier_than_the_last_event_is_flagged(db, building, config):
    clock.shift(-2 * 3600)  # the Pi rebooted without network: its clock went back
    health = gather_health(db, config, time.time())
    assert health["clock"]["ok"] is False
    assert health["clock"]["behind_seconds"] >= 3600
    assert (
        "clock: the clock is earlier than the last recorded event; set the time"
        in health["problems"]
    )


def test_an_unreadable_database_makes_healthz_fail(app, config):

    db = store.connect(config.database_path)
    db.execute("ALTER TABLE events RENAME TO events_gone")
    db.close()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_the_status_page_is_for_volunteers_only(client, building):
    login(client, building.jeanne)
    assert client.get("/admin/status").status_code == 403


def test_the_status_page_shows_every_line(client, building):
    login(client, building.admin)
    response = client.get("/admin/status")
    assert response.status_code == 200
    page = text_of(response)
    assert __version__ in page
    assert page.count('class="tag tag-') == 5  # database, disk, backup, printer, clock: each judged
    assert client.get("/admin/").get_data(as_text=True).count("/admin/status") == 1
