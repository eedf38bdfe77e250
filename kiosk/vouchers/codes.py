"""What is printed on a voucher: the signed QR code and the code typed by hand, both carrying
the voucher's secret.

A voucher is paper money: whoever holds the paper may redeem it, and nobody else. So the paper
carries a **secret** (14 symbols of ``CHECK_ALPHABET``, 29**14 ~ 2**68) drawn at random when it
is issued and written nowhere else: not in the kiosk's tables, not in any event. The kiosk and
the network keep its **commitment**, SHA-256 of a context, the serial and the secret; the
issuing kiosk's Ed25519 signature covers the voucher's fields and that commitment. A kiosk
that holds the issuer's public key (``kiosk.key_published``) therefore checks a scanned QR
code offline, even for a voucher it never heard of (the commitment is recomputed from the
secret the QR code carries), and checks a typed code against the commitment it learned from
the ``voucher.issued`` event. Guessing a secret from the commitment costs 2**67 hashes on
average; guessing it at the kiosk, a touch per try.

The commitment is a hash chain: ``opening`` = SHA-256(context, serial, secret) and
``commitment`` = SHA-256(context, serial, opening). A redemption carries the opening: every
kiosk and the hub check that it hashes to the commitment the issuer signed, so no kiosk can
settle a voucher whose paper it never read; and the opening redeems nothing (a kiosk asks for
its preimage, the secret).

The QR code must survive a USB scanner typing it in the wrong keyboard layout, so it is "KV"
followed by letters of ``ids.SCAN_ALPHABET`` only: a compact binary structure written with
``ids.encode_scan_safe``::

    version      1 byte   (2)
    issuer       4 bytes  the issuing kiosk's 6-letter origin, as a base-19 number
    seq          4 bytes  the issuer's voucher sequence (serial = ORIGIN-SEQ)
    amount       4 bytes  CEEC hundredths
    issued_on    2 bytes  day number since 2020-01-01
    expires_on   2 bytes  day number, last valid day
    building     4 bytes  first bytes of SHA-256 of the building's name
    secret       9 bytes  the secret, as a number below 29**14
    signature   64 bytes  Ed25519 over CONTEXT_V2 + the first 21 bytes + the commitment

That is 94 bytes, about 180 letters. The typed code is the serial, then the secret and a check
character (catching every single typo and swap of neighbours) in three groups of five:
``BCDFGH-17-K7N29-HX4FR-3PV23``. Letters O and I are read as the figures 0 and 1.

Version 1 (vouchers printed before secret codes) had no secret: its QR payload travelled in
every ``voucher.issued`` event and its short code ``ORIGIN-SEQ-C`` named only the serial. Such
a voucher is still read and its signature still checked, but it is redeemed only by a volunteer
who sees the paper (kiosk/vouchers/redeeming.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk import ids

PREFIX = "KV"
VERSION = 2
OLD_VERSION = 1  # no secret: redeemed only with a volunteer
EPOCH = date(2020, 1, 1)
CONTEXT = b"ceec-voucher\x00"  # version 1: a voucher signature never passes for another message
CONTEXT_V2 = b"ceec-voucher-2\x00"
COMMITMENT_CONTEXT = b"ceec-voucher-secret\x00"
OPENING_CONTEXT = b"ceec-voucher-opening\x00"
SIGNATURE_BYTES = 64
_BODY = struct.Struct(">BIIIHH4s")
ORIGIN_LETTERS = 6

CHECK_ALPHABET = "0123456789" + ids.SCAN_ALPHABET  # 29 symbols
SECRET_LENGTH = 14  # 29**14 > 2**68
SECRET_BYTES = 9
_SECRET_LIMIT = len(CHECK_ALPHABET) ** SECRET_LENGTH
GROUP = 5
_CYCLE = len(CHECK_ALPHABET) - 2  # weights 2..28
_TYPED = re.compile(r"^([A-Z]{6})([1-9]\d{0,8})([0-9A-Z]{%d})$" % (SECRET_LENGTH + 1))  # noqa: UP031
_SERIAL = re.compile(r"^([A-Z]{6})(\d{1,9})$")
_OLD_SHORT_CODE = re.compile(r"^([A-Z]{6})([1-9]\d{0,8})([0-9A-Z])$")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1"})


class MalformedCode(ValueError):
    """Not a voucher code this kiosk can read (wrong letters, length, version)."""


class CheckFailed(MalformedCode):
    """A typed code whose check character does not match: a typo."""


class OnlyTheNumber(MalformedCode):
    """The voucher's number typed alone, without the secret."""

    def __init__(self, serial: str) -> None:
        super().__init__(f"{serial}: the number without the code")
        self.serial = serial


@dataclass(frozen=True)
class VoucherCode:
    """A voucher's signed fields; ``secret`` is known only from the paper (QR or typed code).

    ``commitment`` (32 bytes) binds the secret; None for a version 1 voucher, which has none.
    """

    issuer_origin: str
    seq: int
    amount: int
    issued_on: date
    expires_on: date
    building_hash: bytes
    signature: bytes
    commitment: bytes | None = None
    secret: str | None = None

    @property
    def version(self) -> int:
        return OLD_VERSION if self.commitment is None else VERSION

    @property
    def serial(self) -> str:
        return f"{self.issuer_origin}-{self.seq}"

    @property
    def typed_code(self) -> str:
        """What a person types when the QR code will not scan (needs the secret)."""
        if self.version == OLD_VERSION:
            return old_short_code(self.serial)
        if self.secret is None:
            raise ValueError("the typed code needs the secret, which only the paper holds")
        return typed_code(self.serial, self.secret)

    def body(self) -> bytes:
        """The 21 bytes of fields the signature covers (without context or commitment)."""
        return _BODY.pack(
            self.version,
            _origin_number(self.issuer_origin),
            self.seq,
            self.amount,
            _day_number(self.issued_on),
            _day_number(self.expires_on),
            self.building_hash,
        )

    def signed_message(self) -> bytes:
        if self.commitment is None:
            return CONTEXT + self.body()
        return CONTEXT_V2 + self.body() + self.commitment

    def text(self) -> str:
        """The QR code's content: "KV" and scanner-safe letters (needs the secret)."""
        if self.commitment is None:
            return PREFIX + ids.encode_scan_safe(self.body() + self.signature)
        if self.secret is None:
            raise ValueError("the QR code needs the secret, which only the paper holds")
        return PREFIX + ids.encode_scan_safe(
            self.body() + _secret_number(self.secret).to_bytes(SECRET_BYTES, "big") + self.signature
        )

    def is_signed_by(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(self.signature, self.signed_message())
        except InvalidSignature:
            return False
        return True

    def with_secret(self, secret: str) -> VoucherCode:
        return replace(self, secret=secret)

    @property
    def opening(self) -> bytes:
        if self.secret is None:
            raise ValueError("only the paper's secret opens the commitment")
        return opening(self.serial, self.secret)

    def secret_matches(self) -> bool:
        """Whether the secret from the paper is the one the commitment binds."""
        if self.commitment is None or self.secret is None:
            return False
        return hmac.compare_digest(commitment(self.serial, self.secret), self.commitment)


def code_of_fields(fields, building: bytes) -> VoucherCode:
    """A voucher's signed fields as the vouchers table and the events name them (base64
    ``signature``, hex ``commitment``), with the building's signed hash: never a secret."""
    commitment = fields["commitment"] if "commitment" in fields.keys() else None
    return VoucherCode(
        issuer_origin=fields["issuer_origin"],
        seq=fields["voucher_seq"],
        amount=fields["amount"],
        issued_on=date.fromisoformat(fields["issued_on"]),
        expires_on=date.fromisoformat(fields["expires_on"]),
        building_hash=building,
        signature=base64.b64decode(fields["signature"], validate=True),
        commitment=bytes.fromhex(commitment) if commitment else None,
    )


def building_hash(name: str) -> bytes:
    return hashlib.sha256(unicodedata.normalize("NFC", name).encode("utf-8")).digest()[:4]


def new_secret() -> str:
    """A fresh secret: 14 symbols drawn by the operating system's random generator."""
    return "".join(secrets.choice(CHECK_ALPHABET) for _ in range(SECRET_LENGTH))


def opening(serial: str, secret: str) -> bytes:
    """What a redemption shows the network: proof that the paper was read (its commitment is
    the hash of it), useless to redeem with (a kiosk asks for the secret, its preimage)."""
    return hashlib.sha256(
        OPENING_CONTEXT + serial.encode("ascii") + b"\x00" + secret.encode("ascii")
    ).digest()


def commitment_of_opening(serial: str, opened: bytes) -> bytes:
    return hashlib.sha256(COMMITMENT_CONTEXT + serial.encode("ascii") + b"\x00" + opened).digest()


def commitment(serial: str, secret: str) -> bytes:
    """What the kiosk and the network keep of a secret: it checks the secret, never gives it."""
    return commitment_of_opening(serial, opening(serial, secret))


def sign_voucher(
    key: Ed25519PrivateKey,
    *,
    issuer_origin: str,
    seq: int,
    amount: int,
    issued_on: date,
    expires_on: date,
    building: str,
    secret: str | None = None,
) -> VoucherCode:
    """A new voucher's code with a fresh secret, signed with the issuing kiosk's private key."""
    secret = secret or new_secret()
    serial = f"{issuer_origin}-{seq}"
    unsigned = VoucherCode(
        issuer_origin,
        seq,
        amount,
        issued_on,
        expires_on,
        building_hash(building),
        b"",
        commitment(serial, secret),
        secret,
    )
    return replace(unsigned, signature=key.sign(unsigned.signed_message()))


def looks_like_qr(text: str) -> bool:
    """Whether ``text`` is a scanned QR code ("KV" and scanner-safe letters only, about 160 of
    them) rather than a typed code, which always holds figures (a kiosk's origin may well
    begin with KV)."""
    return ids.looks_like_scan(text, PREFIX)


def read_code(text: str) -> VoucherCode:
    """A scanned "KV..." code back into its fields; ``MalformedCode`` if it is not one.

    The signature is not checked here (see ``VoucherCode.is_signed_by``); a version 2 code's
    commitment is recomputed from the secret it carries.
    """
    text = "".join((text or "").split()).upper()
    if not text.startswith(PREFIX) or len(text) > 400:
        raise MalformedCode("not a voucher code")
    try:
        raw = ids.decode_scan_safe(text[len(PREFIX) :])
    except ValueError as exc:
        raise MalformedCode(str(exc)) from None
    if len(raw) < _BODY.size:
        raise MalformedCode(f"{len(raw)} bytes")
    version, origin, seq, amount, issued, expires, building = _BODY.unpack(raw[: _BODY.size])
    expected = _BODY.size + SIGNATURE_BYTES + (SECRET_BYTES if version == VERSION else 0)
    if version not in (OLD_VERSION, VERSION):
        raise MalformedCode(f"unknown voucher version {version}")
    if len(raw) != expected:
        raise MalformedCode(f"{len(raw)} bytes, expected {expected}")
    if seq == 0 or amount == 0 or origin >= len(ids.SCAN_ALPHABET) ** ORIGIN_LETTERS:
        raise MalformedCode("impossible voucher fields")
    code = VoucherCode(
        _origin_letters(origin),
        seq,
        amount,
        EPOCH + timedelta(days=issued),
        EPOCH + timedelta(days=expires),
        building,
        raw[-SIGNATURE_BYTES:],
    )
    if version == OLD_VERSION:
        return code
    number = int.from_bytes(raw[_BODY.size : _BODY.size + SECRET_BYTES], "big")
    if number >= _SECRET_LIMIT:
        raise MalformedCode("impossible secret")
    secret = _secret_text(number)
    return replace(code, commitment=commitment(code.serial, secret), secret=secret)


@dataclass(frozen=True)
class TypedCode:
    """A typed code, read: the serial it names and, for a version 2 voucher, its secret."""

    serial: str
    secret: str | None  # None: a version 1 short code (no secret)


def read_typed_code(text: str) -> TypedCode:
    """ "bcdfgh 17 k7n29 hx4fr 3pv23" -> the serial and the secret; ``MalformedCode`` on a
    typo (the check character) or on anything that is not a typed voucher code."""
    parts = [part for part in re.split(r"[\s-]+", (text or "").upper()) if part]
    cleaned = "".join(parts)
    if any(letter not in ids.SCAN_ALPHABET for letter in cleaned[:ORIGIN_LETTERS]):
        raise MalformedCode("not a kiosk origin")
    if len(parts) == 2 and parts[1].isdigit() and _SERIAL.match(cleaned):
        raise OnlyTheNumber(f"{parts[0]}-{int(parts[1])}")
    cleaned = cleaned[:6] + cleaned[6:].translate(_LOOKALIKES)
    match = _TYPED.match(cleaned)
    if match:
        origin, seq, rest = match.groups()
        seq = str(int(seq))
        secret, check = rest[:-1], rest[-1]
        if any(char not in CHECK_ALPHABET for char in secret):
            raise MalformedCode("not a secret")
        if check_character(origin + seq + secret, cycle=_CYCLE) != check:
            raise CheckFailed("wrong check character")
        return TypedCode(f"{origin}-{seq}", secret)
    match = _OLD_SHORT_CODE.match(cleaned)
    if match:
        origin, seq, check = match.groups()
        seq = str(int(seq))
        if check_character(origin + seq) != check:
            raise CheckFailed("wrong check character")
        return TypedCode(f"{origin}-{seq}", None)
    match = _SERIAL.match(cleaned)
    if match:
        raise OnlyTheNumber(f"{match.group(1)}-{int(match.group(2))}")
    raise MalformedCode("not a typed voucher code")


def serial_of_number(text: str) -> str:
    """The serial a volunteer types to find a voucher: "bcdfgh 17", "BCDFGH-17", or a whole
    typed code (its check character checked); ``MalformedCode`` otherwise."""
    try:
        return read_typed_code(text).serial
    except OnlyTheNumber as number:
        return number.serial


def typed_code(serial: str, secret: str) -> str:
    """ "BCDFGH-17" and its secret -> "BCDFGH-17-K7N29-HX4FR-3PV23"."""
    digits = serial.replace("-", "") + secret
    tail = secret + check_character(digits, cycle=_CYCLE)
    return "-".join([serial, *(tail[i : i + GROUP] for i in range(0, len(tail), GROUP))])


def old_short_code(serial: str) -> str:
    """ "BCDFGH-17" -> "BCDFGH-17-K": a version 1 voucher's short code (no secret)."""
    return f"{serial}-{check_character(serial.replace('-', ''))}"


def check_character(text: str, *, cycle: int | None = None) -> str:
    """A weighted sum modulo 29 (a prime) over ``CHECK_ALPHABET``.

    Weights 2, 3, 4...; the check character itself weighs 1. Version 1 codes are at most 16
    characters; version 2 repeats the weights 2..28 (``cycle`` 27), so a weight is never 0
    modulo 29, never 1 (the check's), and never the same for two neighbours: every single typo
    and every swap of two neighbours is caught at any length.
    """
    n = len(CHECK_ALPHABET)
    if cycle is None:
        weights = (position + 2 for position in range(len(text)))
    else:
        weights = (position % cycle + 2 for position in range(len(text)))
    total = sum(
        weight * CHECK_ALPHABET.index(char) for weight, char in zip(weights, text, strict=True)
    )
    return CHECK_ALPHABET[-total % n]


def _secret_number(secret: str) -> int:
    if len(secret) != SECRET_LENGTH or any(char not in CHECK_ALPHABET for char in secret):
        raise ValueError("a voucher secret is 14 symbols of the check alphabet")
    number = 0
    for char in secret:
        number = number * len(CHECK_ALPHABET) + CHECK_ALPHABET.index(char)
    return number


def _secret_text(number: int) -> str:
    symbols = []
    for _ in range(SECRET_LENGTH):
        number, digit = divmod(number, len(CHECK_ALPHABET))
        symbols.append(CHECK_ALPHABET[digit])
    return "".join(reversed(symbols))


def _origin_number(origin: str) -> int:
    if len(origin) != ORIGIN_LETTERS or any(c not in ids.SCAN_ALPHABET for c in origin):
        raise ValueError(f"a kiosk origin is {ORIGIN_LETTERS} scanner-safe letters: {origin!r}")
    number = 0
    for char in origin:
        number = number * len(ids.SCAN_ALPHABET) + ids.SCAN_ALPHABET.index(char)
    return number


def _origin_letters(number: int) -> str:
    letters = []
    for _ in range(ORIGIN_LETTERS):
        number, digit = divmod(number, len(ids.SCAN_ALPHABET))
        letters.append(ids.SCAN_ALPHABET[digit])
    return "".join(reversed(letters))


def _day_number(day: date) -> int:
    return (day - EPOCH).days
