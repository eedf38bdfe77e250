"""The tap timer measures what a resident feels: touch to the next page painted, and touch to
the pad's digit drawn. No speed is asserted here (targets live in bench/bench_taps.py): only
that each tap was measured and took some time."""

from __future__ import annotations

import json

import pytest
from app_fixtures import PIN

pytestmark = pytest.mark.browser


def test_each_tap_of_a_login_is_measured(page, app, building, live_server, taps):
    server = live_server(app)
    page.goto(server.url_for("/login/apartments"))

    taps.tap(page, page.get_by_role("link", name="A-101"), "log in", "apartment")
    taps.tap(page, page.get_by_role("button", name="Paul Durand"), "log in", "name")
    for digit in PIN:
        taps.tap(
            page,
            page.locator(f'.numpad button[data-key="{digit}"]'),
            "log in",
            "pad",
            navigates=False,
        )
    taps.tap(page, page.locator('.numpad button[data-key="ok"]'), "log in", "PIN")

    assert page.url.endswith("/me/")
    steps = [m["step"] for m in taps.measurements]
    assert steps == ["apartment", "name", "pad", "pad", "pad", "pad", "PIN"]
    assert all(m["ms"] > 0 for m in taps.measurements), taps.measurements


def test_measurements_are_written_as_json(tmp_path, taps):
    taps.record("board", "open", 12.5)
    path = taps.write(tmp_path / "taps.json")
    assert json.loads(path.read_text()) == [{"flow": "board", "step": "open", "ms": 12.5}]
