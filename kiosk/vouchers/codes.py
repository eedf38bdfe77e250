"""What is printed on a voucher: the signed QR code and the short code typed by hand.

The QR code must survive a USB scanner typing it in the wrong keyboard layout, so it is "KV"
followed by letters of ``ids.SCAN_ALPHABET`` only: a compact binary structure written with
``ids.encode_scan_safe``::

    version      1 byte   (1)
    issuer       4 bytes  the issuing kiosk's 6-letter origin, as a base-19 number
    seq          4 bytes  the issuer's voucher sequence (serial = ORIGIN-SEQ)
    amount       4 bytes  CEEC hundredths
    issued_on    2 bytes  day number since 2020-01-01
    expires_on   2 bytes  day number, last valid day
    building     4 bytes  first bytes of SHA-256 of the building's name
    signature   64 bytes  Ed25519 by the issuer's key over CONTEXT + the 21 bytes above

That is 85 bytes, about 160 letters. Any kiosk that holds the issuer's public key (the
``kiosk.key_published`` event) tells a genuine voucher from a forged or altered one offline.

The short code "ORIGIN-SEQ-C" names the serial with a check character (weighted sum modulo 29
over the digits and scanner-safe letters); it finds a voucher the kiosk already knows when the QR code is
damaged.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk import ids

PREFIX = "KV"
VERSION = 1
EPOCH = date(2020, 1, 1)
CONTEXT = b"ceec-voucher\x00"  # a voucher signature can never pass for another message's
SIGNATURE_BYTES = 64
_BODY = struct.Struct(">BIIIHH4s")
ORIGIN_LETTERS = 6

CHECK_ALPHABET = "0123456789" + ids.SCAN_ALPHABET  # 29 symbols
_SHORT_CODE = re.compile(r"^([A-Z]{6})-?(\d{1,9})-?([0-9A-Z])$")


class MalformedCode(ValueError):
    """Not a voucher code this kiosk can read (wrong letters, length, version)."""


@dataclass(frozen=True)
class VoucherCode:
    """The fields a voucher's QR code carries, and their signature."""

    issuer_origin: str
    seq: int
    amount: int
    issued_on: date
    expires_on: date
    building_hash: bytes
    signature: bytes

    @property
    def serial(self) -> str:
        return f"{self.issuer_origin}-{self.seq}"

    @property
    def short_code(self) -> str:
        return short_code(self.serial)

    def body(self) -> bytes:
        """The canonical bytes the signature covers (without the context)."""
        return _BODY.pack(
            VERSION,
            _origin_number(self.issuer_origin),
            self.seq,
            self.amount,
            _day_number(self.issued_on),
            _day_number(self.expires_on),
            self.building_hash,
        )

    def text(self) -> str:
        """The QR code's content: "KV" and scanner-safe letters."""
        return PREFIX + ids.encode_scan_safe(self.body() + self.signature)

    def is_signed_by(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(self.signature, CONTEXT + self.body())
        except InvalidSignature:
            return False
        return True


def building_hash(name: str) -> bytes:
    return hashlib.sha256(unicodedata.normalize("NFC", name).encode("utf-8")).digest()[:4]


def sign_voucher(
    key: Ed25519PrivateKey,
    *,
    issuer_origin: str,
    seq: int,
    amount: int,
    issued_on: date,
    expires_on: date,
    building: str,
) -> VoucherCode:
    """A new voucher's code, signed with the issuing kiosk's private key."""
    unsigned = VoucherCode(
        issuer_origin, seq, amount, issued_on, expires_on, building_hash(building), b""
    )
    return VoucherCode(
        issuer_origin,
        seq,
        amount,
        issued_on,
        expires_on,
        unsigned.building_hash,
        key.sign(CONTEXT + unsigned.body()),
    )


def read_code(text: str) -> VoucherCode:
    """A scanned "KV..." code back into its fields; ``MalformedCode`` if it is not one.

    The signature is not checked here (see ``VoucherCode.is_signed_by``).
    """
    text = "".join((text or "").split()).upper()
    if not text.startswith(PREFIX) or len(text) > 400:
        raise MalformedCode("not a voucher code")
    try:
        raw = ids.decode_scan_safe(text[len(PREFIX) :])
    except ValueError as exc:
        raise MalformedCode(str(exc)) from None
    if len(raw) != _BODY.size + SIGNATURE_BYTES:
        raise MalformedCode(f"{len(raw)} bytes, expected {_BODY.size + SIGNATURE_BYTES}")
    version, origin, seq, amount, issued, expires, building = _BODY.unpack(raw[: _BODY.size])
    if version != VERSION:
        raise MalformedCode(f"unknown voucher version {version}")
    if seq == 0 or amount == 0 or origin >= len(ids.SCAN_ALPHABET) ** ORIGIN_LETTERS:
        raise MalformedCode("impossible voucher fields")
    return VoucherCode(
        _origin_letters(origin),
        seq,
        amount,
        EPOCH + timedelta(days=issued),
        EPOCH + timedelta(days=expires),
        building,
        raw[_BODY.size :],
    )


def short_code(serial: str) -> str:
    """ "BCDFGH-17" -> "BCDFGH-17-K": the serial and its check character."""
    return f"{serial}-{check_character(serial.replace('-', ''))}"


def serial_of_short_code(text: str) -> str:
    """The serial named by a typed short code; ``MalformedCode`` on a typo."""
    cleaned = "".join((text or "").split()).upper()
    match = _SHORT_CODE.match(cleaned)
    if not match:
        raise MalformedCode("not a short code")
    origin, seq, check = match.groups()
    seq = str(int(seq))
    if any(letter not in ids.SCAN_ALPHABET for letter in origin):
        raise MalformedCode("not a kiosk origin")
    if check_character(origin + seq) != check:
        raise MalformedCode("wrong check character")
    return f"{origin}-{seq}"


def check_character(text: str) -> str:
    """A weighted sum modulo 29 (a prime) over ``CHECK_ALPHABET``, weights 2, 3, 4...: catches
    every single-character typo and every swap of two neighbours (up to 27 characters)."""
    n = len(CHECK_ALPHABET)
    total = sum((position + 2) * CHECK_ALPHABET.index(char) for position, char in enumerate(text))
    return CHECK_ALPHABET[-total % n]


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
