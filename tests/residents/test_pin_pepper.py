"""Stealing PINs from a copy of the kiosk's database: a stolen backup stick, a copied SD card.

Every PIN hash is peppered with a key kept in a file beside the database, never in it nor in its
backups; hashes made before the pepper are wrapped by the upgrade, in the projections and in the
private events that carried them, and upgraded at the next login. A copy without the pepper file
confirms no guess."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
from app_fixtures import PIN, login, make_test_config, post, text_of

from kiosk import pin_hashing, store
from kiosk.app import create_app
from kiosk.errors import PinToSetAgain, WrongPin
from kiosk.residents import auth, residents
from kiosk.store import backup

LEVELS = Path(__file__).resolve().parent.parent / "store" / "upgrades" / "fixtures"
SECRET_EVENTS = ("resident.pin_set", "mailbox_code.issued")


def stored_hashes(db) -> list[str]:
    """Every PIN or code hash the database holds, in its projections and in its event log."""
    found = [row[0] for row in db.execute("SELECT pin_hash FROM credentials WHERE pin_hash > ''")]
    found += [row[0] for row in db.execute("SELECT code_hash FROM mailbox_codes")]
    for row in db.execute(
        "SELECT json_extract(payload, '$.pin_hash'), json_extract(payload, '$.code_hash') "
        "FROM events WHERE type IN (?, ?)",
        SECRET_EVENTS,
    ):
        found.append(row[0] or row[1])
    return found


def copy_elsewhere(db_path: Path, tmp_path: Path) -> Path:
    """What a thief carries away: the database file alone (closed, so WAL is folded in)."""
    target = tmp_path / "stolen" / "kiosk.sqlite3"
    target.parent.mkdir(parents=True)
    shutil.copyfile(db_path, target)
    return target


def test_a_copied_database_and_a_backup_confirm_no_pin_guess(tmp_path, config, building, db):
    pepper = pin_hashing.pepper(db)
    database = config.database_path
    assert pin_hashing.pepper_path(database).exists()
    kept = backup.backup_database(database, tmp_path / "usb-stick")
    db.close()
    stolen = copy_elsewhere(database, tmp_path)
    for path in (stolen, kept):
        assert pepper not in path.read_bytes()  # the key is nowhere in the file
        assert not list(path.parent.glob(pin_hashing.PEPPER_FILE))
        copy = store.connect(path)
        try:
            hashes = stored_hashes(copy)
            assert hashes and all(h.startswith("pin2$") for h in hashes)
            # The kiosk's own code, run on the copy, cannot judge a guess, the right one included:
            with pytest.raises(PinToSetAgain):
                auth.verify_pin(copy, config, building.jeanne.id, PIN)
            # nor can an attacker who knows the format but not the key: no PIN of the 10,000
            # gives Jeanne's hash under a guessed pepper.
            mine = copy.execute(
                "SELECT pin_hash FROM credentials WHERE resident_id = ?", [building.jeanne.id]
            ).fetchone()[0]
            _, _, cost, salt, digest = mine.split("$")
            guessed = b"0" * 64
            assert all(
                pin_hashing._scrypt(guessed, f"{n:04d}", bytes.fromhex(salt), int(cost)) != digest
                for n in range(10_000)
            )
        finally:
            copy.close()


def test_the_kiosk_with_its_pepper_file_still_checks_pins(config, building, db):
    with pytest.raises(WrongPin):
        auth.verify_pin(db, config, building.jeanne.id, "1111")
    auth.verify_pin(db, config, building.jeanne.id, PIN)


def latest_level_kiosk(tmp_path: Path):
    """The Tilleuls kiosk as the last code before peppered PINs left it (werkzeug scrypt PIN
    hashes): the newest upgrade fixture whose kiosk level has no m018_pin_pepper_old_hashes."""
    level = max(
        path
        for path in LEVELS.iterdir()
        if (path / "manifest.json").exists()
        and "m018_pin_pepper_old_hashes"
        not in json.loads((path / "manifest.json").read_text())["kiosk_level"]
    )
    config = make_test_config(tmp_path / "tilleuls", building={"name": "Résidence des Tilleuls"})
    config.database_path.parent.mkdir(parents=True)
    with gzip.open(level / "tilleuls.sqlite3.gz") as packed:
        config.database_path.write_bytes(packed.read())
    return config


def test_old_pin_hashes_are_wrapped_everywhere_and_upgraded_at_login(tmp_path):
    config = latest_level_kiosk(tmp_path)
    before = store.connect(config.database_path, migrate=False)
    legacy = [h for h in stored_hashes(before) if pin_hashing.is_legacy(h)]
    before.close()
    assert legacy  # before: hashes anyone can test, in the log and the projections
    digests = [h.rsplit("$", 1)[1].encode() for h in legacy]

    db = store.connect(config.database_path)  # the upgrade
    hashes = stored_hashes(db)
    assert hashes and not any(pin_hashing.is_legacy(h) for h in hashes)
    # Replaying the log gives the same credentials: the edit kept its meaning.
    rebuilt = store.rebuild(db, tmp_path / "rebuilt.sqlite3")
    assert (
        store.events.projection_snapshot(rebuilt)["credentials"]
        == (store.events.projection_snapshot(db)["credentials"])
    )
    rebuilt.close()
    claire = db.execute("SELECT id FROM residents WHERE name = 'Claire Petit'").fetchone()[0]
    events_before = db.execute("SELECT count(*) FROM events").fetchone()[0]
    db.close()
    raw = config.database_path.read_bytes()
    assert not any(digest in raw for digest in digests)  # not even in freed pages

    app = create_app(config)
    app.config["TESTING"] = True
    client = app.test_client()
    post(client, "/login/choose", {"resident_id": claire})
    response = post(client, "/login/pin", {"pin": PIN})
    assert response.status_code == 302, text_of(response)

    db = store.connect(config.database_path)
    try:
        now = db.execute("SELECT pin_hash FROM credentials WHERE resident_id = ?", [claire])
        assert now.fetchone()[0].startswith("pin2$")  # the fast, peppered form from now on
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == events_before + 1
    finally:
        db.close()


def test_a_kiosk_restored_without_its_pepper_asks_for_new_pins(tmp_path, config, building, db):
    """The volunteer restored last night's backup on a new card but lost the secrets file:
    nobody's PIN can be judged; a try is not counted as a wrong PIN; a new PIN works."""
    kept = backup.backup_database(config.database_path, tmp_path / "usb-stick")
    fresh = make_test_config(tmp_path / "new-card")
    fresh.database_path.parent.mkdir(parents=True)
    shutil.copyfile(kept, fresh.database_path)
    app = create_app(fresh)
    app.config["TESTING"] = True
    client = app.test_client()
    post(client, "/login/choose", {"resident_id": building.jeanne.id})
    response = post(client, "/login/pin", {"pin": PIN})
    assert response.status_code == 400
    assert "doit être choisi à nouveau" in text_of(response)
    restored = store.connect(fresh.database_path)
    try:
        assert restored.execute("SELECT count(*) FROM pin_failures").fetchone()[0] == 0
        residents.set_pin(restored, building.jeanne.id, "4821")
    finally:
        restored.close()
    login(client, building.jeanne, "4821")
