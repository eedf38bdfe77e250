"""What a voucher event must prove where it enters (the hub on push, every kiosk on pull): its
fields are well formed, its issuing kiosk signed it (commitment included), and a redemption
shows the opening of the commitment, proof that the redeeming kiosk read the paper
(kiosk/vouchers/codes.py). Declared with the types in kiosk/vouchers/projections.py; run by
kiosk/store/authority.py with the public keys the receiver knows of each kiosk."""

from __future__ import annotations

from kiosk.vouchers import codes

_HEX = frozenset("0123456789abcdef")


def _hex(value, digits: int) -> bool:
    return value is None or (type(value) is str and len(value) == digits and set(value) <= _HEX)


def well_formed(payload) -> bool:
    """a voucher's number and amount are positive; its commitment and opening are 64 lowercase
    hex digits, its building hash 8"""
    return (
        _hex(payload.get("commitment"), 64)
        and _hex(payload.get("opening"), 64)
        and _hex(payload.get("building_hash"), 8)
        and payload.get("voucher_seq", 1) > 0
        and payload.get("amount", 1) > 0
    )


def _signed_code(payload) -> codes.VoucherCode:
    """The voucher an event describes, as its issuer signed it. The building's hash is the one
    the payload names, else the one in the old code an event of version 1 carried, else that
    of the building's name."""
    building_hash = payload.get("building_hash")
    if building_hash:
        signed_building = bytes.fromhex(building_hash)
    elif "qr" in payload:
        signed_building = codes.read_code(payload["qr"]).building_hash
    else:
        signed_building = codes.building_hash(payload["building"])
    return codes.code_of_fields(payload, signed_building)


def issuer_signed(payload, keys_of) -> str | None:
    """A voucher announced is one its issuing kiosk signed (commitment included, for a voucher
    with a secret)."""
    return _voucher_problem(payload, keys_of, redeemed=False)


def paper_read(payload, keys_of) -> str | None:
    """A voucher redeemed is one its issuer signed, and the redemption of a voucher with a
    secret shows the opening of its commitment: the kiosk read the paper. A version 1 voucher
    (printed before secret codes) has no secret to show: its whole code was in every event."""
    return _voucher_problem(payload, keys_of, redeemed=True)


def _voucher_problem(payload, keys_of, *, redeemed: bool) -> str | None:
    if payload["serial"] != f"{payload['issuer_origin']}-{payload['voucher_seq']}":
        return "its serial is not its issuer's number"
    try:
        code = _signed_code(payload)
    except (ValueError, TypeError):
        return "its signed fields cannot be read"
    if redeemed and code.commitment is not None:
        opened = payload.get("opening")
        if opened is None:
            return "a redemption must show that the paper was read (its opening)"
        if codes.commitment_of_opening(code.serial, bytes.fromhex(opened)) != code.commitment:
            return "its opening does not match the voucher's commitment: the paper was not read"
    keys = keys_of(code.issuer_origin)
    if keys is None:
        return None  # not known here yet: the hub, which knows every kiosk, checked it
    if not any(code.is_signed_by(key) for key in keys):
        return f"voucher {code.serial} is not signed by its issuing kiosk"
    return None
