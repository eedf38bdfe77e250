# --- app fixtures ---
# The app on a temporary database, a test client, a small building (tests/app_fixtures.py).
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from app_fixtures import app, building, client, config, db, fast_pin_hashing  # noqa: E402, F401, I001
# --- end of app fixtures ---

# --- browser fixtures ---
# Real headless Chromium (Playwright) against the app served by waitress on 127.0.0.1.
# The code lives in tests/browser.py; importing the fixtures here makes them available to every
# test module: live_server (factory), browser (session), page, screenshot.
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from browser import browser, live_server, page, screenshot  # noqa: E402, F401, I001

# --- end of browser fixtures ---
# --- printing fixtures ---
# A loopback port-9100 ESC/POS printer on 127.0.0.1 (tests/printer_loopback.py).
from printer_loopback import loopback_printer  # noqa: E402, F401, I001

# --- end of printing fixtures ---
# --- sync fixtures ---
# A real hub served by waitress on 127.0.0.1 with fault injection, and kiosk factories
# (tests/sync_fixtures.py).
from sync_fixtures import hub, make_kiosk  # noqa: E402, F401, I001
# --- end of sync fixtures ---
