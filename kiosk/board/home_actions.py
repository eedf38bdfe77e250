"""What a resident may do on the board from their own device (kiosk/home_requests.py): post an
offer or a request, answer a post, withdraw their own post, ask a neighbour for a payment. Each
applier calls the same domain function as the kiosk's own form, with the resident as the actor,
inside the write transaction of sync/home_inbox.py; a refusal is the domain's own."""

from __future__ import annotations

from datetime import date

from kiosk.board import board, messages, payment_requests
from kiosk.board.errors import NotYourPost
from kiosk.errors import N_, InvalidInput
from kiosk.home_requests import home_action
from kiosk.residents import residents

MAX_DAYS = 366


def _ends_on(config, text: str | None) -> date | None:
    """A post's last day, "YYYY-MM-DD": not before today, at most a year ahead (the kiosk's
    form offers "in N days" with the same bound)."""
    if text is None or text == "":
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("Choose when the post ends.")) from None
    days = (day - board.today(config)).days
    if days < 0:
        raise InvalidInput(N_("Choose when the post ends."))
    return board.end_date(config, days)


def _price_text(price: int | None) -> str | None:
    """Hundredths of CEEC as the kiosk's form types them (the form's own parsing follows)."""
    if price is None:
        return None
    sign = "-" if price < 0 else ""
    return f"{sign}{abs(price) // 100},{abs(price) % 100:02d}"


@home_action(
    "board.post",
    fields={"direction": str, "kind": str, "category": str, "title": str},
    optional={
        "description": str,
        "availability": str,
        "price_mode": str,
        "price": int,
        "ends_on": str,
        "network": bool,
    },
    summary=N_("Post on the board"),
)
def post(db, config, resident_id, fields, *, request_id):
    price_mode, price = board.parse_price(
        config, fields.get("price_mode", "free"), _price_text(fields.get("price"))
    )
    board.publish(
        db,
        config,
        poster_id=resident_id,
        direction=fields["direction"],
        kind=fields["kind"],
        category=fields["category"],
        title=fields["title"],
        description=fields.get("description", ""),
        availability=fields.get("availability", ""),
        price_mode=price_mode,
        price=price,
        ends_on=_ends_on(config, fields.get("ends_on")),
        network=bool(fields.get("network", False)),
        posted_by=resident_id,
    )


@home_action(
    "board.answer",
    fields={"post_id": str},
    optional={"body": str},
    summary=N_("Answer a post"),
)
def answer(db, config, resident_id, fields, *, request_id):
    sender = residents.get(db, resident_id)
    messages.answer(db, config, fields["post_id"], sender=sender, body=fields.get("body", ""))


@home_action("board.withdraw", fields={"post_id": str}, summary=N_("Withdraw a post"))
def withdraw(db, config, resident_id, fields, *, request_id):
    """Only one's own post (or one entered for one): from home, an admin is a resident."""
    actor = residents.get(db, resident_id)
    found = board.get_post(db, config, fields["post_id"])
    if resident_id not in (found.poster_id, found.posted_by):
        raise NotYourPost()
    board.withdraw(db, config, found.id, actor=actor)


@home_action(
    "payment.request",
    fields={"payer_id": str, "description": str},
    optional={"category": str, "minutes": int, "amount": int, "post_id": str},
    summary=N_("Ask a neighbour for a payment"),
)
def request_payment(db, config, resident_id, fields, *, request_id):
    payment_requests.request_payment(
        db,
        config,
        provider_id=resident_id,
        payer_id=fields["payer_id"],
        description=fields["description"],
        category=fields.get("category", "other"),
        minutes=fields.get("minutes"),
        amount=None if fields.get("minutes") else fields.get("amount"),
        post_id=fields.get("post_id"),
        created_by=resident_id,
    )
