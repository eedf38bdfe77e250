"""The one registry of event types: every type the log may hold, declared once.

Each feature package declares its types in its ``projections.py``, next to their projectors::

    @event_type(
        "resident.updated",
        scope=BUILDING,
        authority=Authority.HOME_BUILDING,
        about=About("resident", "resident_id"),
        fields={"resident_id": str},
        optional={"apartment": str, "name": str, "role": str, "status": str},
        tables=("residents", "accounts"),
        bulk=True,
    )
    def _residents_updated(db, events): ...

A declaration says, as data a program can read:

- its **scope**: ``private`` never leaves the kiosk, ``building`` goes to the hub as a backup of
  this building (and to the building's other kiosks), ``network`` is shared with every kiosk;
- its **authority**, who may emit it (``Authority``), and what it is **about** (``About``: the
  kind of entity and the payload field holding its id), so a kiosk can tell whether an event it
  receives came from a kiosk entitled to speak about that entity; what it **creates**
  (``Creates``), so the hub and the kiosks learn in which building an entity lives. The hub on
  push and every kiosk on pull check all of this with ``kiosk.store.authority.Screen``;
- a **payload check**: required and optional fields with their Python types (exact types, as
  JSON gives them: ``int`` refuses ``True``), plus an optional predicate. A field the
  declaration does not name is let through (a newer kiosk may add one);
- its **projector** (and bulk projector) and the **projection tables** it writes;
- a **proof**, for the few types whose payload carries a signature of its own (a voucher's
  issuer signs the voucher): ``proof(payload, keys_of)`` answers what is wrong, checked where
  events enter with the public keys the receiver knows of each kiosk (``keys_of(origin)``:
  None when it cannot judge, e.g. a kiosk that has not learnt that key yet).

``store.record`` refuses an undeclared type (``UnknownEventType``) or a payload that fails its
check (``PayloadRefused``) before anything is written.

The registry finds the declarations itself, the first time it is asked: it imports the
``projections`` module of every package of ``kiosk`` that has one (a ``projections`` package
whose ``__init__`` imports its topics, where one module would grow too long). No list of
modules to keep.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

    from kiosk.store.events import Event

Projector = Callable[["Database", "Event"], None]
KeysOf = Callable[[str], "list | None"]  # a kiosk's public keys (Ed25519), None: not known here
Proof = Callable[[Mapping[str, Any], KeysOf], "str | None"]
BulkProjector = Callable[["Database", "Sequence[Event]"], None]

PRIVATE = "private"
BUILDING = "building"
NETWORK = "network"
SCOPES = (PRIVATE, BUILDING, NETWORK)
SHARED_SCOPES = (BUILDING, NETWORK)  # what may leave the kiosk

HUB_ORIGIN = "HUB"  # the origin of the hub's own events (its verdicts)

# Ids that name an entity within one building only, by kind and prefix: each building opens
# its own association accounts under the same ids ("system:vouchers", "system:loss_fund"...).
# Every other id (a resident, a resident's or project's account, a post...) names one entity
# in the whole network.
PER_BUILDING_IDS = {"account": ("system:",)}

NoneType = type(None)
MAYBE_TEXT = (str, NoneType)


class Authority(Enum):
    """Who may emit an event of a type."""

    THIS_KIOSK = "this_kiosk"  # only the kiosk that recorded it: never accepted from another
    HOME_BUILDING = "home_building"  # only a kiosk of the building the entity (``about``) is of
    NAMED_KIOSK = "named_kiosk"  # only the kiosk whose origin the ``about`` field holds
    ANY_KIOSK = "any_kiosk"  # any kiosk of the network
    HUB = "hub"  # only the hub (origin ``HUB``)


@dataclass(frozen=True)
class About:
    """The entity an event is about: its kind (``resident``, ``account``, ``project``,
    ``voucher``, ``kiosk``...) and the payload field holding its id."""

    kind: str
    field: str

    def entity_id(self, payload: Mapping[str, Any]) -> Any:
        return payload.get(self.field)


@dataclass(frozen=True)
class Creates:
    """An entity an event brings into being: its kind and the payload field holding its id
    (``field`` None: the event's own id, as for a post or a notice), with a ``prefix`` (a
    resident's account is ``resident:<resident id>``). The authority check learns from it in
    which building an entity lives (kiosk/store/authority.py)."""

    kind: str
    field: str | None = None
    prefix: str = ""

    def entity_id(self, event_id: str, payload: Mapping[str, Any]) -> Any:
        if self.field is None:
            return event_id
        value = payload.get(self.field)
        return f"{self.prefix}{value}" if self.prefix and isinstance(value, str) else value


class UnknownEventType(ValueError):
    """An event type no package declared."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown event type {name!r}")
        self.name = name


class PayloadRefused(ValueError):
    """A payload that fails its type's check."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name} payload refused: {problem}")
        self.name = name
        self.problem = problem


FieldTypes = type | tuple[type, ...]


def _type_names(types: tuple[type, ...]) -> str:
    return " or ".join("null" if t is NoneType else t.__name__ for t in types)


@dataclass(frozen=True)
class PayloadCheck:
    """Required and optional fields with their types, and an extra predicate (``valid``).

    ``problem(payload)`` is None for a good payload, else what is wrong (for ``valid``: its
    docstring). Cheap: a few dictionary look-ups and exact type tests, about 0.4 µs an event
    (see ``events.apply_foreign_many`` for pulled events)."""

    fields: Mapping[str, FieldTypes]
    optional: Mapping[str, FieldTypes] = field(default_factory=dict)
    valid: Callable[[Mapping[str, Any]], bool] | None = None
    _required: tuple[tuple[str, tuple[type, ...]], ...] = field(init=False, repr=False)
    _optional: tuple[tuple[str, tuple[type, ...]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        def compiled(spec: Mapping[str, FieldTypes]) -> tuple[tuple[str, tuple[type, ...]], ...]:
            return tuple(
                (name, types if isinstance(types, tuple) else (types,))
                for name, types in spec.items()
            )

        object.__setattr__(self, "_required", compiled(self.fields))
        object.__setattr__(self, "_optional", compiled(self.optional))

    def problem(self, payload: Any) -> str | None:
        if type(payload) is not dict:
            return "the payload must be an object"
        for name, types in self._required:
            if name not in payload:
                return f"{name} is missing"
            if type(payload[name]) not in types:
                return f"{name} must be {_type_names(types)}"
        for name, types in self._optional:
            if name in payload and type(payload[name]) not in types:
                return f"{name} must be {_type_names(types)}"
        if self.valid is not None and not self.valid(payload):
            return (self.valid.__doc__ or "its values break the type's rule").strip()
        return None


@dataclass(frozen=True)
class EventType:
    """One declared event type (see the module's docstring)."""

    name: str
    scope: str
    authority: Authority
    about: About | None
    payload: PayloadCheck
    projector: Projector | None  # None: the event changes no projection (a marker)
    bulk_projector: BulkProjector | None = None
    tables: tuple[str, ...] = ()
    creates: tuple[Creates, ...] = ()  # the entities it brings into being
    proof: Proof | None = None  # a signature the payload carries, checked where events enter

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"{self.name}: unknown scope {self.scope!r}")
        if (self.scope == PRIVATE) != (self.authority is Authority.THIS_KIOSK):
            raise ValueError(f"{self.name}: private events, and only they, stay on this kiosk")
        if self.authority in (Authority.HOME_BUILDING, Authority.NAMED_KIOSK) and not self.about:
            raise ValueError(f"{self.name}: {self.authority.value} needs what the event is about")

    def check(self, payload: Any) -> None:
        """``PayloadRefused`` unless ``payload`` passes this type's check."""
        problem = self.payload.problem(payload)
        if problem is not None:
            raise PayloadRefused(self.name, problem)

    def apply(self, db: Database, event: Event) -> None:
        if self.projector is not None:
            self.projector(db, event)


class Registry:
    """Every declared event type, by name. Finds the declarations on first use."""

    def __init__(self, package: str = "kiosk") -> None:
        self._package = package
        self._types: dict[str, EventType] = {}
        self._loaded = False
        self._loading = threading.RLock()

    def declare(self, declared: EventType) -> EventType:
        if declared.name in self._types:
            raise ValueError(f"event type {declared.name!r} declared twice")
        self._types[declared.name] = declared
        return declared

    def _load(self) -> None:
        # Imported here, not at the top: the feature packages import this module to declare
        # their types (they sit above the store), so the registry can only find them at run time.
        with self._loading:  # one thread imports; another waits for every declaration
            if self._loaded:
                return
            root = importlib.import_module(self._package)
            for folder in sorted(Path(next(iter(root.__path__))).iterdir()):
                declared_in = folder / "projections.py", folder / "projections" / "__init__.py"
                if (folder / "__init__.py").is_file() and any(p.is_file() for p in declared_in):
                    importlib.import_module(f"{self._package}.{folder.name}.projections")
            self._loaded = True

    def by_name(self) -> Mapping[str, EventType]:
        """{name: declaration} of every type (one look-up each for a page of events)."""
        if not self._loaded:
            self._load()
        return self._types

    def find(self, name: str) -> EventType | None:
        return self.by_name().get(name)

    def get(self, name: str) -> EventType:
        """The declaration of ``name``; ``UnknownEventType`` if none."""
        declared = self.by_name().get(name)
        if declared is None:
            raise UnknownEventType(name)
        return declared

    def __iter__(self) -> Iterator[EventType]:
        return iter(list(self.by_name().values()))

    def __len__(self) -> int:
        return len(self.by_name())

    def __contains__(self, name: object) -> bool:
        return name in self.by_name()

    def projection_tables(self) -> list[str]:
        """Every table the projectors write (rebuilt from the log), in declaration order."""
        return list(dict.fromkeys(table for declared in self for table in declared.tables))


registry = Registry()


def event_type(
    name: str,
    *,
    scope: str,
    authority: Authority,
    about: About | None = None,
    fields: Mapping[str, FieldTypes],
    optional: Mapping[str, FieldTypes] | None = None,
    valid: Callable[[Mapping[str, Any]], bool] | None = None,
    tables: Sequence[str] = (),
    bulk: bool = False,
    creates: Sequence[Creates] = (),
    proof: Proof | None = None,
) -> Callable[[Callable], Callable]:
    """Declare ``name`` in the registry with the decorated function as its projector.

    ``bulk=True``: the function takes a sequence of events of that type, in log order, and must
    leave exactly what applying them one by one would (a pulled page or a restore applies a run
    of them at once, e.g. with ``executemany``); it is also called with one event. Two types
    may share one projector (decorate it twice).
    """

    def declare(fn: Callable) -> Callable:
        registry.declare(
            EventType(
                name=name,
                scope=scope,
                authority=authority,
                about=about,
                payload=PayloadCheck(fields, optional or {}, valid),
                projector=(lambda db, event: fn(db, (event,))) if bulk else fn,
                bulk_projector=fn if bulk else None,
                tables=tuple(tables),
                creates=tuple(creates),
                proof=proof,
            )
        )
        return fn

    return declare


def building_or_network_type(name: str, **declaration: Any) -> Callable[[Callable], Callable]:
    """Declare ``name`` (scope ``building``) and ``name + "_network"`` (scope ``network``: what
    a resident marked for the neighbouring buildings) with one projector and the same rules
    otherwise (a post, a notice and their withdrawal)."""

    def declare(fn: Callable) -> Callable:
        event_type(name, scope=BUILDING, **declaration)(fn)
        return event_type(f"{name}_network", scope=NETWORK, **declaration)(fn)

    return declare
