"""A restore from the hub (``kiosk restore-from-hub``) cut at any point, by the network or by
the hub going down, or by the kiosk's own process killed: running it again, or ``kiosk sync``,
goes on from where it stopped; meanwhile the half-restored kiosk refuses to record anything and
says so; afterwards it agrees with the building's other kiosk and numbers above the hub."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from app_fixtures import PIN, ROOT, post, text_of
from click.testing import CliRunner
from sync_fixtures import Kiosk, record_notes, shared_events, shared_snapshot, sync_until_quiet

from kiosk import store
from kiosk.app import create_app
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.ledger import exchanges
from kiosk.residents import residents, sessions
from kiosk.store import restoring
from sync.enrolment import restore_from_hub
from sync.errors import HubUnreachable, SyncError
from sync.restore import RestoreIncomplete, resume_restore
from sync.scheduler import runner_for

# The hub's core behaviour, on both of its stores (PostgreSQL: two hub apps, one database).
pytestmark = [pytest.mark.both_stores, pytest.mark.hub_processes]  # PostgreSQL: two OS processes


def a_building_with_two_kiosks(hub, make_kiosk, notes: int = 40):
    """Kiosks ``old`` and ``other`` of one building, both synced: residents of each, exchanges,
    ``notes`` name changes at ``old`` (so a restore takes several pages)."""
    old = make_kiosk("old", enrol_at=hub)
    other = make_kiosk("other", enrol_at=hub)
    jeanne = residents.register(
        old.db, apartment="B-204", name="Jeanne Martin", pin=PIN, role="admin", status="verified"
    )
    paul = residents.register(old.db, apartment="A-101", name="Paul Durand", pin=PIN)
    for minutes in (90, 30):
        exchanges.record_exchange(
            old.db,
            old.config,
            payer_id=jeanne.id,
            payee_id=paul.id,
            description="Étagère",
            minutes=minutes,
        )
    old.sync()
    other.sync()
    louise = residents.register(other.db, apartment="C-301", name="Louise Roy", pin=PIN)
    exchanges.record_exchange(
        other.db,
        other.config,
        payer_id=louise.id,
        payee_id=jeanne.id,
        description="Courses",
        amount=400,
    )
    record_notes(old, notes)
    residents.set_pin(old.db, paul.id, "9999")  # private: the last seq is never sent
    sync_until_quiet([old, other])
    return old, other, (jeanne, paul, louise)


def an_empty_kiosk(make_kiosk, name: str = "new", batch_size: int = 10):
    """A new SD card: an empty data folder (the fixture's key event removed with the database)."""
    kiosk = make_kiosk(name, batch_size=batch_size)
    kiosk.db.close()
    kiosk.config.database_path.unlink()
    kiosk.db = store.connect(kiosk.config.database_path)
    return kiosk


def hub_held(hub, origin: str) -> int:
    db = hub.db
    try:
        return store.scalar(
            db, "SELECT COALESCE(MAX(seq), 0) FROM events WHERE origin = ?", (origin,)
        )
    finally:
        db.close()


def forks_at_the_hub(hub) -> int:
    db = hub.db
    try:
        return store.scalar(db, "SELECT COUNT(*) FROM conflicts WHERE kind = 'fork'")
    finally:
        db.close()


def balances_sum(db) -> int:
    return store.scalar(db, "SELECT COALESCE(SUM(balance), 0) FROM accounts")


def assert_refuses_to_record(kiosk, jeanne, paul) -> None:
    """A resident's exchange (and any other recording) is refused with the restore's message;
    nothing changes."""
    before = store.scalar(kiosk.db, "SELECT COUNT(*) FROM events")
    snapshot = shared_snapshot(kiosk.db)
    with pytest.raises(restoring.KioskBeingRestored) as refused:
        exchanges.record_exchange(
            kiosk.db,
            kiosk.config,
            payer_id=paul.id,
            payee_id=jeanne.id,
            description="Pain",
            amount=300,
        )
    assert "being restored from the hub" in str(refused.value)
    assert refused.value.params["done"] <= refused.value.params["total"]
    with pytest.raises(restoring.KioskBeingRestored):
        residents.register(kiosk.db, apartment="D-1", name="Nouveau", pin=PIN)
    assert store.scalar(kiosk.db, "SELECT COUNT(*) FROM events") == before
    assert shared_snapshot(kiosk.db) == snapshot


def assert_restored_and_forked_nowhere(hub, new, other, old_origin, people) -> None:
    """The restore is complete: ``new`` agrees with ``other``, numbers above the hub, and its next
    exchange reaches ``other``; the hub saw no fork."""
    jeanne, paul, _louise = people
    assert restoring.progress(new.db) is None and store.kiosk_id(new.db) == old_origin
    sync_until_quiet([new, other])
    assert shared_snapshot(new.db) == shared_snapshot(other.db)
    assert shared_events(new.db) == shared_events(other.db)
    assert balances_sum(new.db) == 0 and balances_sum(other.db) == 0
    held = hub_held(hub, old_origin)
    top = store.scalar(new.db, "SELECT MAX(local_id) FROM events")
    exchanges.record_exchange(
        new.db, new.config, payer_id=paul.id, payee_id=jeanne.id, description="Pain", amount=300
    )
    seq = store.scalar(
        new.db, "SELECT MIN(seq) FROM events WHERE origin = ? AND local_id > ?", (old_origin, top)
    )
    assert seq > held
    assert new.sync().pushed >= 1
    other.sync()
    assert shared_snapshot(new.db) == shared_snapshot(other.db)
    assert "Pain" in {
        r["description"] for r in store.query(other.db, "SELECT description FROM transfers")
    }
    assert forks_at_the_hub(hub) == 0


# Where the restore is cut, as (path, mode, requests let through first) for FaultyNetwork.cut.
CUTS = {
    "after the first page": ("/api/pull", "cut_before", 1),
    "mid-page (the answer cut after the hub served it)": ("/api/pull", "cut_after", 2),
    "before the final step": ("/api/status", "cut_before", 1),
}


@pytest.mark.parametrize("cut", CUTS, ids=list(CUTS))
@pytest.mark.parametrize("resume", ["restore again", "kiosk sync"])
def test_a_cut_restore_goes_on_from_where_it_stopped(hub, make_kiosk, cut, resume):
    old, other, people = a_building_with_two_kiosks(hub, make_kiosk)
    new = an_empty_kiosk(make_kiosk)
    code = hub.enrol_code("", restore_origin=old.origin)
    path, mode, skip = CUTS[cut]
    hub.network.cut(path, mode, skip=skip)
    with pytest.raises(HubUnreachable):
        restore_from_hub(new.db, new.config, hub.url, code)
    half = restoring.progress(new.db)
    assert half is not None and half.origin == old.origin and 0 < half.done <= half.total
    # the numbering: nothing of the kiosk's own goes out while it is half restored
    assert_refuses_to_record(new, *people[:2])
    cursor = new.state()["pull_cursor"]
    assert cursor > 0
    if resume == "restore again":
        result = restore_from_hub(new.db, new.config, hub.url, code)  # the same code
        assert result.resumed and result.origin == old.origin
    else:
        new.sync()
    assert_restored_and_forked_nowhere(hub, new, other, old.origin, people)


def test_a_second_restore_does_not_fetch_again_what_the_first_applied(hub, make_kiosk):
    old, _other, _people = a_building_with_two_kiosks(hub, make_kiosk, notes=60)
    new = an_empty_kiosk(make_kiosk)  # pages of 10 events
    code = hub.enrol_code("", restore_origin=old.origin)
    hub.network.cut("/api/pull", "cut_before", skip=4)
    with pytest.raises(HubUnreachable):
        restore_from_hub(new.db, new.config, hub.url, code)
    half = restoring.progress(new.db)
    # four pages applied, each with the cursor (a page may also carry the hub's introduction
    # of a kiosk's key ahead of its place in hub order: sync/hub/store.py, _keys_ahead)
    assert 40 <= half.done <= 42
    asked = len(hub.network.requests)
    result = restore_from_hub(new.db, new.config, hub.url, code)
    pulls = [path for path in hub.network.requests[asked:] if path == "/api/pull"]
    left = half.total - half.done
    # the pages already applied are not asked for again (then one pull of the sync after it)
    assert len(pulls) <= -(-left // 10) + 2
    assert result.events == half.total and result.resumed
    marker = store.query_one(new.db, "SELECT payload FROM events WHERE type = 'kiosk.restored'")
    assert f'"events_restored":{half.total}' in marker["payload"]


def test_a_restore_whose_enrolment_answer_was_lost_goes_on_with_the_same_code(hub, make_kiosk):
    old, other, people = a_building_with_two_kiosks(hub, make_kiosk, notes=5)
    new = an_empty_kiosk(make_kiosk)
    code = hub.enrol_code("", restore_origin=old.origin)
    hub.network.cut("/api/enrol", "cut_after")  # the hub used the code; the kiosk never knew
    with pytest.raises(HubUnreachable):
        restore_from_hub(new.db, new.config, hub.url, code)
    half = restoring.progress(new.db)
    assert half is not None and half.origin is None and half.done == 0
    with pytest.raises(restoring.KioskBeingRestored):
        residents.register(new.db, apartment="D-1", name="Nouveau", pin=PIN)
    assert new.state()["enrolled_at"] is None  # not even the background sync can go on
    with pytest.raises(RestoreIncomplete, match="same code works"):
        resume_restore(new.db, new.config)
    restore_from_hub(new.db, new.config, hub.url, code)
    assert_restored_and_forked_nowhere(hub, new, other, old.origin, people)


def test_a_used_restore_code_serves_only_the_key_it_enrolled(hub, make_kiosk):
    old, _other, _people = a_building_with_two_kiosks(hub, make_kiosk, notes=2)
    new = an_empty_kiosk(make_kiosk)
    code = hub.enrol_code("", restore_origin=old.origin)
    restore_from_hub(new.db, new.config, hub.url, code)
    thief = an_empty_kiosk(make_kiosk, "thief")  # another key, the same code
    with pytest.raises(SyncError, match="already used"):
        restore_from_hub(thief.db, thief.config, hub.url, code)


def test_a_restore_survives_the_hub_going_down_and_coming_back(hub, make_kiosk):
    old, other, people = a_building_with_two_kiosks(hub, make_kiosk)
    new = an_empty_kiosk(make_kiosk)
    code = hub.enrol_code("", restore_origin=old.origin)
    hub.network.cut("/api/pull", "cut_before", skip=2)
    with pytest.raises(HubUnreachable):
        restore_from_hub(new.db, new.config, hub.url, code)
    hub.stop()  # the hub's machine goes down
    with pytest.raises(HubUnreachable):
        new.sync()
    with pytest.raises(HubUnreachable):
        restore_from_hub(new.db, new.config, hub.url, code)
    assert restoring.progress(new.db) is not None
    assert_refuses_to_record(new, *people[:2])
    hub.start()  # back on the same port
    assert runner_for(new.config).run_now() is not None  # the kiosk's own background sync
    assert_restored_and_forked_nowhere(hub, new, other, old.origin, people)


def test_the_half_restored_kiosk_says_so_on_every_screen_and_refuses(hub, make_kiosk):
    old, _other, (jeanne, paul, _louise) = a_building_with_two_kiosks(hub, make_kiosk)
    new = an_empty_kiosk(make_kiosk)
    hub.network.cut("/api/status", "cut_before", skip=1)  # every page in; not finished
    with pytest.raises(HubUnreachable):
        restore_from_hub(new.db, new.config, hub.url, hub.enrol_code("", restore_origin=old.origin))
    half = restoring.progress(new.db)
    app = create_app(new.config)  # the kiosk started again, half restored
    app.config["TESTING"] = True
    client = app.test_client()
    with client.session_transaction() as session:  # PINs never left the old kiosk
        session["resident_id"] = paul.id
        session["sid"] = sessions.start(new.db, paul.id)
        session["lang"] = "fr"
    words = (
        "Cette borne est en cours de restauration depuis le hub : "
        f"{half.done} événements sur {half.total} ; rien ne peut être enregistré avant la fin."
    )
    assert words in text_of(app.test_client().get("/", follow_redirects=True))  # welcome screen
    assert words in text_of(client.get("/me/", follow_redirects=True))
    # the administrator gives Paul a new PIN: refused, in her language; nothing changes
    before = store.scalar(new.db, "SELECT COUNT(*) FROM events")
    with client.session_transaction() as session:
        session["resident_id"] = jeanne.id
        session["sid"] = sessions.start(new.db, jeanne.id)
    page = text_of(
        post(client, f"/admin/residents/{paul.id}/pin", {"pin": "1357"}, follow_redirects=True)
    )
    assert page.count(words) == 2  # the banner, and the refusal
    assert "Le nouveau code" not in page
    assert store.scalar(new.db, "SELECT COUNT(*) FROM events") == before
    with client.session_transaction() as session:
        session["lang"] = "en"
    page = text_of(client.get("/admin/sync/"))
    assert f"being restored from the hub: {half.done} events of {half.total}" in page
    assert "It goes on by itself at the next sync" in page
    assert store.scalar(new.db, "SELECT COUNT(*) FROM events") == before


def test_the_command_line_says_how_far_a_cut_restore_came_and_goes_on(
    hub, make_kiosk, tmp_path, monkeypatch
):
    old, other, people = a_building_with_two_kiosks(hub, make_kiosk)
    path = tmp_path / "new.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "new-data"}"\n[sync]\nbatch_size = 10\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    code = hub.enrol_code("", restore_origin=old.origin)
    hub.network.cut("/api/pull", "cut_before", skip=1)
    result = CliRunner().invoke(main, ["restore-from-hub", hub.url, code])
    assert result.exit_code == 1
    assert "The restore stopped at" in result.output and "Run this command again" in result.output
    result = CliRunner().invoke(main, ["restore-from-hub", hub.url, code])
    assert result.exit_code == 0 and "restored (resumed)" in result.output, result.output


def test_a_restore_process_killed_mid_way_goes_on(hub, make_kiosk, tmp_path):
    old, other, people = a_building_with_two_kiosks(hub, make_kiosk, notes=3000)
    path = tmp_path / "new.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "new-data"}"\n[sync]\nbatch_size = 20\n',
        encoding="utf-8",
    )
    config = load_config(path)
    code = hub.enrol_code("", restore_origin=old.origin)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from kiosk.cli import main; main()",
            "restore-from-hub",
            hub.url,
            code,
        ],
        env={**os.environ, "KIOSK_CONFIG": str(path), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if events_in(config.database_path) > 200:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)  # the power goes mid-restore
    finally:
        returncode = process.wait(10)
    assert returncode == -signal.SIGKILL, "the restore ended before it could be killed"
    db = store.connect(config.database_path)
    try:
        half = restoring.progress(db)
        assert half is not None and 200 < half.done < half.total
        new = Kiosk(name="new", config=config, db=db, hub=hub)
        assert_refuses_to_record(new, *people[:2])
        result = restore_from_hub(db, config, hub.url, code)
        assert result.resumed
        assert_restored_and_forked_nowhere(hub, new, other, old.origin, people)
    finally:
        db.close()


def events_in(path) -> int:
    """How many events another process's database holds so far (0 while it cannot be read)."""
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.1)
        try:
            return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
