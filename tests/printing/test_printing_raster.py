"""58 mm as good as 80 mm: what a printer without native QR or barcode receives.

Each document is printed through the queue to the loopback network printer and the bytes it
received are read back: their count (receipt, voucher and card within 1.5 KB, 2 s at 9600 baud),
the alignment each image is printed with, its blank columns, and what zxing-cpp reads from the
image where the printer puts it on the paper.
"""

import copy

import pytest
import zxingcpp
from PIL import Image, ImageFilter
from printer_loopback import decode, network_settings

from kiosk import store
from printing import queue
from printing.samples import SAMPLE_PAYLOADS
from printing.settings import load_profile
from printing.transports import make_printer
from printing.worker import print_pending

BUDGET_BYTES = 1536  # 1.6 s at 9600 baud (10 bits a byte)
STATUS_REQUESTS = (b"\x10\x04\x01", b"\x10\x04\x04")

# (profile, paper width): TM-T20II draws QR codes and barcodes itself; POS-5890 does not.
PRINTERS = {
    "80 mm native": ("TM-T20II", 80),
    "58 mm native": ("TM-T20II", 58),
    "80 mm raster": ("POS-5890", 80),
    "58 mm raster": ("POS-5890", 58),
}
RASTER = [name for name in PRINTERS if name.endswith("raster")]


@pytest.fixture
def db(tmp_path):
    database = store.connect(tmp_path / "kiosk.sqlite3")
    yield database
    database.conn.close()


def received(db, loopback_printer, tmp_path, printer, layout, payload=None):
    """The document bytes the printer received (status requests left out) and their reading."""
    profile, width = PRINTERS[printer]
    settings = network_settings(loopback_printer, tmp_path, profile=profile, paper_width_mm=width)
    with store.write(db):
        queue.enqueue(db, layout, copy.deepcopy(payload or SAMPLE_PAYLOADS[layout]))
    assert print_pending(db, make_printer(settings), settings) == 1
    data = loopback_printer.wait_for_connections(1)[-1]
    document = data
    for request in STATUS_REQUESTS:
        document = document.replace(request, b"")
    return document, decode(data, load_profile(profile).get_code_pages()), settings


def read_codes(image: Image.Image, wanted) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image) if code.format == wanted]


@pytest.mark.parametrize("printer", list(PRINTERS))
@pytest.mark.parametrize("layout", ["receipt", "voucher", "member_card"])
def test_receipt_voucher_and_card_reach_the_printer_in_at_most_1_5_kb(
    db, loopback_printer, tmp_path, printer, layout
):
    document, paper, _ = received(db, loopback_printer, tmp_path, printer, layout)
    assert len(document) <= BUDGET_BYTES, f"{layout} on {printer}: {len(document)} bytes"
    if printer.endswith("native"):
        assert paper.images == [] and paper.cuts == 1
    else:
        assert paper.qr == [] and paper.barcodes == [] and len(paper.images) == 1


@pytest.mark.parametrize("printer", RASTER)
def test_every_image_is_centred_by_the_printer_and_starts_with_its_content(
    db, loopback_printer, tmp_path, printer
):
    _, paper, settings = received(db, loopback_printer, tmp_path, printer, "test_page")
    assert len(paper.images) == 2  # the QR code, then the barcode
    for printed in paper.images:
        assert printed.align == 1  # ESC a 1 is in effect when the image prints
        image = printed.image
        first_column = [image.getpixel((0, y)) for y in range(image.height)]
        first_row = [image.getpixel((x, 0)) for x in range(image.width)]
        assert 0 in first_column and 0 in first_row  # no blank dots before the content
        # Only the last byte of a row may hold blank dots (rows are whole bytes).
        dark = Image.eval(image.convert("L"), lambda v: 255 - v).getbbox()
        assert image.width - dark[2] < 16 and image.height == dark[3]


@pytest.mark.parametrize("printer", RASTER)
def test_the_voucher_qr_image_reads_back_as_its_exact_payload_at_4_dot_modules(
    db, loopback_printer, tmp_path, printer
):
    payload = SAMPLE_PAYLOADS["voucher"]
    _, paper, settings = received(db, loopback_printer, tmp_path, printer, "voucher")
    [printed] = paper.images
    # Version 6 (41 modules) at 4 dots a module: 164 dots, 20.5 mm, printed 2 x 2 per dot sent.
    dark = Image.eval(printed.image.convert("L"), lambda v: 255 - v).getbbox()
    assert (dark[2] - dark[0], dark[3] - dark[1]) == (164, 164)
    on_paper = printed.on_paper(settings.dots, margin=8)
    assert read_codes(on_paper, zxingcpp.BarcodeFormat.QRCode) == [payload["qr"]]
    # A thermal head's dots bleed: one dot of black around every dark module still reads.
    bled = on_paper.filter(ImageFilter.MinFilter(3))
    assert read_codes(bled, zxingcpp.BarcodeFormat.QRCode) == [payload["qr"]]
    # So does a photo of it: 3 pixels a module, blurred.
    size = (on_paper.width * 3 // 4, on_paper.height * 3 // 4)
    photo = on_paper.resize(size, Image.Resampling.BOX).filter(ImageFilter.GaussianBlur(1))
    assert read_codes(photo, zxingcpp.BarcodeFormat.QRCode) == [payload["qr"]]
    # The code typed by hand is still printed under it.
    assert paper.find("K7N29 HX4FR 3PV2T")


@pytest.mark.parametrize("printer", RASTER)
def test_the_member_card_qr_image_reads_back_as_its_token(db, loopback_printer, tmp_path, printer):
    _, paper, settings = received(db, loopback_printer, tmp_path, printer, "member_card")
    [printed] = paper.images
    on_paper = printed.on_paper(settings.dots, margin=8)
    assert read_codes(on_paper, zxingcpp.BarcodeFormat.QRCode) == ["KCBFHJ7Q2M9XD4N8STWY"]
    [job] = queue.list_jobs(db)
    assert job.payload["card_token"] is None


@pytest.mark.parametrize("printer", RASTER)
@pytest.mark.parametrize(
    ("layout", "code"), [("receipt", "RJGPEP-42"), ("test_page", "CEEC-TEST-0042")]
)
def test_the_barcode_image_reads_back_as_its_data_and_its_text_is_under_it(
    db, loopback_printer, tmp_path, printer, layout, code
):
    _, paper, settings = received(db, loopback_printer, tmp_path, printer, layout)
    printed = paper.images[-1]
    assert printed.image.height == 48  # 6 mm of bars, 2-dot modules
    on_paper = printed.on_paper(settings.dots, margin=8)
    assert read_codes(on_paper, zxingcpp.BarcodeFormat.Code128) == [code]
    assert paper.find(code)


def test_the_test_page_qr_in_bytes_mode_reads_back_with_its_accent(db, loopback_printer, tmp_path):
    _, paper, settings = received(db, loopback_printer, tmp_path, "58 mm raster", "test_page")
    on_paper = paper.images[0].on_paper(settings.dots, margin=8)
    assert read_codes(on_paper, zxingcpp.BarcodeFormat.QRCode) == [
        "https://example.org/kiosk/test?é=1"
    ]
