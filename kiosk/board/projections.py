"""Projectors of the board of the building: posts, answers, super neighbours, payment requests
and the lending register.

A post is published with one of two types sharing one projector: ``board.post_published``
(``building`` scope) or ``board.post_published_network`` (``network`` scope, ticked "visible to
neighbouring buildings"). A network post from another kiosk arrives here through sync: its
payload carries everything the board shows (poster's name and apartment, building name), since
this kiosk does not know that poster. Withdrawals follow the same split.

Payloads:

- ``board.post_published[_network]``: direction, kind, category, title, description,
  availability, price_mode, price, ends_on, poster_id, poster_name, poster_apartment,
  building, posted_by.
- ``board.post_withdrawn[_network]``: post_id, withdrawn_by.
- ``board.message_sent``: post_id, sender_id, recipient_id, body.
- ``board.messages_read``: resident_id, message_ids.
- ``board.helper_set``: resident_id, enabled, granted_by.
- ``payment.requested``: provider_id, payer_id, description, category, minutes, amount,
  post_id, loan_id, created_by, expires_at.
- ``payment.request_accepted``: request_id, transfer_id. ``payment.request_declined``:
  request_id, reason.
- ``loan.recorded``: lender_id, borrower_id, item, post_id, due_on, rate_mode, rate,
  recorded_by. ``loan.returned``: loan_id, request_id.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk.store.events import Event, projector

# Projection tables (listed in events.PROJECTION_TABLES): board_posts, board_messages,
# board_helpers, payment_requests, loans. board_posts_fts is rebuilt too, but its shadow
# tables hold segment blobs whose layout depends on merge history: tests compare search
# results after a rebuild instead of raw rows.


def _post_published(db: Database, event: Event) -> None:
    p = event.payload
    scope = "network" if event.type.endswith("_network") else "building"
    db.execute(
        "INSERT INTO board_posts (id, reference, origin, building, scope, direction, kind, "
        "category, title, description, availability, price_mode, price, ends_on, poster_id, "
        "poster_name, poster_apartment, posted_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            event.origin,
            p.get("building", ""),
            scope,
            p["direction"],
            p["kind"],
            p["category"],
            p["title"],
            p.get("description", ""),
            p.get("availability", ""),
            p["price_mode"],
            p.get("price"),
            p.get("ends_on"),
            p["poster_id"],
            p["poster_name"],
            p["poster_apartment"],
            p.get("posted_by"),
            event.created_at,
        ],
    )
    # The index row shares the post's rowid, so a search walks the index newest first and
    # stops at the page's end (see board_reads.active_posts).
    db.execute(
        "INSERT INTO board_posts_fts (rowid, post_id, title, description, availability) "
        "SELECT rowid, id, ?, ?, ? FROM board_posts WHERE id = ?",
        [p["title"], p.get("description", ""), p.get("availability", ""), event.id],
    )


def _post_withdrawn(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE board_posts SET withdrawn_at = ?, withdrawn_by = ? "
        "WHERE id = ? AND withdrawn_at IS NULL",
        [event.created_at, p.get("withdrawn_by"), p["post_id"]],
    )


projector("board.post_published", "building")(_post_published)
projector("board.post_published_network", "network")(_post_published)
projector("board.post_withdrawn", "building")(_post_withdrawn)
projector("board.post_withdrawn_network", "network")(_post_withdrawn)


@projector("board.message_sent", "building")
def _message_sent(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO board_messages (id, post_id, sender_id, recipient_id, body, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [event.id, p["post_id"], p["sender_id"], p["recipient_id"], p["body"], event.created_at],
    )


@projector("board.messages_read", "building")
def _messages_read(db: Database, event: Event) -> None:
    p = event.payload
    for message_id in p["message_ids"]:
        db.execute(
            "UPDATE board_messages SET read_at = ? "
            "WHERE id = ? AND recipient_id = ? AND read_at IS NULL",
            [event.created_at, message_id, p["resident_id"]],
        )


@projector("board.helper_set", "building")
def _helper_set(db: Database, event: Event) -> None:
    p = event.payload
    if p["enabled"]:
        db.execute(
            "INSERT OR REPLACE INTO board_helpers (resident_id, granted_by, granted_at) "
            "VALUES (?, ?, ?)",
            [p["resident_id"], p.get("granted_by"), event.created_at],
        )
    else:
        db.execute("DELETE FROM board_helpers WHERE resident_id = ?", [p["resident_id"]])


@projector("payment.requested", "building")
def _payment_requested(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO payment_requests (id, reference, provider_id, payer_id, description, "
        "category, minutes, amount, post_id, loan_id, created_by, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            p["provider_id"],
            p["payer_id"],
            p["description"],
            p["category"],
            p.get("minutes"),
            p["amount"],
            p.get("post_id"),
            p.get("loan_id"),
            p.get("created_by"),
            event.created_at,
            p["expires_at"],
        ],
    )
    if p.get("loan_id"):
        db.execute("UPDATE loans SET request_id = ? WHERE id = ?", [event.id, p["loan_id"]])


@projector("payment.request_accepted", "building")
def _request_accepted(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE payment_requests SET status = 'accepted', decided_at = ?, transfer_id = ? "
        "WHERE id = ?",
        [event.created_at, p["transfer_id"], p["request_id"]],
    )


@projector("payment.request_declined", "building")
def _request_declined(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE payment_requests SET status = 'declined', decided_at = ?, reason = ? WHERE id = ?",
        [event.created_at, p["reason"], p["request_id"]],
    )


@projector("loan.recorded", "building")
def _loan_recorded(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO loans (id, reference, lender_id, borrower_id, item, post_id, due_on, "
        "rate_mode, rate, recorded_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            p["lender_id"],
            p["borrower_id"],
            p["item"],
            p.get("post_id"),
            p.get("due_on"),
            p["rate_mode"],
            p.get("rate"),
            p.get("recorded_by"),
            event.created_at,
        ],
    )


@projector("loan.returned", "building")
def _loan_returned(db: Database, event: Event) -> None:
    db.execute(
        "UPDATE loans SET returned_at = ? WHERE id = ? AND returned_at IS NULL",
        [event.created_at, event.payload["loan_id"]],
    )
