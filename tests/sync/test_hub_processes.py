"""Two hub OS processes on one PostgreSQL database (``kiosk hub serve`` twice, requests in
turn): what one process learnt, the other knows, so a replay or a double redemption sent to the
other process is refused as it would be by one hub. The kill-mid-push/pull, voucher and restore
tests run on them too (their modules are marked ``hub_processes``)."""

from __future__ import annotations

import pytest
from sync_fixtures import record_notes, send, sync_until_quiet

from sync.errors import HubRefused

pytestmark = [pytest.mark.both_stores, pytest.mark.hub_processes]


@pytest.mark.parametrize("hub", ["postgresql"], indirect=True)
def test_a_request_replayed_to_the_other_hub_process_is_refused(hub, make_kiosk):
    processes = hub.network.app.processes
    assert len({p.pid for p in processes}) == 2
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 3)
    sync_until_quiet([a, b])
    counter = a.client().next_counter()
    path = "/api/pull?after=0&limit=10"
    first = send(a, "GET", path, counter=counter)  # one process answers
    assert "events" in first
    with pytest.raises(HubRefused) as replay:  # the same signed request, to the other process
        send(a, "GET", path, counter=counter)
    assert (replay.value.status, replay.value.answer["error"]) == (401, "replayed")
    assert all(p.process is not None and p.process.poll() is None for p in processes)


@pytest.mark.parametrize("hub", ["postgresql"], indirect=True)
def test_the_hub_going_down_stops_both_processes_and_both_come_back(hub, make_kiosk):
    a = make_kiosk("a", enrol_at=hub)
    b = make_kiosk("b", enrol_at=hub)
    record_notes(a, 5)
    a.sync()
    before = [p.pid for p in hub.network.app.processes]
    hub.stop()
    assert all(p.process is None for p in hub.network.app.processes)
    hub.start()
    assert not set(before) & {p.pid for p in hub.network.app.processes}
    sync_until_quiet([a, b])
    assert b.state()["pull_cursor"] > 0
