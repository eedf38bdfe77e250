"""The wire form of a request from a resident's device (kiosk/home_requests.py): what a device
signs is what the kiosk checks; anything altered, re-signed by another key, or malformed is
refused, by shape or by signature."""

from __future__ import annotations

import json
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from kiosk import home_requests as hr


class Device:
    """A device as a browser's WebCrypto makes it: P-256, SPKI public key, r || s signatures."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        spki = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_key = hr.b64url(spki)
        self.id = hr.device_id(self.public_key)

    def sign(self, text: str) -> str:
        r, s = decode_dss_signature(self.key.sign(text.encode(), ec.ECDSA(hashes.SHA256())))
        return hr.b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def pair(self, secret: str, pairing: str = "pair1", kiosk: str = "K1") -> dict:
        body = {
            "v": 1,
            "id": str(uuid.uuid4()),
            "kind": "pair",
            "building": "B1",
            "made_at": "2026-12-03T10:00:00Z",
            "pairing": pairing,
            "kiosk": kiosk,
            "public_key": self.public_key,
            "label": "Téléphone de Jeanne",
            "proof": hr.pair_proof(secret, pairing, self.public_key),
        }
        text = json.dumps(body, ensure_ascii=False)
        return {"request": text, "signature": self.sign(text)}


def test_a_pairing_request_reads_and_its_signature_and_proof_verify():
    device = Device()
    request = hr.read_request(device.pair("s3cret"))
    assert request.kind == hr.PAIR and request.device == device.id
    hr.verify(request.body["public_key"], request.text, request.signature)
    assert hr.proof_matches("s3cret", "pair1", device.public_key, request.body["proof"])
    assert not hr.proof_matches("guess", "pair1", device.public_key, request.body["proof"])


def test_an_altered_request_or_another_key_does_not_verify():
    device, other = Device(), Device()
    wire = device.pair("s3cret")
    altered = wire["request"].replace("Jeanne", "Jeannot")
    with pytest.raises(hr.RequestRefused) as refused:
        hr.verify(device.public_key, altered, wire["signature"])
    assert refused.value.code == "bad_signature"
    with pytest.raises(hr.RequestRefused):
        hr.verify(other.public_key, wire["request"], wire["signature"])
    with pytest.raises(hr.RequestRefused):
        hr.verify(device.public_key, wire["request"], "AAAA")


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"request": 1, "signature": "x"},
        {"request": "not json", "signature": "x"},
        {"request": json.dumps({"v": 2}), "signature": "x"},
        {"request": json.dumps({"v": 1, "id": "nope", "kind": "pair"}), "signature": "x"},
        {"request": "x" * (hr.MAX_REQUEST_BYTES + 1), "signature": "x"},
    ],
)
def test_malformed_requests_are_refused_by_shape(data):
    with pytest.raises(hr.RequestRefused):
        hr.read_request(data)


def test_a_key_that_is_not_p256_is_refused():
    with pytest.raises(hr.RequestRefused) as refused:
        hr.load_public_key(hr.b64url(b"\x30\x03\x02\x01\x01"))
    assert refused.value.code == "bad_key"
    with pytest.raises(hr.RequestRefused):
        hr.read_request(
            {
                "request": json.dumps(
                    {
                        "v": 1,
                        "id": str(uuid.uuid4()),
                        "kind": "action",
                        "building": "B1",
                        "made_at": "x",
                        "device": "d",
                        "resident": "r",
                        "action": "no.such.action",
                        "fields": {},
                    }
                ),
                "signature": "x",
            }
        )


def test_declared_fields_are_checked_exactly():
    action = hr.HomeAction("t.x", {"title": str, "count": int}, {"note": str})
    action.check({"title": "a", "count": 2})
    action.check({"title": "a", "count": 2, "note": "n"})
    for bad in (
        {"title": "a"},
        {"title": "a", "count": True},
        {"title": "a", "count": 1, "x": 1},
        [],
    ):
        with pytest.raises(hr.RequestRefused):
            action.check(bad)
