"""The kiosk keeps one HTTP connection to the hub for a whole sync run (hundreds of requests
during a catch-up), reopens it once when the hub closed it meanwhile, and leaves nothing open
after the run."""

from __future__ import annotations

import pytest
from sync_fixtures import record_notes, shared_snapshot

from sync.connection import HubConnection
from sync.errors import HubUnreachable, SyncError


def test_a_whole_sync_run_goes_over_one_kept_connection_closed_at_the_end(hub, make_kiosk):
    a = make_kiosk("a", batch_size=100, enrol_at=hub)
    b = make_kiosk("b", batch_size=100, enrol_at=hub)
    record_notes(a, 1200)
    for kiosk in (a, b):
        hub.network.client_ports.clear()
        client = kiosk.client()
        client.sync()
        assert len(hub.network.client_ports) > 12  # 13 pushes of 100 for a, 13 pages for b
        assert len(set(hub.network.client_ports)) == 1
        assert client.connection._conn is None  # nothing left open behind the run
    assert shared_snapshot(b.db)["residents"] == shared_snapshot(a.db)["residents"]


def test_single_requests_outside_a_run_close_their_connection(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    client = a.client()
    hub.network.client_ports.clear()
    client.signed("GET", "/api/status")
    client.signed("GET", "/api/status")
    assert len(set(hub.network.client_ports)) == 2
    assert client.connection._conn is None


def test_a_kept_connection_the_hub_closed_is_opened_again_once(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    record_notes(a, 3)
    client = a.client()
    hub.network.client_ports.clear()
    with client.connection.kept_open():
        assert client.signed("GET", "/api/status")["origin"] == a.origin
        hub.stop()  # the hub restarts: every connection it had is closed
        hub.start()
        assert client.push() == 5  # the first request finds the kept connection closed
    assert len(set(hub.network.client_ports)) == 2
    assert client.connection._conn is None
    assert client.signed("GET", "/api/status")["acked_seq"] == a.state()["acked_seq"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hub.example.org:99999", "is not valid"),
        ("http://[::1", "is not valid"),
        ("https://", "names no host"),
        ("ftp://hub.example.org", "no hub address"),
    ],
)
def test_a_hub_address_that_cannot_work_is_refused_with_a_clear_message(url, message):
    with pytest.raises(SyncError, match=message):
        HubConnection(url, timeout=1)


def test_a_host_name_too_long_to_look_up_means_the_hub_cannot_be_reached():
    with pytest.raises(HubUnreachable):
        HubConnection("http://" + "a" * 5000, timeout=1).send("GET", "/api/status", None, {})
