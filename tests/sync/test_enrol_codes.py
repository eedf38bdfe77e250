"""An enrolment code the hub cannot take is refused with the real reason, in the hub's own
times: expired by the hub's clock (a clock run ahead, or a code simply too old), made later
than the hub's clock now reads (a clock gone back, as on a Pi without a real-time clock after a
power cut), already used, or unknown. The kiosk's volunteer reads that reason where the
enrolment failed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from click.testing import CliRunner

from kiosk import clock
from sync.cli import enrol_command
from sync.enrolment import enrol
from sync.errors import HubRefused
from sync.hub.kiosks import ENROL_CODE_DAYS

DAY = 24 * 3600
TILLEULS = "Résidence des Tilleuls"


@pytest.fixture(autouse=True)
def clock_back_in_place():
    yield
    clock.reset()


def try_to_enrol(kiosk, hub, code) -> HubRefused:
    with pytest.raises(HubRefused) as refused:
        enrol(kiosk.db, kiosk.config, hub.url, code)
    assert refused.value.status == 403 and refused.value.code == "bad_code"
    return refused.value


def test_a_hub_whose_clock_ran_ahead_says_the_code_expired_by_its_clock_and_what_it_reads(
    hub, make_kiosk
):
    code = hub.enrol_code(TILLEULS)
    expires = (clock.now() + timedelta(days=ENROL_CODE_DAYS)).strftime("%Y-%m-%d")
    clock.shift((ENROL_CODE_DAYS + 30) * DAY)  # the hub's clock jumps a month ahead
    refused = try_to_enrol(make_kiosk("lobby"), hub, code)
    message = str(refused)
    assert "expired at" in message and "by the hub's clock, which reads" in message
    assert re.search(rf"expired at {expires} \d\d:\d\d UTC", message)
    assert clock.now().strftime("%Y-%m-%d %H:%M UTC") in message  # what the hub's clock reads
    assert refused.answer["reason"] == "expired" and "hub_clock" in refused.answer
    assert "unknown, used or expired" not in message  # not the old, misleading words


def test_a_hub_whose_clock_went_back_says_so_instead_of_taking_the_code(hub, make_kiosk):
    code = hub.enrol_code(TILLEULS)
    clock.shift(-3 * DAY)  # a power cut, no real-time clock: the hub restarts in the past
    refused = try_to_enrol(make_kiosk("lobby"), hub, code)
    assert "the hub's clock went back" in str(refused)
    assert refused.answer["reason"] == "clock_behind"
    # Once the clock is right again, the same code enrols the kiosk.
    clock.reset()
    lobby = make_kiosk("lobby2")
    assert enrol(lobby.db, lobby.config, hub.url, code)["building"] == TILLEULS


def test_a_code_made_and_used_on_a_consistently_wrong_clock_still_enrols(hub, make_kiosk):
    clock.shift(400 * DAY)  # wrong, but the same clock made the code: its week is intact
    code = hub.enrol_code(TILLEULS)
    kiosk = make_kiosk("lobby")
    assert enrol(kiosk.db, kiosk.config, hub.url, code)["building"] == TILLEULS


def test_a_used_code_and_an_unknown_code_say_which(hub, make_kiosk):
    code = hub.enrol_code(TILLEULS)
    lobby = make_kiosk("lobby")
    enrol(lobby.db, lobby.config, hub.url, code)
    used = try_to_enrol(make_kiosk("room"), hub, code)
    assert "already used, on" in str(used) and used.answer["reason"] == "used"
    unknown = try_to_enrol(make_kiosk("cellar"), hub, "BCDF-GHJK-LNPR")
    assert "unknown to this hub" in str(unknown) and unknown.answer["reason"] == "unknown"


def test_the_volunteer_at_the_kiosk_reads_the_hubs_reason(hub, make_kiosk):
    code = hub.enrol_code(TILLEULS)
    clock.shift(10 * DAY)
    kiosk = make_kiosk("lobby")
    result = CliRunner().invoke(enrol_command, [hub.url, code], obj={"config": kiosk.config})
    assert result.exit_code != 0
    assert "expired at" in result.output and "by the hub's clock, which reads" in result.output
