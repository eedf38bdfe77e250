"""Projectors: how each event changes the projection tables.

A projector trusts its event: the domain checked the rules before recording it, and a replayed
log must give the same rows whatever the config says today. Projectors never read the clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlite_utils import Database

from kiosk.store.events import Event, projector


def resident_account_id(resident_id: str) -> str:
    return f"resident:{resident_id}"


@projector("resident.registered", "building")
def _resident_registered(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO residents (id, apartment, name, role, status, home_origin, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            p["resident_id"],
            p["apartment"],
            p["name"],
            p["role"],
            p["status"],
            event.origin,
            event.created_at,
            event.created_at,
        ],
    )
    db.execute(
        "INSERT INTO accounts (id, kind, resident_id, label, balance) VALUES (?, 'resident', ?, ?, 0)",
        [resident_account_id(p["resident_id"]), p["resident_id"], p["apartment"]],
    )
    db.execute("INSERT INTO credentials (resident_id) VALUES (?)", [p["resident_id"]])


_RESIDENT_FIELDS = ("apartment", "name", "role", "status")


@projector("resident.updated", "building", bulk=True)
def _residents_updated(db: Database, events: Sequence[Event]) -> None:
    """Each event sets the fields its payload names. Consecutive events naming the same fields
    (a page of renames) share one ``executemany``, in log order."""
    conn = db.conn
    shape: tuple[str, ...] = ()
    rows: list[tuple] = []
    labels: list[tuple[str, str]] = []

    def flush() -> None:
        if rows:
            assignments = ", ".join(f"{name} = ?" for name in shape)
            conn.executemany(
                f"UPDATE residents SET {assignments}, updated_at = ? WHERE id = ?", rows
            )  # noqa: S608
            rows.clear()

    for event in events:
        p = event.payload
        fields = tuple(name for name in _RESIDENT_FIELDS if name in p)
        if not fields:
            continue
        if fields != shape:
            flush()
            shape = fields
        rows.append((*(p[name] for name in fields), event.created_at, p["resident_id"]))
        if "apartment" in p:
            labels.append((p["apartment"], p["resident_id"]))
    flush()
    if labels:  # the account's label follows the apartment (another table: order kept within it)
        conn.executemany("UPDATE accounts SET label = ? WHERE resident_id = ?", labels)


@projector("resident.pin_set", "private")
def _pin_set(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE credentials SET pin_hash = ? WHERE resident_id = ?",
        [p["pin_hash"], p["resident_id"]],
    )


def retire_current_card(db: Database, resident_id: str, revoked_at: str) -> None:
    """Keep the hash of a resident's current card as revoked (a scan then says "replaced")."""
    db.execute(
        "INSERT OR IGNORE INTO revoked_cards (token_hash, resident_id, revoked_at) "
        "SELECT card_token_hash, resident_id, ? FROM credentials "
        "WHERE resident_id = ? AND card_token_hash IS NOT NULL",
        [revoked_at, resident_id],
    )


@projector("card.issued", "private")
def _card_issued(db: Database, event: Event) -> None:
    p = event.payload
    retire_current_card(db, p["resident_id"], event.created_at)
    db.execute(
        "UPDATE credentials SET card_token_hash = ?, card_number = ?, card_issued_at = ? "
        "WHERE resident_id = ?",
        [p["token_hash"], p["card_number"], event.created_at, p["resident_id"]],
    )


@projector("account.opened", "building")
def _account_opened(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        # Two kiosks of a building may both open a system account while apart: the second
        # opening changes nothing (kiosk/ledger/transfers.py, open_system_account).
        "INSERT INTO accounts (id, kind, resident_id, label, balance) VALUES (?, 'system', NULL, ?, 0) "
        "ON CONFLICT (id) DO NOTHING",
        [p["account_id"], p["label"]],
    )


@projector("transfer.recorded", "building")
def _transfer_recorded(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO transfers (id, reference, kind, debit_account, credit_account, amount, minutes, "
        "description, category, reverses, recorded_by, origin, created_at, post_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            p["kind"],
            p["debit_account"],
            p["credit_account"],
            p["amount"],
            p.get("minutes"),
            p.get("description", ""),
            p.get("category", "other"),
            p.get("reverses"),
            p.get("recorded_by"),
            event.origin,
            event.created_at,
            p.get("post_id"),
        ],
    )
    db.execute(
        "UPDATE accounts SET balance = balance - ? WHERE id = ?", [p["amount"], p["debit_account"]]
    )
    db.execute(
        "UPDATE accounts SET balance = balance + ? WHERE id = ?", [p["amount"], p["credit_account"]]
    )


@projector("kiosk.key_published", "network")
def _kiosk_key_published(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO kiosk_keys (origin, public_key, building, published_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (origin) DO UPDATE SET public_key = excluded.public_key, "
        "building = excluded.building, published_at = excluded.published_at",
        [event.origin, p["public_key"], p["building"], event.created_at],
    )
