"""The wire form of a request from a resident's device (kiosk/home_requests.py): what a device
signs is what the kiosk checks; anything altered, re-signed by another key, or malformed is
refused, by shape or by signature."""

from __future__ import annotations

import json
import uuid

import pytest
from device_keys import Device

from kiosk import home_requests as hr


def test_a_pairing_request_reads_and_its_signature_and_proof_verify():
    device = Device()
    request = hr.read_request(device.pair("B1", "K1", "pair1", "s3cret"))
    assert request.kind == hr.PAIR and request.device == device.id
    hr.verify(request.body["public_key"], request.text, request.signature)
    assert hr.proof_matches("s3cret", "pair1", device.public_key, request.body["proof"])
    assert not hr.proof_matches("guess", "pair1", device.public_key, request.body["proof"])


def test_an_altered_request_or_another_key_does_not_verify():
    device, other = Device(), Device()
    wire = device.pair("B1", "K1", "pair1", "s3cret")
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
