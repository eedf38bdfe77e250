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
