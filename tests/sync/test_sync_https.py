"""Sync over HTTPS, as on the internet: a hub whose certificate is signed by the association's
own certificate authority (``[sync] ca_bundle``). The kiosk enrols and syncs through TLS, and
refuses a hub it cannot verify (unknown authority, wrong name) without sending anything."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sync_fixtures import shared_snapshot, sync_until_quiet
from werkzeug.serving import make_server

from kiosk import store
from kiosk.ledger import exchanges
from kiosk.residents import residents
from sync import state as sync_state
from sync.enrolment import enrol
from sync.errors import SyncError
from sync.hub.app import create_hub_app
from sync.hub.kiosks import create_enrol_code
from sync.hub.schema import connect_hub

PIN = "2580"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str, issuer_key, issuer_name, public_key, *, ca: bool, sans=()
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class Authority:
    """A private certificate authority and the hub's certificate it signed."""

    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def make_authority(folder: Path, *, hub_names: tuple[str, ...] = ("127.0.0.1",)) -> Authority:
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate(
        "Association test CA", ca_key, _name("Association test CA"), ca_key.public_key(), ca=True
    )
    hub_key = ec.generate_private_key(ec.SECP256R1())
    sans = [
        x509.IPAddress(ipaddress.ip_address(n)) if n[0].isdigit() else x509.DNSName(n)
        for n in hub_names
    ]
    hub_cert = _certificate(
        "hub", ca_key, ca_cert.subject, hub_key.public_key(), ca=False, sans=sans
    )
    paths = Authority(folder / "ca.pem", folder / "hub.pem", folder / "hub.key")
    paths.ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths.cert_pem.write_bytes(hub_cert.public_bytes(serialization.Encoding.PEM))
    paths.key_pem.write_bytes(
        hub_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@dataclass
class TlsHub:
    path: Path
    url: str

    def enrol_code(self, building: str) -> str:
        db = connect_hub(self.path)
        try:
            return create_enrol_code(db, building)
        finally:
            db.close()


def serve_tls(app, authority: Authority) -> tuple[object, threading.Thread, int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(authority.cert_pem, authority.key_pem)
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    return server, thread, server.server_port


@pytest.fixture
def authority(tmp_path) -> Authority:
    return make_authority(tmp_path / "pki")


@pytest.fixture
def tls_hub(tmp_path, authority) -> Iterator[TlsHub]:
    path = tmp_path / "hub" / "hub.sqlite3"
    server, thread, port = serve_tls(create_hub_app(path), authority)
    yield TlsHub(path=path, url=f"https://127.0.0.1:{port}")
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_two_kiosks_sync_through_an_https_hub_signed_by_the_associations_authority(
    tls_hub, authority, make_kiosk
):
    a = make_kiosk("a", sync={"ca_bundle": str(authority.ca_pem)})
    b = make_kiosk("b", sync={"ca_bundle": str(authority.ca_pem)})
    for kiosk in (a, b):
        enrol(kiosk.db, kiosk.config, tls_hub.url, tls_hub.enrol_code("Résidence des Tilleuls"))
    jeanne = residents.register(a.db, apartment="B-204", name="Jeanne Martin", pin=PIN)
    paul = residents.register(a.db, apartment="A-101", name="Paul Durand", pin=PIN)
    exchanges.record_exchange(
        a.db, a.config, payer_id=jeanne.id, payee_id=paul.id, description="Ourlet", minutes=30
    )
    assert a.sync().pushed > 0
    assert b.sync().applied > 0
    sync_until_quiet([a, b])
    assert shared_snapshot(a.db) == shared_snapshot(b.db)
    assert store.scalar(b.db, "SELECT balance FROM accounts WHERE label = 'A-101'") == 500


def test_a_kiosk_refuses_a_hub_whose_certificate_it_cannot_verify(tls_hub, authority, make_kiosk):
    trusting_nobody = make_kiosk("plain")  # the system's authorities: ours is not one of them
    with pytest.raises(SyncError, match="CERTIFICATE_VERIFY_FAILED"):
        enrol(
            trusting_nobody.db,
            trusting_nobody.config,
            tls_hub.url,
            tls_hub.enrol_code("Résidence des Tilleuls"),
        )
    assert not sync_state.is_enrolled(trusting_nobody.db)
    db = connect_hub(tls_hub.path)
    try:  # nothing reached the hub: the kiosk is not enrolled there either
        assert (
            store.scalar(
                db, "SELECT COUNT(*) FROM kiosks WHERE origin = ?", (trusting_nobody.origin,)
            )
            == 0
        )
    finally:
        db.close()


def test_a_kiosk_refuses_a_certificate_made_out_to_another_name(tmp_path, make_kiosk):
    elsewhere = make_authority(tmp_path / "other-pki", hub_names=("hub.example.org",))
    server, thread, port = serve_tls(create_hub_app(tmp_path / "hub2" / "hub.sqlite3"), elsewhere)
    try:
        kiosk = make_kiosk("k", sync={"ca_bundle": str(elsewhere.ca_pem)})
        hub = TlsHub(path=tmp_path / "hub2" / "hub.sqlite3", url=f"https://127.0.0.1:{port}")
        with pytest.raises(SyncError, match="IP address mismatch|doesn't match|mismatch"):
            enrol(kiosk.db, kiosk.config, hub.url, hub.enrol_code("Résidence des Tilleuls"))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
