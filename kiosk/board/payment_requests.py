"""Payment requests: the provider records an exchange as a request; the payer accepts it with
their PIN (only then does the ledger move CEEC) or declines it with a reason; while it is
pending, the provider may withdraw it, with a note the payer reads. A pending request to or from
a resident who moved out is closed (read as ``closed``: it can no longer be answered, and it no
longer waits in the payer's "to answer" count).

A request expires ``[board] request_expiry_days`` after it was made: its ``expires_at`` is in
the event (the projector never reads the clock) and is compared with ``kiosk.clock`` when read
or answered. Accepting runs ``exchanges.record_exchange`` and records the acceptance in the same
transaction, so a payer who went below the floor meanwhile is refused and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlite_utils import Database

from kiosk import clock, i18n, store
from kiosk.board import reads as board_reads
from kiosk.board.errors import (
    NotYourRequest,
    NotYourRequestToWithdraw,
    RequestAlreadyDecided,
    RequestCancelled,
    RequestExpired,
    RequestNotFound,
    RequestPartyMovedOut,
    RequestWithdrawn,
)
from kiosk.categories import CATEGORIES
from kiosk.config import Config
from kiosk.errors import N_, InvalidInput, SelfPayment
from kiosk.ledger import exchanges, ledger
from kiosk.residents.residents import MOVED_OUT, Resident, require_may_exchange
from kiosk.residents.residents import get as get_resident
from kiosk.text import clean_text
from printing import queue as print_queue

REASON_MAX = 200
NOTE_MAX = 200


@dataclass(frozen=True)
class PaymentRequest:
    id: str
    reference: str
    provider_id: str
    provider_name: str
    provider_apartment: str
    payer_id: str
    payer_name: str
    payer_apartment: str
    description: str
    category: str
    minutes: int | None
    amount: int
    post_id: str | None
    post_title: str | None
    loan_id: str | None
    created_at: str
    expires_at: str
    # pending, accepted, declined, cancelled (at a move-out), withdrawn (by the provider), and
    # as read: expired (pending past expires_at), closed (pending, and the provider or the payer
    # has moved out: a safety net behind the move-out's cancellation)
    status: str
    decided_at: str | None
    reason: str | None  # the payer's reason to decline, or the provider's note on withdrawing
    transfer_reference: str | None
    provider_status: str
    payer_status: str

    @classmethod
    def from_row(cls, row) -> PaymentRequest:
        values = {name: row[name] for name in cls.__dataclass_fields__}
        if values["status"] == "pending":
            if MOVED_OUT in (values["provider_status"], values["payer_status"]):
                values["status"] = "closed"
            elif clock.parse_iso(values["expires_at"]) <= clock.now():
                values["status"] = "expired"
        return cls(**values)

    @property
    def moved_out_name(self) -> str:
        """Who moved out, of a closed request."""
        return self.provider_name if self.provider_status == MOVED_OUT else self.payer_name


def request_payment(
    db: Database,
    config: Config,
    *,
    provider_id: str,
    payer_id: str,
    description: str,
    category: str = "other",
    minutes: int | None = None,
    amount: int | None = None,
    post_id: str | None = None,
    loan_id: str | None = None,
    created_by: str | None = None,
) -> PaymentRequest:
    """The provider asks the payer to pay for a service; nothing moves until accepted."""
    if provider_id == payer_id:
        raise SelfPayment()
    description = exchanges.clean_description(description)
    if category not in CATEGORIES:
        raise InvalidInput(N_("Choose a category from the list."))
    amount = exchanges.exchange_amount(config, minutes=minutes, amount=amount)
    expires_at = clock.now() + timedelta(days=config["board"]["request_expiry_days"])
    with store.write(db):
        for person in (get_resident(db, provider_id), get_resident(db, payer_id)):
            require_may_exchange(person)
        event = store.record(
            db,
            "payment.requested",
            {
                "provider_id": provider_id,
                "payer_id": payer_id,
                "description": description,
                "category": category,
                "minutes": minutes,
                "amount": amount,
                "post_id": post_id,
                "loan_id": loan_id,
                "created_by": created_by,
                "expires_at": expires_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            },
        )
    return get_request(db, event.id)


def get_request(db: Database, request_id: str) -> PaymentRequest:
    row = board_reads.payment_request(db, request_id or "")
    if row is None:
        raise RequestNotFound()
    return PaymentRequest.from_row(row)


def requests_of(db: Database, resident_id: str) -> list[PaymentRequest]:
    """Requests to pay and requests sent, newest first."""
    return [
        PaymentRequest.from_row(row) for row in board_reads.payment_requests_of(db, resident_id)
    ]


def pending_count(db: Database, payer_id: str) -> int:
    """Requests waiting for this payer's answer (not expired)."""
    return board_reads.pending_requests_count(db, payer_id, clock.now_iso())


def _open_request(db: Database, request_id: str, payer: Resident) -> PaymentRequest:
    request = get_request(db, request_id)
    if payer.id != request.payer_id:
        raise NotYourRequest()
    return _still_pending(request)


def _still_pending(request: PaymentRequest) -> PaymentRequest:
    if request.status == "cancelled":
        raise RequestCancelled(reason=request.reason or "")
    if request.status == "withdrawn":
        raise RequestWithdrawn(name=request.provider_name)
    if request.status == "closed":
        raise RequestPartyMovedOut(name=request.moved_out_name)
    if request.status != "pending" and request.status != "expired":
        raise RequestAlreadyDecided()
    if request.status == "expired":
        raise RequestExpired()
    return request


def accept(db: Database, config: Config, request_id: str, *, payer: Resident) -> ledger.Transfer:
    """The payer accepts (after their PIN): the exchange is recorded with the post's id."""
    with store.write(db):
        request = _open_request(db, request_id, payer)
        transfer = exchanges.record_exchange(
            db,
            config,
            payer_id=request.payer_id,
            payee_id=request.provider_id,
            description=request.description,
            category=request.category,
            minutes=request.minutes,
            amount=None if request.minutes else request.amount,
            recorded_by=payer.id,
            post_id=request.post_id,
        )
        store.record(
            db, "payment.request_accepted", {"request_id": request.id, "transfer_id": transfer.id}
        )
    return transfer


def decline(db: Database, request_id: str, *, payer: Resident, reason: str) -> PaymentRequest:
    """The payer declines, saying why; nothing moves."""
    reason = clean_text(
        reason,
        maximum=REASON_MAX,
        empty=N_("Say in a few words why you decline."),
        too_long=N_("The reason is at most %(max)d characters."),
    )
    with store.write(db):
        request = _open_request(db, request_id, payer)
        store.record(db, "payment.request_declined", {"request_id": request.id, "reason": reason})
    return get_request(db, request_id)


def cancel_at_departure(db: Database, request_id: str, *, note: str) -> None:
    """Close a pending request because one of its residents moves out (the admin's move-out,
    in its transaction): nothing moves; ``note`` is what the neighbour reads."""
    store.record(db, "payment.request_cancelled", {"request_id": request_id, "reason": note})


def paid_at_departure(db: Database, request_id: str, *, transfer_id: str) -> None:
    """The fee of a loan the payer owes, paid from their account when they move out (the
    admin's move-out records the transfer, in its transaction): the request is paid."""
    store.record(
        db, "payment.request_accepted", {"request_id": request_id, "transfer_id": transfer_id}
    )


def withdraw(
    db: Database, request_id: str, *, provider: Resident, note: str = ""
) -> PaymentRequest:
    """The provider takes back a pending request, with a note for the payer (optional); nothing
    moves, and the payer can no longer accept it."""
    note = clean_text(
        note, maximum=NOTE_MAX, too_long=N_("The note is at most %(max)d characters.")
    )
    with store.write(db):
        request = get_request(db, request_id)
        if provider.id != request.provider_id:
            raise NotYourRequestToWithdraw()
        _still_pending(request)
        store.record(
            db,
            "payment.request_withdrawn",
            {"request_id": request.id, "provider_id": provider.id, "note": note},
        )
    return get_request(db, request_id)


def queue_print(db: Database, config: Config, request_id: str, *, resident: Resident) -> int:
    """Print a request and its outcome (for one of its two residents, or an admin)."""

    request = get_request(db, request_id)
    if resident.id not in (request.provider_id, request.payer_id) and not resident.is_admin:
        raise NotYourRequest()
    gettext = i18n.gettext_for(config.language)
    payload = {
        "reference": request.reference,
        "created_at": request.created_at,
        "status": request.status,
        "decided_at": request.decided_at,
        "provider": {"name": request.provider_name, "apartment": request.provider_apartment},
        "payer": {"name": request.payer_name, "apartment": request.payer_apartment},
        "description": request.description,
        "category_label": gettext(CATEGORIES.get(request.category, CATEGORIES["other"])),
        "minutes": request.minutes,
        "amount": request.amount,
        "reason": request.reason,
        "transfer_reference": request.transfer_reference,
        "expires_at": request.expires_at,
    }
    with store.write(db):
        return print_queue.enqueue(db, "payment_request", payload, reference=request.reference)
