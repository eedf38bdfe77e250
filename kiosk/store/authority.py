"""Whether an event may enter: the one check the hub makes on push and every kiosk on pull.

``Screen(building_of).check(event, sender_origin=..., sender_building=...)`` answers None (the
event may enter) or a ``Refusal``: the reason in plain English, with its msgid and parameters
so a screen can say it in the reader's language. It reads the registry's declaration of the
type (kiosk/store/registry.py), nothing else:

- the type is declared; private types never travel; the scope is exactly the declared one (a
  building type sent as network is refused); the payload passes the type's check;
- the event's origin is the kiosk that sent it (at a kiosk: the origin of a pulled event);
- ``Authority.HUB``: the origin is the hub; the hub sends nothing else;
- ``NAMED_KIOSK``: the ``about`` field holds the sender's origin;
- ``HOME_BUILDING``: the entity the event is ``about`` lives in the sender's building. An
  entity the caller does not know is refused, unless this very event creates it
  (``EventType.creates``), or the caller cannot know every entity of the sender's building
  (``knows``: a kiosk knows only its own building's; it cannot judge another building's
  entities, and none of its own is concerned);
- ``ANY_KIOSK``: the sender is a kiosk the network knows (its key was published);
- a building event stays within its building (``within``: the building of the kiosk that
  receives it); a kiosk publishes its key for its own building only;
- a type with a ``proof`` (a voucher: its issuer's signature, a redemption's opening of the
  secret's commitment) passes it with the keys the caller knows (``keys_of``). The hub knows
  every enrolled kiosk's keys and refuses what it cannot verify; a kiosk lets through what it
  cannot judge yet (the hub did) and refuses what it can prove wrong.

``building_of(kind, id)`` answers an entity's building from the caller's own data: a kiosk
reads its projections (``KioskView``), the hub its table of the entities it learnt
(sync/hub/entities.py). ``Screen`` runs the check over a page of events in order, so an entity
created earlier in the page counts for the events after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlite_utils import Database

from kiosk.errors import N_
from kiosk.store import db as dbmod
from kiosk.store.keys import known_public_keys
from kiosk.store.registry import (
    BUILDING,
    HUB_ORIGIN,
    PER_BUILDING_IDS,
    PRIVATE,
    SHARED_SCOPES,
    Authority,
    EventType,
    KeysOf,
    registry,
)

KEY_PUBLISHED = "kiosk.key_published"  # a kiosk's first word: it says which building it is in
EVENTS_REFUSED = "kiosk.events_refused"  # the hub's marker: a revoked kiosk's events, refused

REVOKED = N_(
    "kiosk %(origin)s was revoked: what it sent after number %(after)s is refused (%(reason)s)"
)

BuildingOf = Callable[[str, Any], str | None]


class Refusal(str):
    """Why an event may not enter, in English (the ``str``), with the ``msgid`` and ``params``
    that say it in another language (``facts()``: what to store beside the English)."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Refusal:
        made = super().__new__(cls, msgid % params if params else msgid)
        made.msgid = msgid
        made.params = params
        return made

    def facts(self) -> str:
        return json.dumps({"msgid": self.msgid, "params": self.params}, sort_keys=True)


def cannot_apply(problem: object) -> Refusal:
    """The reason kept beside an event that passed the check but that this kiosk's data
    refuses (a neighbour's event its projections cannot take)."""
    return Refusal(N_("it cannot be applied here: %(problem)s"), problem=str(problem))


def bad_signature(why: object) -> Refusal:
    """The reason kept beside a pulled event whose origin's signature does not verify
    (sync/event_signatures.py): altered or invented on its way, by the hub or anything else."""
    return Refusal(N_("its signature does not verify: %(why)s"), why=str(why))


def _everything(_building: str) -> bool:
    return True


def _refused_by_rules(
    event: Any,
    declared: EventType | None,
    sender_origin: str,
    sender_building: str | None,
    building_of: BuildingOf,
    knows: Callable[[str], bool] = _everything,
    within: str | None = None,
    unknown_types_pass: bool = False,
) -> Refusal | None:
    """The rules of the module's docstring but the proof (``Screen.check`` runs both), for
    ``event`` of the type ``declared`` (None: not declared). ``unknown_types_pass``: a type
    this code does not declare passes (a kiosk older than the hub stores it without projecting
    it, so it changes nothing here); the hub refuses it. Positional: it runs for every event a
    hub or a kiosk takes in."""
    if declared is None:
        if unknown_types_pass and event.scope in SHARED_SCOPES:
            return None  # a newer kiosk's type, let in by the hub: stored, never projected here
        return Refusal(N_("%(type)s is not an event type of this network"), type=event.type)
    if declared.scope == PRIVATE or event.scope == PRIVATE:
        return Refusal(N_("private events never leave the kiosk that recorded them"))
    if event.scope != declared.scope:
        return Refusal(
            N_("%(type)s is a %(declared)s event, it was sent as %(scope)s"),
            type=event.type,
            declared=declared.scope,
            scope=str(event.scope),
        )
    if event.origin != sender_origin:
        return Refusal(N_("a kiosk sends only its own events"))
    problem = declared.payload.problem(event.payload)
    if problem is not None:
        return Refusal(N_("its content is refused: %(problem)s"), problem=problem)
    authority = declared.authority
    if authority is Authority.HUB:
        if sender_origin != HUB_ORIGIN:
            return Refusal(N_("only the hub may send %(type)s"), type=event.type)
        return None
    if sender_origin == HUB_ORIGIN:
        return Refusal(N_("the hub sends only its verdicts, never %(type)s"), type=event.type)
    if event.type == KEY_PUBLISHED:
        claimed = event.payload["building"]
        if sender_building is None:
            sender_building = claimed  # a kiosk's first word: checked by the hub on push
        elif claimed != sender_building:
            return Refusal(
                N_("a kiosk of building %(building)s published its key for building %(claimed)s"),
                building=sender_building,
                claimed=claimed,
            )
    if sender_building is None:
        return Refusal(
            N_("sent by kiosk %(origin)s, unknown to this network"), origin=sender_origin
        )
    if within is not None and declared.scope == BUILDING and sender_building != within:
        return Refusal(
            N_("a building event of building %(building)s, which is not this one"),
            building=sender_building,
        )
    if authority is Authority.NAMED_KIOSK:
        named = declared.about.entity_id(event.payload) if declared.about else None
        if named != sender_origin:
            return Refusal(
                N_("only kiosk %(named)s may send %(type)s about it"),
                named=str(named),
                type=event.type,
            )
    elif authority is Authority.HOME_BUILDING:
        return _home_building_refusal(event, declared, sender_building, building_of, knows)
    elif authority is not Authority.ANY_KIOSK:  # THIS_KIOSK: private, refused above
        return Refusal(N_("%(type)s never leaves the kiosk that recorded it"), type=event.type)
    return None


def _home_building_refusal(
    event: Any,
    declared: EventType,
    sender_building: str,
    building_of: BuildingOf,
    knows: Callable[[str], bool],
) -> Refusal | None:
    about = declared.about
    assert about is not None  # EventType refuses HOME_BUILDING without it
    entity = about.entity_id(event.payload)
    if not isinstance(entity, str) or not entity:
        return Refusal(N_("it does not say which %(kind)s it is about"), kind=about.kind)
    building = building_of(about.kind, entity)
    if building is None:
        created = any(
            made.kind == about.kind and made.entity_id(event.id, event.payload) == entity
            for made in declared.creates
        )
        if created or not knows(sender_building):
            return None
        return Refusal(
            N_("it is about %(kind)s %(entity)s, unknown in building %(building)s"),
            kind=about.kind,
            entity=entity,
            building=sender_building,
        )
    if building != sender_building:
        return Refusal(
            N_(
                "it is about %(kind)s %(entity)s of building %(owner)s: only a kiosk of that "
                "building may send %(type)s"
            ),
            kind=about.kind,
            entity=entity,
            owner=building,
            type=event.type,
        )
    return None


def created_entities(event: Any, declared: EventType | None) -> Iterable[tuple[str, Any]]:
    """(kind, id) of every entity ``event`` brings into being."""
    if declared is None:
        return ()
    return [(made.kind, made.entity_id(event.id, event.payload)) for made in declared.creates]


class Screen:
    """The check over a run of events, in order: what an accepted event creates counts for the
    events after it (a page holding a resident's registration and then a change to them),
    before any projection is written. ``building_of`` answers from the caller's data; the
    caller gives each event's sender (``check``)."""

    def __init__(
        self,
        building_of: BuildingOf,
        *,
        knows: Callable[[str], bool] = _everything,
        unknown_types_pass: bool = False,
        keys_of: KeysOf | None = None,
    ) -> None:
        self._building_of = building_of
        self.knows = knows
        self.unknown_types_pass = unknown_types_pass
        self.keys_of = keys_of
        self.created: dict[tuple[str, Any], str] = {}
        self.types = registry.by_name()

    def building_of(self, kind: str, entity: Any) -> str | None:
        building = self.created.get((kind, entity))
        return building if building is not None else self._building_of(kind, entity)

    def check(
        self,
        event: Any,
        *,
        sender_origin: str,
        sender_building: str | None,
        within: str | None = None,
    ) -> Refusal | None:
        """None if ``event`` may enter, sent by kiosk ``sender_origin`` of ``sender_building``
        (None: a kiosk the caller does not know), else why not: the rules
        (``_refused_by_rules``), then, for a type with a proof (a voucher's signature), the
        proof with the keys the caller knows. What an accepted event creates is remembered."""
        declared = self.types.get(event.type)
        refused = _refused_by_rules(
            event,
            declared,
            sender_origin,
            sender_building,
            self.building_of,
            self.knows,
            within,
            self.unknown_types_pass,
        )
        if declared is None:
            return refused
        if refused is None and declared.proof is not None and self.keys_of is not None:
            problem = declared.proof(event.payload, self.keys_of)
            if problem is not None:
                refused = Refusal(N_("its content is refused: %(problem)s"), problem=problem)
        if refused is None and sender_building is not None and declared.creates:
            for key in created_entities(event, declared):
                self.created.setdefault(key, sender_building)
        return refused


# A kiosk's own data answers which building an entity lives in. Every entity of a building
# event is of this kiosk's building (a kiosk holds no other building's); a post or a notice may
# come from a neighbour's kiosk (network) and is of its origin's building; a kiosk is of the
# building it published its key for.
_OWN_BUILDING_SQL = {
    "resident": "SELECT 1 FROM residents WHERE id = ?",
    "account": "SELECT 1 FROM accounts WHERE id = ?",
    "project": "SELECT 1 FROM projects WHERE id = ?",
    "project_task": "SELECT 1 FROM project_tasks WHERE id = ?",
    "payment_request": "SELECT 1 FROM payment_requests WHERE id = ?",
    "loan": "SELECT 1 FROM loans WHERE id = ?",
    "alert": "SELECT 1 FROM alerts WHERE id = ?",
    "poll": "SELECT 1 FROM polls WHERE id = ?",
}
_ORIGIN_SQL = {
    "post": "SELECT origin FROM board_posts WHERE id = ?",
    "notice": "SELECT origin FROM notices WHERE id = ?",
    "voucher": "SELECT issuer_origin FROM vouchers WHERE serial = ?",
    "kiosk": "SELECT ?",
}


class KioskView:
    """What a kiosk knows to run the check: its own building, the building of each kiosk (from
    the keys they published) and of each entity (``building_of``, from its projections)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.origin = dbmod.scalar(db, "SELECT value FROM kiosk_meta WHERE key = 'kiosk_id'")
        self._kiosks: dict[str, str] = {
            row[0]: row[1] for row in db.conn.execute("SELECT origin, building FROM kiosk_keys")
        }
        self.building = self._kiosks.get(self.origin) or self._enrolled_building()
        self.revoked: dict[str, tuple[int, int, str]] = {
            row[0]: (row[1], row[2], row[3])
            for row in db.conn.execute(
                "SELECT origin, after_seq, up_to_seq, reason FROM refused_origins"
            )
        }

    def _enrolled_building(self) -> str | None:
        try:
            value = dbmod.scalar(self.db, "SELECT building FROM sync_state WHERE id = 1")
        except Exception:  # noqa: BLE001 (a database without sync_state: no building known)
            return None
        return value or None

    def kiosk_building(self, origin: str) -> str | None:
        if origin == self.origin and self.building:
            return self.building
        return self._kiosks.get(origin)

    def building_of(self, kind: str, entity: Any) -> str | None:
        conn = self.db.conn
        sql = _OWN_BUILDING_SQL.get(kind)
        if sql is not None:
            return self.building if conn.execute(sql, (entity,)).fetchone() else None
        sql = _ORIGIN_SQL.get(kind)
        if sql is None:
            return None
        row = conn.execute(sql, (entity,)).fetchone()
        return None if row is None else self.kiosk_building(row[0])

    def revoked_refusal(self, origin: str, seq: int) -> Refusal | None:
        """Why the event ``origin``-``seq`` no longer counts (``kiosk.events_refused``)."""
        window = self.revoked.get(origin)
        if window is None or not window[0] < seq <= window[1]:
            return None
        return Refusal(
            N_(
                "kiosk %(origin)s was revoked: what it sent after number %(after)s is refused (%(reason)s)"
            ),
            origin=origin,
            after=window[0],
            reason=window[2],
        )

    def knows(self, building: str) -> bool:
        """A kiosk knows every entity of its own building, none of the others'."""
        return building == self.building

    def keys_of(self, origin: str) -> list | None:
        """The keys this kiosk learnt of ``origin`` (None: none yet, the hub vouched)."""
        return known_public_keys(self.db, origin) or None

    def screen(self) -> Screen:
        return Screen(
            self.building_of, knows=self.knows, unknown_types_pass=True, keys_of=self.keys_of
        )

    def check(self, screen: Screen, event: Any) -> Refusal | None:
        """The check of a pulled ``event`` (its sender: its origin), and whether the hub
        declared it refused since (``revoked_refusal``)."""
        revoked = self.revoked_refusal(event.origin, event.seq)
        if revoked is not None:
            return revoked
        sender = self.kiosk_building(event.origin)
        refused = screen.check(
            event, sender_origin=event.origin, sender_building=sender, within=self.building
        )
        if refused is None and event.type == KEY_PUBLISHED and sender is None:
            self._kiosks[event.origin] = event.payload["building"]
            if event.origin == self.origin:
                self.building = self.building or event.payload["building"]
        return refused


def is_per_building(kind: str, entity: Any) -> bool:
    """Whether ``entity`` of ``kind`` names an entity within one building only (registry)."""
    prefixes = PER_BUILDING_IDS.get(kind)
    return bool(prefixes) and isinstance(entity, str) and entity.startswith(prefixes)
