"""Schema migrations, recorded in ``_sqlite_migrations`` (sqlite-utils ``Migrations``).

Rules: a migration, once released, never changes; a new need is a new function appended at the
end, named ``mNNN_what_it_does``. An old database file upgrades in place at the next start
(``connect`` applies what is pending), each migration in its own transaction.
"""

from __future__ import annotations

import json

from sqlite_utils import Database, Migrations

from kiosk import pin_hashing
from kiosk.store.alter_table import (
    check_list_as_comparisons,
    executescript,
    rebuild_table,
    widen_check_list,
)

migrations = Migrations("kiosk")


@migrations()
def m001_event_log(db: Database) -> None:
    executescript(
        db,
        """
        CREATE TABLE kiosk_meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        -- The append-only event log: the source of truth. Projections below are rebuilt from it.
        CREATE TABLE events (
            local_id   INTEGER PRIMARY KEY AUTOINCREMENT,  -- order applied on this kiosk
            id         TEXT NOT NULL UNIQUE,               -- UUIDv7
            origin     TEXT NOT NULL,                      -- the kiosk that wrote it
            seq        INTEGER NOT NULL CHECK (seq > 0),   -- gapless per origin
            type       TEXT NOT NULL,
            scope      TEXT NOT NULL CHECK (scope IN ('private', 'building', 'network')),
            payload    TEXT NOT NULL CHECK (json_valid(payload)),
            created_at TEXT NOT NULL,                      -- UTC, display only
            UNIQUE (origin, seq)
        );
        CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
        """,
    )


@migrations()
def m002_residents_and_ledger(db: Database) -> None:
    executescript(
        db,
        """
        CREATE TABLE residents (
            id          TEXT PRIMARY KEY,
            apartment   TEXT NOT NULL,
            name        TEXT NOT NULL,
            role        TEXT NOT NULL CHECK (role IN ('resident', 'admin')),
            status      TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'suspended')),
            home_origin TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX residents_by_apartment ON residents (apartment, name);

        -- Private: never leaves the kiosk (PIN hash, card token hash).
        CREATE TABLE credentials (
            resident_id     TEXT PRIMARY KEY REFERENCES residents (id),
            pin_hash        TEXT,
            card_token_hash TEXT UNIQUE,
            card_number     INTEGER NOT NULL DEFAULT 0,
            card_issued_at  TEXT
        );
        -- Private: hashes of replaced cards, so a scan of an old card says "replaced".
        CREATE TABLE revoked_cards (
            token_hash  TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents (id),
            revoked_at  TEXT NOT NULL
        );

        CREATE TABLE accounts (
            id          TEXT PRIMARY KEY,
            kind        TEXT NOT NULL CHECK (kind IN ('resident', 'system')),
            resident_id TEXT UNIQUE REFERENCES residents (id),
            label       TEXT NOT NULL,
            balance     INTEGER NOT NULL DEFAULT 0,     -- CEEC hundredths
            CHECK ((kind = 'resident') = (resident_id IS NOT NULL))
        );

        CREATE TABLE transfers (
            id            TEXT PRIMARY KEY,              -- the event's id
            reference     TEXT NOT NULL UNIQUE,          -- printed on receipts: ORIGIN-SEQ
            kind          TEXT NOT NULL CHECK (kind IN ('exchange', 'reversal')),
            debit_account  TEXT NOT NULL REFERENCES accounts (id),
            credit_account TEXT NOT NULL REFERENCES accounts (id),
            amount        INTEGER NOT NULL CHECK (amount > 0),
            minutes       INTEGER CHECK (minutes IS NULL OR minutes > 0),
            description   TEXT NOT NULL DEFAULT '',
            category      TEXT NOT NULL DEFAULT 'other',
            reverses      TEXT UNIQUE REFERENCES transfers (id),
            recorded_by   TEXT REFERENCES residents (id),
            origin        TEXT NOT NULL,
            created_at    TEXT NOT NULL,
            CHECK (debit_account <> credit_account)
        );
        CREATE INDEX transfers_by_debit ON transfers (debit_account);
        CREATE INDEX transfers_by_credit ON transfers (credit_account);

        -- Device state, not shared state: wrong-PIN counters and lockouts of this kiosk.
        CREATE TABLE login_guard (
            resident_id  TEXT PRIMARY KEY REFERENCES residents (id),
            failures     INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT
        );
        """,
    )


@migrations()
def m003_print_queue(db: Database) -> None:
    executescript(
        db,
        """
        -- Device state: jobs for this kiosk's printer, queued in the same transaction as the
        -- exchange that asked for them.
        CREATE TABLE print_jobs (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            layout          TEXT NOT NULL,
            payload         TEXT NOT NULL CHECK (json_valid(payload)),
            reference       TEXT,
            state           TEXT NOT NULL DEFAULT 'queued'
                            CHECK (state IN ('queued', 'printing', 'done', 'failed',
                                             'uncertain', 'cancelled')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error      TEXT,
            is_copy         INTEGER NOT NULL DEFAULT 0,
            copy_of         INTEGER REFERENCES print_jobs (id),
            created_at      TEXT NOT NULL,
            printed_at      TEXT,
            preview_path    TEXT
        );
        CREATE INDEX print_jobs_by_state ON print_jobs (state, id);
        CREATE INDEX print_jobs_by_reference ON print_jobs (reference);
        """,
    )


@migrations()
def m004_kiosk_keys(db: Database) -> None:
    executescript(
        db,
        """
        -- Public keys of kiosks (this one and, through sync, the network's): they verify
        -- vouchers and sync requests signed by that kiosk.
        CREATE TABLE kiosk_keys (
            origin       TEXT PRIMARY KEY,
            public_key   TEXT NOT NULL,          -- raw Ed25519, base64
            building     TEXT NOT NULL,
            published_at TEXT NOT NULL
        );
        """,
    )


@migrations()
def m005_vouchers(db: Database) -> None:
    # Voucher transfers get their own kinds. SQLite cannot alter a CHECK constraint, so the
    # transfers table is rebuilt with the same columns and rows. Its self-reference (reverses)
    # names the new table until the rename, so dropping the old one touches no other row.
    executescript(
        db,
        """
        CREATE TABLE transfers_m005 (
            id            TEXT PRIMARY KEY,              -- the event's id
            reference     TEXT NOT NULL UNIQUE,          -- printed on receipts: ORIGIN-SEQ
            kind          TEXT NOT NULL CHECK (kind IN ('exchange', 'reversal', 'voucher_issue',
                                                        'voucher_redeem', 'voucher_refund')),
            debit_account  TEXT NOT NULL REFERENCES accounts (id),
            credit_account TEXT NOT NULL REFERENCES accounts (id),
            amount        INTEGER NOT NULL CHECK (amount > 0),
            minutes       INTEGER CHECK (minutes IS NULL OR minutes > 0),
            description   TEXT NOT NULL DEFAULT '',
            category      TEXT NOT NULL DEFAULT 'other',
            reverses      TEXT UNIQUE REFERENCES transfers_m005 (id),
            recorded_by   TEXT REFERENCES residents (id),
            origin        TEXT NOT NULL,
            created_at    TEXT NOT NULL,
            CHECK (debit_account <> credit_account)
        );
        INSERT INTO transfers_m005 SELECT * FROM transfers ORDER BY rowid;
        DROP TABLE transfers;
        ALTER TABLE transfers_m005 RENAME TO transfers;
        CREATE INDEX transfers_by_debit ON transfers (debit_account);
        CREATE INDEX transfers_by_credit ON transfers (credit_account);

        -- Every voucher this kiosk knows: issued here, learned from the network, or met at a
        -- redemption. Shared state (network events); serial = issuer origin + its own sequence.
        CREATE TABLE vouchers (
            serial            TEXT PRIMARY KEY,          -- ORIGIN-SEQ, e.g. BCDFGH-17
            issuer_origin     TEXT NOT NULL,             -- the issuing kiosk (its key signs)
            voucher_seq       INTEGER NOT NULL CHECK (voucher_seq > 0),  -- gapless per issuer
            amount            INTEGER NOT NULL CHECK (amount > 0),       -- CEEC hundredths
            issued_on         TEXT NOT NULL,             -- YYYY-MM-DD, building time zone
            expires_on        TEXT NOT NULL,             -- last valid day
            building          TEXT NOT NULL,
            issuer_resident_id TEXT,                     -- no FK: may live in another building
            signature         TEXT NOT NULL,             -- Ed25519, base64
            qr                TEXT NOT NULL,             -- the scanner-safe signed code
            issue_transfer    TEXT REFERENCES transfers (id),  -- NULL: issued in another building
            issue_event       TEXT,                      -- NULL: only met at a redemption
            issued_at         TEXT,                      -- UTC, display only
            UNIQUE (issuer_origin, voucher_seq)
        );
        CREATE INDEX vouchers_by_issuer ON vouchers (issuer_resident_id);

        -- How a voucher left circulation: redeemed by a bearer or cancelled (lost, not printed,
        -- expired). One row at most per voucher: the PRIMARY KEY makes a second redemption
        -- (or a redemption racing a cancellation) fail in the database itself.
        CREATE TABLE voucher_settlements (
            serial          TEXT PRIMARY KEY REFERENCES vouchers (serial),
            outcome         TEXT NOT NULL CHECK (outcome IN ('redeemed', 'cancelled')),
            reason          TEXT CHECK (reason IS NULL OR reason IN
                                        ('lost', 'not_printed', 'batch', 'expired')),
            credit_account  TEXT NOT NULL,               -- who got the CEEC (no FK: remote)
            resident_id     TEXT,                        -- the bearer, for a redemption
            decided_by      TEXT,                        -- admin who cancelled or honoured
            honoured_expired INTEGER NOT NULL DEFAULT 0 CHECK (honoured_expired IN (0, 1)),
            origin          TEXT NOT NULL,               -- the kiosk where it happened
            transfer_id     TEXT REFERENCES transfers (id),  -- NULL: settled in another building
            event_id        TEXT NOT NULL,
            settled_at      TEXT NOT NULL,               -- UTC, display only
            CHECK ((outcome = 'redeemed') = (reason IS NULL))
        );
        """,
    )


@migrations()
def m006_sync_state(db: Database) -> None:
    executescript(
        db,
        """
        -- Device state: this kiosk's link to the hub (one row). Its key stays in the
        -- 0600 key file; the hub knows the public half.
        CREATE TABLE sync_state (
            id              INTEGER PRIMARY KEY CHECK (id = 1),
            hub_url         TEXT NOT NULL DEFAULT '',   -- set by `kiosk enrol`
            building        TEXT NOT NULL DEFAULT '',   -- as the hub knows this kiosk
            enrolled_at     TEXT,
            request_counter INTEGER NOT NULL DEFAULT 0, -- last signed request number used
            acked_seq       INTEGER NOT NULL DEFAULT 0, -- own seqs the hub holds up to here
            pull_cursor     INTEGER NOT NULL DEFAULT 0, -- last hub_seq applied (or skipped)
            last_attempt_at TEXT,                       -- display only (no RTC on a Pi)
            last_success_at TEXT,
            last_error      TEXT,
            failures        INTEGER NOT NULL DEFAULT 0  -- consecutive, for the back-off
        );
        INSERT INTO sync_state (id) VALUES (1);
        """,
    )


@migrations()
def m007_board(db: Database) -> None:
    executescript(
        db,
        """
        -- A transfer may settle an exchange found on the board: the post's id (no FK: a post
        -- may be withdrawn, or come from another building of the network).
        ALTER TABLE transfers ADD COLUMN post_id TEXT;

        -- Offers ("je propose") and requests ("je cherche") of this building and, through
        -- sync, of the network. Never deleted: a withdrawal sets withdrawn_*; an end date is
        -- compared with the clock when the board is read.
        CREATE TABLE board_posts (
            id               TEXT PRIMARY KEY,            -- the publishing event's id
            reference        TEXT NOT NULL UNIQUE,        -- ORIGIN-SEQ
            origin           TEXT NOT NULL,               -- the kiosk where it was posted
            building         TEXT NOT NULL,               -- that kiosk's building name
            scope            TEXT NOT NULL CHECK (scope IN ('building', 'network')),
            direction        TEXT NOT NULL CHECK (direction IN ('offer', 'request')),
            kind             TEXT NOT NULL CHECK (kind IN ('service', 'lend', 'give', 'barter',
                                                           'carpool', 'other')),
            category         TEXT NOT NULL,
            title            TEXT NOT NULL,
            description      TEXT NOT NULL DEFAULT '',
            availability     TEXT NOT NULL DEFAULT '',
            price_mode       TEXT NOT NULL CHECK (price_mode IN ('per_hour', 'fixed', 'free')),
            price            INTEGER CHECK ((price_mode = 'free') = (price IS NULL)),
            ends_on          TEXT,                        -- last day shown (building's date)
            poster_id        TEXT NOT NULL,               -- no FK: may live in another building
            poster_name      TEXT NOT NULL,               -- as posted (remote posts)
            poster_apartment TEXT NOT NULL,
            posted_by        TEXT,                        -- an admin or super neighbour, for them
            created_at       TEXT NOT NULL,               -- UTC, display only
            withdrawn_at     TEXT,
            withdrawn_by     TEXT
        );
        CREATE INDEX board_posts_by_poster ON board_posts (poster_id);
        CREATE INDEX board_posts_by_category ON board_posts (category, direction);

        -- Full-text index of the posts (a projection too, rebuilt from the log). Accents and
        -- case are ignored: "electricite" finds "Électricité".
        CREATE VIRTUAL TABLE board_posts_fts USING fts5(
            post_id UNINDEXED, title, description, availability,
            tokenize = 'unicode61 remove_diacritics 2'
        );

        -- "I'm interested": a message for the poster, shown at their next login.
        CREATE TABLE board_messages (
            id           TEXT PRIMARY KEY,                -- the event's id
            post_id      TEXT NOT NULL REFERENCES board_posts (id),
            sender_id    TEXT NOT NULL REFERENCES residents (id),
            recipient_id TEXT NOT NULL REFERENCES residents (id),
            body         TEXT NOT NULL,
            created_at   TEXT NOT NULL,
            read_at      TEXT
        );
        CREATE INDEX board_messages_by_recipient ON board_messages (recipient_id, read_at);

        -- Super neighbours: residents an admin allows to post for someone without the kiosk.
        CREATE TABLE board_helpers (
            resident_id TEXT PRIMARY KEY REFERENCES residents (id),
            granted_by  TEXT REFERENCES residents (id),
            granted_at  TEXT NOT NULL
        );

        -- Payment requests: the provider asks, the payer accepts with a PIN (then a transfer is
        -- recorded) or declines with a reason; pending past expires_at means expired.
        CREATE TABLE payment_requests (
            id           TEXT PRIMARY KEY,                -- the event's id
            reference    TEXT NOT NULL UNIQUE,
            provider_id  TEXT NOT NULL REFERENCES residents (id),
            payer_id     TEXT NOT NULL REFERENCES residents (id),
            description  TEXT NOT NULL,
            category     TEXT NOT NULL,
            minutes      INTEGER CHECK (minutes IS NULL OR minutes > 0),
            amount       INTEGER NOT NULL CHECK (amount > 0),
            post_id      TEXT,
            loan_id      TEXT,
            created_by   TEXT REFERENCES residents (id),
            created_at   TEXT NOT NULL,
            expires_at   TEXT NOT NULL,
            status       TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'accepted', 'declined')),
            decided_at   TEXT,
            reason       TEXT,
            transfer_id  TEXT UNIQUE REFERENCES transfers (id)
        );
        CREATE INDEX payment_requests_by_payer ON payment_requests (payer_id, status);
        CREATE INDEX payment_requests_by_provider ON payment_requests (provider_id, status);

        -- The lending register: what was lent, from whom, to whom, since, until.
        CREATE TABLE loans (
            id           TEXT PRIMARY KEY,                -- the event's id
            reference    TEXT NOT NULL UNIQUE,
            lender_id    TEXT NOT NULL REFERENCES residents (id),
            borrower_id  TEXT NOT NULL REFERENCES residents (id),
            item         TEXT NOT NULL,
            post_id      TEXT,
            due_on       TEXT,                            -- building's date; NULL: no due date
            rate_mode    TEXT NOT NULL CHECK (rate_mode IN ('none', 'per_day', 'per_loan')),
            rate         INTEGER CHECK ((rate_mode = 'none') = (rate IS NULL)),
            recorded_by  TEXT REFERENCES residents (id),
            created_at   TEXT NOT NULL,
            returned_at  TEXT,
            request_id   TEXT REFERENCES payment_requests (id)
        );
        CREATE INDEX loans_by_lender ON loans (lender_id, returned_at);
        CREATE INDEX loans_by_borrower ON loans (borrower_id, returned_at);
        """,
    )


PROJECT_TRANSFER_KINDS = ("project_contribution", "project_payment", "purchase_fee")


@migrations()
def m008_projects(db: Database) -> None:
    widen_check_list(db, "transfers", "kind", PROJECT_TRANSFER_KINDS)
    executescript(
        db,
        """
        -- Building projects: group purchases, shared equipment, events. Each has its own CEEC
        -- system account ("project:<id>") opened with account.opened.
        CREATE TABLE projects (
            id            TEXT PRIMARY KEY,
            title         TEXT NOT NULL,
            description   TEXT NOT NULL DEFAULT '',
            kind          TEXT NOT NULL CHECK (kind IN ('group_purchase', 'shared_equipment',
                                                        'event', 'other')),
            status        TEXT NOT NULL CHECK (status IN ('proposed', 'open', 'running', 'closed')),
            account_id    TEXT NOT NULL REFERENCES accounts (id),
            created_by    TEXT REFERENCES residents (id),
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            -- A recurring contribution (wifi bill, composter): the whole amount per period,
            -- shared by the members; euros reimburse dues_payee_id, CEEC go to the account.
            dues_currency TEXT CHECK (dues_currency IS NULL OR dues_currency IN ('eur', 'ceec')),
            dues_amount   INTEGER CHECK (dues_amount IS NULL OR dues_amount > 0),  -- cents or hundredths
            dues_period   TEXT CHECK (dues_period IS NULL OR dues_period IN ('month', 'quarter', 'year')),
            dues_payee_id TEXT REFERENCES residents (id),
            CHECK ((dues_currency IS NULL) = (dues_amount IS NULL))
        );

        CREATE TABLE project_coordinators (
            project_id  TEXT NOT NULL REFERENCES projects (id),
            resident_id TEXT NOT NULL REFERENCES residents (id),
            added_at    TEXT NOT NULL,
            PRIMARY KEY (project_id, resident_id)
        );

        -- Members join and leave (left_at set; joining again clears it).
        CREATE TABLE project_members (
            project_id  TEXT NOT NULL REFERENCES projects (id),
            resident_id TEXT NOT NULL REFERENCES residents (id),
            joined_at   TEXT NOT NULL,
            left_at     TEXT,
            PRIMARY KEY (project_id, resident_id)
        );

        -- The timeline: updates posted by coordinators.
        CREATE TABLE project_updates (
            id         TEXT PRIMARY KEY,              -- the event's id
            project_id TEXT NOT NULL REFERENCES projects (id),
            author_id  TEXT NOT NULL REFERENCES residents (id),
            body       TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX project_updates_by_project ON project_updates (project_id);

        -- Tasks with volunteer sign-up ("turn the composter, week 48": 2 places).
        CREATE TABLE project_tasks (
            id         TEXT PRIMARY KEY,
            project_id TEXT NOT NULL REFERENCES projects (id),
            title      TEXT NOT NULL,
            when_label TEXT NOT NULL DEFAULT '',
            slots      INTEGER NOT NULL CHECK (slots > 0),
            created_at TEXT NOT NULL
        );
        CREATE INDEX project_tasks_by_project ON project_tasks (project_id);

        CREATE TABLE project_volunteers (
            task_id     TEXT NOT NULL REFERENCES project_tasks (id),
            resident_id TEXT NOT NULL REFERENCES residents (id),
            signed_at   TEXT NOT NULL,
            minutes     INTEGER CHECK (minutes IS NULL OR minutes > 0),   -- once paid
            transfer_id TEXT UNIQUE REFERENCES transfers (id),           -- the payment
            PRIMARY KEY (task_id, resident_id)
        );

        -- Recurring contributions paid, per member and period ("2026-11", "2026-Q4", "2026").
        CREATE TABLE project_dues (
            project_id  TEXT NOT NULL REFERENCES projects (id),
            period      TEXT NOT NULL,
            resident_id TEXT NOT NULL REFERENCES residents (id),
            currency    TEXT NOT NULL CHECK (currency IN ('eur', 'ceec')),
            amount      INTEGER NOT NULL CHECK (amount > 0),
            transfer_id TEXT UNIQUE REFERENCES transfers (id),   -- CEEC only
            marked_by   TEXT REFERENCES residents (id),
            paid_at     TEXT NOT NULL,
            PRIMARY KEY (project_id, period, resident_id),
            CHECK ((currency = 'ceec') = (transfer_id IS NOT NULL))
        );

        -- Group purchases: euros in integer cents, never in accounts; quantities in
        -- thousandths of the product's unit.
        CREATE TABLE purchases (
            project_id       TEXT PRIMARY KEY REFERENCES projects (id),
            organiser_id     TEXT NOT NULL REFERENCES residents (id),
            supplier         TEXT NOT NULL,
            deadline         TEXT NOT NULL,               -- UTC
            pickup_place     TEXT NOT NULL,
            pickup_at        TEXT NOT NULL,               -- UTC
            minimum_total    INTEGER CHECK (minimum_total IS NULL OR minimum_total > 0),      -- cents
            minimum_quantity INTEGER CHECK (minimum_quantity IS NULL OR minimum_quantity > 0),  -- thousandths
            fee_kind         TEXT NOT NULL CHECK (fee_kind IN ('none', 'per_participant', 'fixed')),
            fee_amount       INTEGER NOT NULL CHECK (fee_amount >= 0),  -- CEEC hundredths
            state            TEXT NOT NULL CHECK (state IN ('open', 'confirmed', 'cancelled',
                                                            'distributed')),
            opened_at        TEXT NOT NULL,
            closed_at        TEXT,
            order_total      INTEGER,                     -- cents, at closing
            distributed_at   TEXT,
            distributed_by   TEXT REFERENCES residents (id),
            CHECK ((fee_kind = 'none') = (fee_amount = 0))
        );

        CREATE TABLE purchase_products (
            id           TEXT PRIMARY KEY,
            project_id   TEXT NOT NULL REFERENCES purchases (project_id),
            position     INTEGER NOT NULL,
            name         TEXT NOT NULL,
            unit         TEXT NOT NULL,
            unit_price   INTEGER NOT NULL CHECK (unit_price > 0),          -- cents
            whole_units  INTEGER NOT NULL CHECK (whole_units IN (0, 1)),
            stock_limit  INTEGER CHECK (stock_limit IS NULL OR stock_limit > 0),    -- thousandths
            retail_price INTEGER CHECK (retail_price IS NULL OR retail_price > 0),  -- cents
            UNIQUE (project_id, position)
        );

        -- A resident's current order, line by line (an order replaces the previous one).
        CREATE TABLE purchase_orders (
            project_id  TEXT NOT NULL REFERENCES purchases (project_id),
            resident_id TEXT NOT NULL REFERENCES residents (id),
            product_id  TEXT NOT NULL REFERENCES purchase_products (id),
            apartment   TEXT NOT NULL,                    -- the household, at ordering
            quantity    INTEGER NOT NULL CHECK (quantity > 0),   -- thousandths
            ordered_at  TEXT NOT NULL,
            PRIMARY KEY (project_id, resident_id, product_id)
        );

        -- Per household: the euros paid (cash or cheque) and the pick-up, as marked by the
        -- organiser. The primary key and the domain refuse a second marking.
        CREATE TABLE purchase_households (
            project_id       TEXT NOT NULL REFERENCES purchases (project_id),
            apartment        TEXT NOT NULL,
            paid_amount      INTEGER CHECK (paid_amount IS NULL OR paid_amount > 0),  -- cents
            paid_method      TEXT CHECK (paid_method IS NULL OR paid_method IN ('cash', 'cheque')),
            paid_at          TEXT,
            paid_marked_by   TEXT REFERENCES residents (id),
            picked_up_at     TEXT,
            picked_marked_by TEXT REFERENCES residents (id),
            PRIMARY KEY (project_id, apartment),
            CHECK ((paid_amount IS NULL) = (paid_method IS NULL))
        );

        -- The organiser's CEEC fees, one transfer per paying participant.
        CREATE TABLE purchase_fees (
            project_id  TEXT NOT NULL REFERENCES purchases (project_id),
            resident_id TEXT NOT NULL REFERENCES residents (id),
            amount      INTEGER NOT NULL CHECK (amount > 0),
            transfer_id TEXT NOT NULL UNIQUE REFERENCES transfers (id),
            PRIMARY KEY (project_id, resident_id)
        );
        """,
    )


@migrations()
def m009_community(db: Database) -> None:
    # A resident who moved out keeps their history under a status of their own; the balance
    # they leave is settled against the common fund by a transfer of kind 'settlement'.
    widen_check_list(db, "residents", "status", ("moved_out",))
    widen_check_list(db, "transfers", "kind", ("settlement",))
    executescript(
        db,
        """
        -- Neighbour verification: who vouched for whom (two verified neighbours of other
        -- apartments make a newcomer verified).
        CREATE TABLE vouches (
            resident_id  TEXT NOT NULL REFERENCES residents (id),   -- the newcomer
            voucher_id   TEXT NOT NULL REFERENCES residents (id),   -- the neighbour vouching
            apartment    TEXT NOT NULL,                             -- the neighbour's, then
            event_id     TEXT NOT NULL,
            created_at   TEXT NOT NULL,
            PRIMARY KEY (resident_id, voucher_id)
        );

        -- The history of verifications: how, by whom, when. Never a document, only that an
        -- admin saw one (its kind and the day).
        CREATE TABLE verifications (
            event_id     TEXT PRIMARY KEY,
            resident_id  TEXT NOT NULL REFERENCES residents (id),
            method       TEXT NOT NULL CHECK (method IN ('vouches', 'mailbox_code', 'proof_of_address')),
            by_ids       TEXT NOT NULL DEFAULT '[]',  -- JSON: the vouching neighbours or the admin
            admin_name   TEXT,                        -- proof of address: the admin who saw it
            proof_kind   TEXT,                        -- e.g. 'lease', 'utility_bill' (no content)
            seen_on      TEXT,                        -- the day the admin saw it
            created_at   TEXT NOT NULL
        );
        CREATE INDEX verifications_by_resident ON verifications (resident_id);

        -- Private: one-time mailbox codes, only their hash (the clear code lives in the print job
        -- until it is printed). One open code per apartment: a new one supersedes the last.
        CREATE TABLE mailbox_codes (
            id           TEXT PRIMARY KEY,            -- the issuing event's id
            apartment    TEXT NOT NULL,
            code_hash    TEXT NOT NULL,
            expires_at   TEXT NOT NULL,
            issued_by    TEXT REFERENCES residents (id),
            created_at   TEXT NOT NULL,
            failures     INTEGER NOT NULL DEFAULT 0,
            used_by      TEXT REFERENCES residents (id),
            closed_at    TEXT,                        -- used, superseded or too many tries
            closed_why   TEXT CHECK (closed_why IS NULL OR closed_why IN ('used', 'superseded', 'tries'))
        );
        CREATE INDEX mailbox_codes_by_apartment ON mailbox_codes (apartment, closed_at);

        -- Notices of this building and, through sync, of neighbouring buildings.
        CREATE TABLE notices (
            id               TEXT PRIMARY KEY,        -- the posting event's id
            reference        TEXT NOT NULL UNIQUE,
            origin           TEXT NOT NULL,
            building         TEXT NOT NULL,
            scope            TEXT NOT NULL CHECK (scope IN ('building', 'network')),
            category         TEXT NOT NULL,
            official         INTEGER NOT NULL DEFAULT 0 CHECK (official IN (0, 1)),
            title            TEXT NOT NULL,
            body             TEXT NOT NULL DEFAULT '',
            starts_on        TEXT NOT NULL,           -- building's date, first day shown
            ends_on          TEXT NOT NULL,           -- last day shown
            author_id        TEXT NOT NULL,           -- no FK: may live in another building
            author_name      TEXT NOT NULL,
            author_apartment TEXT NOT NULL,
            created_at       TEXT NOT NULL,
            withdrawn_at     TEXT,
            withdrawn_by     TEXT
        );
        CREATE INDEX notices_by_dates ON notices (ends_on, starts_on);

        -- Urgent alerts: a banner on every screen until resolved.
        CREATE TABLE alerts (
            id            TEXT PRIMARY KEY,           -- the raising event's id
            reference     TEXT NOT NULL UNIQUE,
            kind          TEXT NOT NULL CHECK (kind IN ('theft', 'accident', 'flood', 'safety', 'other')),
            text          TEXT NOT NULL,
            raised_by     TEXT NOT NULL REFERENCES residents (id),
            raised_at     TEXT NOT NULL,
            resolved_by   TEXT REFERENCES residents (id),
            resolved_at   TEXT,
            resolution    TEXT
        );

        -- Polls and their ballots. A secret ballot keeps no voter id: voter_key is a salted
        -- hash (the salt is private to this kiosk), so a vote can be changed, not traced.
        CREATE TABLE polls (
            id             TEXT PRIMARY KEY,          -- the opening event's id
            reference      TEXT NOT NULL UNIQUE,
            question       TEXT NOT NULL,
            options        TEXT NOT NULL CHECK (json_valid(options)),  -- JSON list of texts
            opens_on       TEXT NOT NULL,             -- building's date
            closes_on      TEXT NOT NULL,             -- last day of voting
            per            TEXT NOT NULL CHECK (per IN ('resident', 'apartment')),
            ballot         TEXT NOT NULL CHECK (ballot IN ('secret', 'public')),
            results_hidden INTEGER NOT NULL DEFAULT 0 CHECK (results_hidden IN (0, 1)),
            created_by     TEXT NOT NULL REFERENCES residents (id),
            created_at     TEXT NOT NULL
        );
        CREATE TABLE poll_votes (
            poll_id    TEXT NOT NULL REFERENCES polls (id),
            voter_key  TEXT NOT NULL,                 -- secret: salted hash; public: the voter
            option     INTEGER NOT NULL CHECK (option >= 0),
            voter_id   TEXT REFERENCES residents (id),  -- public ballots only
            apartment  TEXT,                            -- public ballots only
            voted_at   TEXT NOT NULL,
            changes    INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (poll_id, voter_key)
        );
        -- Private: the salt of each secret poll, never sent to the hub.
        CREATE TABLE poll_salts (
            poll_id  TEXT PRIMARY KEY REFERENCES polls (id),
            salt     TEXT NOT NULL
        );

        -- Residents who moved out: who closed the account, and the settling transfer.
        CREATE TABLE departures (
            resident_id  TEXT PRIMARY KEY REFERENCES residents (id),
            closed_by    TEXT NOT NULL REFERENCES residents (id),
            balance_left INTEGER NOT NULL,            -- the balance settled to zero
            transfer_id  TEXT REFERENCES transfers (id),
            posts_withdrawn INTEGER NOT NULL DEFAULT 0,
            created_at   TEXT NOT NULL
        );
        """,
    )


@migrations()
def m010_voucher_conflicts(db: Database) -> None:
    executescript(
        db,
        """
        -- Settlements of a voucher beside the one in voucher_settlements: the same voucher
        -- redeemed (or cancelled) at two kiosks while they were offline. Same columns as
        -- voucher_settlements. Once the hub's verdict is known here, voucher_settlements holds
        -- the winner and this table the losers (kept as history: their transfers stand and
        -- are compensated by new ones).
        CREATE TABLE voucher_rival_settlements (
            event_id        TEXT PRIMARY KEY,
            serial          TEXT NOT NULL REFERENCES vouchers (serial),
            outcome         TEXT NOT NULL CHECK (outcome IN ('redeemed', 'cancelled')),
            reason          TEXT CHECK (reason IS NULL OR reason IN
                                        ('lost', 'not_printed', 'batch', 'expired')),
            credit_account  TEXT NOT NULL,
            resident_id     TEXT,
            decided_by      TEXT,
            honoured_expired INTEGER NOT NULL DEFAULT 0 CHECK (honoured_expired IN (0, 1)),
            origin          TEXT NOT NULL,
            transfer_id     TEXT REFERENCES transfers (id),  -- NULL: settled in another building
            settled_at      TEXT NOT NULL,
            CHECK ((outcome = 'redeemed') = (reason IS NULL))
        );
        CREATE INDEX voucher_rival_settlements_by_serial ON voucher_rival_settlements (serial);

        -- One row per settlement the hub rejected (its verdict event), and how the books were
        -- put right: by the kiosk holding the account credited by the losing settlement.
        CREATE TABLE voucher_conflicts (
            losing_event_id       TEXT PRIMARY KEY,
            serial                TEXT NOT NULL,
            amount                INTEGER,
            losing_origin         TEXT,
            losing_type           TEXT,
            winning_event_id      TEXT,
            winning_origin        TEXT,
            winning_type          TEXT,
            verdict_event         TEXT,
            decided_at            TEXT,                -- the hub's clock, display only
            policy                TEXT CHECK (policy IS NULL OR policy IN ('reverse', 'loss_fund')),
            compensating_origin   TEXT,
            compensation_event    TEXT,
            compensation_transfer TEXT REFERENCES transfers (id),  -- NULL: another building's
            debited_account       TEXT,                -- who paid the value back into circulation
            compensated_at        TEXT
        );
        CREATE INDEX voucher_conflicts_by_serial ON voucher_conflicts (serial);

        -- "I have read it": a resident dismissed the notice of a conflict (building scope).
        CREATE TABLE voucher_conflict_notices_read (
            losing_event_id TEXT NOT NULL,
            resident_id     TEXT NOT NULL,
            read_at         TEXT NOT NULL,
            PRIMARY KEY (losing_event_id, resident_id)
        );
        """,
    )


@migrations()
def m011_board_search_by_rowid(db: Database) -> None:
    """The search index's rows take their post's rowid (searches stop at the page's end)."""
    executescript(
        db,
        """
        DELETE FROM board_posts_fts;
        INSERT INTO board_posts_fts (rowid, post_id, title, description, availability)
        SELECT rowid, id, title, description, availability FROM board_posts;
        """,
    )


@migrations()
def m012_event_scope_check_as_comparisons(db: Database) -> None:
    check_list_as_comparisons(db, "events", "scope")


@migrations()
def m013_sync_error_kind(db: Database) -> None:
    # What kind of failure the last sync met, so the admin page can say what to do about it:
    # "unreachable" (it retries by itself), "refused", "backup_too_old", "not_applicable".
    db.execute("ALTER TABLE sync_state ADD COLUMN last_error_kind TEXT")


@migrations()
def m014_auth_refused_events(db: Database) -> None:
    executescript(
        db,
        """
        -- Events this kiosk refused to apply (kiosk/store/authority.py), kept aside with the
        -- reason: pulled ones never entered the log (in_log = 0); one already in the log that
        -- the hub later declared refused (a revoked kiosk's) stays there, marked (in_log = 1),
        -- and the projections are rebuilt without it. Never deleted.
        CREATE TABLE refused_events (
            id          TEXT NOT NULL,
            origin      TEXT NOT NULL,
            seq         INTEGER NOT NULL,
            type        TEXT NOT NULL,
            reason      TEXT NOT NULL,              -- English
            facts       TEXT,                       -- JSON {msgid, params}: the reason translated
            body        TEXT NOT NULL,              -- the event as received (JSON)
            received_at TEXT NOT NULL,
            in_log      INTEGER NOT NULL DEFAULT 0 CHECK (in_log IN (0, 1)),
            UNIQUE (origin, seq, id)
        );
        -- The hub's word that a revoked kiosk's events after a seq no longer count
        -- (kiosk.events_refused; a projection, rebuilt from the log).
        CREATE TABLE refused_origins (
            origin    TEXT PRIMARY KEY,
            after_seq INTEGER NOT NULL,
            up_to_seq INTEGER NOT NULL,
            reason    TEXT NOT NULL,
            event_id  TEXT NOT NULL
        );
        """,
    )


@migrations()
def m015_sig_key_history(db: Database) -> None:
    executescript(
        db,
        """
        -- Every key of every kiosk, with the seq from which it signs (kiosk_keys keeps the
        -- current one and the building, one row per kiosk, for the pages that join on it).
        -- A key is valid from from_seq up to the next from_seq of the same origin. Sources:
        -- 'published' (a kiosk's own key, before the hub introduced any), 'hub' (introduced
        -- by the hub at an enrolment or a restore, signed by the hub's key), 'rotation'
        -- (handed over by the kiosk's previous key).
        CREATE TABLE kiosk_key_history (
            origin     TEXT NOT NULL,
            public_key TEXT NOT NULL,                   -- raw Ed25519, base64
            from_seq   INTEGER NOT NULL CHECK (from_seq > 0),
            source     TEXT NOT NULL CHECK (source IN ('published', 'hub', 'rotation')),
            event_id   TEXT,                            -- the key event (NULL: before history)
            PRIMARY KEY (origin, public_key)
        );
        """,
    )
    # Keys learnt before the history was kept were trusted for every seq of their kiosk.
    rows = db.execute(
        "SELECT origin, json_extract(payload, '$.public_key'), id FROM events "
        "WHERE type = 'kiosk.key_published' ORDER BY local_id"
    ).fetchall()
    rows += db.execute("SELECT origin, public_key, NULL FROM kiosk_keys").fetchall()
    db.conn.executemany(
        "INSERT OR IGNORE INTO kiosk_key_history (origin, public_key, from_seq, source, event_id) "
        "VALUES (?, ?, 1, 'published', ?)",
        [row for row in rows if isinstance(row[1], str)],
    )


@migrations()
def m016_tap_once_keys(db: Database) -> None:
    executescript(
        db,
        """
        -- One tap, one record (kiosk/web/once.py): the one-time key of every form that moved
        -- money or created something, written in the same transaction as what it recorded, with
        -- the page its first answer led to. Not an event: this kiosk's own, kept a day.
        CREATE TABLE once_keys (
            key         TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL,
            endpoint    TEXT NOT NULL,
            result_url  TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );
        CREATE INDEX once_keys_by_age ON once_keys (created_at);
        """,
    )


@migrations()
def m017_pin_kiosk_wide_guard(db: Database) -> None:
    executescript(
        db,
        """
        -- Device state: each wrong PIN typed on this kiosk, any account, for the kiosk-wide
        -- limit (kiosk/residents/auth.py). Kept as a record of guessing; never synced.
        CREATE TABLE pin_failures (
            at          TEXT NOT NULL,              -- UTC
            resident_id TEXT NOT NULL,
            asked_by    TEXT                        -- who was logged in (a neighbour's PIN)
        );
        CREATE INDEX pin_failures_by_time ON pin_failures (at);
        -- Device state: PIN entry paused on this whole kiosk until ``until`` (one row at most).
        CREATE TABLE pin_pause (
            id    INTEGER PRIMARY KEY CHECK (id = 1),
            until TEXT NOT NULL
        );
        """,
    )


# Where a PIN or mailbox-code hash readable without the pepper may sit: (table, column, key).
_SECRET_HASHES = (
    ("credentials", "pin_hash", "resident_id"),
    ("mailbox_codes", "code_hash", "id"),
)
_SECRET_EVENTS = {"resident.pin_set": "pin_hash", "mailbox_code.issued": "code_hash"}


@migrations()
def m018_pin_pepper_old_hashes(db: Database) -> None:
    """Wrap every PIN and mailbox-code hash made before the pepper (kiosk/pin_hashing.py), in the
    projections and in the private events that carry them, so a copy of the database (and every
    backup made from now on) cannot test a guess without the pepper file.

    The one edit ever made to the event log: only ``private`` events (they never left this
    kiosk), and only the hash they carry, replaced by its wrapped form, which accepts the same
    PIN: replaying the log gives the same credentials. ``secure_delete`` overwrites the old
    bytes in the freed pages.
    """
    conn = db.conn
    conn.execute("PRAGMA secure_delete = ON")
    for table, column, key in _SECRET_HASHES:  # names from the constant above, not input
        rows = conn.execute(f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
        for row_key, stored in rows.fetchall():
            if pin_hashing.is_legacy(stored):
                conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE {key} = ?",  # noqa: S608
                    [pin_hashing.wrap_legacy(db, stored), row_key],
                )
    rows = conn.execute(
        "SELECT local_id, type, payload FROM events WHERE scope = 'private' AND type IN (?, ?)",
        list(_SECRET_EVENTS),
    ).fetchall()
    rewritten = []
    for local_id, event_type, text in rows:
        payload = json.loads(text)
        field = _SECRET_EVENTS[event_type]
        if pin_hashing.is_legacy(payload.get(field, "")):
            payload[field] = pin_hashing.wrap_legacy(db, payload[field])
            body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            rewritten.append((body, local_id))
    if rewritten:
        conn.execute("DROP TRIGGER events_are_append_only_update")
        conn.executemany("UPDATE events SET payload = ? WHERE local_id = ?", rewritten)
        conn.execute(
            "CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events "
            "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
        )


@migrations()
def m019_pin_sessions(db: Database) -> None:
    executescript(
        db,
        """
        -- Device state: logged-in sessions (kiosk/residents/sessions.py). The cookie carries the
        -- id; only its SHA-256 is kept. Ended sessions stay, with when and why.
        CREATE TABLE sessions (
            id_hash     TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents (id),
            started_at  TEXT NOT NULL,
            last_seen   REAL NOT NULL,      -- wall-clock seconds (time.time())
            ended_at    TEXT,
            ended_why   TEXT        -- logout, idle, pin_reset, suspended, moved_out, other_login
        );
        CREATE INDEX sessions_by_resident ON sessions (resident_id) WHERE ended_at IS NULL;
        """,
    )


@migrations()
def m020_voucher_commitments(db: Database) -> None:
    """A voucher's paper carries a secret the kiosk never keeps (kiosk/vouchers/codes.py): the
    kiosk keeps its commitment. The column ``qr`` goes: a version 1 voucher's code is rebuilt
    from its signed fields, and such a voucher is redeemed only with the volunteer. Printed
    voucher jobs forget the codes they printed, as new ones do (printing/queue.py)."""
    executescript(
        db,
        """
        ALTER TABLE vouchers ADD COLUMN commitment TEXT;  -- hex SHA-256; NULL: version 1
        ALTER TABLE vouchers DROP COLUMN qr;
        UPDATE print_jobs SET payload = json_set(payload, '$.qr', json('null'),
                                                 '$.check_code', json('null'))
        WHERE layout = 'voucher' AND state = 'done';
        """,
    )


@migrations()
def m021_print_document_sent(db: Database) -> None:
    """A print job remembers when the current attempt began sending its document: a job cut
    off by a crash before that is handed back to the queue, one cut off after it may be on
    paper (uncertain). printing/queue.py."""
    executescript(
        db,
        """
        ALTER TABLE print_jobs ADD COLUMN document_sent_at TEXT;  -- NULL: no byte of it sent
        """,
    )


@migrations()
def m022_departures_and_returns(db: Database) -> None:
    """A resident may move out, come back and move out again: ``departures`` keeps one row per
    departure (no longer one per resident), and the row of a departure undone on purpose
    (``resident.returned``, kiosk/admin/projections.py) says when, by whom and why."""
    executescript(
        db,
        """
        ALTER TABLE departures ADD COLUMN returned_at TEXT;    -- NULL: still gone
        ALTER TABLE departures ADD COLUMN returned_by TEXT REFERENCES residents (id);
        ALTER TABLE departures ADD COLUMN return_reason TEXT;
        """,
    )
    rebuild_table(
        db,
        "departures",
        """
        CREATE TABLE departures (
            resident_id  TEXT NOT NULL REFERENCES residents (id),
            closed_by    TEXT NOT NULL REFERENCES residents (id),
            balance_left INTEGER NOT NULL,            -- the balance settled to zero
            transfer_id  TEXT REFERENCES transfers (id),
            posts_withdrawn INTEGER NOT NULL DEFAULT 0,
            created_at   TEXT NOT NULL,
            returned_at  TEXT,                        -- brought back (resident.returned)
            returned_by  TEXT REFERENCES residents (id),
            return_reason TEXT
        )
        """,
    )
    db.execute("CREATE INDEX departures_by_resident ON departures (resident_id, created_at)")


@migrations()
def m023_request_cancelled(db: Database) -> None:
    """A payment request can be cancelled when one of its residents moves out
    (``payment.request_cancelled``, kiosk/admin/departure_plan.py)."""
    widen_check_list(db, "payment_requests", "status", ("cancelled",))


@migrations()
def m024_purchase_fee_refusals(db: Database) -> None:
    """A group purchase is distributed even when some fees are refused: each refused fee is
    kept with the code of its reason (kiosk/projects/purchase_distribution.py), shown next to
    the participant's row on the organiser's page."""
    executescript(
        db,
        """
        CREATE TABLE purchase_fee_refusals (
            project_id  TEXT NOT NULL REFERENCES purchases (project_id),
            resident_id TEXT NOT NULL REFERENCES residents (id),
            amount      INTEGER NOT NULL CHECK (amount > 0),
            reason      TEXT NOT NULL,  -- moved_out, not_active, below_floor, organiser_ceiling...
            PRIMARY KEY (project_id, resident_id)
        );
        """,
    )


@migrations()
def m025_request_withdrawn(db: Database) -> None:
    """The neighbour who sent a payment request may withdraw it while it is pending
    (``payment.request_withdrawn``); its note for the payer is kept in ``reason``."""
    widen_check_list(db, "payment_requests", "status", ("withdrawn",))


@migrations()
def m026_resident_contacts(db: Database) -> None:
    """How a resident asked to be told (``resident.contact_set``, kiosk/residents/contact.py):
    an e-mail address, urgent alerts yes or no, the weekly digest yes or no, in which language.
    One row per resident, the latest choice; an empty address means nothing is sent."""
    executescript(
        db,
        """
        CREATE TABLE resident_contacts (
            resident_id TEXT PRIMARY KEY REFERENCES residents (id),
            email       TEXT NOT NULL DEFAULT '',
            urgent      INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
            digest      INTEGER NOT NULL DEFAULT 0 CHECK (digest IN (0, 1)),
            language    TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        """,
    )


@migrations()
def m027_devices(db: Database) -> None:
    """A resident's own devices (kiosk/residents/devices.py) and what they asked from home
    (sync/home_inbox.py). ``pairing_offers`` is this kiosk's own (no event: the QR code's
    secret never leaves it); ``devices`` and ``home_requests_answered`` are projections of the
    building events ``device.paired``, ``device.removed`` and ``home.request_answered``, so a
    request answered by either kiosk of the building is never applied again."""
    executescript(
        db,
        """
        CREATE TABLE pairing_offers (
            id          TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents (id),
            secret      TEXT NOT NULL,
            made_at     TEXT NOT NULL,
            used_at     TEXT,                 -- NULL: not used yet
            device_id   TEXT                  -- the device it paired
        );
        CREATE INDEX pairing_offers_by_resident ON pairing_offers (resident_id, made_at);
        CREATE TABLE devices (
            device_id   TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL REFERENCES residents (id),
            public_key  TEXT NOT NULL,
            label       TEXT NOT NULL,
            request_id  TEXT NOT NULL,        -- the pairing request
            paired_at   TEXT NOT NULL,
            removed_at  TEXT,                 -- NULL: still paired
            removed_why TEXT                  -- resident, volunteer, suspended, moved_out
        );
        CREATE INDEX devices_by_resident ON devices (resident_id, removed_at);
        CREATE TABLE home_requests_answered (
            request_id  TEXT PRIMARY KEY,
            resident_id TEXT NOT NULL,
            device_id   TEXT NOT NULL,
            action      TEXT NOT NULL,
            outcome     TEXT NOT NULL CHECK (outcome IN ('applied', 'refused')),
            message     TEXT NOT NULL,
            params      TEXT NOT NULL,        -- JSON object
            answered_at TEXT NOT NULL,
            answered_by TEXT NOT NULL         -- the kiosk that answered (origin)
        );
        """,
    )


@migrations()
def m028_contact_phone_and_stop(db: Database) -> None:
    """``resident_contacts`` learns a mobile number for urgent alerts by SMS, whether an answer
    to one's post is told (NULL: as before, told if urgent or digest was chosen), the contact
    event a row comes from, and the hub's word that the resident stopped it from a message's
    link (``resident.contact_stopped``: when, which channel). Each row's event id is found
    again in the log (the latest ``resident.contact_set`` of its resident)."""
    executescript(
        db,
        """
        ALTER TABLE resident_contacts ADD COLUMN phone TEXT NOT NULL DEFAULT '';
        ALTER TABLE resident_contacts ADD COLUMN sms_urgent INTEGER NOT NULL DEFAULT 0
            CHECK (sms_urgent IN (0, 1));
        ALTER TABLE resident_contacts ADD COLUMN answers INTEGER CHECK (answers IN (0, 1));
        ALTER TABLE resident_contacts ADD COLUMN event_id TEXT;
        ALTER TABLE resident_contacts ADD COLUMN stopped_at TEXT;
        ALTER TABLE resident_contacts ADD COLUMN stopped_channel TEXT;
        UPDATE resident_contacts SET event_id = (
            SELECT e.id FROM events e WHERE e.type = 'resident.contact_set'
            AND json_extract(e.payload, '$.resident_id') = resident_contacts.resident_id
            ORDER BY e.local_id DESC LIMIT 1
        );
        """,
    )
