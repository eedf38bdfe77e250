"""The pages kiosks pull: their building's events and every network event after a cursor, in
``hub_seq`` order, with the seals that let a kiosk check them (``sync.seals``); at most
``MAX_PAGE_EVENTS`` events and about ``PAGE_BYTES`` of text a page. The events come in as
batches (``sync.hub.store``)."""

from __future__ import annotations

import functools

from sqlite_utils import Database

from kiosk.store import db as dbmod
from sync import protocol
from sync.hub.kiosks import Kiosk, use_counter
from sync.hub.records import latest_hub_seq
from sync.hub.signing import hub_public_key_b64

MAX_PAGE_EVENTS = 5000
PAGE_BYTES = 512 * 1024  # a page's text stops growing here (``_within_bytes``), before gzip


# A kiosk gets its building's events and every network event after its cursor: two index
# ranges (schema m017), disjoint, merged in hub_seq order. Never an event the hub refused;
# its own events only when restoring.
_ARMS = (
    "building = :building",  # events_by_building
    "scope = 'network' AND building <> :building",  # events_of_network
)
_NOT_REFUSED = "NOT EXISTS (SELECT 1 FROM hub_refused r WHERE r.hub_seq = events.hub_seq)"


def _served(arm: str, include_own: bool) -> str:
    """The condition on one arm's events (parameters ``after``, ``building``, ``origin``)."""
    own = "" if include_own else " AND origin <> :origin"
    return f"{arm} AND hub_seq > :after{own} AND {_NOT_REFUSED}"


@functools.cache  # two fixed texts, asked for at every page
def page_sql(include_own: bool) -> str:
    """The query of a page: each arm reads at most ``limit`` events from its index, from the
    cursor on, and the two are merged by hub_seq (a test keeps the plan so, on both stores).
    A page's cost follows what the kiosk gets, not what the hub received for every other
    building since the kiosk's cursor."""
    arms = " UNION ALL ".join(
        "SELECT * FROM (SELECT hub_seq, body, seal_id, origin FROM events "  # noqa: S608
        f"WHERE {_served(arm, include_own)} ORDER BY hub_seq LIMIT :limit) AS arm{index}"
        for index, arm in enumerate(_ARMS)
    )
    return f"{arms} ORDER BY hub_seq LIMIT :limit"


def waiting_for(db: Database, origin: str, building: str, after: int) -> int:
    """How many events the hub holds for kiosk ``origin`` of ``building`` after ``after``."""
    counts = " + ".join(
        f"(SELECT COUNT(*) FROM events WHERE {_served(arm, False)})"  # noqa: S608 (fixed text)
        for arm in _ARMS
    )
    return dbmod.scalar(
        db,
        f"SELECT {counts}",
        {"after": after, "building": building, "origin": origin},
    )


def events_page(
    db: Database,
    kiosk: Kiosk,
    after: int,
    limit: int,
    *,
    include_own: bool = False,
    counter: int | None = None,
) -> tuple[str, int, int]:
    """The JSON text of the next page for ``kiosk``: (text, last_hub_seq, count).

    A kiosk gets its building's events and every ``network`` event, in ``hub_seq`` order, its
    own events only when restoring, with their seals (``_signatures``). A page holds at most
    ``limit`` events and about ``PAGE_BYTES`` of text (``_within_bytes``; at least one
    event): what the hub and a kiosk (a Pi) hold in memory for a page stays bounded whatever
    the seals weigh. When the page is not full, ``last_hub_seq`` jumps to the newest hub_seq
    of the same snapshot, so events meant for others are not scanned again.
    The page is read first; then one write records the kiosk's ``pull_cursor`` and uses up
    the request's ``counter`` (``Replayed``: the page is not served).
    """
    limit = max(1, min(limit, MAX_PAGE_EVENTS))
    conn = db.conn
    conn.execute("BEGIN")  # one read snapshot for the page and the newest hub_seq
    try:
        rows = conn.execute(
            page_sql(include_own),
            {
                "after": after,
                "building": kiosk.building,
                "origin": kiosk.origin,
                "limit": limit + 1,
            },
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        found = _seal_bodies(db, rows)
        kept = _within_bytes(rows, found, PAGE_BYTES)
        if len(kept) < len(rows):
            more, rows = True, kept
        if more:
            last = rows[-1][0]
        else:
            last = max(after, latest_hub_seq(db))
        ahead = _keys_ahead(db, rows, last)
        found.update(_seal_bodies(db, [row for row in ahead if row[2] not in found]))
        rows = ahead + rows
        signatures = _signatures(db, rows, found)
    finally:
        conn.execute("COMMIT")
    if counter is None:
        db.execute("UPDATE kiosks SET pull_cursor = ? WHERE origin = ?", [after, kiosk.origin])
    else:
        use_counter(db, kiosk, counter, pull_cursor=after)
    items = ",".join(f"[{row[0]},{row[1]}]" for row in rows)
    text = (
        f'{{"events":[{items}],"last_hub_seq":{last},"more":{"true" if more else "false"}'
        f"{signatures}}}"
    )
    return text, last, len(rows)


def _keys_ahead(db: Database, rows: list, last: int) -> list:
    """The hub's introductions of the keys of the page's origins that come later in hub order
    (keys of kiosks enrolled before the key history, introduced at the upgrade): a kiosk
    needs them to check the page. Sent again in their place later, changing nothing then."""
    origins = sorted({row[3] for row in rows if row[3] != protocol.HUB_ORIGIN})
    if not origins:
        return []
    marks = ",".join("?" * len(origins))
    return db.conn.execute(
        "SELECT e.hub_seq, e.body, e.seal_id, e.origin FROM kiosk_key_history k "  # noqa: S608
        f"JOIN events e ON e.hub_seq = k.hub_seq WHERE k.origin IN ({marks}) AND k.hub_seq > ? "
        "ORDER BY e.hub_seq",
        [*origins, last],
    ).fetchall()


def _seal_bodies(db: Database, rows: list) -> dict[int, str]:
    """{seal id: its wire form} of the seals of ``rows``."""
    seal_ids = sorted({row[2] for row in rows if row[2] is not None})
    found: dict[int, str] = {}
    for start in range(0, len(seal_ids), 500):
        chunk = seal_ids[start : start + 500]
        found.update(
            db.conn.execute(
                f"SELECT id, body FROM seals WHERE id IN ({','.join('?' * len(chunk))})",  # noqa: S608
                chunk,
            ).fetchall()
        )
    return found


def _within_bytes(rows: list, seal_bodies: dict[int, str], budget: int) -> list:
    """The first of ``rows`` whose text, with the seals they bring, stays within ``budget``
    characters (at least one row). A network event is served with its batch's seal, which
    lists every digest of the batch: a page of a city's network events (each from another
    kiosk's batch) can carry ten times its events' size in seals."""
    size, seen = 0, set()
    for index, row in enumerate(rows):
        size += len(row[1]) + 24
        if row[2] is not None and row[2] not in seen:
            seen.add(row[2])
            size += len(seal_bodies.get(row[2], "")) + 24
        if size > budget and index > 0:
            return rows[:index]
    return rows


def _signatures(db: Database, rows: list, seal_bodies: dict[int, str]) -> str:
    """The page's seals, by id, which seal each event has, and the hub's public key (JSON
    members to append to the page)."""
    used = sorted({row[2] for row in rows if row[2] is not None})
    seals_text = ",".join(f'"{seal_id}":{seal_bodies[seal_id]}' for seal_id in used)
    seal_of = ",".join("null" if row[2] is None else str(row[2]) for row in rows)
    return f',"seals":{{{seals_text}}},"seal_of":[{seal_of}],"hub_key":"{hub_public_key_b64(db)}"'
