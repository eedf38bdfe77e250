"""The event types of the board of the building: posts, answers, super neighbours, payment requests
and the lending register.

A post is published with one of two types sharing one projector: ``board.post_published``
(``building`` scope) or ``board.post_published_network`` (``network`` scope, ticked "visible to
neighbouring buildings"). A network post from another kiosk arrives here through sync: its
payload carries everything the board shows (poster's name and apartment, building name), since
this kiosk does not know that poster. Withdrawals follow the same split.

Each type's fields are declared with it below; ``message_ids`` lists the messages read.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk.store.events import Event
from kiosk.store.registry import (
    BUILDING,
    MAYBE_TEXT,
    About,
    Authority,
    Creates,
    NoneType,
    building_or_network_type,
    event_type,
    registry,
)

# Only a kiosk of the poster's (the resident's, the post's) building speaks about them, network
# posts included.
RESIDENT = About("resident", "resident_id")
POST = About("post", "post_id")
REQUEST = About("payment_request", "request_id")
POST_FIELDS = {
    "direction": str,
    "kind": str,
    "category": str,
    "title": str,
    "price_mode": str,
    "poster_id": str,
    "poster_name": str,
    "poster_apartment": str,
}
POST_OPTIONAL = {
    "building": str,
    "description": str,
    "availability": str,
    "price": (int, NoneType),
    "ends_on": MAYBE_TEXT,
    "posted_by": MAYBE_TEXT,
}

# board_posts_fts is rebuilt too (not among the declared tables), but its shadow
# tables hold segment blobs whose layout depends on merge history: tests compare search
# results after a rebuild instead of raw rows.


def _post_published(db: Database, event: Event) -> None:
    p = event.payload
    scope = registry.get(event.type).scope  # building, or network (the ``_network`` type)
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


building_or_network_type(
    "board.post_published",
    authority=Authority.HOME_BUILDING,
    about=About("resident", "poster_id"),
    fields=POST_FIELDS,
    optional=POST_OPTIONAL,
    tables=("board_posts",),
    creates=(Creates("post"),),
)(_post_published)
building_or_network_type(
    "board.post_withdrawn",
    authority=Authority.HOME_BUILDING,
    about=POST,
    fields={"post_id": str},
    optional={"withdrawn_by": MAYBE_TEXT},
    tables=("board_posts",),
)(_post_withdrawn)


@event_type(
    "board.message_sent",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("resident", "sender_id"),
    fields={"post_id": str, "sender_id": str, "recipient_id": str, "body": str},
    tables=("board_messages",),
)
def _message_sent(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO board_messages (id, post_id, sender_id, recipient_id, body, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [event.id, p["post_id"], p["sender_id"], p["recipient_id"], p["body"], event.created_at],
    )


@event_type(
    "board.messages_read",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={"resident_id": str, "message_ids": list},
    tables=("board_messages",),
)
def _messages_read(db: Database, event: Event) -> None:
    p = event.payload
    for message_id in p["message_ids"]:
        db.execute(
            "UPDATE board_messages SET read_at = ? "
            "WHERE id = ? AND recipient_id = ? AND read_at IS NULL",
            [event.created_at, message_id, p["resident_id"]],
        )


@event_type(
    "board.helper_set",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=RESIDENT,
    fields={"resident_id": str, "enabled": bool},
    optional={"granted_by": MAYBE_TEXT},
    tables=("board_helpers",),
)
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


@event_type(
    "payment.requested",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("resident", "provider_id"),
    creates=(Creates("payment_request"),),
    fields={
        "provider_id": str,
        "payer_id": str,
        "description": str,
        "category": str,
        "amount": int,
        "expires_at": str,
    },
    optional={
        "minutes": (int, NoneType),
        "post_id": MAYBE_TEXT,
        "loan_id": MAYBE_TEXT,
        "created_by": MAYBE_TEXT,
    },
    tables=("payment_requests", "loans"),
)
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


@event_type(
    "payment.request_accepted",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=REQUEST,
    fields={"request_id": str, "transfer_id": str},
    tables=("payment_requests",),
)
def _request_accepted(db: Database, event: Event) -> None:
    """Paid: the money moved, so acceptance wins over a cancellation or a withdrawal recorded
    meanwhile at another kiosk (whichever arrives first, every kiosk ends with the same row; a
    credit that reached a closed account is settled from its moving-out page)."""
    p = event.payload
    db.execute(
        "UPDATE payment_requests SET status = 'accepted', decided_at = ?, transfer_id = ?, "
        "reason = NULL WHERE id = ?",
        [event.created_at, p["transfer_id"], p["request_id"]],
    )


@event_type(
    "payment.request_declined",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=REQUEST,
    fields={"request_id": str, "reason": str},
    tables=("payment_requests",),
)
def _request_declined(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE payment_requests SET status = 'declined', decided_at = ?, reason = ? WHERE id = ?",
        [event.created_at, p["reason"], p["request_id"]],
    )


@event_type(
    "payment.request_cancelled",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=REQUEST,
    fields={"request_id": str, "reason": str},
    tables=("payment_requests",),
)
def _request_cancelled(db: Database, event: Event) -> None:
    """A pending request closed at a move-out (kiosk/admin/departure_plan.py): nothing moves,
    the reason is the note the neighbour reads; an answered request stays as it was."""
    p = event.payload
    db.execute(
        "UPDATE payment_requests SET status = 'cancelled', decided_at = ?, reason = ? "
        "WHERE id = ? AND status = 'pending'",
        [event.created_at, p["reason"], p["request_id"]],
    )


@event_type(
    "payment.request_withdrawn",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("resident", "provider_id"),
    fields={"request_id": str, "provider_id": str, "note": str},
    tables=("payment_requests",),
)
def _request_withdrawn(db: Database, event: Event) -> None:
    """The provider withdrew a pending request. Only its own provider's withdrawal counts: the
    authority lets a kiosk speak for the residents of its building only, and a withdrawal that
    names another provider than the request's, or comes after an answer, changes nothing."""
    p = event.payload
    db.execute(
        "UPDATE payment_requests SET status = 'withdrawn', decided_at = ?, reason = ? "
        "WHERE id = ? AND provider_id = ? AND status = 'pending'",
        [event.created_at, p["note"] or None, p["request_id"], p["provider_id"]],
    )


@event_type(
    "loan.recorded",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("resident", "lender_id"),
    creates=(Creates("loan"),),
    fields={"lender_id": str, "borrower_id": str, "item": str, "rate_mode": str},
    optional={
        "post_id": MAYBE_TEXT,
        "due_on": MAYBE_TEXT,
        "rate": (int, NoneType),
        "recorded_by": MAYBE_TEXT,
    },
    tables=("loans",),
)
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


@event_type(
    "loan.returned",
    scope=BUILDING,
    authority=Authority.HOME_BUILDING,
    about=About("loan", "loan_id"),
    fields={"loan_id": str},
    tables=("loans",),
)
def _loan_returned(db: Database, event: Event) -> None:
    db.execute(
        "UPDATE loans SET returned_at = ? WHERE id = ? AND returned_at IS NULL",
        [event.created_at, event.payload["loan_id"]],
    )
