"""The kiosk's check of every pulled event's signature, before it is applied.

A pulled event comes with the seal of the batch its origin pushed (``sync.seals``). It is
applied only if its digest is the one the seal lists at its seq and the seal verifies with a
key of its origin valid for the seal's seqs (``kiosk_key_history``: a key signs from its
``from_seq`` up to the next key's). The hub's own events (verdicts, key introductions) are
sealed with the hub's key, learnt at enrolment, or trusted on first use by a kiosk enrolled
before (the first page it pulls names it). So neither the hub nor anything between can alter
or invent an event under a key a kiosk already knows.

Key changes are events checked here before the keys they bring are used:

- ``kiosk.key_introduced`` (the hub's, at an enrolment or a restore): a key for seqs above
  every seq of that kiosk this one holds; a key already known changes nothing (a replay).
- ``kiosk.key_rotated`` (the kiosk's own): carries a certificate by the previous key (valid at
  the seq before), handing over from its own seq.

``signature_refusal(db, event, signature)`` answers for one event; ``SignatureCheck`` for the
events of a page in order (the key history read once a page). A refusal is a reason in
English; the event is then not applied (``set_aside``).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlite_utils import Database

from kiosk.store import events as eventlog
from kiosk.store import keys
from kiosk.store.authority import bad_signature
from kiosk.store.projections import KEY_INTRODUCED, KEY_ROTATED
from kiosk.store.refused import keep_aside
from sync import protocol, seals
from sync.seals import Seal

log = logging.getLogger(__name__)

Signed = tuple[bytes, Seal | None]  # an event's digest and the seal that came with it


class KeyHistory:
    """The keys of every origin with the seq from which each signs, and the hub's key."""

    def __init__(self, rows: Iterable[tuple[str, str, int]], hub_key_b64: str | None) -> None:
        self._by_origin: dict[str, list[tuple[int, str]]] = {}
        self._objects: dict[str, tuple[bytes, Ed25519PublicKey] | None] = {}
        for origin, b64, from_seq in rows:
            self.add(origin, from_seq, b64)
        self.hub_key_b64 = hub_key_b64

    @classmethod
    def load(cls, db: Database) -> KeyHistory:
        rows = db.execute("SELECT origin, public_key, from_seq FROM kiosk_key_history").fetchall()
        return cls(rows, keys.hub_public_key_b64(db))

    def knows(self, origin: str, b64: str) -> bool:
        return any(key == b64 for _from, key in self._by_origin.get(origin, ()))

    def latest_from(self, origin: str) -> int:
        return max((f for f, _k in self._by_origin.get(origin, ())), default=0)

    def earliest_from(self, origin: str) -> int | None:
        return min((f for f, _k in self._by_origin.get(origin, ())), default=None)

    def add(self, origin: str, from_seq: int, b64: str) -> None:
        if not self.knows(origin, b64):
            self._by_origin.setdefault(origin, []).append((from_seq, b64))

    def key(self, b64: str | None) -> tuple[bytes, Ed25519PublicKey] | None:
        """The raw bytes and key object of a base64 public key (None if it is not one)."""
        if b64 is None:
            return None
        if b64 not in self._objects:
            try:
                raw = base64.b64decode(b64, validate=True)
                self._objects[b64] = (raw, Ed25519PublicKey.from_public_bytes(raw))
            except ValueError:
                self._objects[b64] = None
        return self._objects[b64]

    def keys_for(self, origin: str, first: int, last: int) -> list[tuple[bytes, Ed25519PublicKey]]:
        """The keys of ``origin`` valid for every seq from ``first`` to ``last``."""
        entries = self._by_origin.get(origin, [])
        found = (self.key(b64) for b64 in seals.valid_keys(entries, first, last))
        return [key for key in found if key is not None]


class SignatureCheck:
    """Checks events in the order they are applied; what a key event brings counts for the
    events after it (as ``kiosk.store.authority.Screen`` does)."""

    def __init__(self, db: Database, history: KeyHistory | None = None) -> None:
        self.db = db
        self.history = history or KeyHistory.load(db)
        self._seen: dict[str, int] = {}  # origin -> highest seq checked here
        self._verdicts: dict[int, str | None] = {}  # id(seal) -> its refusal, for this history
        self._seals: list[Seal] = []  # keeps the seals of _verdicts alive (ids stay theirs)

    def _held(self, origin: str) -> int:
        return max(eventlog.last_seq(self.db, origin), self._seen.get(origin, 0))

    def refusal(self, event: eventlog.Event, digest: bytes, seal: Seal | None) -> str | None:
        """Why ``event`` (whose canonical digest is ``digest``) may not be applied, or None."""
        reason = self._refusal(event, digest, seal)
        if reason is None:
            self._seen[event.origin] = max(self._seen.get(event.origin, 0), event.seq)
        return reason

    def _refusal(self, event: eventlog.Event, digest: bytes, seal: Seal | None) -> str | None:
        if seal is None:
            return "unsigned: no signature of its origin came with it"
        if seal.origin == seals.legacy_origin(event.origin) and seal.digest_at(event.seq) == digest:
            return self._legacy_refusal(seal)
        if seal.origin != event.origin or seal.digest_at(event.seq) != digest:
            return f"altered or invented: not the event {event.origin} signed as number {event.seq}"
        if event.origin == protocol.HUB_ORIGIN:
            hub_key = self.history.key(self.history.hub_key_b64)
            if hub_key is None:
                return "the hub's public key is not known here"
            if not seal.verifies(hub_key[1], hub_key[0]):
                return "not signed by the hub's key"
            if event.type == KEY_INTRODUCED:
                return self._introduction_refusal(event.payload)
            return None
        if event.type == KEY_ROTATED:
            reason = self._rotation_refusal(event)
            if reason is not None:
                return reason
        verdicts = self._verdicts
        key = id(seal)
        if key not in verdicts:  # once a seal (a page holds a few), not once an event
            verdicts[key] = self._seal_refusal(seal)
            self._seals.append(seal)
        return verdicts[key]

    def _legacy_refusal(self, seal: Seal) -> str | None:
        """An event its kiosk pushed before seals existed, vouched for by the hub's key (the
        hub sealed what it held at its upgrade): trusted as the hub was trusted then."""
        hub_key = self.history.key(self.history.hub_key_b64)
        if hub_key is None:
            return "the hub's public key is not known here"
        if not seal.verifies(hub_key[1], hub_key[0]):
            return "the hub's seal over events from before seals does not verify"
        return None

    def _seal_refusal(self, seal: Seal) -> str | None:
        candidates = self.history.keys_for(seal.origin, seal.first, seal.last)
        if not candidates:
            return f"no key of {seal.origin} is known for its numbers {seal.first}-{seal.last}"
        if not any(seal.verifies(key, raw) for raw, key in candidates):
            return (
                f"the signature does not verify with the key of {seal.origin} "
                f"valid for its numbers {seal.first}-{seal.last}"
            )
        return None

    def _keys_changed(self) -> None:
        self._verdicts.clear()
        self._seals.clear()

    def _introduction_refusal(self, payload: dict[str, Any]) -> str | None:
        origin, b64, from_seq = (payload.get(k) for k in ("origin", "public_key", "from_seq"))
        if type(origin) is not str or type(b64) is not str or type(from_seq) is not int:
            return "a key introduction needs an origin, a public key and a first seq"
        if origin == protocol.HUB_ORIGIN or self.history.key(b64) is None:
            return "not a kiosk's Ed25519 public key"
        if self.history.knows(origin, b64):
            return None  # a key already known: changes nothing
        held = self._held(origin)
        if from_seq <= held:
            return (
                f"the hub introduces a key of {origin} from number {from_seq}, "
                f"but this kiosk already holds its events up to {held}"
            )
        # A key comes after every key known (a restore, an enrolment), or before all of them (a
        # page may carry a later introduction ahead of an earlier one); never between two
        # known keys, where it would take over numbers a known key signs.
        earliest = self.history.earliest_from(origin)
        if earliest is not None and earliest <= from_seq <= self.history.latest_from(origin):
            return (
                f"the hub introduces a key of {origin} from number {from_seq}, "
                f"among the keys this kiosk already knows for it"
            )
        self.history.add(origin, from_seq, b64)
        self._keys_changed()
        return None

    def _rotation_refusal(self, event: eventlog.Event) -> str | None:
        p = event.payload
        b64, from_seq, certificate = (p.get(k) for k in ("public_key", "from_seq", "certificate"))
        if from_seq != event.seq or type(b64) is not str or type(certificate) is not str:
            return "a key rotation hands over from its own number, with a certificate"
        new_key = self.history.key(b64)
        try:
            signature = base64.b64decode(certificate, validate=True)
        except ValueError:
            signature = b""
        message = seals.rotation_message(event.origin, b64, from_seq)
        previous = self.history.keys_for(event.origin, event.seq - 1, event.seq - 1)
        if new_key is None or not any(_verifies(key, signature, message) for _r, key in previous):
            return f"a key rotation of {event.origin} not signed by its previous key"
        self.history.add(event.origin, from_seq, b64)
        self._keys_changed()
        return None


def _verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    return keys.verify(key, signature, message)


def signature_refusal(db: Database, event: eventlog.Event, signature: Seal | None) -> str | None:
    """Why ``event`` may not be applied here, its seal (``signature``) considered, or None."""
    digest = seals.event_digest(protocol.event_to_wire(event))
    return SignatureCheck(db).refusal(event, digest, signature)


def learn_hub_key(db: Database, hub_key_b64: Any) -> None:
    """Trust on first use: a kiosk enrolled before the hub signed anything learns the hub's
    key from the first page it pulls (inside the page's write)."""
    if isinstance(hub_key_b64, str) and hub_key_b64 and keys.hub_public_key_b64(db) is None:
        keys.set_hub_public_key(db, hub_key_b64)


def check_page(
    db: Database, events: Sequence[eventlog.Event], signed: Sequence[Signed]
) -> tuple[list[eventlog.Event], list[tuple[eventlog.Event, str]]]:
    """(events to apply, (event, reason) refused) of a page, in order."""
    check = SignatureCheck(db)
    kept, refused = [], []
    for event, (digest, seal) in zip(events, signed, strict=True):
        reason = check.refusal(event, digest, seal)
        if reason is None:
            kept.append(event)
        else:
            refused.append((event, reason))
    return kept, refused


def set_aside(db: Database, refused: Sequence[tuple[eventlog.Event, str]]) -> None:
    """Events refused for their signature are never applied: each is kept aside with its
    reason (kiosk/store/refused.py, shown on the sync page), inside the page's transaction, and
    its seq still counts, so this kiosk never reuses a seq the hub holds."""
    for event, reason in refused:
        log.warning("event %s (%s) refused: %s", event.reference, event.type, reason)
        keep_aside(db, event, bad_signature(reason))
