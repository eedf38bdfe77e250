"""Pull: every page the hub has for this kiosk, applied with one ``apply_foreign_many`` each
(held (origin, seq) found in one query, new events inserted in bulk, then projected in page
order), the cursor moved in the same transaction. Each event is checked first (the authority
check of kiosk/store/authority.py): a refused one is kept aside with its reason, never applied,
and the page goes on without it. The next page is asked for while this one
is applied. Idempotent: after a cut-off the next run re-pulls, and what is already held
changes nothing."""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from sqlite_utils import Database

from kiosk import store
from kiosk.store import events as eventlog
from kiosk.store import refused
from kiosk.store.authority import KioskView, cannot_apply
from sync import event_signatures, protocol, seals
from sync.errors import EventNotApplicable, HubUnreachable
from sync.session import HubSession, InFlight
from sync.state import state


class Page(NamedTuple):
    events: list[eventlog.Event]  # to apply, in hub order
    values: list  # what inserting them takes (``eventlog.insert_values``)
    received: int  # events in the page (including those left out)
    last_hub_seq: int
    more: bool
    signed: list | None = None  # per event: (digest, seal) (``read_signatures``)
    hub_key: str | None = None  # the hub's public key, as the page names it


def read_page(page: Any, own: str | None, *, signatures: bool = True) -> Page:
    """The events of a pulled page, and the values that insert them; the events of ``own``
    (this kiosk, unless restoring) and any private one are left out. ``HubUnreachable`` if the
    page cannot be read. Touches no database: runs in the request's thread, while the kiosk
    applies the page before. ``signatures``: read each event's digest and seal too."""
    try:
        items = page["events"]
        last = int(page["last_hub_seq"])
        more = bool(page.get("more"))
        events = []
        wires = []
        from_wire = protocol.event_from_wire
        for position, (hub_seq, wire) in enumerate(items):
            int(hub_seq)
            event = from_wire(wire)
            if event.scope != "private" and event.origin != own:
                events.append(event)
                wires.append((position, wire))
        signed = read_signatures(page, wires) if signatures else None
    except (KeyError, TypeError, ValueError) as exc:
        raise HubUnreachable(f"the hub sent a page this kiosk cannot read: {exc}") from None
    hub_key = page.get("hub_key") if signatures else None
    return Page(events, eventlog.insert_values(events), len(items), last, more, signed, hub_key)


def read_signatures(page: dict, wires: list[tuple[int, dict]]) -> list:
    """(digest, seal or None) of each kept event (``wires``: its position in the page and wire
    form): the page's ``seals`` by id, ``seal_of`` naming each event's. A seal that cannot be
    read counts as none (its events are then refused, not the page)."""
    seal_of = page.get("seal_of") or []
    by_id: dict[Any, seals.Seal | None] = {}
    for seal_id, data in (page.get("seals") or {}).items():
        try:
            by_id[seal_id] = seals.read_seal(data)
        except protocol.ProtocolError:
            by_id[seal_id] = None
    digest = seals.event_digest
    signed = []
    for position, wire in wires:
        seal_id = seal_of[position] if position < len(seal_of) else None
        signed.append((digest(wire), by_id.get(str(seal_id)) if seal_id is not None else None))
    return signed


def _pull_path(session: HubSession, after: int, include_own: bool) -> str:
    return f"/api/pull?after={after}&limit={session.batch_size}" + ("&own=1" if include_own else "")


def _read_page(session: HubSession, include_own: bool):
    """The function that reads a pulled page (run in the request's thread)."""
    own = None if include_own else session.origin
    check = session.check_signatures
    return lambda answer: read_page(answer, own, signatures=check)


def _start_pull(
    session: HubSession, after: int, include_own: bool, counter: int | None = None
) -> InFlight:
    return session.start(
        "GET",
        _pull_path(session, after, include_own),
        counter=counter,
        then=_read_page(session, include_own),
    )


def pull(session: HubSession, *, include_own: bool = False) -> tuple[int, int]:
    """Apply every page the hub has for this kiosk; returns (received, newly applied)
    (``_pull``)."""
    with session.connection.kept_open():
        return _pull(session, include_own)


def _pull(session: HubSession, include_own: bool) -> tuple[int, int]:
    """Apply every page the hub has for this kiosk; returns (received, newly applied).

    The next page is asked for (in its own thread) as soon as a page has arrived, so the hub
    reads and sends it while this one is applied. Each page is applied, and the cursor
    moved, in one transaction, which also takes the counter of the request after next
    (so a page costs one commit)."""
    received = applied = 0
    banked = None
    cursor = state(session.db)["pull_cursor"]
    flight = _start_pull(session, cursor, include_own)
    try:
        while True:
            page = session.signed(
                "GET",
                _pull_path(session, cursor, include_own),
                under_way=flight,
                then=_read_page(session, include_own),
            )
            last, more = page.last_hub_seq, page.more
            flight = None
            after = max(cursor, last)
            taken = None
            if more:
                if banked is not None and banked <= session.last_counter:
                    banked = None  # outrun by a request signed again (a counter gone back)
                flight = _start_pull(session, after, include_own, banked)
                banked = None
            with store.write(session.db):
                stored = store.scalar(session.db, "SELECT pull_cursor FROM sync_state WHERE id = 1")
                if stored == cursor:
                    page = _signed_only(session, page)
                    applied += _apply(session.db, page)
                    session.db.execute(
                        "UPDATE sync_state SET pull_cursor = ? WHERE id = 1", [after]
                    )
                    if more:
                        taken = session.next_counter()
            if stored != cursor:  # another run applied this page meanwhile: go on from there
                if flight is not None:
                    flight.wait()
                cursor = stored
                flight = _start_pull(session, cursor, include_own)
                continue
            received += page.received
            cursor = after
            if not more:
                return received, applied
            banked = taken  # committed with the page
    finally:
        if flight is not None:
            flight.wait()  # never leave a request of ours running behind


def _screened(db: Database, page: Page) -> tuple[list[eventlog.Event], list]:
    """The events of ``page`` the authority check lets in, and their insert values; the others
    are kept aside with their reason (kiosk/store/refused.py), inside the page's transaction."""
    events = refused.screen_pulled(db, page.events)
    if len(events) == len(page.events):
        return page.events, page.values
    return events, eventlog.insert_values(events)


def _signed_only(session: HubSession, page: Page) -> Page:
    """The page without the events whose signature does not verify (set aside, never
    applied); inside the page's write transaction."""
    if page.signed is None:
        return page
    db = session.db
    event_signatures.learn_hub_key(db, page.hub_key)
    kept, refused = event_signatures.check_page(db, page.events, page.signed)
    if not refused:
        return page
    event_signatures.set_aside(db, refused)
    session.refused_events += len(refused)
    return page._replace(events=kept, values=eventlog.insert_values(kept))


def _apply(db: Database, page: Page) -> int:
    """Apply one page in bulk, but the events the authority check refuses (``_screened``),
    then the hub's word on a revoked kiosk's events if the page holds one. If the projections
    refuse the page, it is applied event by event (``_apply_one_by_one``)."""
    events, values = _screened(db, page)
    try:
        with store.write(db):  # a savepoint inside the page's transaction
            applied = eventlog.apply_foreign_many(db, events, values)
            refused.apply_hub_refusals(db, events)
            return applied
    except sqlite3.Error:
        pass
    with store.write(db):
        applied, kept = _apply_one_by_one(db, events)
        refused.apply_hub_refusals(db, kept)
    return applied


def _apply_one_by_one(db: Database, events: list[eventlog.Event]) -> tuple[int, list]:
    """(applied, events kept in the log) of a page the projections refused in bulk, one event
    at a time. An event of another building's kiosk that cannot be applied here is kept aside
    with the reason (a neighbour's bad event must not stop this building); one of this
    building stops the pull, named (``EventNotApplicable``: someone must act on this kiosk;
    the caller's transaction rolls the whole page back)."""
    view = KioskView(db)
    applied, kept = 0, []
    for event in events:
        try:
            with store.write(db):
                applied += eventlog.apply_foreign(db, event)
            kept.append(event)
        except sqlite3.Error as exc:
            sender = view.kiosk_building(event.origin)
            if sender is not None and sender != view.building:
                refused.keep_aside(db, event, cannot_apply(exc))
                continue
            raise EventNotApplicable(
                f"event {event.reference} ({event.type}) cannot be applied here: {exc}"
            ) from exc
    return applied, kept
