"""Messages between neighbours about a board post: "I'm interested" (``board.message_sent``),
read at the poster's next login (``board.messages_read``), printed on request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from kiosk import store
from kiosk.board import reads as board_reads
from kiosk.board.board import clean_text, get_post
from kiosk.board.errors import MessageNotFound, OwnPost, PostNotActive, RemotePost
from kiosk.config import Config
from kiosk.errors import N_
from kiosk.residents.residents import Resident, require_may_exchange
from kiosk.residents.residents import get as get_resident
from printing import queue as print_queue

MESSAGE_MAX = 300


@dataclass(frozen=True)
class Message:
    id: str
    post_id: str
    post_title: str
    sender_id: str
    sender_name: str
    sender_apartment: str
    recipient_id: str
    body: str
    created_at: str
    read_at: str | None

    @classmethod
    def from_row(cls, row) -> Message:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


def answer(
    db: Database, config: Config, post_id: str, *, sender: Resident, body: str = ""
) -> Message:
    """ "I'm interested": a message for the poster, shown at their next login."""
    post = get_post(db, config, post_id)
    if post.is_remote:
        raise RemotePost(building=post.building)
    if not post.active:
        raise PostNotActive()
    if sender.id == post.poster_id:
        raise OwnPost()
    require_may_exchange(sender)
    body = clean_text(
        body,
        maximum=MESSAGE_MAX,
        required=None,
        too_long=N_("A message is at most %(max)d characters."),
        single_line=False,
    )
    with store.write(db):
        event = store.record(
            db,
            "board.message_sent",
            {
                "post_id": post.id,
                "sender_id": sender.id,
                "recipient_id": post.poster_id,
                "body": body,
            },
        )
    return get_message(db, event.id)


def get_message(db: Database, message_id: str) -> Message:
    row = board_reads.message(db, message_id or "")
    if row is None:
        raise MessageNotFound()
    return Message.from_row(row)


def messages_for(db: Database, resident_id: str) -> list[Message]:
    return [Message.from_row(row) for row in board_reads.messages_for(db, resident_id)]


def unread_count(db: Database, resident_id: str) -> int:
    return len(board_reads.unread_message_ids(db, resident_id))


def mark_read(db: Database, resident_id: str) -> int:
    """The resident has seen their messages (one event for all of them); returns how many."""
    with store.write(db):
        ids = board_reads.unread_message_ids(db, resident_id)
        if ids:
            store.record(
                db, "board.messages_read", {"resident_id": resident_id, "message_ids": ids}
            )
    return len(ids)


def queue_message_print(
    db: Database, config: Config, message_id: str, *, resident: Resident
) -> int:
    """Print a message (for its recipient or sender, or an admin)."""
    message = get_message(db, message_id)
    if resident.id not in (message.recipient_id, message.sender_id) and not resident.is_admin:
        raise MessageNotFound()
    recipient = get_resident(db, message.recipient_id)
    payload = {
        "post_title": message.post_title,
        "sender": {"name": message.sender_name, "apartment": message.sender_apartment},
        "recipient": {"name": recipient.name, "apartment": recipient.apartment},
        "body": message.body,
        "created_at": message.created_at,
    }
    with store.write(db):
        return print_queue.enqueue(
            db, "board_message", payload, reference=f"message-{message.id[:8]}"
        )
