"""A resident's device as a browser's WebCrypto makes it (P-256, SPKI public key, r || s
signatures), and the requests it sends (kiosk/home_requests.py), for tests that play a phone
without a browser, or a hostile one."""

from __future__ import annotations

import json
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from kiosk import home_requests as hr

MADE_AT = "2026-12-03T10:00:00Z"


class Device:
    def __init__(self, label: str = "Téléphone de Jeanne") -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        spki = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key = hr.b64url(spki)
        self.id = hr.device_id(self.public_key)
        self.label = label

    def sign(self, text: str) -> str:
        r, s = decode_dss_signature(self.key.sign(text.encode(), ec.ECDSA(hashes.SHA256())))
        return hr.b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def wire(self, body: dict) -> dict:
        text = json.dumps(body, ensure_ascii=False)
        return {"request": text, "signature": self.sign(text)}

    def pair(self, building: str, kiosk: str, pairing: str, secret: str, **extra) -> dict:
        """The pairing request a phone that read the kiosk's QR code sends."""
        return self.wire(
            {
                "v": 1,
                "id": str(uuid.uuid4()),
                "kind": "pair",
                "building": building,
                "made_at": MADE_AT,
                "pairing": pairing,
                "kiosk": kiosk,
                "public_key": self.public_key,
                "label": self.label,
                "proof": hr.pair_proof(secret, pairing, self.public_key),
                **extra,
            }
        )

    def action(self, building: str, resident: str, action: str, fields: dict, **extra) -> dict:
        """A signed action request of this device for ``resident``."""
        return self.wire(
            {
                "v": 1,
                "id": str(uuid.uuid4()),
                "kind": "action",
                "building": building,
                "made_at": MADE_AT,
                "device": self.id,
                "resident": resident,
                "action": action,
                "fields": fields,
                **extra,
            }
        )
