"""What the idle screen (the welcome page, nobody logged in) rotates through: new offers, open
group purchases, polls closing soon and notices. Urgent alerts are the banner above it.

Only what the lobby may see: titles, apartments of posters, dates. Never a balance, a price in
an account, a vote or anything private. The board and the group purchases are read through
their public functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import g

from kiosk.board import board
from kiosk.community import notices, polls
from kiosk.errors import KioskError
from kiosk.projects import projects
from kiosk.web.formatting import day, gettext
from kiosk.web.session_state import db

log = logging.getLogger(__name__)
MAX_PER_KIND = 4


@dataclass(frozen=True)
class IdleItem:
    kind: str  # offer, purchase, poll, notice
    heading: str  # "New offer", "Poll closing soon"...
    title: str
    detail: str


def new_offers() -> list[IdleItem]:
    """The newest offers of the board."""
    page = board.browse(db(), g.config, direction="offer")
    return [
        IdleItem("offer", gettext("New offer"), post.title, post.apartment)
        for post in page.posts[:MAX_PER_KIND]
    ]


def open_group_purchases() -> list[IdleItem]:
    """Open group purchases."""
    found = [
        project
        for project in projects.all_projects(db(), include_closed=False)
        if project.kind == "group_purchase" and project.status == "open"
    ]
    return [
        IdleItem("purchase", gettext("Group purchase"), project.title, gettext("Join at the kiosk"))
        for project in found[:MAX_PER_KIND]
    ]


def polls_closing_soon() -> list[IdleItem]:
    return [
        IdleItem(
            "poll",
            gettext("Poll closing soon"),
            poll.question,
            gettext("Vote until %(date)s", date=day(poll.closes_on)),
        )
        for poll in polls.closing_soon(db(), g.config)[:MAX_PER_KIND]
    ]


def current_notices() -> list[IdleItem]:
    items = []
    for notice in notices.current_notices(db(), g.config, limit=MAX_PER_KIND):
        heading = (
            gettext("Official notice")
            if notice.official
            else gettext(notices.CATEGORIES.get(notice.category, "Other"))
        )
        items.append(IdleItem("notice", heading, notice.title, notice.body[:140]))
    return items


def idle_items() -> list[IdleItem]:
    """Everything the rotating panel shows, in order. A failing area is left out, not fatal."""
    items: list[IdleItem] = []
    for source in (new_offers, open_group_purchases, polls_closing_soon, current_notices):
        try:
            items.extend(source())
        except (KioskError, AttributeError, TypeError) as exc:  # another area's API moved
            log.warning("idle screen: %s left out (%s)", source.__name__, exc)
    return items
