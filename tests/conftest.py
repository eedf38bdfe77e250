"""Fixtures every test module can use; each kind lives in its own module beside this one.

- app fixtures (tests/app_fixtures.py): the app on a temporary database, a test client, a
  small building;
- browser fixtures (tests/browser.py): real headless Chromium (Playwright) against the app
  served by waitress on 127.0.0.1: live_server (factory), browser (session), page, screenshot;
- printing fixtures (tests/printer_loopback.py): a loopback port-9100 ESC/POS printer on
  127.0.0.1;
- tap timing (tests/tap_timing.py): ``taps``, a recorder of touch-to-next-paint times in
  Chromium, written to the test artefacts;
- sync fixtures (tests/sync_fixtures.py): a real hub served by waitress on 127.0.0.1 with fault
  injection, and kiosk factories.

pytest puts this folder on ``sys.path`` (``pythonpath`` in pyproject.toml), so the fixture
modules import by name; importing a fixture here makes it available to every test module.
"""

from app_fixtures import app, building, client, config, db, fast_pin_hashing
from browser import browser, live_server, page, screenshot
from printer_loopback import loopback_printer
from sync_fixtures import hub, make_kiosk, postgres
from tap_timing import taps

__all__ = [
    "app",
    "browser",
    "building",
    "client",
    "config",
    "db",
    "fast_pin_hashing",
    "hub",
    "live_server",
    "loopback_printer",
    "make_kiosk",
    "page",
    "postgres",
    "screenshot",
    "taps",
]


def pytest_generate_tests(metafunc):
    """A test (or module) marked ``both_stores`` that uses the ``hub`` fixture runs on both of
    the hub's stores: ``[sqlite]`` and ``[postgresql]`` (tests/sync_fixtures.py)."""
    if "hub" not in metafunc.fixturenames:
        return
    if not metafunc.definition.get_closest_marker("both_stores"):
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if "hub" in (names.split(",") if isinstance(names, str) else names):
            return  # the test names its stores itself
    metafunc.parametrize("hub", ["sqlite", "postgresql"], indirect=True)
