"""Projectors of the building's community life: verification, notices, alerts, polls, moving out.

Like every projector, these trust their event (the domain checked the rules) and never read the
clock or the config, so a replayed log gives the same rows.

Scopes: vouches, verifications, alerts, polls and votes are ``building`` (backed up at the hub,
never shown to other buildings); mailbox-code hashes, poll salts and card revocations are
``private``; a notice is ``building`` or, when "visible to neighbouring buildings", ``network``
(two event types sharing one projector, since a type has a fixed scope).
"""

from __future__ import annotations

import json

from sqlite_utils import Database

from kiosk.store.events import Event, projector
from kiosk.store.projections import retire_current_card

# --------------------------------------------------------------------------- verification


@projector("resident.vouched", "building")
def _resident_vouched(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO vouches (resident_id, voucher_id, apartment, event_id, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [p["resident_id"], p["voucher_id"], p["apartment"], event.id, event.created_at],
    )


@projector("resident.verified", "building")
def _resident_verified(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO verifications (event_id, resident_id, method, by_ids, admin_name, proof_kind, "
        "seen_on, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            p["resident_id"],
            p["method"],
            json.dumps(p.get("by_ids", [])),
            p.get("admin_name"),
            p.get("proof_kind"),
            p.get("seen_on"),
            event.created_at,
        ],
    )
    db.execute(
        "UPDATE residents SET status = 'verified', updated_at = ? WHERE id = ?",
        [event.created_at, p["resident_id"]],
    )


@projector("mailbox_code.issued", "private")
def _mailbox_code_issued(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE mailbox_codes SET closed_at = ?, closed_why = 'superseded' "
        "WHERE apartment = ? AND closed_at IS NULL",
        [event.created_at, p["apartment"]],
    )
    db.execute(
        "INSERT INTO mailbox_codes (id, apartment, code_hash, expires_at, issued_by, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            event.id,
            p["apartment"],
            p["code_hash"],
            p["expires_at"],
            p.get("issued_by"),
            event.created_at,
        ],
    )


@projector("mailbox_code.failed", "private")
def _mailbox_code_failed(db: Database, event: Event) -> None:
    p = event.payload
    db.execute("UPDATE mailbox_codes SET failures = failures + 1 WHERE id = ?", [p["code_id"]])
    if p.get("closes"):
        db.execute(
            "UPDATE mailbox_codes SET closed_at = ?, closed_why = 'tries' WHERE id = ?",
            [event.created_at, p["code_id"]],
        )


@projector("mailbox_code.used", "private")
def _mailbox_code_used(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE mailbox_codes SET used_by = ?, closed_at = ?, closed_why = 'used' WHERE id = ?",
        [p["resident_id"], event.created_at, p["code_id"]],
    )


@projector("card.revoked", "private")
def _card_revoked(db: Database, event: Event) -> None:
    """The card stops working; its hash stays known so a scan says it was revoked."""
    p = event.payload
    retire_current_card(db, p["resident_id"], event.created_at)
    db.execute(
        "UPDATE credentials SET card_token_hash = NULL WHERE resident_id = ?", [p["resident_id"]]
    )


@projector("resident.moved_out", "building")
def _resident_moved_out(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE residents SET status = 'moved_out', updated_at = ? WHERE id = ?",
        [event.created_at, p["resident_id"]],
    )
    db.execute(
        "INSERT INTO departures (resident_id, closed_by, balance_left, transfer_id, posts_withdrawn, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
            p["resident_id"],
            p["closed_by"],
            p["balance_left"],
            p.get("transfer_id"),
            p.get("posts_withdrawn", 0),
            event.created_at,
        ],
    )


# --------------------------------------------------------------------------- notices and alerts


def _notice_posted(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO notices (id, reference, origin, building, scope, category, official, title, body, "
        "starts_on, ends_on, author_id, author_name, author_apartment, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            event.origin,
            p["building"],
            event.scope,
            p["category"],
            1 if p.get("official") else 0,
            p["title"],
            p.get("body", ""),
            p["starts_on"],
            p["ends_on"],
            p["author_id"],
            p["author_name"],
            p["author_apartment"],
            event.created_at,
        ],
    )


projector("notice.posted", "building")(_notice_posted)
projector("notice.posted_network", "network")(_notice_posted)


def _notice_withdrawn(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE notices SET withdrawn_at = ?, withdrawn_by = ? WHERE id = ? AND withdrawn_at IS NULL",
        [event.created_at, p.get("by"), p["notice_id"]],
    )


projector("notice.withdrawn", "building")(_notice_withdrawn)
projector("notice.withdrawn_network", "network")(_notice_withdrawn)


@projector("alert.raised", "building")
def _alert_raised(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO alerts (id, reference, kind, text, raised_by, raised_at) VALUES (?, ?, ?, ?, ?, ?)",
        [event.id, event.reference, p["kind"], p["text"], p["raised_by"], event.created_at],
    )


@projector("alert.resolved", "building")
def _alert_resolved(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "UPDATE alerts SET resolved_by = ?, resolved_at = ?, resolution = ? WHERE id = ?",
        [p["resolved_by"], event.created_at, p.get("resolution", ""), p["alert_id"]],
    )


# --------------------------------------------------------------------------- polls


@projector("poll.opened", "building")
def _poll_opened(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO polls (id, reference, question, options, opens_on, closes_on, per, ballot, "
        "results_hidden, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            event.id,
            event.reference,
            p["question"],
            json.dumps(p["options"], ensure_ascii=False),
            p["opens_on"],
            p["closes_on"],
            p["per"],
            p["ballot"],
            1 if p.get("results_hidden") else 0,
            p["created_by"],
            event.created_at,
        ],
    )


@projector("poll.salted", "private")
def _poll_salted(db: Database, event: Event) -> None:
    p = event.payload
    db.execute("INSERT INTO poll_salts (poll_id, salt) VALUES (?, ?)", [p["poll_id"], p["salt"]])


@projector("poll.voted", "building")
def _poll_voted(db: Database, event: Event) -> None:
    p = event.payload
    db.execute(
        "INSERT INTO poll_votes (poll_id, voter_key, option, voter_id, apartment, voted_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (poll_id, voter_key) DO UPDATE SET "
        "option = excluded.option, voter_id = excluded.voter_id, apartment = excluded.apartment, "
        "voted_at = excluded.voted_at, changes = changes + 1",
        [
            p["poll_id"],
            p["voter_key"],
            p["option"],
            p.get("voter_id"),
            p.get("apartment"),
            event.created_at,
        ],
    )
