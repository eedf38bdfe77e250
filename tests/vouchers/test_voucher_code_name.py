"""The code typed when the QR code will not scan has one name, the same on the kiosk's redeem
page and on the printed voucher, in both languages: a resident looks on the paper for the words
the screen asks for."""

from __future__ import annotations

import copy
import html
import re

import pytest
from app_fixtures import login, make_test_config
from printer_loopback import decode, network_settings

from kiosk import store
from printing import queue
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import load_profile
from printing.transports import make_printer
from printing.worker import print_pending

LABEL = re.compile(r'<label for="code">(.*?)</label>', re.S)
NAMES = {"fr": "Code du bon", "en": "Voucher code"}


@pytest.fixture(params=["fr", "en"])
def config(tmp_path, request):
    return make_test_config(tmp_path, kiosk={"language": request.param})


def test_the_code_has_the_same_name_on_screen_and_on_paper(
    config, client, db, building, tmp_path, loopback_printer
):
    language = config.language
    login(client, building.jeanne)
    page = client.get("/vouchers/redeem").get_data(as_text=True)
    label = html.unescape(LABEL.search(page).group(1)).strip()
    on_screen = label.split(" (")[0]

    settings = network_settings(loopback_printer, tmp_path, language=language)
    with store.write(db):
        queue.enqueue(db, "voucher", copy.deepcopy(SAMPLE_PAYLOADS["voucher"]))
    assert print_pending(db, make_printer(settings), settings) == 1
    data = loopback_printer.wait_for_connections(1)[-1]
    paper = decode(data, load_profile(settings.profile).get_code_pages())

    assert on_screen == NAMES[language]
    at = paper.lines.index(on_screen)  # the paper names the code with the screen's words
    assert paper.styles[at][0]  # in bold, as a heading over the code
    below = " ".join(paper.lines[at + 1 : at + 4])
    assert "BCDFGH-42" in below and "K7N29 HX4FR 3PV2T" in below
