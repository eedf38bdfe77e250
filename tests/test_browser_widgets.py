"""The kiosk's browser-side widgets in a real Chromium: scanner, on-screen keyboard, number
pads, idle log-out. They run against a small Flask app built here with the base-template
structure that kiosk.js expects, so they test the JavaScript alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import assert_accessible
from flask import Flask, Response, render_template_string, request
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from kiosk.web import safety

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[1] / "kiosk" / "web" / "static"
CARD_TOKEN = "KC" + "BCDEFGHJKLNPRSTUVXYBCDEFG"  # "KC" + 24 scanner-safe letters
VOUCHER_CODE = "KVXYTRSPNLKJHGFE"

# The test page's own style sheet, served as a file: the kiosk's CSP refuses inline styles.
WIDGETS_CSS = """\
body { margin: 0; padding: 8px 16px; font: 20px/1.4 sans-serif; color: #111; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 8px; }
form { margin: 0 0 12px; }
label { display: block; font-weight: 600; }
input { box-sizing: border-box; min-height: 48px; width: 100%; max-width: 420px;
        font-size: 1.25rem; border: 2px solid #5b6675; border-radius: 6px; padding: 0 8px; }
"""

BASE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{ title }}</title>
  <link rel="stylesheet" href="/static/osk.css">
  <link rel="stylesheet" href="/widgets.css">
  <script defer src="/static/kiosk.js"></script>
  <script defer src="/static/js/scanner.js"></script>
  <script defer src="/static/js/keyboard.js"></script>
  <script defer src="/static/js/numpad.js"></script>
  <script defer src="/static/js/idle.js"></script>
</head>
<body data-idle-timeout="{{ idle_timeout }}" data-idle-warning="{{ idle_warning }}"
      data-logged-in="{{ logged_in }}" data-keepalive-url="/keepalive">
  <main>
    <h1>{{ title }}</h1>
    {{ content | safe }}
  </main>
  <form id="scan-form" method="post" action="/scan" hidden>
    <input type="hidden" name="csrf_token" value="test-token">
    <input type="hidden" name="code">
  </form>
  <form id="logout-form" method="post" action="/logout" hidden>
    <input type="hidden" name="csrf_token" value="test-token">
  </form>
  <script id="kiosk-strings" type="application/json">{{ strings | tojson }}</script>
</body>
</html>
"""

WIDGETS = """
<form method="post" action="/note">
  <label for="note">Note</label>
  <input id="note" name="note" type="text" autocomplete="off">
</form>
<form method="post" action="/offer">
  <label for="title">Offer title</label>
  <input id="title" name="title" type="text" data-keyboard="text" autocomplete="off">
</form>
<form method="post" action="/pay">
  <label for="amount">Amount in CEEC</label>
  <input id="amount" name="amount" type="text" data-keyboard="numpad" autocomplete="off">
</form>
<form method="post" action="/duration">
  <label for="minutes">Minutes</label>
  <input id="minutes" name="minutes" type="text" inputmode="numeric" maxlength="2"
         data-keyboard="numpad" autocomplete="off">
</form>
<form method="post" action="/pin">
  <label for="pin">PIN</label>
  <input id="pin" name="pin" type="password" maxlength="6" data-keyboard="pin" autocomplete="off">
  <div class="numpad" data-for="pin" role="group" aria-label="PIN pad">
    <button type="button" data-key="1">1</button>
    <button type="button" data-key="2">2</button>
    <button type="button" data-key="3">3</button>
    <button type="button" data-key="4">4</button>
    <button type="button" data-key="5">5</button>
    <button type="button" data-key="6">6</button>
    <button type="button" data-key="7">7</button>
    <button type="button" data-key="8">8</button>
    <button type="button" data-key="9">9</button>
    <button type="button" data-key="clear">Clear</button>
    <button type="button" data-key="0">0</button>
    <button type="button" data-key="back">⌫</button>
    <button type="button" data-key="ok">OK</button>
  </div>
</form>
"""

VOUCHER = """
<form method="post" action="/redeem">
  <label for="voucher">Voucher code</label>
  <input id="voucher" name="code" type="text" data-scan-target="KV" autocomplete="off">
</form>
"""

# A few strings as the French/English catalogs give them; the others fall back to English.
STRINGS = {"key_ok": "Done", "idle_title": "Still there?"}


def make_widgets_app(*, idle_timeout: int = 60, idle_warning: int = 20) -> Flask:
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    # The kiosk's own headers, so that the widgets are tried under its Content-Security-Policy.
    app.after_request(lambda response: (response.headers.update(safety.HEADERS), response)[1])

    def page(title: str, content: str = "", *, logged_in: bool, timeout: int = idle_timeout):
        return render_template_string(
            BASE,
            title=title,
            content=content,
            logged_in="1" if logged_in else "0",
            idle_timeout=timeout,
            idle_warning=idle_warning,
            strings=STRINGS,
        )

    @app.get("/widgets.css")
    def widgets_css():
        return Response(WIDGETS_CSS, mimetype="text/css")

    @app.get("/")
    def home():
        return page("Home", logged_in=False)

    @app.get("/widgets")
    def widgets():
        return page("Widgets", WIDGETS, logged_in=True)

    @app.get("/voucher")
    def voucher():
        return page("Use a voucher", VOUCHER, logged_in=True)

    @app.get("/visitor")
    def visitor():
        return page("Notices", "<p>Notices of the building.</p>", logged_in=False)

    @app.post("/<action>")
    def result(action: str):
        value = next((v for k, v in request.form.items() if k != "csrf_token"), "")
        return page("Result", f'<p id="result">{action}:{value}</p>', logged_in=False, timeout=0)

    return app


@pytest.fixture
def kiosk(live_server):
    return live_server(make_widgets_app())


def open_widgets(page, kiosk, path: str = "/widgets"):
    page.goto(kiosk.url_for(path))
    page.wait_for_function("() => window.Kiosk && window.KioskScanner && window.KioskIdle")


def result_of(page):
    return page.locator("#result")


# --------------------------------------------------------------------------- scanner


def test_a_card_scanned_anywhere_submits_the_scan_form(page, kiosk):
    open_widgets(page, kiosk)
    page.keyboard.type(CARD_TOKEN)
    page.keyboard.press("Enter")
    expect(result_of(page)).to_have_text(f"scan:{CARD_TOKEN}")


def test_a_qwerty_scanner_with_caps_lock_on_another_layout_is_decoded_by_key_code(page, kiosk):
    """The host layout turns the scanner's Y key into "z" (QWERTZ) and caps lock makes every
    letter lower case: the code is read from KeyboardEvent.code and upper-cased."""
    open_widgets(page, kiosk)
    cdp = page.context.new_cdp_session(page)
    for letter in CARD_TOKEN:
        typed = "z" if letter == "Y" else letter.lower()
        event = {"key": typed, "code": f"Key{letter}", "text": typed}
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", **event})
        cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **event})
    enter = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}
    cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", **enter})
    cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **enter})
    expect(result_of(page)).to_have_text(f"scan:{CARD_TOKEN}")


def test_a_scan_while_a_text_field_is_focused_leaves_the_field_as_it_was(page, kiosk):
    # A scanner types a key every few ms; Playwright sends each key as its own command, which a
    # loaded machine can slow past a scan's pace (40 ms a key in a field), and the page then
    # rightly takes it for a person typing: Enter then submits the note's form and the page is
    # left. Try again then, on a fresh page: one scan-paced burst must do.
    for _attempt in range(5):
        open_widgets(page, kiosk)
        page.evaluate(
            """() => document.getElementById("scan-form").addEventListener("submit", (event) => {
                event.preventDefault();
                window.scanned = { code: event.target.code.value,
                                   note: document.getElementById("note").value };
            })"""
        )
        note = page.locator("#note")
        note.fill("Bonjour")
        note.focus()
        page.keyboard.type(CARD_TOKEN)
        page.keyboard.press("Enter")
        try:
            scanned = page.wait_for_function("() => window.scanned", timeout=2_000).json_value()
        except PlaywrightError:  # no scan in 2 s, or the note's form took Enter and left
            continue
        break
    else:
        pytest.fail("no burst was typed at a scanner's pace in five tries")
    assert scanned == {"code": CARD_TOKEN, "note": "Bonjour"}


def test_a_person_typing_a_code_like_text_slowly_in_a_field_is_not_a_scan(page, kiosk):
    open_widgets(page, kiosk)
    page.locator("#note").focus()
    page.keyboard.type(CARD_TOKEN[:12], delay=60)
    page.keyboard.press("Enter")
    expect(result_of(page)).to_have_text(f"note:{CARD_TOKEN[:12]}")


def test_a_voucher_scanned_on_the_redeem_page_fills_its_field_and_submits_its_form(page, kiosk):
    open_widgets(page, kiosk, "/voucher")
    page.keyboard.type(VOUCHER_CODE)
    page.keyboard.press("Enter")
    expect(result_of(page)).to_have_text(f"redeem:{VOUCHER_CODE}")


# --------------------------------------------------------------------------- keyboards


def osk_key(page, char: str):
    return page.locator(f'.osk button[data-char="{char}"]')


def osk_action(page, action: str):
    return page.locator(f'.osk button[data-action="{action}"]')


def test_the_on_screen_keyboard_types_an_accented_word(page, kiosk):
    open_widgets(page, kiosk)
    title = page.locator("#title")
    title.tap()
    expect(page.locator(".osk")).to_be_visible()
    expect(page.locator(".osk")).to_have_attribute("aria-label", "On-screen keyboard")
    assert title.get_attribute("inputmode") == "none"

    osk_action(page, "shift").tap()
    osk_action(page, "accents").tap()
    expect(osk_key(page, "é")).to_have_text("É")
    osk_key(page, "é").tap()  # back to lower-case letters by itself
    for letter in "lectricit":
        osk_key(page, letter).tap()
    osk_action(page, "accents").tap()
    osk_key(page, "é").tap()

    expect(title).to_have_value("Électricité")
    expect(title).to_be_focused()
    osk_action(page, "ok").tap()
    expect(page.locator(".osk")).to_be_hidden()


def test_keyboard_keys_are_big_enough_to_touch_on_the_small_screen(page, kiosk):
    open_widgets(page, kiosk)
    page.locator("#title").tap()
    expect(osk_action(page, "ok")).to_have_text("Done")  # label from the page's strings
    sizes = page.eval_on_selector_all(
        ".osk button, .numpad button",
        "(buttons) => buttons.map((b) => [b.offsetWidth, b.offsetHeight, b.textContent])",
    )
    small = [size for size in sizes if size[0] < 48 or size[1] < 48]
    assert sizes and not small


@pytest.mark.parametrize("width,height", [(800, 480), (1024, 600), (1920, 1080)])
def test_the_field_being_typed_stays_above_the_keyboard_panel(page, kiosk, width, height):
    open_widgets(page, kiosk)
    page.locator("#amount").tap()  # low on the page: the panel would cover it
    page.set_viewport_size({"width": width, "height": height})
    expect(page.locator(".osk")).to_be_visible()
    page.wait_for_function(
        """() => document.getElementById("amount").getBoundingClientRect().bottom
                 <= document.querySelector(".osk").getBoundingClientRect().top"""
    )


def test_the_inline_numpad_enters_a_pin_and_submits_it(page, kiosk):
    open_widgets(page, kiosk)
    pad = page.locator('.numpad[data-for="pin"]')
    for key in "1234567":  # the seventh digit is past maxlength
        pad.locator(f'button[data-key="{key}"]').tap()
    expect(page.locator("#pin")).to_have_value("123456")
    pad.locator('button[data-key="back"]').tap()
    pad.locator('button[data-key="9"]').tap()
    expect(page.locator(".osk")).to_have_count(0)  # no pop-up panel for a field with a pad
    pad.locator('button[data-key="ok"]').tap()
    expect(result_of(page)).to_have_text("pin:123459")


def test_the_amount_numpad_takes_one_decimal_comma_and_two_decimals(page, kiosk):
    open_widgets(page, kiosk)
    amount = page.locator("#amount")
    amount.tap()
    expect(page.locator(".osk")).to_have_attribute("data-layer", "numpad")
    for key in ",5,07":  # "0," first; a second comma and a third decimal are refused
        osk_key(page, key).tap()
    expect(amount).to_have_value("0,50")
    osk_action(page, "clear").tap()
    for key in "12":
        osk_key(page, key).tap()
    osk_action(page, "back").tap()
    expect(amount).to_have_value("1")
    osk_action(page, "ok").tap()
    expect(page.locator(".osk")).to_be_hidden()


def test_a_numeric_field_gets_a_pad_without_decimal_comma(page, kiosk):
    open_widgets(page, kiosk)
    minutes = page.locator("#minutes")
    minutes.tap()
    expect(page.locator(".osk")).to_have_attribute("data-layer", "digits")
    expect(osk_key(page, ",")).to_have_count(0)
    for key in "457":  # maxlength 2
        osk_key(page, key).tap()
    expect(minutes).to_have_value("45")


# --------------------------------------------------------------------------- idle log-out


def test_a_touch_keeps_a_resident_who_is_still_there_logged_in(page, kiosk):
    page.clock.install()
    open_widgets(page, kiosk)
    page.locator("#note").focus()
    dialog = page.get_by_role("alertdialog")
    page.clock.fast_forward("00:39")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("00:02")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Still there?")
    expect(dialog).to_contain_text(re.compile(r"19 seconds left"))

    expect(dialog.get_by_role("button")).to_be_focused()

    page.touchscreen.tap(5, 5)  # outside the dialog box
    expect(dialog).to_be_hidden()
    expect(page.locator("#note")).to_be_focused()  # the focus comes back where it was
    page.clock.fast_forward("00:39")  # the timer started again at the touch
    expect(dialog).to_be_hidden()
    assert page.url.endswith("/widgets")


def test_touches_tell_the_server_that_a_resident_typing_a_long_text_is_still_there(page, kiosk):
    page.clock.install()
    open_widgets(page, kiosk)
    page.clock.fast_forward("00:25")  # more than half of the 40 s before the warning
    with page.expect_request(kiosk.url_for("/keepalive")) as keepalive:
        page.locator("#title").tap()
    assert keepalive.value.method == "POST"
    assert "csrf_token=test-token" in (keepalive.value.post_data or "")


def test_a_resident_who_walked_away_is_logged_out(page, kiosk):
    page.clock.install()
    open_widgets(page, kiosk)
    page.clock.fast_forward("00:41")
    expect(page.get_by_role("alertdialog")).to_be_visible()
    page.clock.run_for("00:20")
    expect(result_of(page)).to_have_text("logout:idle")  # the server says why


def test_a_visitor_page_goes_back_home_when_nobody_touches_it(page, kiosk):
    page.clock.install()
    open_widgets(page, kiosk, "/visitor")
    page.clock.fast_forward("00:59")
    assert page.url.endswith("/visitor")
    page.clock.fast_forward("00:02")
    expect(page).to_have_url(kiosk.url_for("/"))


# --------------------------------------------------------------------------- accessibility


def test_the_widgets_page_with_its_keyboard_open_passes_axe_at_800x480(page, kiosk, screenshot):
    open_widgets(page, kiosk)
    assert_accessible(page)
    page.locator("#title").tap()
    expect(page.locator(".osk")).to_be_visible()
    assert_accessible(page)
    paths = screenshot(page, "widgets-keyboard")
    assert [path.name for path in paths] == [
        "widgets-keyboard-800x480.png",
        "widgets-keyboard-1024x600.png",
    ]


def test_the_idle_dialog_passes_axe(page, kiosk, screenshot):
    page.clock.install()
    open_widgets(page, kiosk)
    page.clock.fast_forward("00:45")
    expect(page.get_by_role("alertdialog")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "idle-dialog")
