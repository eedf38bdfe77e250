"""The store: SQLite settings, migrations in place, the event log and rebuilding from it."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from kiosk import store
from kiosk.board import reads as board_reads
from kiosk.config import make_config
from kiosk.errors import KioskError
from kiosk.ledger import exchanges, reversals
from kiosk.residents import residents
from kiosk.store.alter_table import executescript
from kiosk.store.schema import migrations
from sync.hub import schema as hub_schema


def test_connections_use_wal_full_sync_and_foreign_keys(tmp_path):
    db = store.connect(tmp_path / "k.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_migrations_are_recorded_in_the_database(tmp_path):
    db = store.connect(tmp_path / "k.sqlite3")
    applied = [m.name for m in migrations.applied(db)]
    assert applied == [m.name for m in migrations._migrations]
    assert applied[0] == "m001_event_log"


SCRIPT_WITH_SEMICOLONS = """
    -- a comment; with a semicolon
    CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL DEFAULT 'a; b');
    CREATE TABLE log (text TEXT);
    CREATE TRIGGER notes_logged AFTER INSERT ON notes BEGIN
        INSERT INTO log (text) VALUES ('added; ' || NEW.text);  -- in the body; still the trigger
        INSERT INTO log (text) VALUES ("second");
    END;
    INSERT INTO notes (text) VALUES ('x;y'), ('it''s; fine');
    INSERT INTO notes (id) VALUES (10)
"""


def test_a_migration_script_runs_each_statement_whatever_semicolons_it_holds():
    db = store.connect(":memory:", migrate=False)
    with store.write(db):
        executescript(db, SCRIPT_WITH_SEMICOLONS)
    assert [tuple(r) for r in db.execute("SELECT id, text FROM notes ORDER BY id")] == [
        (1, "x;y"),
        (2, "it's; fine"),
        (10, "a; b"),
    ]
    assert [r[0] for r in db.execute("SELECT text FROM log ORDER BY rowid")] == [
        "added; x;y",
        "second",
        "added; it's; fine",
        "second",
        "added; a; b",
        "second",
    ]


def test_a_migration_script_that_fails_half_way_leaves_nothing_behind():
    db = store.connect(":memory:", migrate=False)
    for broken in (
        "CREATE TABLE a (x); CREATE TABLE b (y); INSERT INTO nowhere VALUES (1);",
        "CREATE TABLE a (x); CREATE TABLE b (y",
    ):
        with pytest.raises(sqlite3.Error):
            with store.write(db):
                executescript(db, broken)
        assert db.table_names() == []


def an_old_database(path, *, stop_before: str):
    """A database file of an older kiosk (migrated up to ``stop_before``), with one event."""
    old = store.connect(path, migrate=False)
    migrations.apply(old, stop_before=stop_before)
    old.execute(
        "INSERT INTO events (id, origin, seq, type, scope, payload, created_at) "
        "VALUES ('e1', 'OLDKSK', 1, 'kiosk.note', 'building', '{}', '2025-01-01T00:00:00Z')"
    )
    old.close()
    return path


def test_an_old_database_file_upgrades_in_place(tmp_path):
    path = an_old_database(tmp_path / "old.sqlite3", stop_before="m002_residents_and_ledger")
    db = store.connect(path)
    assert "transfers" in db.table_names() and "print_jobs" in db.table_names()
    assert store.scalar(db, "SELECT origin FROM events WHERE id = 'e1'") == "OLDKSK"
    assert not migrations.pending(db)


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    db = store.connect(tmp_path / "k.sqlite3")
    try:
        with store.write(db):
            store.record(
                db,
                "resident.registered",
                {
                    "resident_id": "r1",
                    "apartment": "A-1",
                    "name": "X",
                    "role": "resident",
                    "status": "verified",
                },
            )
            raise RuntimeError("power cut")
    except RuntimeError:
        pass
    assert store.scalar(db, "SELECT COUNT(*) FROM events") == 0
    assert store.scalar(db, "SELECT COUNT(*) FROM residents") == 0


def test_seq_is_gapless_per_origin_and_scopes_are_fixed(tmp_path):
    db = store.connect(tmp_path / "k.sqlite3")
    residents.register(db, apartment="A-1", name="Un", pin="1234")
    residents.register(db, apartment="A-2", name="Deux", pin="1234")
    rows = store.query(db, "SELECT seq, type, scope, payload FROM events ORDER BY local_id")
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    scopes = {r["type"]: r["scope"] for r in rows}
    assert scopes == {"resident.registered": "building", "resident.pin_set": "private"}
    # PINs are never in clear, not even in the log
    assert all("1234" not in r["payload"] for r in rows)
    assert json.loads(rows[1]["payload"])["pin_hash"].startswith("pin2$")


def test_the_rebuilt_database_equals_the_live_one_after_a_random_history(tmp_path):
    rng = random.Random(7)
    config = make_config({"storage": {"data_dir": str(tmp_path)}})
    db = store.connect(tmp_path / "live.sqlite3")
    people = [
        residents.register(db, apartment=f"B-{i:03d}", name=f"Voisin {i}", pin="1234")
        for i in range(6)
    ]
    transfers = []
    for step in range(150):
        action = rng.random()
        try:
            if action < 0.65:
                a, b = rng.sample(people, 2)
                transfers.append(
                    exchanges.record_exchange(
                        db,
                        config,
                        payer_id=a.id,
                        payee_id=b.id,
                        description=f"service {step}",
                        category=rng.choice(["diy", "sewing", "other"]),
                        minutes=rng.choice([None, 15, 60, 90]),
                        amount=rng.choice([100, 2500, 99999]),
                    ).id
                )
            elif action < 0.75 and transfers:
                reversals.reverse_transfer(
                    db, config, rng.choice(transfers), admin_id=people[0].id, reason="erreur"
                )
            elif action < 0.85:
                residents.issue_card(db, rng.choice(people).id)
            elif action < 0.92:
                person = rng.choice(people)
                residents.update(
                    db, person.id, status=rng.choice(["verified", "suspended", "verified"])
                )
            else:
                residents.set_pin(db, rng.choice(people).id, str(rng.randint(1000, 999999)))
        except KioskError:
            pass
    rebuilt = store.rebuild(db, tmp_path / "rebuilt.sqlite3")
    assert store.projection_snapshot(rebuilt) == store.projection_snapshot(db)
    assert store.scalar(rebuilt, "SELECT SUM(balance) FROM accounts") == 0


def test_an_old_board_search_index_is_rekeyed_in_place(tmp_path):

    path = tmp_path / "old-board.sqlite3"
    old = store.connect(path, migrate=False)
    migrations.apply(old, stop_before="m011_board_search_by_rowid")
    old.execute(
        "INSERT INTO board_posts (id, reference, origin, building, scope, direction, kind, category, "
        "title, price_mode, price, poster_id, poster_name, poster_apartment, created_at) VALUES "
        "('p1', 'OLD-1', 'OLD', 'Les Lilas', 'building', 'offer', 'service', 'diy', "
        "'Réparation électricité', 'free', NULL, 'r1', 'Jeanne', 'B-204', '2026-01-01T00:00:00Z')"
    )
    # the index as m007 wrote it: its own rowids, unrelated to the post's
    old.execute(
        "INSERT INTO board_posts_fts (rowid, post_id, title) VALUES (777, 'p1', 'Réparation électricité')"
    )
    old.close()
    db = store.connect(path)
    [found] = board_reads.active_posts(db, today="2026-01-02", match='"electricite"*')
    assert found["id"] == "p1"


def test_the_event_scope_check_is_rewritten_as_comparisons_and_still_refuses_unknown_scopes(
    tmp_path,
):

    path = an_old_database(
        tmp_path / "old-scope.sqlite3", stop_before="m012_event_scope_check_as_comparisons"
    )
    db = store.connect(path)
    assert not migrations.pending(db)
    hub_path = tmp_path / "hub.sqlite3"
    old_hub = store.connect(hub_path, migrate=False)
    hub_schema.migrations.apply(old_hub, stop_before="m003_event_scope_check_as_comparisons")
    old_hub.execute(
        "INSERT INTO kiosks (origin, building, public_key, enrolled_at) "
        "VALUES ('OLDKSK', 'Les Lilas', '', '2025-01-01T00:00:00Z')"
    )
    old_hub.execute(
        "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, received_at) "
        "VALUES ('e1', 'OLDKSK', 1, 'voucher.redeemed', 'network', 'Les Lilas', '{}', '', "
        "'2025-01-01T00:00:00Z')"
    )
    old_hub.execute(
        "INSERT INTO voucher_registry VALUES ('OLDKSK-1', 'e1', 'OLDKSK', 'voucher.redeemed', 1)"
    )
    old_hub.close()
    hub = hub_schema.connect_hub(hub_path)
    assert store.scalar(hub, "SELECT event_id FROM voucher_registry") == "e1"
    bad = {
        db: "INSERT INTO events (id, origin, seq, type, scope, payload, created_at) "
        "VALUES ('e2', 'OLDKSK', 2, 'kiosk.note', 'everywhere', '{}', '2025-01-01T00:00:00Z')",
        hub: "INSERT INTO events (id, origin, seq, type, scope, building, body, digest, received_at) "
        "VALUES ('e2', 'HUB', 1, 'kiosk.note', 'private', '', '{}', '', '2025-01-01T00:00:00Z')",
    }
    for database, insert in bad.items():
        sql = store.scalar(database, "SELECT sql FROM sqlite_master WHERE name = 'events'")
        assert "scope IN" not in sql and "scope = 'building' OR scope = 'network'" in sql
        assert store.scalar(database, "PRAGMA integrity_check") == "ok"
        assert database.execute("PRAGMA foreign_key_check").fetchall() == []
        assert store.scalar(database, "SELECT origin FROM events WHERE id = 'e1'") == "OLDKSK"
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            database.execute(insert)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            database.execute("DELETE FROM events")
        database.close()


def test_a_payload_that_is_not_strict_json_is_never_recorded(tmp_path):
    db = store.connect(tmp_path / "kiosk.sqlite3")
    with pytest.raises(ValueError), store.write(db):
        store.record(
            db,
            "resident.registered",
            {
                "resident_id": "r1",
                "apartment": "A-1",
                "name": "Zoé",
                "role": "resident",
                "status": "verified",
                "score": float("nan"),
            },
        )
    assert store.scalar(db, "SELECT COUNT(*) FROM events") == 0
    db.close()


def test_a_widened_check_list_refuses_what_is_outside_it_after_an_upgrade(tmp_path):
    """An older kiosk's file (before the projects and moving out widened two CHECK lists), with
    neighbours, a credential, an exchange and its reversal: after the upgrade the new values are
    accepted, others still refused, every row and foreign key kept, and the tables are exactly
    those of a fresh kiosk."""
    path = an_old_database(tmp_path / "old-checks.sqlite3", stop_before="m008_projects")
    old = store.connect(path, migrate=False)
    for n in (1, 2):
        old.execute(
            "INSERT INTO residents VALUES (?, ?, ?, 'resident', 'verified', 'OLDKSK', "
            "'2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z')",
            [f"r{n}", f"B-20{n}", f"Voisin {n}"],
        )
        old.execute(
            "INSERT INTO accounts (id, kind, resident_id, label) VALUES (?, 'resident', ?, '')",
            [f"a{n}", f"r{n}"],
        )
    old.execute("INSERT INTO credentials (resident_id, pin_hash) VALUES ('r1', 'scrypt:x')")
    transfer = (
        "INSERT INTO transfers (id, reference, kind, debit_account, credit_account, amount, "
        "reverses, recorded_by, origin, created_at) "
        "VALUES (?, ?, ?, ?, ?, 1000, ?, 'r1', 'OLDKSK', '2025-01-02T00:00:00Z')"
    )
    old.execute(transfer, ["t1", "OLDKSK-2", "exchange", "a1", "a2", None])
    old.execute(transfer, ["t2", "OLDKSK-3", "reversal", "a2", "a1", "t1"])
    old.close()

    db = store.connect(path)
    fresh = store.connect(tmp_path / "fresh.sqlite3")
    assert not migrations.pending(db)
    assert store.scalar(db, "PRAGMA integrity_check") == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.scalar(db, "SELECT reverses FROM transfers WHERE id = 't2'") == "t1"
    assert store.scalar(db, "SELECT count(*) FROM credentials") == 1
    schema = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? ORDER BY name"
    for table in ("residents", "transfers", "events"):
        assert db.execute(schema, [table]).fetchall() == fresh.execute(schema, [table]).fetchall()

    db.execute(transfer, ["t3", "OLDKSK-4", "settlement", "a1", "a2", None])
    db.execute(transfer, ["t4", "OLDKSK-5", "project_payment", "a2", "a1", None])
    db.execute("UPDATE residents SET status = 'moved_out' WHERE id = 'r2'")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute(transfer, ["t5", "OLDKSK-6", "gift", "a1", "a2", None])
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE residents SET status = 'gone' WHERE id = 'r1'")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute(transfer, ["t6", "OLDKSK-7", "exchange", "a1", "nobody", None])
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("DELETE FROM residents WHERE id = 'r1'")  # its credential still points at it
    db.close()
    fresh.close()
