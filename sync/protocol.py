"""The sync wire format and request signing, shared by the hub and the kiosks.

Bodies are gzip-compressed JSON. An event travels as a flat object (``id``, ``origin``, ``seq``,
``type``, ``scope``, ``payload``, ``created_at``); its digest is the SHA-256 of its canonical
JSON (sorted keys, no spaces, UTF-8), so the hub can tell "the same event sent twice" from "a
different event under a known (origin, seq)" (a fork).

Every request after enrolment is signed with the kiosk's Ed25519 key over::

    METHOD \\n PATH?QUERY \\n sha256(body) \\n ORIGIN \\n COUNTER

``COUNTER`` is a per-kiosk request number that only goes up; the hub keeps the last one it
accepted and refuses anything not above it, so a replayed request is refused whatever either
clock says (a Pi has no real-time clock: a kiosk may believe it is 1970).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import zlib
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.store.events import Event
from kiosk.store.registry import HUB_ORIGIN as HUB_ORIGIN  # the hub's own events' origin
from kiosk.store.registry import SCOPES

PROTOCOL_VERSION = 1
HEADER_ORIGIN = "X-Kiosk-Origin"
HEADER_COUNTER = "X-Kiosk-Counter"
HEADER_SIGNATURE = "X-Kiosk-Signature"
CONTENT_TYPE = "application/json"
CONTENT_ENCODING = "gzip"
MAX_DECODED_BYTES = 64 * 1024 * 1024  # a gzip bomb stops here
EVENT_FIELDS = ("id", "origin", "seq", "type", "scope", "payload", "created_at")
EVENT_FIELD_SET = frozenset(EVENT_FIELDS)
_TEXT_FIELDS = ("id", "origin", "type", "scope", "created_at")
_SCOPES = frozenset(SCOPES)


class ProtocolError(ValueError):
    """A body or event that does not follow the protocol (answered with 400)."""


class SignatureError(ValueError):
    """A request whose signature headers are missing or do not verify (answered with 401)."""


# The legacy canonical encoder (the standard library's): what hubs before orjson stored digests
# of, and the fallback for values orjson does not encode (integers beyond 64 bits).
_stdlib_canonical = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False
).encode
_SORT_KEYS = orjson.OPT_SORT_KEYS


def canonical_json(value: Any) -> str:
    """The canonical JSON text of a decoded value: sorted keys, no spaces, UTF-8 (not
    escaped). The same value always gives the same text (orjson, or the standard library for
    what orjson refuses), so the hub can compare events by the digest of this text."""
    try:
        return orjson.dumps(value, option=_SORT_KEYS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a non-text key
        return _stdlib_canonical(value)


def legacy_canonical_json(value: Any) -> str:
    """The canonical text of hubs before orjson (floats such as 1e-07 are written differently):
    a re-sent event is compared with a digest stored then through this too."""
    return _stdlib_canonical(value)


def event_to_wire(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "origin": event.origin,
        "seq": event.seq,
        "type": event.type,
        "scope": event.scope,
        "payload": event.payload,
        "created_at": event.created_at,
    }


def check_wire_event(data: Any) -> dict[str, Any]:
    """``data`` itself once every field of a wire event is checked; ``ProtocolError`` if not."""
    if type(data) is not dict or data.keys() != EVENT_FIELD_SET:
        raise ProtocolError("an event has exactly the fields " + ", ".join(EVENT_FIELDS))
    for name in _TEXT_FIELDS:
        value = data[name]
        if type(value) is not str or not value or len(value) > 200:
            raise ProtocolError(f"event field {name!r} must be a short non-empty text")
    seq = data["seq"]
    if type(seq) is not int or seq < 1:
        raise ProtocolError("event seq must be a whole number above 0")
    if data["scope"] not in _SCOPES:
        raise ProtocolError(f"unknown scope {data['scope']!r}")
    if type(data["payload"]) is not dict:
        raise ProtocolError("event payload must be an object")
    return data


_SCOPE_NAMES = tuple(_SCOPES)  # a tuple: an unhashable value is simply not in it


def event_from_wire(data: Any) -> Event:
    """An ``Event`` from its wire form, every field checked (``check_wire_event``'s rules,
    inline for speed: a pulled page holds thousands; the slow path names what is wrong)."""
    if type(data) is dict and data.keys() == EVENT_FIELD_SET:
        event_id, origin, seq, event_type, scope, payload, created_at = (
            data["id"],
            data["origin"],
            data["seq"],
            data["type"],
            data["scope"],
            data["payload"],
            data["created_at"],
        )
        if (
            type(seq) is int
            and seq > 0
            and scope in _SCOPE_NAMES
            and type(payload) is dict
            and type(event_id) is str
            and 0 < len(event_id) <= 200
            and type(origin) is str
            and 0 < len(origin) <= 200
            and type(event_type) is str
            and 0 < len(event_type) <= 200
            and type(created_at) is str
            and 0 < len(created_at) <= 200
        ):
            return Event(event_id, origin, seq, event_type, scope, payload, created_at)
    d = check_wire_event(data)
    return Event(
        d["id"], d["origin"], d["seq"], d["type"], d["scope"], d["payload"], d["created_at"]
    )


def encode_body(value: Any) -> bytes:
    """JSON, gzip-compressed (level 3: most of the gain, little of the CPU of a Pi)."""
    return gzip.compress(
        json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 3
    )


def encode_json_text(text: str) -> bytes:
    """An already serialised JSON text, gzip-compressed."""
    return gzip.compress(text.encode("utf-8"), 3)


# A run of 19 digits or more may be an integer orjson cannot hold (beyond 64 bits, which it
# turns into a float): such a body is read by the standard library, which keeps it exact.
# Found by mapping every digit to "0" and anything else to a space (a regular expression
# took as long as parsing the body).
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_NUMBER = b"0" * 19


def _has_long_number(raw: bytes) -> bool:
    return _LONG_NUMBER in raw.translate(_DIGITS_AS_ZEROS)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is beyond what a JSON number can be here")
    return value


def loads(raw: bytes) -> Any:
    """The JSON value of UTF-8 bytes, as ``json.loads`` reads it (same values) but strict:
    NaN and Infinity are refused, as the JSON standard and SQLite's ``json_valid`` refuse them.
    orjson reads it unless it holds a long number; whatever orjson refuses is read again by
    the standard library, which accepts it or says what is wrong (``ValueError``)."""
    if not _has_long_number(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(
        raw.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float
    )


def decode_body(data: bytes, max_bytes: int = MAX_DECODED_BYTES) -> Any:
    """The JSON value of a gzip body; ``ProtocolError`` on anything else or above ``max_bytes``."""
    inflater = zlib.decompressobj(wbits=31)  # gzip container
    try:
        raw = inflater.decompress(data, max_bytes)
        if inflater.unconsumed_tail:
            raise ProtocolError(f"body above {max_bytes} bytes once decompressed")
        raw += inflater.flush()
        if not inflater.eof or inflater.unused_data:
            raise ProtocolError("body is not one complete gzip stream")
        return loads(raw)
    except (zlib.error, ValueError) as exc:  # ValueError: JSONDecodeError, UnicodeDecodeError
        raise ProtocolError(f"body is not gzip-compressed JSON: {exc}") from exc
    except RecursionError as exc:  # JSON nested deeper than any event is
        raise ProtocolError("body is JSON nested too deeply") from exc


def signing_message(method: str, path: str, body: bytes, origin: str, counter: int) -> bytes:
    body_hash = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{body_hash}\n{origin}\n{counter}".encode()


def sign_request(
    key: Ed25519PrivateKey, method: str, path: str, body: bytes, origin: str, counter: int
) -> dict[str, str]:
    """The headers that authenticate one request of ``origin``."""
    signature = key.sign(signing_message(method, path, body, origin, counter))
    return {
        HEADER_ORIGIN: origin,
        HEADER_COUNTER: str(counter),
        HEADER_SIGNATURE: base64.b64encode(signature).decode("ascii"),
    }


def read_signature(headers) -> bytes:
    try:
        signature = base64.b64decode(headers.get(HEADER_SIGNATURE, ""), validate=True)
    except ValueError as exc:
        raise SignatureError("bad signature encoding") from exc
    if not signature:
        raise SignatureError("unsigned request")
    return signature


def read_signature_headers(headers) -> tuple[str, int, bytes]:
    """(origin, counter, signature) from request headers; ``SignatureError`` if unusable."""
    origin = headers.get(HEADER_ORIGIN, "")
    counter_text = headers.get(HEADER_COUNTER, "")
    signature_text = headers.get(HEADER_SIGNATURE, "")
    if not origin or not counter_text or not signature_text:
        raise SignatureError("unsigned request")
    if not counter_text.isdigit() or len(counter_text) > 18:
        raise SignatureError("bad request counter")
    return origin, int(counter_text), read_signature(headers)


def verify_signature(
    public_key: Ed25519PublicKey,
    signature: bytes,
    method: str,
    path: str,
    body: bytes,
    origin: str,
    counter: int,
) -> None:
    try:
        public_key.verify(signature, signing_message(method, path, body, origin, counter))
    except InvalidSignature as exc:
        raise SignatureError("signature does not match the request") from exc


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ProtocolError("not a base64 Ed25519 public key") from exc
