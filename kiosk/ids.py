"""Identifiers: UUIDv7 for events and rows, scanner-safe tokens for cards and kiosks.

USB QR scanners type like a keyboard in the host's layout. A scanner set to QWERTY on an AZERTY
kiosk turns digits into "&é\"'(" and swaps A/Q, Z/W and M. Upper-case letters that sit on the
same key in both layouts survive the mismatch, so every code a scanner reads is made of them.
"""

from __future__ import annotations

import os
import secrets
import time
import uuid

# Same key, same letter in AZERTY and QWERTY; I and O dropped as they read like 1 and 0.
SCAN_ALPHABET = "BCDEFGHJKLNPRSTUVXY"


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 version 7) as a string."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    return str(uuid.UUID(int=_uuid7_int(ms, rand)))


def _uuid7_int(ms: int, rand: int) -> int:
    rand_a = (rand >> 62) & 0xFFF
    rand_b = rand & ((1 << 62) - 1)
    return ((ms & ((1 << 48) - 1)) << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b


def scan_token(length: int, prefix: str = "") -> str:
    """A random code of ``length`` scanner-safe letters after ``prefix``."""
    return prefix + "".join(secrets.choice(SCAN_ALPHABET) for _ in range(length))


def encode_scan_safe(data: bytes) -> str:
    """Bytes as scanner-safe letters (base 19, with the leading-zero count kept)."""
    number = int.from_bytes(b"\x01" + data, "big")
    out = []
    base = len(SCAN_ALPHABET)
    while number:
        number, digit = divmod(number, base)
        out.append(SCAN_ALPHABET[digit])
    return "".join(reversed(out))


def looks_like_scan(text: str | None, prefix: str, *, min_length: int = 60) -> bool:
    """Whether ``text`` is a long code a scanner typed: ``prefix`` then scanner-safe letters
    only (a voucher's QR code is about 160). A code typed by hand always holds figures."""
    text = "".join((text or "").split()).upper()
    return (
        text.startswith(prefix)
        and len(text) >= min_length
        and all(char in SCAN_ALPHABET for char in text[len(prefix) :])
    )


def decode_scan_safe(text: str) -> bytes:
    """Inverse of ``encode_scan_safe``; raises ``ValueError`` on a foreign character."""
    base = len(SCAN_ALPHABET)
    number = 0
    for char in text.upper():
        digit = SCAN_ALPHABET.find(char)
        if digit < 0:
            raise ValueError(f"not a scanner-safe character: {char!r}")
        number = number * base + digit
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    if not raw or raw[0] != 1:
        raise ValueError("not a scanner-safe code")
    return raw[1:]
