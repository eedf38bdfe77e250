"""Touch to next paint, measured in Chromium by the page's own clocks (issue #18, item 5).

An init script (``TAP_SCRIPT``) notes each ``pointerdown``'s absolute time
(``performance.timeOrigin + event.timeStamp``) in ``sessionStorage``, so it survives the
navigation the tap starts. Then:

- a tap that loads another page (a link, a form, a POST and its redirect): the new document's
  first-contentful-paint (``timeOrigin + entry.startTime``) minus the touch;
- a tap that changes the page in place (a pad key, the person picker): the first animation
  frame after the last event of the tap (``pointerdown``, ``pointerup``, ``click``), taken
  just after that frame is drawn, minus the touch.

API (plain helpers, and a fixture re-exported by conftest.py):

- ``timed_tap(page, locator, flow, step="", *, navigates=True, recorder=None) -> float``: taps
  ``locator`` (Playwright's ``tap``: touch events), waits for the next paint, returns the
  milliseconds and, with a recorder, records them. Installs the script on first use.
- ``TapRecorder``: ``record(flow, step, ms)``, ``measurements`` (a list of dicts flow / step /
  ms), ``by_flow()``, ``write(path)`` (JSON).
- fixture ``taps``: a ``TapRecorder`` whose ``tap(page, locator, flow, step="",
  navigates=True)`` calls ``timed_tap``; at the end of the test it writes ``taps.json`` under
  a pytest temporary directory and, when ``$KIOSK_ARTEFACTS`` is set, appends to
  ``$KIOSK_ARTEFACTS/taps.json``.

Speed targets live in bench/ (bench/bench_taps.py), never in tests: a test may only check that
a measurement was taken and is a positive number.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

TAP_SCRIPT = """
(() => {
  if (window.__tapTiming) return;
  const frameAfter = () => {
    const mark = performance.timeOrigin + performance.now();
    window.__tapTiming.pending = new Promise((resolve) =>
      requestAnimationFrame(() => {
        // The callback runs before the frame is drawn: the message comes once it is.
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.timeOrigin + performance.now());
        channel.port2.postMessage(null);
      }));
    window.__tapTiming.lastEvent = mark;
  };
  window.__tapTiming = { pending: null, lastEvent: 0 };
  window.addEventListener("pointerdown", (event) => {
    try {
      sessionStorage.setItem("__tapDown", String(performance.timeOrigin + event.timeStamp));
    } catch (_) { /* storage refused: the measurement will say so */ }
  }, { capture: true, passive: true });
  window.addEventListener("pointerup", (event) => {
    try {
      sessionStorage.setItem("__tapUp", String(performance.timeOrigin + event.timeStamp));
    } catch (_) { /* as above */ }
  }, { capture: true, passive: true });
  for (const type of ["pointerdown", "pointerup", "click"]) {
    window.addEventListener(type, frameAfter, { passive: true });
  }
})();
"""

FIRST_PAINT_JS = """() => new Promise((resolve) => {
  const seen = (entries) => {
    const fcp = entries.find((e) => e.name === "first-contentful-paint");
    if (fcp) { resolve(performance.timeOrigin + fcp.startTime); return true; }
    return false;
  };
  if (seen(performance.getEntriesByType("paint"))) return;
  new PerformanceObserver((list, observer) => {
    if (seen(list.getEntries())) observer.disconnect();
  }).observe({ type: "paint", buffered: true });
})"""

TOUCH_JS = "() => Number(sessionStorage.getItem('__tapDown') || 'NaN')"


def install(page: Any) -> None:
    """Put the timing script on ``page``: in every document it loads from now on, and in the
    current one."""
    if getattr(page, "_tap_timing_installed", False):
        return
    page.add_init_script(TAP_SCRIPT)
    page.evaluate(TAP_SCRIPT)
    page._tap_timing_installed = True


def timed_tap(
    page: Any,
    locator: Any,
    flow: str,
    step: str = "",
    *,
    navigates: bool = True,
    recorder: TapRecorder | None = None,
) -> float:
    """Tap ``locator`` and return the milliseconds from the touch to the next paint: the new
    page's first contentful paint when ``navigates``, else the frame after the tap."""
    install(page)
    locator.scroll_into_view_if_needed()
    page.evaluate("() => sessionStorage.removeItem('__tapDown')")
    if navigates:
        with page.expect_navigation(wait_until="commit"):
            locator.tap()
        painted = page.evaluate(FIRST_PAINT_JS)
    else:
        locator.tap()
        painted = page.evaluate("() => window.__tapTiming.pending")
    touched = page.evaluate(TOUCH_JS)
    if touched != touched or painted is None:  # NaN: no pointerdown was seen
        raise AssertionError(f"no touch or paint measured for {flow} / {step} on {page.url}")
    ms = painted - touched
    if recorder is not None:
        recorder.record(flow, step, ms)
    return ms


@dataclass
class TapRecorder:
    """Every measurement of a test or a bench run: flow, step, milliseconds."""

    measurements: list[dict[str, Any]] = field(default_factory=list)

    def record(self, flow: str, step: str, ms: float) -> None:
        self.measurements.append({"flow": flow, "step": step, "ms": round(ms, 2)})

    def tap(self, page: Any, locator: Any, flow: str, step: str = "", **kwargs: Any) -> float:
        return timed_tap(page, locator, flow, step, recorder=self, **kwargs)

    def by_flow(self) -> dict[str, list[float]]:
        flows: dict[str, list[float]] = {}
        for m in self.measurements:
            flows.setdefault(m["flow"], []).append(m["ms"])
        return flows

    def write(self, path: Path, *, append: bool = False) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        before: list[dict[str, Any]] = []
        if append and path.exists():
            before = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(before + self.measurements, indent=1), encoding="utf-8")
        return path


@pytest.fixture
def taps(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A ``TapRecorder`` for the test; its measurements go to the test artefacts at the end."""
    recorder = TapRecorder()
    yield recorder
    if not recorder.measurements:
        return
    for m in recorder.measurements:
        m["test"] = request.node.nodeid
    recorder.write(tmp_path_factory.mktemp("taps") / "taps.json")
    extra = os.environ.get("KIOSK_ARTEFACTS")
    if extra:
        recorder.write(Path(extra) / "taps.json", append=True)
