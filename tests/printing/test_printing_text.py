"""French text reaches the paper as itself, through the profile's code pages."""

import pytest
from printer_loopback import decode

from printing.document import Document
from printing.escpos_render import render_escpos
from printing.i18n import Words
from printing.settings import PrintSettings, load_profile
from printing.text import TextEncoder

FRENCH = "Noël à l’école : « ça coûte 12 € », œuvre, ÉÈÊÀÙÇ ù ê"


def encoder(profile: str) -> TextEncoder:
    return TextEncoder.for_profile(load_profile(profile))


@pytest.mark.parametrize("profile", ["TM-T20II", "POS-5890", "TM-T88V"])
def test_every_french_character_comes_back_as_itself(profile):
    settings = PrintSettings(profile=profile, paper_width_mm=58 if "58" in profile else 80)
    data = render_escpos(Document().text(FRENCH), settings)
    printout = decode(data, load_profile(profile).get_code_pages())
    assert printout.lines == [FRENCH[: len(printout.lines[0])], *printout.lines[1:]]
    assert " ".join(printout.lines) == FRENCH
    assert "?" not in printout.text


def test_a_french_receipt_needs_a_single_code_page_switch():
    data = render_escpos(Document().text(FRENCH).text("Réparé, payé"), PrintSettings())
    printout = decode(data, load_profile("TM-T20II").get_code_pages())
    assert printout.code_pages == [16]  # WPC1252 on the TM-T20II


def test_switches_pages_where_a_character_needs_another_and_stays_there():
    enc = encoder("TM-T20II")
    text = "é ═ é ╬ à"  # box drawing is in CP858, not in CP1252
    data = enc.encode(text)
    assert data.count(b"\x1bt") == 2
    printout = decode(data + b"\n", load_profile("TM-T20II").get_code_pages())
    assert printout.lines == [text]
    assert printout.code_pages == [16, 19]


def test_babel_french_spaces_become_plain_spaces():
    words = Words("fr")
    amount = words.amount(123456)
    assert amount == "1 234,56 CEEC"
    assert encoder("TM-T20II").encode(amount) == b"1 234,56 CEEC"


def test_a_printer_with_only_cp437_gets_sensible_transliterations():
    enc = encoder("simple")  # CP437 only: no œ, no €, no ’
    assert enc.printable("œuvre à 12 € l’unité « vite »") == "oeuvre à 12 EUR l'unité « vite »"
    assert "?" not in enc.printable(FRENCH)


def test_unknown_characters_are_transliterated_or_reported_never_silent(caplog):
    enc = encoder("TM-T20II")
    assert enc.printable("Łódź ŷ") == "Lódz y"  # ó is in CP1252
    assert enc.printable("☃") == "?"
    assert "SNOWMAN" in caplog.text


def test_control_characters_in_a_residents_text_cannot_reach_the_printer():
    enc = encoder("TM-T20II")
    data = enc.encode("robinet\x1d V\x00\x1bp\x00 fini\ttard")
    assert b"\x1d" not in data and b"\x1b" not in data and b"\x00" not in data
    assert data == b"robinet Vp fini tard"
