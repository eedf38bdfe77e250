"""The board of the building: offers ("je propose") and requests ("je cherche"), search,
super neighbours who post for others, and the exchange form filled from a post. The
"I'm interested" messages to the poster: kiosk/board/messages.py.

A post is an event (``board.post_published``, or ``board.post_published_network`` when it is
visible to neighbouring buildings); withdrawing is another event, never a delete. A post's end
date is compared with the building's date when the board is read, so an ended post leaves the
board by itself and stays in the history. Search is SQLite FTS5 with ``remove_diacritics``:
"electricite" finds "Électricité".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from sqlite_utils import Database

from kiosk import clock, store
from kiosk import text as text_rules
from kiosk.board import reads as board_reads
from kiosk.board.errors import (
    EndDateInPast,
    NotAHelper,
    NotYourPost,
    OwnPost,
    PostNotActive,
    PostNotFound,
    RemotePost,
)
from kiosk.categories import CATEGORIES
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, PermissionDenied
from kiosk.money import parse_amount
from kiosk.residents.residents import Resident, require_may_exchange
from kiosk.residents.residents import get as get_resident

DIRECTIONS: dict[str, str] = {"offer": N_("I offer"), "request": N_("I am looking for")}
KINDS: dict[str, str] = {
    "service": N_("A service"),
    "lend": N_("Lending an item"),
    "give": N_("A gift"),
    "barter": N_("Barter"),
    "carpool": N_("Carpooling"),
    "other": N_("Other"),
}
PRICE_MODES: dict[str, str] = {
    "per_hour": N_("CEEC per hour"),
    "fixed": N_("A fixed price"),
    "free": N_("Free, as a gift"),
}
TITLE_MAX = 80
DESCRIPTION_MAX = 1000
AVAILABILITY_MAX = 120
SEARCH_MAX = 100
END_CHOICES = (7, 14, 30, 90)  # days offered as big buttons; or no end


@dataclass(frozen=True)
class Post:
    id: str
    reference: str
    origin: str
    building: str
    scope: str
    direction: str
    kind: str
    category: str
    title: str
    description: str
    availability: str
    price_mode: str
    price: int | None
    ends_on: str | None
    poster_id: str
    name: str
    apartment: str
    posted_by: str | None
    posted_by_name: str | None
    created_at: str
    withdrawn_at: str | None
    active: bool
    is_remote: bool  # from another building of the network

    @classmethod
    def from_row(cls, row, *, today: str, own_building: str) -> Post:
        values = {
            name: row[name]
            for name in cls.__dataclass_fields__
            if name not in ("active", "is_remote")
        }
        active = row["withdrawn_at"] is None and (row["ends_on"] is None or row["ends_on"] >= today)
        return cls(**values, active=active, is_remote=row["building"] != own_building)


@dataclass(frozen=True)
class BoardPage:
    posts: list[Post]
    page: int
    has_next: bool
    query: str


def today(config: Config) -> date:
    """The building's date now (kiosk.clock in the building's time zone)."""
    return clock.now().astimezone(config.timezone).date()


def categories(config: Config) -> dict[str, str]:
    """The board's categories (config order) with their msgids."""
    return {key: CATEGORIES[key] for key in config["board"]["categories"]}


def clean_text(
    text: str | None, *, maximum: int, required: str | None, too_long: str, single_line: bool
) -> str:
    return text_rules.clean_text(
        text, maximum=maximum, empty=required, too_long=too_long, lines=not single_line
    )


def clean_title(text: str | None) -> str:
    return clean_text(
        text,
        maximum=TITLE_MAX,
        required=N_("Give your post a title."),
        too_long=N_("A title is at most %(max)d characters."),
        single_line=True,
    )


def _choice(value: str | None, allowed, message: str) -> str:
    if value not in allowed:
        raise InvalidInput(message)
    return value


def parse_price(config: Config, mode: str | None, text: str | None) -> tuple[str, int | None]:
    """The price as typed: (mode, hundredths or None for a gift)."""
    mode = _choice(mode, PRICE_MODES, N_("Choose a price: per hour, fixed, or free."))
    if mode == "free":
        return mode, None
    amount = parse_amount(text)
    if amount > config.amount("max_exchange"):
        raise InvalidInput(
            N_("A price is at most %(max)d CEEC."), max=config["currency"]["max_exchange"]
        )
    return mode, amount


def end_date(config: Config, days: str | int | None) -> date | None:
    """ "in N days" from the board's buttons; empty means no end."""
    if days is None or str(days).strip() in ("", "none"):
        return None
    try:
        number = int(str(days).strip())
    except ValueError:
        raise InvalidInput(N_("Choose when the post ends.")) from None
    if number > 366:
        raise InvalidInput(N_("A post can stay at most a year: choose an earlier end."))
    return today(config) + timedelta(days=number)


def can_post_for_others(db: Database, resident: Resident) -> bool:
    return resident.is_admin or board_reads.is_helper(db, resident.id)


def publish(
    db: Database,
    config: Config,
    *,
    poster_id: str,
    direction: str,
    kind: str,
    category: str,
    title: str,
    description: str = "",
    availability: str = "",
    price_mode: str = "free",
    price: int | None = None,
    ends_on: date | None = None,
    network: bool = False,
    posted_by: str | None = None,
) -> Post:
    """Put an offer or a request on the board (for ``poster_id``, entered by ``posted_by``)."""
    direction = _choice(direction, DIRECTIONS, N_("Say whether you offer or look for something."))
    kind = _choice(kind, KINDS, N_("Choose what kind of post it is."))
    category = _choice(
        category, config["board"]["categories"], N_("Choose a category from the list.")
    )
    title = clean_title(title)
    description = clean_text(
        description,
        maximum=DESCRIPTION_MAX,
        required=None,
        too_long=N_("A description is at most %(max)d characters."),
        single_line=False,
    )
    availability = clean_text(
        availability,
        maximum=AVAILABILITY_MAX,
        required=None,
        too_long=N_("Availability is at most %(max)d characters."),
        single_line=True,
    )
    price_mode = _choice(price_mode, PRICE_MODES, N_("Choose a price: per hour, fixed, or free."))
    if price_mode == "free":
        price = None
    elif price is None or price <= 0 or price > config.amount("max_exchange"):
        raise InvalidInput(
            N_("A price is at most %(max)d CEEC."), max=config["currency"]["max_exchange"]
        )
    if ends_on is not None and ends_on < today(config):
        raise EndDateInPast()
    poster = get_resident(db, poster_id)
    require_may_exchange(poster)
    if posted_by and posted_by != poster_id:
        helper = get_resident(db, posted_by)
        if not can_post_for_others(db, helper):
            raise NotAHelper()
    else:
        posted_by = None
    with store.write(db):
        event = store.record(
            db,
            "board.post_published_network" if network else "board.post_published",
            {
                "direction": direction,
                "kind": kind,
                "category": category,
                "title": title,
                "description": description,
                "availability": availability,
                "price_mode": price_mode,
                "price": price,
                "ends_on": ends_on.isoformat() if ends_on else None,
                "poster_id": poster.id,
                "poster_name": poster.name,
                "poster_apartment": poster.apartment,
                "building": config["building"]["name"],
                "posted_by": posted_by,
            },
        )
    return get_post(db, config, event.id)


def get_post(db: Database, config: Config, post_id: str) -> Post:
    row = board_reads.post(db, post_id or "")
    if row is None:
        raise PostNotFound()
    return Post.from_row(
        row, today=today(config).isoformat(), own_building=config["building"]["name"]
    )


def withdraw(db: Database, config: Config, post_id: str, *, actor: Resident) -> Post:
    """The poster (or whoever posted for them, or an admin) takes a post off the board."""
    post = get_post(db, config, post_id)
    if actor.id not in (post.poster_id, post.posted_by) and not actor.is_admin:
        raise NotYourPost()
    if post.withdrawn_at is not None:
        raise PostNotActive()
    if post.is_remote:
        raise RemotePost(building=post.building)
    with store.write(db):
        store.record(
            db,
            "board.post_withdrawn_network" if post.scope == "network" else "board.post_withdrawn",
            {"post_id": post.id, "withdrawn_by": actor.id},
        )
    return get_post(db, config, post_id)


def search_query(text: str | None) -> str | None:
    """What a resident typed -> an FTS5 query: every word, as a prefix, quoted (no syntax)."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", (text or "")[:SEARCH_MAX]))
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words[:8])


def browse(
    db: Database,
    config: Config,
    *,
    direction: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    text: str | None = None,
    page: int = 1,
) -> BoardPage:
    """One page of the board, newest first, filtered and searched."""
    size = config["board"]["page_size"]
    page = max(1, min(page, 10_000))
    direction = direction if direction in DIRECTIONS else None
    kind = kind if kind in KINDS else None
    category = category if category in CATEGORIES else None
    day = today(config).isoformat()
    rows = board_reads.active_posts(
        db,
        today=day,
        direction=direction,
        kind=kind,
        category=category,
        match=search_query(text),
        limit=size + 1,
        offset=(page - 1) * size,
    )
    own = config["building"]["name"]
    posts = [Post.from_row(row, today=day, own_building=own) for row in rows[:size]]
    return BoardPage(
        posts=posts, page=page, has_next=len(rows) > size, query=(text or "")[:SEARCH_MAX]
    )


def posts_of(db: Database, config: Config, resident_id: str) -> list[Post]:
    day, own = today(config).isoformat(), config["building"]["name"]
    return [
        Post.from_row(row, today=day, own_building=own)
        for row in board_reads.posts_of(db, resident_id)
    ]


# --------------------------------------------------------------------------- super neighbours


def set_helper(db: Database, *, admin: Resident, resident_id: str, enabled: bool) -> None:
    """An admin makes a resident a "super neighbour" (or not): they may post for others."""
    if not admin.is_admin:
        raise PermissionDenied()
    get_resident(db, resident_id)
    with store.write(db):
        if board_reads.is_helper(db, resident_id) != enabled:
            store.record(
                db,
                "board.helper_set",
                {"resident_id": resident_id, "enabled": enabled, "granted_by": admin.id},
            )


def helper_ids(db: Database) -> set[str]:
    return board_reads.helper_ids(db)


# --------------------------------------------------------------------------- exchange pre-fill


def exchange_prefill(config: Config, post: Post, me: Resident) -> dict[str, str]:
    """The exchange form's fields for an exchange found on ``post`` (the rate included)."""
    if post.is_remote:
        raise RemotePost(building=post.building)
    if me.id == post.poster_id:
        raise OwnPost()
    # An offer: the poster helped me, I pay. A request: I helped the poster, I am paid.
    fields = {
        "post": post.id,
        "neighbour": post.poster_id,
        "direction": "paid" if post.direction == "offer" else "earned",
        "description": post.title[:200],
        "category": post.category if post.category in CATEGORIES else "other",
    }
    standard = config.hundredths_per_hour
    if post.price_mode == "fixed" and post.price:
        fields["amount"] = _plain_amount(post.price)
    elif post.price_mode == "per_hour" and post.price:
        if post.price == standard:
            fields["hours"] = "1"
        else:  # a rate other than the standard hour: the amount of one hour, to adjust
            fields["amount"] = _plain_amount(post.price)
    return fields


def _plain_amount(hundredths: int) -> str:
    whole, cents = divmod(hundredths, 100)
    return f"{whole},{cents:02d}" if cents else str(whole)
