"""Push: this kiosk's ``building`` and ``network`` events above the hub's acknowledged seq, in
batches covering ``from_seq``..``to_seq`` (private events inside the range are simply not
sent); SQLite writes each batch's JSON from the stored rows (``json_object``), payloads are not
parsed again. Each batch carries its seal (``sync.seals``): this kiosk's signature over the
digests of its events; a batch holds events of one scope (``_one_scope``), so a ``network``
event reaches other buildings with a small seal. While the hub stores a batch, the next one
is read and compressed."""

from __future__ import annotations

from sync import protocol, seals
from sync.errors import HubRefused
from sync.session import HubSession
from sync.state import set_state, state

MAX_GAP_RESENDS = 3


def _batch(
    session: HubSession, after: int, until: int | None = None
) -> tuple[bytes, int, int] | None:
    """(gzip body, events in it, to_seq) of the batch of own events above seq ``after`` (up
    to ``until``); SQLite writes each event's JSON from the stored row (``json_object``)."""
    rows = session.db.conn.execute(
        "SELECT seq, scope, json_object('id', id, 'origin', origin, 'seq', seq, 'type', type, "
        "'scope', scope, 'payload', json(payload), 'created_at', created_at) "
        "FROM events WHERE origin = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
        (session.origin, after, until if until is not None else 2**62, session.batch_size),
    ).fetchall()
    if not rows:
        return None
    rows = _one_scope(rows)
    shared = [row for row in rows if row[1] != "private"]
    wires = [row[2] for row in shared]
    seal = _seal(session, [row[0] for row in shared], wires) if session.seal_events else ""
    body = protocol.encode_json_text(
        f'{{"from_seq":{after + 1},"to_seq":{rows[-1][0]},"events":[{",".join(wires)}]{seal}}}'
    )
    return body, len(wires), rows[-1][0]


def _one_scope(rows: list) -> list:
    """The rows up to the first shared event of another scope than the first one's: a
    batch's seal lists the digest of every event it covers, and a ``network`` event is
    served to every kiosk of the network with its seal. Sealed apart from the building's
    events around it, it travels with a seal of its own run (a key, a voucher: a few
    digests), not with those of up to ``batch_size`` events of its building."""
    first = next((row[1] for row in rows if row[1] != "private"), None)
    for index, row in enumerate(rows):
        if row[1] != "private" and row[1] != first:
            return rows[:index]
    return rows


def _seal(session: HubSession, seqs: list[int], wires: list[str]) -> str:
    """``,"seal":{...}``: the seal of the batch's shared events (their digests are those of
    their canonical form, read back from SQLite's JSON), or nothing if it has none."""
    if not seqs:
        return ""
    loads, digest = protocol.loads, seals.event_digest
    digests = [digest(loads(wire.encode("utf-8"))) for wire in wires]
    seal = seals.make_seal(session.sealing_key(seqs[0]), session.origin, seqs, digests)
    return ',"seal":' + protocol.canonical_json(seal)


def push(session: HubSession) -> int:
    """Send every own shared event the hub lacks; returns how many were sent (``_push``)."""
    with session.connection.kept_open():
        return _push(session)


def _push(session: HubSession) -> int:
    """Send every own shared event the hub lacks; returns how many were sent.

    While the hub stores a batch, the next one is read and compressed (the request runs in
    its own thread); it is sent once the hub acknowledged the one before, or read again
    from the hub's answer if that differs. The seq the hub acknowledged is stored with the
    next request's counter (one commit per batch), and when the push ends, however it
    ends; a crash in between only means the last batch is sent again, which changes
    nothing at the hub."""
    sent = 0
    gaps = 0
    acked = saved = state(session.db)["acked_seq"]
    try:
        batch = _batch(session, acked)
        while batch is not None:
            body, count, to_seq = batch
            flight = session.start("POST", "/api/push", body, acked_seq=acked)
            saved = acked
            following = _batch(session, to_seq)  # while the hub works on this one
            try:
                answer = session.signed(
                    "POST", "/api/push", body, under_way=flight, acked_seq=acked
                )
            except HubRefused as exc:
                hub_acked = exc.answer.get("acked_seq")
                if exc.code != "gap" or not isinstance(hub_acked, int) or gaps >= MAX_GAP_RESENDS:
                    raise
                gaps += 1  # the hub holds less (or more) than we thought: resend from there
                acked = hub_acked
                batch = _batch(session, acked)
                continue
            gaps = 0
            sent += count
            acked = int(answer["acked_seq"])
            batch = following if acked == to_seq else _batch(session, acked)
        return sent
    finally:
        if acked != saved:
            set_state(session.db, acked_seq=acked)
            session.acknowledged(acked)
