"""Fixtures for the kiosk app: a config and database in a temporary folder, a test client,
a small building of residents, and helpers to log in and post forms with their CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest

from kiosk import clock, pin_hashing, store
from kiosk.app import create_app
from kiosk.config import make_config
from kiosk.ledger import exchanges
from kiosk.residents import residents
from kiosk.vouchers import vouchers
from kiosk.web import once

ROOT = Path(__file__).resolve().parent.parent  # the repository
PIN = "2580"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def fast_pin_hashing(monkeypatch):
    """PIN hashes' scrypt at a test-sized cost (the kiosk's is pin_hashing.COST; the pepper is
    what protects a PIN, and it is real here)."""
    monkeypatch.setattr(pin_hashing, "COST", 16)
    yield
    clock.reset()


def make_test_config(tmp_path, **sections):
    values = {"storage": {"data_dir": str(tmp_path / "data")}}
    for section, keys in sections.items():
        values.setdefault(section, {}).update(keys)
    return make_config(values)


@pytest.fixture
def config(tmp_path):
    return make_test_config(tmp_path)


@pytest.fixture
def app(config):
    app = create_app(config)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    database = store.connect(app.config["KIOSK"].database_path)
    yield database
    database.close()


@dataclass
class Building:
    admin: residents.Resident
    jeanne: residents.Resident
    paul: residents.Resident
    pending: residents.Resident
    suspended: residents.Resident


@pytest.fixture
def building(db) -> Building:
    return Building(
        admin=residents.register(db, apartment="A-001", name="Claire Petit", pin=PIN, role="admin"),
        jeanne=residents.register(db, apartment="B-204", name="Jeanne Martin", pin=PIN),
        paul=residents.register(db, apartment="A-101", name="Paul Durand", pin=PIN),
        pending=residents.register(
            db, apartment="C-301", name="Nouveau Voisin", pin=PIN, status="pending"
        ),
        suspended=residents.register(
            db, apartment="C-302", name="Ancien Voisin", pin=PIN, status="suspended"
        ),
    )


def csrf_token(client, path: str = "/") -> str:
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client, path: str, data: dict | None = None, **kwargs):
    """POST a form as the browser would: with the page's CSRF token and, when a resident is
    logged in, a fresh one-time key (the form drawn for them carries one: kiosk/web/once.py)."""
    form = {"csrf_token": csrf_token(client)}
    key = once_key(client)
    if key is not None:
        form[once.FIELD] = key
    form.update(data or {})
    return client.post(path, data=form, **kwargs)


def once_key(client, resident_id: str | None = None) -> str | None:
    """A one-time key as a form drawn for ``resident_id`` (default: the one logged in) holds."""
    if resident_id is None:
        with client.session_transaction() as session:
            resident_id = session.get("resident_id")
    if resident_id is None:
        return None
    with client.application.test_request_context():
        return once.new_key(resident_id)


def login(client, resident, pin: str = PIN):
    response = post(client, "/login/choose", {"resident_id": resident.id})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = post(client, "/login/pin", {"pin": pin})
    assert response.status_code == 302 and response.location.endswith("/me/"), response.get_data(
        as_text=True
    )
    return response


def text_of(response) -> str:
    """The page's HTML with entities decoded, to assert on what a person reads."""

    return unescape(response.get_data(as_text=True))


def jeanne_prints_a_voucher(db, config, building, *, earned: int, amount: int):
    """Paul pays Jeanne ``earned`` hundredths for hems; she prints one voucher of ``amount``.
    Returns the voucher with its paper (``qr``, ``typed_code``), as the printer gets it."""
    exchanges.record_exchange(
        db,
        config,
        payer_id=building.paul.id,
        payee_id=building.jeanne.id,
        description="Ourlets",
        amount=earned,
    )
    (voucher,) = vouchers.issue_vouchers(
        db, config, resident_id=building.jeanne.id, counts={amount: 1}
    )
    return voucher
