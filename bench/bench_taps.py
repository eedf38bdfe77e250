"""Touch to next paint on the lobby screen, run by hand (not a test):
``.venv/bin/python bench/bench_taps.py [rounds]``.

A demo building (kiosk.demo.populate) in a SQLite file, the app on waitress (tests/browser.py
``serve``), Debian's Chromium at 800x480 with touch. Each tap is timed by tests/tap_timing.py:
from the touch (``pointerdown``) to the next page's first contentful paint, or to the frame
after the tap for a change within the page (pad keys, the person picker). Flows, each repeated
``ROUNDS`` times: log in (apartment, name, PIN pad, OK), a wrong PIN, home -> record an
exchange -> pick a neighbour -> continue -> PIN -> pay, the statement, the board, vouchers, the
volunteer's admin pages, log out. Printed per flow: median and 95th percentile in ms, their
ratio to the baseline (a tap between two minimal static pages served by the same waitress: what
the browser itself costs), and the server's time per tap (a timing middleware around the app,
every request of the tap: the page, its redirect, static files).

The target (issue #18): every tap answered within 100 ms, PIN checks included.

Figures on the development machine (2 cores shared with other work, load average 3 to 4;
15 rounds, 660 taps; ms; "x base" is the median over the baseline's median in the same run):

    flow                      before: median  p95  x base    after: median  p95  x base
    baseline (static page)              94    144   1.00              118    156   1.00
    log in (apartment, name)           152    240   1.62              148    190   1.25
    PIN check (log in)                 183    284   1.95              171    251   1.44
    wrong PIN                          197    240   2.10              154    199   1.30
    exchange (form, continue)          196    297   2.09              175    207   1.47
    PIN check (pay)                    177    290   1.88              171    194   1.45
    statement                          150    229   1.60              147    181   1.24
    board, requests, loans             151    261   1.60              138    193   1.16
    vouchers                           141    241   1.50              144    171   1.21
    admin pages                        177    281   1.89              159    247   1.34
    log out                            195    433   2.08              156    247   1.32
    pad key, person picker (in page)    29     34   0.31               29     33   0.25

Server time per tap (every request of the tap) went from 37-88 ms to 3-9 ms (28 ms for a PIN
check: scrypt and a write transaction, then the redirect). Before, each page asked again for
its 11 static files (``Cache-Control: no-cache``, 7,120 requests in the run; after: 13), and
the three style sheets block the first paint. The printer queue's previews (60 PNGs, 50-200 ms
of CPU each, on every visit) now cost about 1 ms after the first.

What remains is the browser: a tap between two minimal static pages already takes 73 ms on an
idle machine (94-118 ms under load): about 17 ms from the touch to the navigation (touch
events, click), 5-10 ms for the answer, then 50-70 ms to commit the new document, parse it and
paint it (headless Chromium, software rendering). The kiosk's pages cost 1.2-1.5 times that;
taking every script off a page changed nothing measurable. Chromium's switch
``--disable-features=BackForwardCache,RenderDocument,ProactivelySwapBrowsingInstance`` took
about 20 ms off the static page (107 -> 86 ms) but within noise off the kiosk's pages (122 ->
118): to be tried on the kiosk's own screen (``KIOSK_BENCH_CHROMIUM_ARGS``). Changes within a page (pad keys,
the person picker) are drawn in 29 ms, the next frame.
"""

from __future__ import annotations

import logging
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser import CHROMIUM, CHROMIUM_ARGS, KIOSK_VIEWPORT, serve
from playwright.sync_api import sync_playwright
from tap_timing import TapRecorder, install

from kiosk import store
from kiosk.app import create_app
from kiosk.config import make_config
from kiosk.demo import DEMO_PIN, populate

logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # the page's parallel requests
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
# Chromium switches to try, e.g. KIOSK_BENCH_CHROMIUM_ARGS="--disable-features=RenderDocument"
EXTRA_ARGS = os.environ.get("KIOSK_BENCH_CHROMIUM_ARGS", "").split()
WRONG_PIN = "9999"
BASELINE_PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>{0}</title></head>"
    '<body><h1>{0}</h1><a href="/__bench/{1}" style="display:block;padding:2em">{1}</a>'
    "</body></html>"
)


class Timed:
    """WSGI middleware: the server's time for each request (body included), labelled with the
    flow being measured; also serves the baseline's two minimal static pages."""

    def __init__(self, app) -> None:
        self.app = app
        self.flow = ""
        self.lock = threading.Lock()
        self.times: list[tuple[str, str, float]] = []  # flow, path, ms

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__bench/"):
            name = path.rsplit("/", 1)[-1]
            other = "b" if name == "a" else "a"
            body = BASELINE_PAGE.format(name, other).encode()
            start_response(
                "200 OK",
                [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")],
            )
            chunks = [body]
        else:
            chunks = list(self.app(environ, start_response))
        with self.lock:
            self.times.append((self.flow, path, (time.perf_counter() - start) * 1000))
        return chunks

    def since(self, mark: int) -> float:
        with self.lock:
            return sum(ms for _flow, _path, ms in self.times[mark:])


class Bench:
    def __init__(self, page, server, timed: Timed) -> None:
        self.page, self.server, self.timed = page, server, timed
        self.taps = TapRecorder()
        self.server_ms: dict[str, list[float]] = defaultdict(list)

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url_for(path))

    def tap(self, locator, flow: str, step: str = "", navigates: bool = True) -> float:
        self.timed.flow = flow
        mark = len(self.timed.times)
        ms = self.taps.tap(self.page, locator, flow, step, navigates=navigates)
        if navigates:
            self.page.wait_for_load_state("load")  # its static files, counted as its server time
            self.server_ms[flow].append(self.timed.since(mark))
        return ms

    def pad(self, digits: str, flow: str = "pad key (in page)") -> None:
        for digit in digits:
            self.tap(self.page.locator(f'.numpad button[data-key="{digit}"]'), flow, digit, False)

    def link(self, href: str):
        return self.page.locator(f'main a[href="{href}"]').first

    # ------------------------------------------------------------------ flows

    def baseline(self) -> None:
        self.goto("/__bench/a")
        for _ in range(2):
            self.tap(self.page.locator("a"), "baseline (static page)")

    def log_in(self, apartment: str, name: str, *, wrong_first: bool = False) -> None:
        self.goto("/login/apartments")
        self.tap(self.page.get_by_role("link", name=apartment), "log in", "apartment")
        self.tap(self.page.get_by_role("button", name=name), "log in", "name")
        if wrong_first:
            self.pad(WRONG_PIN)
            self.tap(self.page.locator('.numpad button[data-key="ok"]'), "wrong PIN", "OK")
        self.pad(DEMO_PIN)
        self.tap(self.page.locator('.numpad button[data-key="ok"]'), "PIN check (log in)", "OK")
        assert self.page.url.endswith("/me/"), self.page.url

    def log_out(self) -> None:
        button = self.page.locator("header.topbar button[form=logout-form]")
        self.tap(button, "log out")

    def exchange(self, round_no: int) -> None:
        page = self.page
        self.tap(self.link("/exchange/new"), "exchange", "open form")
        direction = "paid" if round_no % 2 == 0 else "earned"  # balances stay where they were
        page.locator(f'input[name="direction"][value="{direction}"]').check()
        picker = page.locator("#picker-neighbour")
        self.tap(
            picker.locator('[data-picker-stairs] [data-stair="B"]'),
            "person picker (in page)",
            "stair",
            False,
        )
        self.tap(
            picker.locator('[data-picker-apartments] [data-apartment="B-204"]'),
            "person picker (in page)",
            "apt",
            False,
        )
        self.tap(
            picker.locator("label", has_text="Éric Faure"), "person picker (in page)", "name", False
        )
        page.locator("#description").fill("Réparer une fuite")
        page.get_by_label("Catégorie").select_option("diy")
        page.locator("#hours").fill("1")
        if page.locator('.osk button[data-action="ok"]').is_visible():
            page.locator('.osk button[data-action="ok"]').tap()
        self.tap(
            page.locator('[data-testid=action-bar] button[type="submit"]'), "exchange", "continue"
        )
        assert "/exchange/confirm" in page.url, page.url
        self.pad(DEMO_PIN)
        self.tap(page.locator('.numpad button[data-key="ok"]'), "PIN check (pay)", "pay")
        assert "/exchange/done/" in page.url, page.url
        self.goto("/me/")

    def pages(self, flow: str, hrefs: list[str]) -> None:
        for href in hrefs:
            self.tap(self.link(href), flow, href)
            self.goto("/me/" if not href.startswith("/admin/") else "/admin/")


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing")
    with tempfile.TemporaryDirectory() as folder:
        # One wrong PIN a round: more than the kiosk-wide pause allows in ten minutes.
        config = make_config(
            {"storage": {"data_dir": folder}, "security": {"kiosk_max_wrong_pins": 10_000}}
        )
        app = create_app(config)
        db = store.connect(config.database_path)
        print("demo building:", populate(db, config))
        db.close()
        timed = Timed(app)
        server = serve(timed)
        playwright = sync_playwright().start()
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS + EXTRA_ARGS
            )
            context = chromium.new_context(viewport=KIOSK_VIEWPORT, has_touch=True, locale="fr-FR")
            context.set_default_timeout(10_000)
            page = context.new_page()
            install(page)
            bench = Bench(page, server, timed)
            for round_no in range(ROUNDS + 1):  # round 0 warms up and is not counted
                if round_no == 1:
                    bench.taps.measurements.clear()
                    bench.server_ms.clear()
                bench.baseline()
                bench.log_in("A-101", "Jeanne Martin", wrong_first=True)
                bench.exchange(round_no)
                bench.pages("statement", ["/me/statement"])
                bench.pages("board", ["/board/", "/board/messages", "/requests/", "/loans/"])
                bench.pages("vouchers", ["/vouchers/"])
                bench.log_out()
                bench.log_in("A-001", "Claire Petit")
                bench.tap(bench.link("/admin/"), "admin pages", "/admin/")
                bench.pages(
                    "admin pages",
                    [
                        "/admin/residents",
                        "/admin/transfers",
                        "/admin/vouchers",
                        "/admin/status",
                        "/admin/printer/",
                        "/admin/exports/",
                    ],
                )
                bench.log_out()
                print(f"round {round_no} done", file=sys.stderr)
            chromium.close()
        finally:
            playwright.stop()
            server.close()
        report(bench)
        report_requests(timed)
        artefacts = Path(os.environ.get("KIOSK_ARTEFACTS") or tempfile.gettempdir())
        print("every tap:", bench.taps.write(artefacts / "bench_taps.json"))


def report_requests(timed: Timed) -> None:
    """Where the server's time goes: per kind of request, how many and their median ms."""
    kinds: dict[str, list[float]] = defaultdict(list)
    for _flow, path, ms in timed.times:
        kind = (
            "static files"
            if path.startswith("/static/")
            else re.sub(r"/[0-9a-f-]*[0-9][0-9a-f-]*(?=/|$)", "/<id>", path)
        )
        kinds[kind].append(ms)
    print(f"\n{'request':28} {'count':>6} {'median':>7} {'p95':>7}")
    for kind, values in sorted(kinds.items(), key=lambda kv: -sum(kv[1])):
        print(
            f"{kind:28} {len(values):6d} {statistics.median(values):7.1f} {pct(values, 0.95):7.1f}"
        )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(bench: Bench) -> None:
    flows = bench.taps.by_flow()
    base = flows.pop("baseline (static page)")
    base_med, base_p95 = statistics.median(base), pct(base, 0.95)
    every = [ms for values in flows.values() for ms in values]
    print(
        f"{'flow':28} {'taps':>5} {'median':>7} {'p95':>7} {'worst':>7} {'x base':>7} {'server':>7}"
    )
    rows = [("baseline (static page)", base)] + sorted(flows.items())
    for flow, values in rows + [("every tap", every)]:
        med, p95 = statistics.median(values), pct(values, 0.95)
        server = bench.server_ms.get(flow)
        server_text = f"{statistics.median(server):7.1f}" if server else "       "
        print(
            f"{flow:28} {len(values):5d} {med:7.1f} {p95:7.1f} {max(values):7.1f} "
            f"{med / base_med:7.2f} {server_text}"
        )
    print(
        f"baseline median {base_med:.1f} ms, p95 {base_p95:.1f} ms; server = median ms of the "
        "server's time per tap (every request of the tap, static files included)"
    )
    over = [ms for ms in every if ms > 100]
    print(f"taps over 100 ms: {len(over)} of {len(every)}")


if __name__ == "__main__":
    main()
