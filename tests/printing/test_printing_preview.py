"""The PNG preview is what the paper shows: same width, same text, the same QR payload."""

import io
import sys

import pytest
import zxingcpp
from PIL import Image
from printer_loopback import decode

from kiosk.config import make_config
from printing import admin
from printing.escpos_render import render_escpos
from printing.layouts import LayoutError, build_document
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import PrintSettings, load_profile
from printing.transports import MissingExtra, PrinterError, make_printer


def preview(layout: str, settings: PrintSettings) -> Image.Image:
    png = admin.layout_preview_png(layout, SAMPLE_PAYLOADS[layout], settings)
    return Image.open(io.BytesIO(png))


@pytest.mark.parametrize(
    ("paper_width_mm", "profile", "dots"), [(80, "TM-T20II", 576), (58, "POS-5890", 384)]
)
def test_preview_is_as_wide_as_the_paper_in_dots(paper_width_mm, profile, dots):
    settings = PrintSettings(paper_width_mm=paper_width_mm, profile=profile)
    assert preview("receipt", settings).width == dots


@pytest.mark.parametrize("layout", ["voucher", "member_card", "test_page"])
def test_the_previews_qr_code_decodes_to_the_escpos_payload(layout):
    settings = PrintSettings()
    document = build_document(layout, SAMPLE_PAYLOADS[layout], settings)
    [escpos_payload] = decode(
        render_escpos(document, settings), load_profile("TM-T20II").get_code_pages()
    ).qr
    found = [
        code
        for code in zxingcpp.read_barcodes(preview(layout, settings))
        if code.format == zxingcpp.BarcodeFormat.QRCode
    ]
    assert [code.text for code in found] == [escpos_payload]


def test_the_previews_barcode_decodes_to_the_escpos_barcode():
    settings = PrintSettings(paper_width_mm=58, profile="POS-5890")
    found = zxingcpp.read_barcodes(preview("test_page", settings))
    assert "CEEC-TEST-0042" in [code.text for code in found]


def test_every_layout_renders_in_both_languages_on_both_papers():
    for language in ("fr", "en"):
        for width, profile in ((80, "TM-T20II"), (58, "POS-5890")):
            settings = PrintSettings(language=language, paper_width_mm=width, profile=profile)
            for layout in SAMPLE_PAYLOADS:
                assert preview(layout, settings).height > 100


def test_a_logo_is_printed_centred_at_the_top(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("L", (800, 200), 0).save(logo)
    settings = PrintSettings(logo=str(logo))
    document = build_document("receipt", SAMPLE_PAYLOADS["receipt"], settings)
    paper = decode(render_escpos(document, settings), load_profile("TM-T20II").get_code_pages())
    assert paper.rasters == [(576, 144)]  # scaled to the paper's width
    missing = PrintSettings(logo=str(tmp_path / "nowhere.png"))
    assert admin.layout_preview_png("receipt", SAMPLE_PAYLOADS["receipt"], missing)


def test_unknown_layout_is_a_layout_error():
    with pytest.raises(LayoutError):
        build_document("poster", {}, PrintSettings())


@pytest.mark.parametrize(
    ("kind", "module", "package"),
    [("usb", "usb", "pyusb"), ("serial", "serial", "pyserial"), ("cups", "cups", "pycups")],
)
def test_a_missing_optional_package_is_named_not_a_traceback(kind, module, package, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(MissingExtra) as error:
        make_printer(PrintSettings(kind=kind))
    assert package in str(error.value) and f"building-kiosk[{kind}]" in str(error.value)


def test_file_printer_appends_the_bytes_and_reports_an_unwritable_device(tmp_path):
    target = tmp_path / "lp0"
    printer = make_printer(PrintSettings(kind="file", file_path=str(target)))
    printer.print_document(build_document("test_page", {}, printer.settings), "job-1")
    assert target.read_bytes().startswith(b"\x1b@")
    broken = make_printer(PrintSettings(kind="file", file_path=str(tmp_path / "no" / "lp0")))
    with pytest.raises(PrinterError, match="cannot write"):
        broken.send(b"x")


def test_settings_come_from_the_kiosk_config_dict(tmp_path):

    config = make_config(
        {
            "printer": {"paper_width_mm": 58, "profile": "POS-5890"},
            "receipts": {"copies": 2},
            "kiosk": {"language": "en"},
        }
    )
    settings = PrintSettings.from_config(config.values, tmp_path)
    assert (settings.dots, settings.chars_per_line) == (384, 32)
    assert settings.receipt_copies == 2 and settings.language == "en"
    assert settings.building_name == config["building"]["name"]
    assert settings.kind == "preview" and settings.preview_dir == tmp_path
