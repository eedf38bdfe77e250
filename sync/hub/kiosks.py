"""The kiosks enrolled at the hub: one-time enrolment codes, enrolment (or a dead kiosk's id
re-keyed), revocation, signed requests checked with a request counter that only goes up, and
what a kiosk's status request answers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from kiosk import clock, ids
from kiosk.store import db as dbmod
from sync import protocol
from sync.hub.authority import refuse_after, served_seq
from sync.hub.records import held_seq, latest_hub_seq, now_iso
from sync.hub.refusals import BadCode, BadRequest, Replayed, Revoked, Unauthenticated
from sync.hub.signing import hub_public_key_b64, introduce_key, key_entries

ENROL_CODE_DAYS = 7
CLOCK_SLACK = timedelta(minutes=5)  # a code made "later" than now by less is not a clock fault


@dataclass(frozen=True)
class Kiosk:
    origin: str
    building: str
    public_key: str
    revoked: bool
    acked_seq: int


def _hash_code(code: str) -> str:
    normalised = code.replace("-", "").replace(" ", "").upper()
    return hashlib.sha256(normalised.encode("ascii", "replace")).hexdigest()


def create_enrol_code(db: Database, building: str, *, restore_origin: str | None = None) -> str:
    """A one-time code that enrols one kiosk of ``building`` (or re-keys ``restore_origin``)."""
    building = building.strip()
    if restore_origin == protocol.HUB_ORIGIN:
        raise BadRequest("the hub's own origin is not a kiosk")
    if restore_origin is not None:
        row = dbmod.query_one(db, "SELECT building FROM kiosks WHERE origin = ?", (restore_origin,))
        if row is None:
            raise BadRequest(f"no kiosk {restore_origin} is enrolled")
        building = row["building"]
    if not building:
        raise BadRequest("a building name is needed")
    raw = ids.scan_token(12)
    code = "-".join(raw[i : i + 4] for i in range(0, 12, 4))
    now = clock.now()
    with dbmod.write(db):
        db.execute(
            "INSERT INTO enrol_codes (code_hash, building, restore_origin, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                _hash_code(code),
                building,
                restore_origin,
                now_iso(),
                (now + timedelta(days=ENROL_CODE_DAYS)).isoformat(timespec="seconds"),
            ],
        )
    return code


def enrol(
    db: Database, code: str, origin: str | None, public_key_b64: str, building: Any = None
) -> Kiosk:
    """Use a one-time code: a new kiosk (``origin``) or a restored one (the code's origin).

    ``building``: the building the kiosk's configuration names. A new kiosk whose building is
    not the code's is refused now, with both names, rather than having every event it sends
    refused later as coming from the wrong building."""
    protocol.public_key_from_b64(public_key_b64)
    with dbmod.write(db):
        row = dbmod.query_one(
            db, "SELECT * FROM enrol_codes WHERE code_hash = ?", (_hash_code(code),)
        )
        if row is not None and row["used_at"] is not None:
            again = _enrolled_again(db, row, origin, public_key_b64)
            if again is not None:  # the same key asks again: its answer was lost
                return again
        refuse_unusable_code(row, clock.now())
        if row["restore_origin"]:
            origin = row["restore_origin"]
            db.execute(
                "UPDATE kiosks SET public_key = ?, last_counter = 0, revoked = 0 WHERE origin = ?",
                [public_key_b64, origin],
            )
            top = dbmod.scalar(db, "SELECT acked_seq FROM kiosks WHERE origin = ?", (origin,))
            from_seq, reason = max(top, held_seq(db, origin)) + 1, "restored"
        else:
            if not origin or len(origin) > 40:
                raise BadRequest("a kiosk id is needed")
            if isinstance(building, str) and building.strip() != row["building"].strip():
                raise BadCode(
                    f"this enrolment code is for the building {row['building']!r}, and this "
                    f"kiosk's configuration names {building.strip()!r}: set [building] name to "
                    "the code's building, or ask the hub's administrator for a code for this one",
                    reason="building",
                )
            if dbmod.query_one(db, "SELECT 1 FROM kiosks WHERE origin = ?", (origin,)) is not None:
                raise BadCode(f"kiosk {origin} is already enrolled; ask for a restore code")
            db.execute(
                "INSERT INTO kiosks (origin, building, public_key, enrolled_at) VALUES (?, ?, ?, ?)",
                [origin, row["building"], public_key_b64, now_iso()],
            )
            from_seq, reason = 1, "enrolled"
        introduce_key(db, origin, public_key_b64, from_seq, row["building"], reason)
        db.execute(
            "UPDATE enrol_codes SET used_at = ?, used_by = ? WHERE code_hash = ?",
            [now_iso(), origin, row["code_hash"]],
        )
    return get_kiosk(db, origin)


def _enrolled_again(
    db: Database, code: Mapping[str, Any], origin: str | None, public_key_b64: str
) -> Kiosk | None:
    """The kiosk a used code enrolled, when the same key asks again (its answer was lost: a cut
    in the middle of ``kiosk restore-from-hub``, say); changes nothing. None otherwise."""
    kiosk = get_kiosk(db, code["used_by"]) if code["used_by"] else None
    if (
        kiosk is None
        or kiosk.revoked
        or kiosk.public_key != public_key_b64
        or not (code["restore_origin"] or origin == kiosk.origin)
    ):
        return None
    return kiosk


def _when(value: datetime | str) -> str:
    moment = clock.parse_iso(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def refuse_unusable_code(row: Mapping[str, Any] | None, now: datetime) -> None:
    """Refuse a code that cannot enrol, saying the real reason: unknown, already used, expired
    by the hub's clock, or made later than the hub's clock now reads (the clock went back). The
    times are the hub's, so an administrator can see when its clock is the fault."""
    if row is None:
        raise BadCode(
            "this enrolment code is unknown to this hub: check it is typed as given, or ask the "
            "hub's administrator for a new one",
            reason="unknown",
        )
    if row["used_at"]:
        raise BadCode(
            f"this enrolment code was already used, on {_when(row['used_at'])}: ask the hub's "
            "administrator for a new one",
            reason="used",
        )
    hub_clock = {"hub_clock": now.isoformat(timespec="seconds")}
    expires_at = clock.parse_iso(row["expires_at"])
    if expires_at < now:
        raise BadCode(
            f"this enrolment code expired at {_when(expires_at)} by the hub's clock, which reads "
            f"{_when(now)}: ask for a new code (if the hub's clock is wrong, set it right first)",
            reason="expired",
            expires_at=expires_at.isoformat(timespec="seconds"),
            **hub_clock,
        )
    created_at = clock.parse_iso(row["created_at"])
    if created_at > now + CLOCK_SLACK:
        raise BadCode(
            f"this enrolment code was made at {_when(created_at)} by the hub's clock, which now "
            f"reads {_when(now)}: the hub's clock went back. Set it right, then ask for a new code",
            reason="clock_behind",
            created_at=created_at.isoformat(timespec="seconds"),
            **hub_clock,
        )


def get_kiosk(db: Database, origin: str) -> Kiosk | None:
    row = dbmod.query_one(db, "SELECT * FROM kiosks WHERE origin = ?", (origin,))
    if row is None:
        return None
    return Kiosk(
        row["origin"], row["building"], row["public_key"], bool(row["revoked"]), row["acked_seq"]
    )


REVOKED_REASON = "the kiosk was revoked"


def revoke(
    db: Database, origin: str, *, after_seq: int | None = None, reason: str = REVOKED_REASON
) -> bool:
    """Refuse every further request of kiosk ``origin``; with ``after_seq``, also refuse what
    it sent after that seq, at the hub and at every kiosk (``refuse_after``). False: no such
    kiosk."""
    if origin == protocol.HUB_ORIGIN:
        return False
    with dbmod.write(db):
        if db.execute("UPDATE kiosks SET revoked = 1 WHERE origin = ?", [origin]).rowcount != 1:
            return False
        if after_seq is not None:
            refuse_after(db, origin, max(0, after_seq), reason)
    return True


def verify_request(
    db: Database, method: str, path: str, body: bytes, headers: Mapping[str, str]
) -> tuple[Kiosk, int]:
    """(kiosk, counter) of a request signed by an enrolled, non-revoked kiosk; nothing written
    yet: the counter is used up by ``use_counter``, in the request's own write transaction."""
    try:
        origin, counter, signature = protocol.read_signature_headers(headers)
    except protocol.SignatureError as exc:
        raise Unauthenticated(str(exc)) from exc
    kiosk = get_kiosk(db, origin)
    if kiosk is None or origin == protocol.HUB_ORIGIN:
        raise Unauthenticated("unknown kiosk")
    try:
        protocol.verify_signature(
            protocol.public_key_from_b64(kiosk.public_key),
            signature,
            method,
            path,
            body,
            origin,
            counter,
        )
    except protocol.SignatureError as exc:
        kiosk = _signed_by_handed_over_key(db, kiosk, signature, method, path, body, counter)
        if kiosk is None:
            raise Unauthenticated(str(exc)) from exc
    if kiosk.revoked:
        raise Revoked("this kiosk was revoked by the hub's administrator")
    return kiosk, counter


def _signed_by_handed_over_key(
    db: Database, kiosk: Kiosk, signature: bytes, method: str, path: str, body: bytes, counter: int
) -> Kiosk | None:
    """The kiosk, now known by the newest key it handed over (a ``kiosk.key_rotated`` it
    pushed), if that key signed the request; None if not. The old key signs no more requests."""
    newest = max(key_entries(db, kiosk.origin), default=None)
    if newest is None or newest[1] == kiosk.public_key:
        return None
    try:
        protocol.verify_signature(
            protocol.public_key_from_b64(newest[1]),
            signature,
            method,
            path,
            body,
            kiosk.origin,
            counter,
        )
    except protocol.SignatureError:
        return None
    with dbmod.write(db):
        db.execute("UPDATE kiosks SET public_key = ? WHERE origin = ?", [newest[1], kiosk.origin])
    return get_kiosk(db, kiosk.origin)


def use_counter(db: Database, kiosk: Kiosk, counter: int, **also: Any) -> None:
    """Move the kiosk's request counter up to ``counter`` (and set the ``kiosks`` columns in
    ``also``), inside the caller's write transaction or on its own; ``Replayed`` if the
    counter is not above the last one used.

    On its own it is one UPDATE, a transaction by itself (both stores' connections commit
    each statement outside a transaction): the counter check and its move are one statement,
    so two requests with the same counter cannot both pass. It hands out no ``hub_seq``, so
    on PostgreSQL it does not take the hub's advisory write lock (``BEGIN IMMEDIATE``): the
    row's own lock orders it against any other write of the kiosk's row (an UPDATE waits for
    the other to end and reads its WHERE again), and a pull's counter neither waits behind a
    batch being stored nor holds one up."""
    sets = "".join(f", {name} = ?" for name in also)
    updated = db.conn.execute(
        f"UPDATE kiosks SET last_counter = ?, last_contact_at = ?{sets} "  # noqa: S608 (fixed names)
        "WHERE origin = ? AND last_counter < ?",
        (counter, now_iso(), *also.values(), kiosk.origin, counter),
    ).rowcount
    if not updated:
        last = dbmod.scalar(db, "SELECT last_counter FROM kiosks WHERE origin = ?", (kiosk.origin,))
        raise Replayed("request counter already used", last_counter=last)


def authenticate(
    db: Database, method: str, path: str, body: bytes, headers: Mapping[str, str]
) -> Kiosk:
    """The enrolled, non-revoked kiosk that signed this request; its counter moves up."""
    kiosk, counter = verify_request(db, method, path, body, headers)
    use_counter(db, kiosk, counter)
    return kiosk


def kiosk_status(db: Database, kiosk: Kiosk, *, restore_count: bool = False) -> dict[str, Any]:
    """What a kiosk's status request answers; ``restore_count``: also how many events a restore
    of it pulls (``restore_events``: its building's, its own included, and the network's)."""
    row = dbmod.query_one(db, "SELECT * FROM kiosks WHERE origin = ?", (kiosk.origin,))
    extra = {}
    if restore_count:
        extra["restore_events"] = dbmod.scalar(
            db,
            "SELECT COUNT(*) FROM events WHERE building = ? OR scope = 'network'",
            (kiosk.building,),
        )
    return {
        **extra,
        "origin": row["origin"],
        "building": row["building"],
        "acked_seq": row["acked_seq"],
        "held_seq": served_seq(db, kiosk.origin),  # what a restore can fetch back
        "last_counter": row["last_counter"],
        "latest_hub_seq": latest_hub_seq(db),
        "protocol": protocol.PROTOCOL_VERSION,
        "hub_key": hub_public_key_b64(db),
    }
