"""Real-browser test rig: the app served by waitress on 127.0.0.1, driven by Debian's chromium.

Fixtures (re-exported by conftest.py, so every test module can ask for them):

- ``live_server``: a factory; ``server = live_server(app)`` serves a Flask app (any WSGI app)
  on 127.0.0.1 at a free port until the end of the test; ``server.url`` is the base URL and
  ``server.url_for("/path")`` a full URL.
- ``browser``: one headless chromium for the whole session (``/usr/bin/chromium``, never a
  browser downloaded by Playwright). Missing chromium: the test is skipped, or fails under CI.
- ``page``: a fresh browser context and page per test, 800x480 like the lobby screen, with
  touch; uncaught JavaScript errors on the page fail the test.
- ``screenshot``: ``screenshot(page, "name")`` saves ``name-800x480.png`` and
  ``name-1024x600.png`` (or the ``sizes`` given) under a pytest temporary directory, and also
  under ``$KIOSK_SCREENSHOTS`` when that is set; returns the paths.

Plain helpers: ``assert_accessible(page)`` runs the vendored axe-core on the page and fails
with a readable list of WCAG 2.2 A/AA violations.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from app_fixtures import PIN
from playwright.sync_api import sync_playwright
from waitress.server import BaseWSGIServer

from kiosk.serving import create_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
KIOSK_VIEWPORT = {"width": 800, "height": 480}
SCREEN_SIZES: tuple[tuple[int, int], ...] = ((800, 480), (1024, 600))

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

SERVER_START_TIMEOUT_S = 5.0
SERVER_STOP_TIMEOUT_S = 5.0


# --------------------------------------------------------------------------- live server


@dataclass
class LiveServer:
    """A WSGI app served by waitress on 127.0.0.1 in a daemon thread."""

    server: BaseWSGIServer
    thread: threading.Thread
    host: str = "127.0.0.1"
    port: int = 0
    stopped: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, path: str) -> str:
        return self.url + (path if path.startswith("/") else "/" + path)

    def close(self) -> None:
        """Stop serving: close the listening socket and every open connection, in the
        server's own loop thread (closing sockets under a running select() from another
        thread would make it fail with EBADF)."""
        if self.stopped.is_set() or not self.thread.is_alive():
            return
        try:
            self.server.trigger.pull_trigger(self._close_in_loop)
        except OSError:
            # The trigger is already closed (EBADF, seen about once in 1,000 teardowns on a
            # loaded machine): the server's loop is closing by itself; close what is left
            # from here, then the loop ends at its next turn.
            self.server.close()
            self.stopped.set()
        self.thread.join(SERVER_STOP_TIMEOUT_S)
        if self.thread.is_alive():
            raise RuntimeError(f"waitress on {self.url} did not stop in {SERVER_STOP_TIMEOUT_S} s")

    def _close_in_loop(self) -> None:
        for channel in list(self.server._map.values()):
            if channel is not self.server and channel is not self.server.trigger:
                channel.close()
        self.server.close()  # the listening socket and the trigger; the loop then ends
        self.stopped.set()


def serve(app: Callable[..., Any], *, threads: int = 4, **adjustments: Any) -> LiveServer:
    """Serve ``app`` on 127.0.0.1 at a free port, as ``kiosk serve`` does (kiosk/serving.py;
    ``adjustments``: more of waitress's settings); returns once it accepts connections."""
    server = create_server(
        app, host="127.0.0.1", port=0, threads=threads, ident="kiosk-test", **adjustments
    )
    port = int(server.effective_port)

    def run() -> None:
        try:
            server.run()
        finally:
            server.task_dispatcher.shutdown()

    thread = threading.Thread(target=run, name=f"waitress-{port}", daemon=True)
    live = LiveServer(server=server, thread=thread, port=port)
    thread.start()
    _wait_until_listening(live.host, port)
    return live


def _wait_until_listening(host: str, port: int) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"waitress did not listen on {host}:{port}") from None
            time.sleep(0.05)  # bounded by the deadline above


@pytest.fixture
def live_server() -> Iterator[Callable[..., LiveServer]]:
    """Factory: ``live_server(app)`` serves ``app`` until the end of the test."""
    started: list[LiveServer] = []

    def start(app: Callable[..., Any], **kwargs: Any) -> LiveServer:
        live = serve(app, **kwargs)
        started.append(live)
        return live

    yield start
    for live in reversed(started):
        live.close()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian chromium for the session, driven by Playwright."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason + ": browser tests cannot be skipped under CI", pytrace=False)
        pytest.skip(reason)

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A new context and page per test: 800x480, touch, French, no JavaScript error allowed."""
    context = browser.new_context(viewport=KIOSK_VIEWPORT, has_touch=True, locale="fr-FR")
    context.set_default_timeout(5_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    # What the Content-Security-Policy blocked (an inline script, a foreign style) fails the test.
    tab.expose_function("reportCspViolation", lambda text: errors.append(text))
    tab.add_init_script(
        """document.addEventListener("securitypolicyviolation", (e) =>
            window.reportCspViolation(
                `Content-Security-Policy blocked ${e.effectiveDirective}: ${e.blockedURI}`
            ));"""
    )
    try:
        yield tab
    finally:
        context.close()
    if errors:
        pytest.fail("JavaScript errors on the page:\n" + "\n".join(errors), pytrace=False)


# --------------------------------------------------------------------------- accessibility


def assert_accessible(
    page: Any, *, tags: Sequence[str] = AXE_TAGS, include: str | None = None
) -> None:
    """Fail with a readable list if axe-core finds WCAG 2.2 A/AA violations on the page.

    ``include`` is a CSS selector to check only part of the page (default: the whole document).
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the test rig, not added as an inline <script> the page's CSP would block.
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    violations = page.evaluate(
        """async ([include, tags]) => {
            const result = await axe.run(include ?? document, {
                runOnly: { type: "tag", values: tags },
                resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
            }));
        }""",
        [include, list(tags)],
    )
    if violations:
        pytest.fail(format_violations(page.url, violations), pytrace=False)


def format_violations(url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- screenshots


@pytest.fixture
def screenshot(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., list[Path]]:
    """``screenshot(page, name, sizes=SCREEN_SIZES)``: PNGs of the page at each screen size."""
    folder = tmp_path_factory.mktemp("screenshots")
    extra = os.environ.get("KIOSK_SCREENSHOTS")

    def take(page: Any, name: str, sizes: Sequence[tuple[int, int]] = SCREEN_SIZES) -> list[Path]:
        saved: list[Path] = []
        before = page.viewport_size
        try:
            for width, height in sizes:
                page.set_viewport_size({"width": width, "height": height})
                path = folder / f"{name}-{width}x{height}.png"
                page.screenshot(path=str(path), animations="disabled")
                saved.append(path)
                if extra:
                    Path(extra).mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, Path(extra) / path.name)
        finally:
            if before:
                page.set_viewport_size(before)
        return saved

    return take


def log_in(page, server, apartment: str, name: str) -> None:
    page.goto(server.url_for("/login/apartments"))
    page.get_by_role("link", name=apartment).tap()
    page.get_by_role("button", name=name).tap()
    page.wait_for_url("**/login/pin")
    tap_numpad(page, PIN)
    page.locator('.numpad button[data-key="ok"]').tap()
    page.wait_for_url("**/me/")


def tap_numpad(page, digits: str) -> None:
    for digit in digits:
        page.locator(f'.numpad button[data-key="{digit}"]').tap()


def osk_type(page, text: str) -> None:
    """Type on the on-screen keyboard: letters, the accents layer for é, space, apostrophe."""
    for char in text:
        if char == " ":
            page.locator('.osk button[data-action="space"]').tap()
            continue
        if char in "éèêàùç":
            page.locator('.osk button[data-action="accents"]').tap()
        elif char.isupper():
            page.locator('.osk button[data-action="shift"]').tap()
            char = char.lower()
        page.locator(f'.osk button[data-char="{char}"]').tap()


def pick_person(page, field: str, apartment: str, name: str) -> None:
    """Choose a person in the picker of form field ``field``: staircase (when the picker
    shows staircases), apartment, then the name, by touch."""
    picker = page.locator(f"#picker-{field}")
    if picker.locator("[data-picker-again]").is_visible():  # someone is chosen already
        picker.locator("[data-picker-again]").tap()
    stairs = picker.locator("[data-picker-stairs] [data-stair]")
    if stairs.count():
        picker.locator(f'[data-picker-stairs] [data-stair="{apartment.split("-")[0]}"]').tap()
    picker.locator(f'[data-picker-apartments] [data-apartment="{apartment}"]').tap()
    picker.locator("label:visible", has_text=name).tap()
