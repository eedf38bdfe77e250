"""Seals: an origin's signature over a run of its events, shared by the kiosks and the hub.

A kiosk seals each batch it pushes: one Ed25519 signature over the digests of the batch's
shared events (the SHA-256 of each event's canonical wire form, ``protocol.canonical_json``,
the same digest the hub keeps to tell a fork). The hub stores the seal with the events and
serves it with every page that holds one of them; a kiosk applies a pulled event only if its
digest is the one its seal lists at its seq and the seal verifies with a key of that origin
valid for those seqs (``sync.event_signatures``). A kiosk of another building sees only the
network events of a batch: the seal lists every digest, so it checks them without the rest.

One signature a batch, not one an event: verifying an Ed25519 signature costs about 100 µs
here, a pulled event about 20 µs; a digest costs about 2 µs (bench/bench_sync.py).

Wire form (canonical JSON, what the signature covers is everything but ``signature``)::

    {"origin": "ABCDEF", "seqs": [4, 5, 7], "digests": base64(32 bytes a seq),
     "signature": base64(64 bytes)}

The signed message is ``CONTEXT`` + the canonical JSON of ``origin``, ``seqs``, ``digests``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync import protocol

CONTEXT = b"ceec-event-seal\x00"  # a seal's signature can never pass for another message's
DIGEST_BYTES = 32
MAX_SEAL_EVENTS = 10_000
ROTATION_CONTEXT = b"ceec-key-rotation\x00"
LEGACY_PREFIX = "HUB:"  # a seal's origin "HUB:<kiosk>": the hub vouches for what came before seals


def legacy_origin(origin: str) -> str:
    """The origin of the seal the hub makes over ``origin``'s events it held before seals
    existed (sync/hub/signing.py ``prepare``): signed by the hub's key, not the kiosk's."""
    return LEGACY_PREFIX + origin


_SORT_KEYS = orjson.OPT_SORT_KEYS


def event_digest(wire: dict[str, Any]) -> bytes:
    """The SHA-256 of an event's canonical wire form (the hub's ``digest``, raw): orjson's
    bytes straight away, ``protocol.canonical_json`` for what orjson refuses."""
    try:
        text = orjson.dumps(wire, option=_SORT_KEYS)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits
        text = protocol.canonical_json(wire).encode("utf-8")
    return hashlib.sha256(text).digest()


def _message(origin: str, seqs: list[int], digests_b64: str) -> bytes:
    body = protocol.canonical_json({"digests": digests_b64, "origin": origin, "seqs": seqs})
    return CONTEXT + body.encode("utf-8")


def make_seal(
    key: Ed25519PrivateKey, origin: str, seqs: list[int], digests: list[bytes]
) -> dict[str, Any]:
    """The wire form of the seal of ``origin``'s events at ``seqs`` (ascending) with ``digests``."""
    digests_b64 = base64.b64encode(b"".join(digests)).decode("ascii")
    signature = key.sign(_message(origin, seqs, digests_b64))
    return {
        "digests": digests_b64,
        "origin": origin,
        "seqs": seqs,
        "signature": base64.b64encode(signature).decode("ascii"),
    }


@dataclass
class Seal:
    """A seal read from the wire: which digests it lists at which seqs, and whether its
    signature verifies with a key (``verifies``, remembered per key)."""

    origin: str
    seqs: list[int]
    digests: bytes
    signature: bytes
    message: bytes
    _index: dict[int, int] | None = None
    _verified: dict[bytes, bool] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return self.seqs[0]

    @property
    def last(self) -> int:
        return self.seqs[-1]

    def digest_at(self, seq: int) -> bytes | None:
        if self._index is None:
            self._index = {s: i for i, s in enumerate(self.seqs)}
        i = self._index.get(seq)
        return None if i is None else self.digests[i * DIGEST_BYTES : (i + 1) * DIGEST_BYTES]

    def verifies(self, public_key: Ed25519PublicKey, raw_key: bytes) -> bool:
        known = self._verified.get(raw_key)
        if known is None:
            try:
                public_key.verify(self.signature, self.message)
                known = True
            except InvalidSignature:
                known = False
            self._verified[raw_key] = known
        return known


def read_seal(data: Any) -> Seal:
    """A ``Seal`` from its wire form; ``protocol.ProtocolError`` if it is not one."""
    if type(data) is not dict or data.keys() != {"digests", "origin", "seqs", "signature"}:
        raise protocol.ProtocolError("a seal has exactly digests, origin, seqs and signature")
    origin, seqs, digests_b64 = data["origin"], data["seqs"], data["digests"]
    if type(origin) is not str or not 0 < len(origin) <= 200:
        raise protocol.ProtocolError("a seal's origin is a short text")
    if (
        type(seqs) is not list
        or not 0 < len(seqs) <= MAX_SEAL_EVENTS
        or any(type(s) is not int or s < 1 for s in seqs)
        or any(a >= b for a, b in zip(seqs, seqs[1:], strict=False))
    ):
        raise protocol.ProtocolError("a seal's seqs are whole numbers above 0, ascending")
    try:
        digests = base64.b64decode(digests_b64, validate=True)
        signature = base64.b64decode(data["signature"], validate=True)
    except (TypeError, ValueError) as exc:
        raise protocol.ProtocolError("a seal's digests and signature are base64") from exc
    if len(digests) != DIGEST_BYTES * len(seqs) or len(signature) != 64:
        raise protocol.ProtocolError("a seal holds one 32-byte digest a seq and 64-byte signature")
    return Seal(origin, seqs, digests, signature, _message(origin, seqs, digests_b64))


def valid_keys(entries: list[tuple[int, str]], first: int, last: int) -> list[str]:
    """The keys (of ``entries``: (from_seq, key) of one origin) valid for every seq from
    ``first`` to ``last``: a key signs from its from_seq up to the next from_seq."""
    starts = sorted({from_seq for from_seq, _key in entries})
    found = []
    for from_seq, key in entries:
        following = next((s for s in starts if s > from_seq), None)
        if from_seq <= first and (following is None or last < following):
            found.append(key)
    return found


def rotation_message(origin: str, public_key_b64: str, from_seq: int) -> bytes:
    """What a kiosk's previous key signs to hand over to ``public_key_b64`` from ``from_seq``."""
    return ROTATION_CONTEXT + f"{origin}\n{public_key_b64}\n{from_seq}".encode()
