"""A kiosk set up with another building's name than its enrolment code's is refused at
enrolment, with both names, instead of having everything it sends refused later."""

from __future__ import annotations

import pytest

from kiosk import store
from sync.enrolment import enrol
from sync.errors import HubRefused


def test_a_kiosk_configured_for_another_building_is_refused_at_enrolment(hub, make_kiosk):
    kiosk = make_kiosk("typo", building="Residence des Tilleuls")  # the accent forgotten
    code = hub.enrol_code("Résidence des Tilleuls")
    with pytest.raises(HubRefused) as refused:
        enrol(kiosk.db, kiosk.config, hub.url, code)
    message = str(refused.value)
    assert "'Résidence des Tilleuls'" in message and "'Residence des Tilleuls'" in message
    db = hub.db
    try:
        assert (
            store.scalar(db, "SELECT COUNT(*) FROM kiosks WHERE origin = ?", (kiosk.origin,)) == 0
        )
        assert store.scalar(db, "SELECT used_at FROM enrol_codes") is None  # still usable
    finally:
        db.close()
    kiosk.config["building"]["name"] = "Résidence des Tilleuls"
    enrol(kiosk.db, kiosk.config, hub.url, code)  # mended: the same code now works
    assert kiosk.sync().pushed >= 1
