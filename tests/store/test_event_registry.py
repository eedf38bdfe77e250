"""The registry of event types: every type declared once, with its scope, authority and payload
check; recording an undeclared type or a payload its check refuses writes nothing."""

from __future__ import annotations

import json

import pytest

from kiosk import demo, store
from kiosk.home_requests import device_id
from kiosk.residents import residents
from kiosk.store.registry import (
    SCOPES,
    About,
    Authority,
    PayloadRefused,
    UnknownEventType,
    registry,
)

DECLARED = sorted(declared.name for declared in registry)


def test_the_demo_building_records_only_payloads_that_pass_their_check(db, config):
    demo.populate(db, config, exchanges=40)
    rows = store.query(db, "SELECT type, scope, payload FROM events")
    assert {row["type"] for row in rows} >= {
        "resident.registered",
        "resident.pin_set",
        "transfer.recorded",
    }
    for row in rows:
        declared = registry.get(row["type"])
        assert row["scope"] == declared.scope
        assert declared.payload.problem(json.loads(row["payload"])) is None, row["type"]


def a_good_payload(name: str) -> dict:
    """Every required field of ``name`` with a value of its first declared type (texts differ
    from field to field: a transfer's two accounts are two accounts)."""
    samples = {int: 7, bool: True, list: [], dict: {}}
    payload = {}
    for field, types in registry.get(name).payload.fields.items():
        first = types[0] if isinstance(types, tuple) else types
        payload[field] = f"{field}-value" if first is str else samples[first]
    return payload | SAMPLE_VALUES.get(name, {})


# Texts a type's rule (its ``valid`` predicate) asks to be of a form.
_KEY = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE" + "A" * 86  # an SPKI of P-256's form
SAMPLE_VALUES = {
    "resident.contact_set": {"email": "jeanne@example.org", "language": "fr"},
    "device.paired": {"public_key": _KEY, "device_id": device_id(_KEY), "label": "Phone"},
    "device.removed": {"reason": "resident"},
    "home.request_answered": {"outcome": "applied", "message": ""},
}


def a_value_not_of(types) -> object:
    allowed = types if isinstance(types, tuple) else (types,)
    return next(value for value in ("42", 42, 1.5) if type(value) not in allowed)


@pytest.mark.parametrize("name", DECLARED)
def test_every_type_refuses_a_payload_missing_or_mistyping_a_required_field(name):
    declared = registry.get(name)
    good = a_good_payload(name)
    assert declared.payload.problem(good) is None
    for field, types in declared.payload.fields.items():
        missing = {key: value for key, value in good.items() if key != field}
        with pytest.raises(PayloadRefused, match=f"{field} is missing"):
            declared.check(missing)
        with pytest.raises(PayloadRefused, match=f"{field} must be"):
            declared.check({**good, field: a_value_not_of(types)})
    for field, types in declared.payload.optional.items():
        with pytest.raises(PayloadRefused, match=f"{field} must be"):
            declared.check({**good, field: a_value_not_of(types)})


def test_recording_an_undeclared_type_or_a_refused_payload_changes_nothing(db):
    claire = residents.register(db, apartment="A-001", name="Claire Petit", pin="2580")
    louis = residents.register(db, apartment="A-002", name="Louis Martin", pin="2580")
    before = store.projection_snapshot(db)
    events_before = store.scalar(db, "SELECT COUNT(*) FROM events")
    transfer = {
        "kind": "exchange",
        "debit_account": claire.account_id,
        "credit_account": louis.account_id,
    }
    refused = [
        ("resident.renamed", {"resident_id": claire.id, "name": "Claire P."}, "unknown event"),
        ("resident.updated", {"name": "Claire P."}, "resident_id is missing"),
        ("resident.updated", {"resident_id": claire.id, "name": 5}, "name must be str"),
        ("transfer.recorded", {**transfer, "amount": "5000"}, "amount must be int"),
        ("transfer.recorded", {**transfer, "amount": -5000}, "a positive amount"),
        (
            "transfer.recorded",
            {**transfer, "credit_account": claire.account_id, "amount": 5000},
            "two different accounts",
        ),
    ]
    for event_type, payload, why in refused:
        with pytest.raises((UnknownEventType, PayloadRefused), match=why), store.write(db):
            store.record(db, event_type, payload)
    assert store.scalar(db, "SELECT COUNT(*) FROM events") == events_before
    assert store.projection_snapshot(db) == before
    assert residents.get(db, claire.id).name == "Claire Petit"
    assert residents.get(db, claire.id).balance == 0 == residents.get(db, louis.id).balance


def test_who_may_emit_each_type_is_data_a_program_reads():
    pin = registry.get("resident.pin_set")
    assert (pin.scope, pin.authority) == ("private", Authority.THIS_KIOSK)
    renamed = registry.get("resident.updated")
    assert (renamed.scope, renamed.authority) == ("building", Authority.HOME_BUILDING)
    assert renamed.about == About("resident", "resident_id")
    assert renamed.about.entity_id({"resident_id": "r7", "name": "Zoé"}) == "r7"
    redeemed = registry.get("voucher.redeemed")
    assert (redeemed.scope, redeemed.authority) == ("network", Authority.ANY_KIOSK)
    assert redeemed.about == About("voucher", "serial")
    # Only the issuing kiosk announces or cancels its vouchers.
    for name in ("voucher.issued", "voucher.cancelled"):
        voucher = registry.get(name)
        assert (voucher.scope, voucher.authority) == ("network", Authority.NAMED_KIOSK)
        assert voucher.about == About("kiosk", "issuer_origin")
    assert registry.get("voucher.settlement_rejected").authority is Authority.HUB
    transfer = registry.get("transfer.recorded")
    assert transfer.about == About("account", "debit_account")


def test_every_type_is_declared_once_in_the_projections_of_a_kiosk_package():
    assert len(DECLARED) == len(set(DECLARED)) == len(registry)
    for declared in registry:
        assert declared.scope in SCOPES
        assert (declared.scope == "private") == (declared.authority is Authority.THIS_KIOSK)
        if declared.authority in (Authority.HOME_BUILDING, Authority.NAMED_KIOSK):
            assert declared.about is not None, declared.name
        projector = declared.bulk_projector or declared.projector
        if projector is not None:
            module = projector.__module__
            in_projections = module.endswith(".projections") or ".projections." in module
            assert module.startswith("kiosk.") and in_projections, declared.name
    with pytest.raises(ValueError, match="declared twice"):
        registry.declare(registry.get("resident.updated"))
    assert len(registry) == len(DECLARED)


def test_the_projection_tables_are_those_the_declared_types_write(db):
    tables = registry.projection_tables()
    assert len(tables) == len(set(tables))
    assert {"residents", "accounts", "transfers", "vouchers", "kiosk_keys"} <= set(tables)
    assert set(tables) <= set(db.table_names())
    assert "print_jobs" not in tables  # device state, not rebuilt from the log
