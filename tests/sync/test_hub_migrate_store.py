"""``kiosk hub migrate-store``: a SQLite hub that carried real traffic, copied into PostgreSQL
and served from there, must look to its kiosks as if nothing happened (nothing new to pull,
pushes go on, a restore from the hub works); a copy into a database that holds rows is
refused; a copy changed after the fact is found by the check; a crash in the middle leaves the
target empty (one transaction), never half used."""

from __future__ import annotations

import json
import shutil
import sqlite3
import urllib.error
import urllib.request

import psycopg
import pytest
from app_fixtures import PIN
from click.testing import CliRunner
from device_keys import Device
from sync_fixtures import (
    FaultyNetwork,
    Hub,
    TwoHubs,
    dashboard,
    record_notes,
    shared_events,
    shared_snapshot,
    sync_until_quiet,
)

from kiosk import store
from kiosk.cli import main
from kiosk.ledger import exchanges
from kiosk.residents import contact, devices, residents
from kiosk.vouchers import redeeming, vouchers
from sync.enrolment import restore_from_hub
from sync.hub import dashboard as hub_dashboard
from sync.hub.app import create_hub_app
from sync.hub.kiosks import revoke
from sync.hub.migrate_store import StoreCopyRefused, copy_store

TILLEULS, LILAS = "Résidence des Tilleuls", "Les Lilas"
PASSWORD = "correct horse battery"


def post_home_request(hub, wire: dict) -> int:
    request = urllib.request.Request(
        hub.url + "/home/api/requests",
        data=json.dumps(wire).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def hub_counts(hub) -> dict[str, int]:
    db = hub.db
    try:
        return {
            table: store.scalar(db, f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (fixed names)
            for table in (
                "events",
                "seals",
                "conflicts",
                "voucher_registry",
                "hub_refused",
                "mail_contacts",
                "home_devices",
                "home_requests",
                "dashboard_failures",
                "enrol_codes",
            )
        }
    finally:
        db.close()


def busy_network(hub, make_kiosk):
    """Two kiosks of Les Tilleuls, one of Les Lilas and a stolen one there (revoked: what it
    sent after its first event is refused); a voucher redeemed at two kiosks while offline;
    Jeanne's e-mail contact, her phone paired at the kiosk and a post sent from it; one wrong
    dashboard password."""
    a = make_kiosk("tilleuls", TILLEULS, enrol_at=hub)
    b = make_kiosk("hall", TILLEULS, enrol_at=hub)
    c = make_kiosk("lilas", LILAS, enrol_at=hub)
    jeanne = residents.register(a.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(a.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        a.db, a.config, payer_id=paul.id, payee_id=jeanne.id, description="Ourlets", amount=2000
    )
    (voucher,) = vouchers.issue_vouchers(a.db, a.config, resident_id=jeanne.id, counts={2000: 1})
    louise = residents.register(c.db, apartment="C-3", name="Louise Bernard", pin=PIN)
    sync_until_quiet([a, b, c])
    redeeming.redeem_voucher(b.db, b.config, voucher.qr, resident_id=paul.id)
    redeeming.redeem_voucher(c.db, c.config, voucher.qr, resident_id=louise.id)
    c.sync()
    contact.set_contact(
        a.db, jeanne.id, email="jeanne@example.org", urgent=True, digest=False, language="fr"
    )
    offer = devices.make_offer(a.db, jeanne.id)
    phone = Device()
    assert post_home_request(hub, phone.pair(TILLEULS, a.origin, offer.id, offer.secret)) == 200
    sync_until_quiet([a, b, c])
    post = {"direction": "offer", "kind": "service", "category": "diy", "title": "Ourlets"}
    assert post_home_request(hub, phone.action(TILLEULS, jeanne.id, "board.post", post)) == 200
    thief = make_kiosk("thief", LILAS, enrol_at=hub)
    record_notes(thief, 3)
    thief.sync()
    db = hub.db
    try:
        revoke(db, thief.origin, after_seq=1, reason="stolen on 3 March")
        hub_dashboard.set_dashboard_password(db, PASSWORD)
    finally:
        db.close()
    with pytest.raises(urllib.error.HTTPError):
        dashboard(hub, "admin", "a wrong guess")
    sync_until_quiet([a, b, c])
    counts = hub_counts(hub)
    assert all(counts.values()), counts  # every kind of row is there to copy
    return a, b, c


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """``kiosk ...`` with a hub configuration whose data folder is tmp_path/hubdata."""
    path = tmp_path / "hub-config.toml"
    path.write_text(f'[storage]\ndata_dir = "{tmp_path / "hubdata"}"\n', encoding="utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(path))

    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    run.files = tmp_path / "hubdata" / "hub"  # where a PostgreSQL hub keeps its key
    return run


def serve_copy(url: str, files, port: int) -> Hub:
    """Two hub apps on the PostgreSQL copy, where the SQLite hub answered."""
    apps = [create_hub_app(url, files=files) for _ in range(2)]
    copy = Hub(path=url, network=FaultyNetwork(TwoHubs(apps)), files=files, port=port)
    copy.start()
    return copy


def test_a_busy_hub_moved_to_postgresql_goes_on_as_if_nothing_happened(
    hub, make_kiosk, postgres, cli
):
    a, b, c = busy_network(hub, make_kiosk)
    before = hub_counts(hub)
    hub.stop()  # the administrator stops the hub, then copies it
    url = postgres.new_database()
    result = cli("hub", "migrate-store", "--from", str(hub.path), "--to", url, "--batch", "7")
    assert result.exit_code == 0, result.output
    assert "Copy checked: identical. Committed." in result.output
    assert "DIFFERENT" not in result.output and "PROBLEM" not in result.output
    assert f"file {cli.files}-key.pem: copied" in result.output
    assert (cli.files.parent / "hub-key.pem").stat().st_mode & 0o777 == 0o600
    assert "@127.0.0.1" not in result.output  # the URL is shown without its user or password

    copy = serve_copy(url, cli.files, hub.port)
    try:
        assert hub_counts(copy) == before
        for kiosk in (a, b, c):  # their pull cursors mean the same events: nothing new
            result = kiosk.sync()
            assert (result.pushed, result.pulled, result.applied) == (0, 0, 0)
        db = copy.db
        last = store.scalar(db, "SELECT MAX(hub_seq) FROM events")
        db.close()
        marc = residents.register(b.db, apartment="C-4", name="Marc Lefèvre", pin=PIN)
        record_notes(c, 2)  # Les Lilas' news too
        sync_until_quiet([a, b, c])
        db = copy.db
        numbers = [
            r[0] for r in store.query(db, "SELECT hub_seq FROM events WHERE hub_seq > ?", [last])
        ]
        db.close()
        assert numbers and min(numbers) == last + 1  # numbering goes on, no gap, no reuse
        assert residents.get(a.db, marc.id).name == "Marc Lefèvre"  # pushed, then pulled
        assert shared_snapshot(a.db) == shared_snapshot(b.db)
        # The hall kiosk's card dies: it is restored from the PostgreSQL hub.
        new = make_kiosk("hall-new", TILLEULS)
        new.db.close()
        new.config.database_path.unlink()
        new.db = store.connect(new.config.database_path)
        restore_from_hub(new.db, new.config, copy.url, copy.enrol_code("", restore_origin=b.origin))
        assert shared_events(new.db) >= {e for e in shared_events(b.db) if e[1] == b.origin}
        sync_until_quiet([new, a, c])  # the old card is gone; its replacement takes over
        assert shared_snapshot(new.db) == shared_snapshot(a.db)
        assert "Les Lilas" in dashboard(copy, "admin", PASSWORD)
    finally:
        copy.stop()


def a_small_hub(hub, make_kiosk) -> None:
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 5)
    sync_until_quiet([a, b])
    hub.stop()


def test_a_second_copy_into_a_database_that_holds_the_first_is_refused(
    hub, make_kiosk, postgres, cli
):
    a_small_hub(hub, make_kiosk)
    url = postgres.new_database()
    assert cli("hub", "migrate-store", "--from", str(hub.path), "--to", url).exit_code == 0
    again = cli("hub", "migrate-store", "--from", str(hub.path), "--to", url)
    assert again.exit_code != 0
    assert "nothing copied: the target already holds" in again.output
    assert "rows in events" in again.output
    check = cli("hub", "migrate-store", "--from", str(hub.path), "--to", url, "--check")
    assert check.exit_code == 0 and "Copy checked: identical." in check.output


def test_a_copy_changed_after_the_fact_is_reported(hub, make_kiosk, postgres, cli):
    a_small_hub(hub, make_kiosk)
    url = postgres.new_database()
    assert cli("hub", "migrate-store", "--from", str(hub.path), "--to", url).exit_code == 0
    # Someone with the database's superuser rewrites an event behind the trigger's back and
    # changes a kiosk's cursor.
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("ALTER TABLE events DISABLE TRIGGER hub_events_are_append_only")
        pg.execute(
            "UPDATE events SET body = replace(body, 'Claire 3', 'Claire 9') "
            "WHERE body LIKE '%Claire 3%'"
        )
        pg.execute("ALTER TABLE events ENABLE TRIGGER hub_events_are_append_only")
        pg.execute("UPDATE kiosks SET pull_cursor = pull_cursor + 1 WHERE origin <> 'HUB'")
    check = cli("hub", "migrate-store", "--from", str(hub.path), "--to", url, "--check")
    assert check.exit_code == 1
    out = check.output
    assert "PROBLEM: 1 events of the copy do not match their digest" in out
    assert "PROBLEM: rows differ in kiosks, events" in out
    assert "events whose body does not match its digest (postgresql): 1" in out


def test_a_copy_cut_in_the_middle_leaves_the_target_empty_and_can_be_run_again(
    hub, make_kiosk, postgres, cli
):
    a_small_hub(hub, make_kiosk)
    url = postgres.new_database()
    copied: list[str] = []

    def crash_after_the_events(table: str) -> None:
        copied.append(table)
        if table == "events":  # kiosks, seals, ... and every event are written
            raise OSError("the machine lost power")

    with pytest.raises(OSError):
        copy_store(hub.path, url, files_to=cli.files, after_table=crash_after_the_events)
    assert "kiosks" in copied and "voucher_registry" not in copied
    with psycopg.connect(url) as pg:
        assert pg.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
        assert pg.execute("SELECT origin FROM kiosks").fetchall() == [("HUB",)]
    again = cli("hub", "migrate-store", "--from", str(hub.path), "--to", url)
    assert again.exit_code == 0 and "Copy checked: identical. Committed." in again.output


def test_a_sqlite_hub_at_another_migration_level_or_with_another_key_is_refused(
    hub, make_kiosk, postgres, cli, tmp_path
):
    a_small_hub(hub, make_kiosk)
    url = postgres.new_database()
    older = tmp_path / "older.sqlite3"
    shutil.copy(hub.path, older)
    with sqlite3.connect(older) as db:
        db.execute(
            "DELETE FROM _sqlite_migrations WHERE rowid = (SELECT MAX(rowid) FROM _sqlite_migrations)"
        )
    result = cli("hub", "migrate-store", "--from", str(older), "--to", url)
    assert result.exit_code != 0 and "the SQLite hub lacks migrations" in result.output
    with pytest.raises(StoreCopyRefused, match="no SQLite hub"):
        copy_store(tmp_path / "nowhere.sqlite3", url, files_to=cli.files)
    cli.files.parent.mkdir(parents=True)
    (cli.files.parent / "hub-key.pem").write_text("another hub's key\n")
    result = cli("hub", "migrate-store", "--from", str(hub.path), "--to", url)
    assert result.exit_code != 0 and "must keep the SQLite hub's key" in result.output
    with psycopg.connect(postgres.url()) as pg:  # nothing was even created
        name = url.rsplit("/", 1)[1]
        assert pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    with psycopg.connect(url) as pg:
        assert pg.execute("SELECT to_regclass('events')").fetchone()[0] is None
