"""What a resident's own device (a phone, a computer at home) asks of the building's kiosk: the
wire form of a *home request*, its signature, and the registry of what may be asked.

A device is paired at the kiosk (kiosk/residents/devices.py): its browser makes an ECDSA P-256
key pair with WebCrypto (the private part never leaves it), the kiosk records the public part
in the building event ``device.paired``. From then on the device signs each request with that
key; the hub stores the request as received and hands it to a kiosk of the building, which
verifies the signature against the devices it recorded and applies the request with every rule
of the kiosk (sync/home_inbox.py). The hub holds nothing that lets it act as a resident, and
cannot alter a request: the signature covers the exact text the device sent.

Wire form (``POST /home/api/requests`` at the hub, then ``GET /api/home-requests`` to a kiosk)::

    {"request": "<JSON text, signed as is>", "signature": "<base64url of r || s>"}

The JSON text is an object:

- ``v``: 1; ``id``: a fresh UUID the device makes (the request's identity everywhere);
  ``building``: the building's id; ``made_at``: the device's clock (ISO 8601, informative only);
- a pairing (``kind`` = "pair"): ``pairing`` (the kiosk's offer id), ``kiosk`` (the origin of
  the kiosk that showed the QR code), ``public_key`` (SPKI DER, base64url), ``label`` (what the
  device calls itself, at most 60 characters), ``proof`` (``pair_proof``: HMAC-SHA256 with the
  offer's secret, which the QR code carries in its URL's fragment, so the hub never sees it);
  the signature is made with the new key (it proves the device holds it);
- an action (``kind`` = "action"): ``device`` (``device_id`` of its public key), ``resident``,
  ``action`` (a name this registry declares) and ``fields`` (an object, checked by the
  declaration).

Nothing here touches a database: the hub, the kiosk and the home site share these functions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import importlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

VERSION = 1
PAIR = "pair"
ACTION = "action"
MAX_REQUEST_BYTES = 16 * 1024  # a post's text is at most a few thousand characters
LABEL_MAX = 60
PAIRING_MINUTES = 10  # how long a pairing QR code may be used


class RequestRefused(ValueError):
    """A request that does not follow this form or whose signature does not verify. ``code``:
    a short machine word (the hub's JSON error, the kiosk's answer event)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    if not isinstance(text, str) or len(text) > 4096:
        raise RequestRefused("malformed", "not base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise RequestRefused("malformed", "not base64url text") from None


def device_id(public_key: str) -> str:
    """A device's id: derived from its public key (SPKI, base64url), so it cannot be chosen."""
    return "dev_" + hashlib.sha256(unb64url(public_key)).hexdigest()[:32]


def load_public_key(public_key: str) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of SPKI DER base64url text, or ``RequestRefused``."""
    try:
        key = load_der_public_key(unb64url(public_key))
    except (ValueError, TypeError):
        raise RequestRefused("bad_key", "not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise RequestRefused("bad_key", "not an ECDSA P-256 public key")
    return key


def verify(public_key: str, text: str, signature: str) -> None:
    """Check that ``signature`` (WebCrypto's ECDSA P-256 SHA-256: r || s, 64 bytes, base64url)
    signs the UTF-8 bytes of ``text`` with ``public_key``; ``RequestRefused`` if not."""
    raw = unb64url(signature)
    if len(raw) != 64:
        raise RequestRefused("bad_signature", "the signature does not verify")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        load_public_key(public_key).verify(der, text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise RequestRefused("bad_signature", "the signature does not verify") from None


def pair_proof(secret: str, pairing: str, public_key: str) -> str:
    """The proof a device that read the pairing QR code sends: HMAC-SHA256, keyed with the
    offer's secret, of the offer's id and the device's public key (hex)."""
    message = f"{pairing}\n{public_key}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def proof_matches(secret: str, pairing: str, public_key: str, proof: str) -> bool:
    return isinstance(proof, str) and hmac.compare_digest(
        pair_proof(secret, pairing, public_key), proof
    )


@dataclass(frozen=True)
class HomeRequest:
    """A request read from its wire form; ``text`` and ``signature`` as received."""

    text: str
    signature: str
    id: str
    kind: str
    building: str
    made_at: str
    body: Mapping[str, Any]

    @property
    def device(self) -> str | None:
        if self.kind == PAIR:
            return device_id(self.body["public_key"])
        return self.body.get("device")

    @property
    def resident(self) -> str | None:
        return self.body.get("resident")

    @property
    def action(self) -> str | None:
        return self.body.get("action")

    @property
    def fields(self) -> Mapping[str, Any]:
        return self.body.get("fields") or {}

    def wire(self) -> dict[str, str]:
        return {"request": self.text, "signature": self.signature}


def _text(body: Mapping, name: str, maximum: int = 200) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > maximum:
        raise RequestRefused("malformed", f"{name}: text of 1 to {maximum} characters required")
    return value


def read_request(data: Any, *, known_action: bool = True) -> HomeRequest:
    """The request in a wire form (see the module's docstring), its shape checked (not its
    signature, nor whether the device is paired: the caller knows the keys);
    ``RequestRefused`` if it does not follow the form. ``known_action`` False: an action this
    code does not declare is read all the same (a kiosk older than the home site answers it
    with a refusal instead of leaving it unanswered)."""
    if not isinstance(data, Mapping):
        raise RequestRefused("malformed", "an object with request and signature expected")
    text, signature = data.get("request"), data.get("signature")
    if not isinstance(text, str) or not isinstance(signature, str):
        raise RequestRefused("malformed", "request and signature must be text")
    if len(text.encode("utf-8")) > MAX_REQUEST_BYTES:
        raise RequestRefused("too_large", "the request is too long")
    try:
        body = json.loads(text)
    except ValueError:
        raise RequestRefused("malformed", "the request is not JSON") from None
    if not isinstance(body, dict) or body.get("v") != VERSION:
        raise RequestRefused("malformed", f"a version {VERSION} request object expected")
    request_id = _text(body, "id", 64)
    try:
        uuid.UUID(request_id)
    except ValueError:
        raise RequestRefused("malformed", "id: a UUID expected") from None
    kind = body.get("kind")
    if kind == PAIR:
        for name in ("pairing", "kiosk", "proof"):
            _text(body, name)
        _text(body, "public_key", 400)
        label = body.get("label", "")
        if not isinstance(label, str) or len(label) > LABEL_MAX:
            raise RequestRefused("malformed", f"label: at most {LABEL_MAX} characters")
        load_public_key(body["public_key"])
    elif kind == ACTION:
        for name in ("device", "resident", "action"):
            _text(body, name)
        action = ACTIONS.get(body["action"])
        if action is not None:
            action.check(body.get("fields"))
        elif known_action:
            raise RequestRefused("unknown_action", f"unknown action {body['action']!r}")
        elif not isinstance(body.get("fields"), Mapping):
            raise RequestRefused("malformed", "fields: an object expected")
    else:
        raise RequestRefused("malformed", "kind: pair or action")
    return HomeRequest(
        text=text,
        signature=signature,
        id=request_id,
        kind=kind,
        building=_text(body, "building"),
        made_at=_text(body, "made_at", 40),
        body=body,
    )


# --- The registry of actions a device may ask for ---------------------------------------------

Applier = Callable[..., Any]  # (db, config, resident_id, fields, *, request_id) -> None


@dataclass
class HomeAction:
    """An action a resident may take from home: its name, its fields (name -> JSON type, or a
    tuple of types), optional ones, and the kiosk function that applies it (set by the feature
    that owns it, in its ``home_actions.py``). ``summary``: an English msgid saying what it
    does, for the resident's list of requests."""

    name: str
    fields: Mapping[str, Any]
    optional: Mapping[str, Any] = field(default_factory=dict)
    summary: str = ""
    apply: Applier | None = None

    def check(self, fields: Any) -> None:
        """``RequestRefused`` unless ``fields`` is an object with exactly the declared fields of
        the declared types (a bool is not an int)."""
        if not isinstance(fields, Mapping):
            raise RequestRefused("malformed", "fields: an object expected")
        unknown = set(fields) - set(self.fields) - set(self.optional)
        if unknown:
            raise RequestRefused("malformed", f"unknown fields: {', '.join(sorted(unknown))}")
        for name, types in {**self.fields, **self.optional}.items():
            if name not in fields:
                if name in self.fields:
                    raise RequestRefused("malformed", f"{name}: required")
                continue
            value = fields[name]
            wanted = types if isinstance(types, tuple) else (types,)
            if isinstance(value, bool) and bool not in wanted:
                raise RequestRefused("malformed", f"{name}: wrong type")
            if not isinstance(value, wanted):
                raise RequestRefused("malformed", f"{name}: wrong type")


class _Actions(dict):
    """name -> HomeAction; the features' ``home_actions`` modules are imported on first use."""

    def __init__(self) -> None:
        super().__init__()
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        root = Path(__file__).parent
        for folder in sorted(root.iterdir()):
            if (folder / "home_actions.py").is_file():
                importlib.import_module(f"kiosk.{folder.name}.home_actions")

    def get(self, name, default=None):
        self._load()
        return super().get(name, default)

    def __getitem__(self, name):
        self._load()
        return super().__getitem__(name)

    def __contains__(self, name):
        self._load()
        return super().__contains__(name)

    def names(self) -> list[str]:
        self._load()
        return sorted(self)


ACTIONS = _Actions()


def home_action(
    name: str,
    *,
    fields: Mapping[str, Any],
    optional: Mapping[str, Any] | None = None,
    summary: str = "",
) -> Callable[[Applier], Applier]:
    """Declare an action a device may ask for, with the kiosk function that applies it:
    ``apply(db, config, resident_id, fields, *, request_id)`` runs inside the kiosk's write
    transaction, checks every rule the kiosk's own form checks (through the same domain
    function) and raises the feature's ``KioskError`` to refuse. Declared once."""

    def register(apply: Applier) -> Applier:
        if dict.__contains__(ACTIONS, name):
            raise ValueError(f"home action {name!r} declared twice")
        dict.__setitem__(
            ACTIONS,
            name,
            HomeAction(name, dict(fields), dict(optional or {}), summary, apply),
        )
        return apply

    return register
