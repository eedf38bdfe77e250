"""The hub's SQLite schema (enrolled kiosks, enrolment codes, every event received, the voucher
registry, conflicts, settings), its migrations, and opening the hub's store on either backend
(PostgreSQL's schema: sync/hub/schema_pg.py; a migration after m013 is written in both)."""

from __future__ import annotations

from pathlib import Path

from sqlite_utils import Database, Migrations

from kiosk.store.alter_table import check_list_as_comparisons, executescript
from sync import protocol
from sync.hub import schema_pg
from sync.hub.authority import learn_entities
from sync.hub.db import is_postgresql, open_store
from sync.hub.records import now_iso
from sync.hub.vouchers import judge_unjudged_settlements

migrations = Migrations("hub")


@migrations()
def m001_hub(db: Database) -> None:
    executescript(
        db,
        """
        CREATE TABLE kiosks (
            origin          TEXT PRIMARY KEY,
            building        TEXT NOT NULL,
            public_key      TEXT NOT NULL,              -- raw Ed25519, base64
            revoked         INTEGER NOT NULL DEFAULT 0,
            enrolled_at     TEXT NOT NULL,
            last_contact_at TEXT,
            last_counter    INTEGER NOT NULL DEFAULT 0, -- replay guard: only goes up
            acked_seq       INTEGER NOT NULL DEFAULT 0, -- the kiosk's seqs held up to here
            pull_cursor     INTEGER NOT NULL DEFAULT 0  -- the last hub_seq it asked after
        );
        CREATE TABLE enrol_codes (
            code_hash      TEXT PRIMARY KEY,            -- SHA-256 of the one-time code
            building       TEXT NOT NULL,
            restore_origin TEXT REFERENCES kiosks (origin),  -- set: re-key a dead kiosk
            created_at     TEXT NOT NULL,
            expires_at     TEXT NOT NULL,
            used_at        TEXT,
            used_by        TEXT
        );
        CREATE TABLE events (
            hub_seq     INTEGER PRIMARY KEY AUTOINCREMENT,
            id          TEXT NOT NULL UNIQUE,
            origin      TEXT NOT NULL REFERENCES kiosks (origin),
            seq         INTEGER NOT NULL CHECK (seq > 0),
            type        TEXT NOT NULL,
            scope       TEXT NOT NULL CHECK (scope IN ('building', 'network')),
            building    TEXT NOT NULL,
            body        TEXT NOT NULL,                  -- canonical JSON, served as is
            digest      TEXT NOT NULL,                  -- SHA-256 of body
            received_at TEXT NOT NULL,
            UNIQUE (origin, seq)
        );
        CREATE INDEX events_by_building ON events (building, hub_seq);
        CREATE TRIGGER hub_events_are_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER hub_events_are_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TABLE conflicts (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            kind       TEXT NOT NULL,                   -- fork, ...
            origin     TEXT,
            seq        INTEGER,
            detail     TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
    )


@migrations()
def m002_voucher_registry(db: Database) -> None:
    executescript(
        db,
        """
        -- The settlement (redemption or cancellation) of each voucher that counts: the first
        -- one the hub committed. A later one for the same serial is rejected by a verdict.
        CREATE TABLE voucher_registry (
            serial    TEXT PRIMARY KEY,
            event_id  TEXT NOT NULL REFERENCES events (id),
            origin    TEXT NOT NULL,
            type      TEXT NOT NULL,
            hub_seq   INTEGER NOT NULL
        );
        """,
    )
    # The hub writes events of its own (verdicts) under a pseudo-kiosk that can never sign in.
    db.execute(
        "INSERT OR IGNORE INTO kiosks (origin, building, public_key, revoked, enrolled_at) "
        "VALUES (?, '', '', 1, ?)",
        [protocol.HUB_ORIGIN, now_iso()],
    )
    # The settlements already held are judged by m007_upgrade_judge_held_settlements, once the
    # conflicts table has every column today's judge writes (judging here, with today's code,
    # failed on a hub from before m006: "table conflicts has no column named facts").


@migrations()
def m003_event_scope_check_as_comparisons(db: Database) -> None:
    check_list_as_comparisons(db, "events", "scope")  # the same rule, cheaper per pushed event


@migrations()
def m004_hub_settings(db: Database) -> None:
    executescript(
        db,
        """
        -- The hub administrator's settings (the dashboard's password hash, never the password).
        CREATE TABLE hub_settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
    )


@migrations()
def m005_drop_unused_building_index(db: Database) -> None:
    # Pulls and the dashboard ask for "this building OR the network" after a hub_seq: SQLite
    # walks the primary key for that, never this index, which only made every insert dearer.
    db.execute("DROP INDEX IF EXISTS events_by_building")


@migrations()
def m006_conflict_facts(db: Database) -> None:
    # What the dashboard needs to tell a conflict in the administrator's language (JSON);
    # ``detail`` stays, in English, for older rows and for logs.
    db.execute("ALTER TABLE conflicts ADD COLUMN facts TEXT")


@migrations()
def m007_upgrade_judge_held_settlements(db: Database) -> None:
    # A hub upgraded from before the voucher registry (m001) holds settlements nobody judged:
    # judge them now, in hub order, as m002 did when it was released. A hub that ran m002 then
    # has none left unjudged, and this writes nothing.
    judge_unjudged_settlements(db)


@migrations()
def m008_upgrade_kiosk_failures(db: Database) -> None:
    executescript(
        db,
        """
        -- The requests the hub refused to each enrolled kiosk, for the dashboard: how many in
        -- a row since its last accepted request (one that moved kiosks.last_counter above
        -- counter_at_failure, or a contact after last_failed_at), and the last one.
        CREATE TABLE kiosk_failures (
            origin          TEXT PRIMARY KEY REFERENCES kiosks (origin),
            failures        INTEGER NOT NULL,
            counter_at_failure INTEGER NOT NULL,      -- kiosks.last_counter when it last failed
            first_failed_at TEXT NOT NULL,
            last_failed_at  TEXT NOT NULL,
            last_status     INTEGER NOT NULL,
            last_code       TEXT NOT NULL,
            last_message    TEXT NOT NULL
        );
        """,
    )


@migrations()
def m009_sig_event_seals(db: Database) -> None:
    executescript(
        db,
        """
        -- Each origin's signature over a batch of its events (sync/seals.py), served with
        -- every page that holds one of them. The hub's own events are sealed with its key.
        CREATE TABLE seals (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            origin      TEXT NOT NULL,
            first_seq   INTEGER NOT NULL,
            last_seq    INTEGER NOT NULL,
            body        TEXT NOT NULL,                  -- canonical JSON, served as is
            received_at TEXT NOT NULL
        );
        ALTER TABLE events ADD COLUMN seal_id INTEGER REFERENCES seals (id);

        -- Still append-only; the one change allowed is giving a seal to an event that had
        -- none (events pushed before seals existed, sealed again by their kiosk).
        DROP TRIGGER hub_events_are_append_only_update;
        CREATE TRIGGER hub_events_are_append_only_update
        BEFORE UPDATE OF hub_seq, id, origin, seq, type, scope, building, body, digest,
                         received_at ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER hub_events_keep_their_seal BEFORE UPDATE OF seal_id ON events
        WHEN old.seal_id IS NOT NULL OR new.seal_id IS NULL
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

        -- Every key of every kiosk with the seq from which it signs: introduced by the hub
        -- (enrolment, restore: hub_seq of the introduction event) or handed over by the
        -- kiosk's previous key ('rotation'). Keys enrolled before: 'legacy', from seq 1.
        CREATE TABLE kiosk_key_history (
            origin     TEXT NOT NULL REFERENCES kiosks (origin),
            public_key TEXT NOT NULL,
            from_seq   INTEGER NOT NULL CHECK (from_seq > 0),
            source     TEXT NOT NULL CHECK (source IN ('legacy', 'hub', 'rotation')),
            hub_seq    INTEGER,                         -- the key event
            PRIMARY KEY (origin, public_key)
        );
        """,
    )
    db.execute(
        "INSERT INTO kiosk_key_history (origin, public_key, from_seq, source) "
        "SELECT origin, public_key, 1, 'legacy' FROM kiosks WHERE origin <> ?",
        [protocol.HUB_ORIGIN],
    )


def connect_hub(location: str | Path, *, files: str | Path | None = None) -> Database:
    """The hub's store at ``location`` (a SQLite file, or a ``postgresql://`` URL: its own
    migrations, sync/hub/schema_pg.py), created or upgraded. ``files``: for PostgreSQL, the
    path the hub's key and mail secret extend (``sync.hub.db.files_prefix``)."""
    db = open_store(location, files=files)
    if is_postgresql(location):
        schema_pg.apply(db)
    else:
        migrations.apply(db)
    return db


def open_hub(location: str | Path, *, files: str | Path | None = None) -> Database:
    """The hub's store, already migrated (by ``create_hub_app``): one per server thread."""
    return open_store(location, files=files)


@migrations()
def m010_auth_refused_events(db: Database) -> None:
    executescript(
        db,
        """
        -- Events the hub holds but refuses to serve (sync/hub/authority.py): outside the
        -- sending kiosk's authority, or sent by a kiosk revoked since. The event stays in
        -- ``events`` (its seq keeps the kiosk's numbering whole); pages leave it out.
        CREATE TABLE hub_refused (
            hub_seq    INTEGER PRIMARY KEY REFERENCES events (hub_seq),
            origin     TEXT NOT NULL,
            seq        INTEGER NOT NULL,
            type       TEXT NOT NULL,
            reason     TEXT NOT NULL,               -- English
            facts      TEXT,                        -- JSON {msgid, params}: the reason translated
            refused_at TEXT NOT NULL
        );
        CREATE INDEX hub_refused_by_origin ON hub_refused (origin, hub_seq);
        -- The building of each entity the hub learnt from the events it accepted (a resident,
        -- a post, a project...): the events that create one say so in the registry.
        CREATE TABLE hub_entities (
            kind     TEXT NOT NULL,
            id       TEXT NOT NULL,
            building TEXT NOT NULL,
            PRIMARY KEY (kind, id, building)
        ) WITHOUT ROWID;
        """,
    )
    learn_entities(db)


@migrations()
def m011_mail(db: Database) -> None:
    executescript(
        db,
        """
        -- How each resident asked to be told (``resident.contact_set`` events the hub accepted,
        -- the latest received): sync/hub/mail_outbox.py.
        CREATE TABLE mail_contacts (
            resident_id TEXT PRIMARY KEY,
            building    TEXT NOT NULL,
            email       TEXT NOT NULL,
            urgent      INTEGER NOT NULL CHECK (urgent IN (0, 1)),
            digest      INTEGER NOT NULL CHECK (digest IN (0, 1)),
            language    TEXT NOT NULL,
            event_id    TEXT NOT NULL              -- the contact event it comes from
        );
        CREATE INDEX mail_contacts_by_building ON mail_contacts (building);
        -- One message per (alert, resident), whatever the restarts: queued, being sent, sent,
        -- refused for good by the relay, uncertain (cut while being sent: never sent again) or
        -- too old (the relay was out of reach for longer than an urgent alert is worth).
        CREATE TABLE mail_outbox (
            id          INTEGER PRIMARY KEY,
            alert_id    TEXT NOT NULL,
            resident_id TEXT NOT NULL,
            building    TEXT NOT NULL,
            email       TEXT NOT NULL,
            language    TEXT NOT NULL,
            contact_event TEXT NOT NULL,            -- what the stop link names
            kind        TEXT NOT NULL,
            text        TEXT NOT NULL,
            state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN
                            ('queued', 'sending', 'sent', 'refused', 'uncertain', 'expired')),
            tries       INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            queued_at   TEXT NOT NULL,
            sent_at     TEXT,
            last_error  TEXT,
            UNIQUE (alert_id, resident_id)
        );
        CREATE INDEX mail_outbox_due ON mail_outbox (state, next_try_at);
        -- Residents who touched the stop link of a message: nothing more is sent to the address
        -- of that contact event (a newer choice made at the kiosk starts again).
        CREATE TABLE mail_suppressed (
            resident_id   TEXT PRIMARY KEY,
            contact_event TEXT NOT NULL,
            suppressed_at TEXT NOT NULL
        );
        """,
    )


@migrations()
def m012_digest(db: Database) -> None:
    executescript(
        db,
        """
        -- What a message of the outbox is about: an urgent alert, the weekly digest (alert_id
        -- 'digest:<ISO week>') or an answer to one's post (alert_id: the answer's event id);
        -- ``text`` holds the digest's or the answer's facts as JSON (sync/hub/mail_news.py).
        ALTER TABLE mail_outbox ADD COLUMN topic TEXT NOT NULL DEFAULT 'alert';
        -- Each resident's weekly digest, decided once per ISO week whatever the restarts: what
        -- it covered (the building's events up to ``up_to_seq``) and how many items it listed
        -- (0: nothing new, no e-mail).
        CREATE TABLE mail_digests (
            resident_id TEXT NOT NULL,
            week        TEXT NOT NULL,             -- 2026-W50
            up_to_seq   INTEGER NOT NULL,
            items       INTEGER NOT NULL,
            decided_at  TEXT NOT NULL,
            PRIMARY KEY (resident_id, week)
        ) WITHOUT ROWID;
        """,
    )


@migrations()
def m013_home_requests(db: Database) -> None:
    executescript(
        db,
        """
        -- Residents' devices, as the building's kiosks recorded them (``device.paired`` and
        -- ``device.removed`` events the hub accepted): sync/hub/home_requests.py.
        CREATE TABLE home_devices (
            device_id   TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL,
            building    TEXT NOT NULL,
            public_key  TEXT NOT NULL,             -- SPKI DER, base64url (ECDSA P-256)
            label       TEXT NOT NULL,
            paired_at   TEXT NOT NULL,             -- when the hub accepted the pairing
            removed_at  TEXT
        );
        CREATE INDEX home_devices_by_resident ON home_devices (resident_id);
        -- What devices asked of their building's kiosk, kept as received (the signed text),
        -- handed to one kiosk of the building (``claimed_by``), answered by its event
        -- ``home.request_answered`` or, for a pairing nobody offered, by its word.
        CREATE TABLE home_requests (
            id          TEXT PRIMARY KEY,
            building    TEXT NOT NULL,
            kind        TEXT NOT NULL CHECK (kind IN ('pair', 'action')),
            kiosk       TEXT,                      -- the one kiosk that may take it (a pairing,
                                                   -- a vote in a poll: see _kiosk_for)
            device_id   TEXT NOT NULL,
            resident_id TEXT,                      -- an action: who asks
            action      TEXT NOT NULL,             -- the action's name, or 'pair'
            text        TEXT NOT NULL,
            signature   TEXT NOT NULL,
            received_at TEXT NOT NULL,
            claimed_by  TEXT,
            claimed_at  TEXT,
            answered_at TEXT,
            outcome     TEXT CHECK (outcome IN ('applied', 'refused')),
            message     TEXT,
            params      TEXT
        );
        CREATE INDEX home_requests_open ON home_requests (building, answered_at);
        CREATE INDEX home_requests_by_resident ON home_requests (resident_id, received_at);
        """,
    )


@migrations()
def m014_home_sessions(db: Database) -> None:
    executescript(
        db,
        """
        -- The home site (home/sessions.py). A nonce the hub made for a device to sign: valid
        -- two minutes, used once (whatever the signature it came back with).
        CREATE TABLE home_nonces (
            nonce      TEXT PRIMARY KEY,
            made_at    TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at    TEXT
        );
        -- A device's session on the home site: the cookie holds a random token whose SHA-256
        -- is ``id``. Every page checks the row, and that the device is still paired.
        CREATE TABLE home_sessions (
            id          TEXT PRIMARY KEY,
            device_id   TEXT NOT NULL,
            resident_id TEXT NOT NULL,
            building    TEXT NOT NULL,
            made_at     TEXT NOT NULL,
            expires_at  TEXT NOT NULL,
            ended_at    TEXT,
            ended_why   TEXT                    -- logout, removed
        );
        CREATE INDEX home_sessions_by_device ON home_sessions (device_id);
        """,
    )


@migrations()
def m015_sms(db: Database) -> None:
    executescript(
        db,
        """
        -- A contact's mobile number for urgent alerts by SMS (E.164, '' none), and whether an
        -- answer to one's post is told (NULL: as before, if urgent or digest was chosen).
        ALTER TABLE mail_contacts ADD COLUMN phone TEXT NOT NULL DEFAULT '';
        ALTER TABLE mail_contacts ADD COLUMN sms_urgent INTEGER NOT NULL DEFAULT 0
            CHECK (sms_urgent IN (0, 1));
        ALTER TABLE mail_contacts ADD COLUMN answers INTEGER CHECK (answers IN (0, 1));
        -- One SMS per (alert, resident), with the e-mail outbox's states and rules
        -- (sync/hub/sms.py): claimed before the gateway hears of it, never sent twice.
        CREATE TABLE sms_outbox (
            id          INTEGER PRIMARY KEY,
            alert_id    TEXT NOT NULL,
            resident_id TEXT NOT NULL,
            building    TEXT NOT NULL,
            phone       TEXT NOT NULL,
            language    TEXT NOT NULL,
            contact_event TEXT NOT NULL,
            kind        TEXT NOT NULL,
            text        TEXT NOT NULL,
            state       TEXT NOT NULL DEFAULT 'queued' CHECK (state IN
                            ('queued', 'sending', 'sent', 'refused', 'uncertain', 'expired')),
            tries       INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            queued_at   TEXT NOT NULL,
            sent_at     TEXT,
            last_error  TEXT,
            UNIQUE (alert_id, resident_id)
        );
        CREATE INDEX sms_outbox_due ON sms_outbox (state, next_try_at);
        """,
    )


@migrations()
def m016_dashboard_failures(db: Database) -> None:
    executescript(
        db,
        """
        -- Wrong dashboard passwords of the last minutes (sync/hub/dashboard.py): in the store,
        -- so that every hub process serving it throttles the same guesser.
        CREATE TABLE dashboard_failures (
            id        INTEGER PRIMARY KEY AUTOINCREMENT,
            address   TEXT NOT NULL,
            failed_at REAL NOT NULL                -- seconds since 1970 (wall clock)
        );
        CREATE INDEX dashboard_failures_by_time ON dashboard_failures (failed_at);
        """,
    )


@migrations()
def m017_pages_by_index(db: Database) -> None:
    # A page is "this building's events after a cursor" and "the network's after it", each an
    # index range (sync/hub/pages.py). Walking the primary key from the cursor instead read
    # every building's events: after an outage, each of a city's kiosks read the whole burst.
    executescript(
        db,
        """
        CREATE INDEX events_by_building ON events (building, hub_seq);
        CREATE INDEX events_of_network ON events (hub_seq) WHERE scope = 'network';
        """,
    )


@migrations()
def m018_events_refs_by_statement(db: Database) -> None:
    """Nothing changes on SQLite: its foreign keys on an event's kiosk and seal stay (checked
    in the process by index look-ups). On PostgreSQL (``p018``) the same two rules move from
    foreign keys, checked and locked row by row, to triggers checking a statement's rows at
    once."""
