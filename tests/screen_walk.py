"""What the 800x480 lobby screen must show on every page (issue #18), checked in Chromium.

``check_screen(page, name, primary)`` runs, right after a page is painted and before anything
scrolls, the checks a resident would make with their eyes and one finger:

- the primary action (a button or link named as the resident reads it) is wholly inside the
  screen and nothing covers it (the element under its centre is the action itself);
- the page does not move sideways (no horizontal overflow, nothing of the top bar cut at the
  right edge, "Se déconnecter" inside its button);
- scrolled to its very end, the top bar and its log-out button are still on screen;
- axe-core finds no WCAG 2.2 A/AA violation;
- a screenshot is saved (the test artefacts, and ``$KIOSK_SCREENSHOTS`` when set).

It returns the list of what failed, so a walk reports every page at once.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser import assert_accessible

# Evaluated in the page: where an element is and whether it is the one under its own centre.
_BOX = """(el) => {
  const r = el.getBoundingClientRect();
  const x = Math.min(Math.max(r.left + r.width / 2, 0), window.innerWidth - 1);
  const y = Math.min(Math.max(r.top + r.height / 2, 0), window.innerHeight - 1);
  const hit = document.elementFromPoint(x, y);
  return {
    left: r.left, top: r.top, right: r.right, bottom: r.bottom,
    width: window.innerWidth, height: window.innerHeight,
    covered: !(hit && (hit === el || el.contains(hit))),
    by: hit ? (hit.className || hit.tagName) : null,
    disabled: Boolean(el.disabled),
  };
}"""

_OVERFLOW = """() => {
  const width = window.innerWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width) {
    out.push(`the page is ${document.documentElement.scrollWidth - width} px wider than the screen`);
  }
  const main = document.querySelector("main");
  if (main && main.scrollWidth > main.clientWidth) {
    out.push(`the page scrolls sideways by ${main.scrollWidth - main.clientWidth} px`);
  }
  for (const el of document.querySelectorAll(".topbar > *, .topbar button")) {
    const r = el.getBoundingClientRect();
    if (r.width && (r.right > width + 0.5 || r.left < -0.5)) {
      out.push(`top bar: ${el.className || el.tagName} cut at the edge (${Math.round(r.left)}-${Math.round(r.right)})`);
    }
    if (el.tagName === "BUTTON" && el.scrollWidth > el.clientWidth + 1) {
      out.push(`top bar: "${el.textContent.trim()}" spills out of its button`);
    }
  }
  return out;
}"""


# The page scrolls in <main> (kiosk.css: top bar, page, action bar); the window too, in case.
SCROLLED = "() => window.scrollY + (document.querySelector('main')?.scrollTop ?? 0)"
SCROLL_TO_END = """() => {
  window.scrollTo(0, document.documentElement.scrollHeight);
  const main = document.querySelector("main");
  if (main) main.scrollTop = main.scrollHeight;
}"""
SCROLL_TO_TOP = """() => {
  window.scrollTo(0, 0);
  const main = document.querySelector("main");
  if (main) main.scrollTop = 0;
}"""


def primary_locator(page: Any, primary: tuple[str, str]) -> Any:
    role, name = primary
    return page.get_by_role(role, name=name, exact=True).first


def in_view(page: Any, locator: Any) -> dict:
    return locator.evaluate(_BOX)


def check_screen(
    page: Any,
    name: str,
    primary: tuple[str, str] | None,
    *,
    screenshot: Any = None,
    logged_in: bool = True,
    all_of: str | None = None,
    axe: bool = True,
) -> list[str]:
    """Check the page as painted now; ``all_of`` is a CSS selector whose every match must be
    on the first screen too (home's tiles)."""
    page.wait_for_load_state("load")
    size = page.viewport_size
    where = f"{name} ({size['width']}x{size['height']}, {page.url.split('/', 3)[-1]})"
    failures: list[str] = []
    scrolled = page.evaluate(SCROLLED)
    if scrolled:
        failures.append(f"{where}: the page scrolled by itself to y={scrolled}")
    if primary is not None:
        action = primary_locator(page, primary)
        if not action.count():
            failures.append(f"{where}: no {primary[0]} named {primary[1]!r}")
        else:
            failures += _visible(where, f"{primary[1]!r}", in_view(page, action))
    if all_of:
        for index in range(page.locator(all_of).count()):
            item = page.locator(all_of).nth(index)
            failures += _visible(where, f"{item.inner_text()!r}", in_view(page, item))
    failures += [f"{where}: {problem}" for problem in page.evaluate(_OVERFLOW)]
    if logged_in:
        page.evaluate(SCROLL_TO_END)
        logout = page.locator(".topbar").get_by_role("button", name="Se déconnecter")
        if not logout.count():
            logout = page.locator(".topbar").get_by_role("button", name="Log out")
        if not logout.count():
            failures.append(f"{where}: no log-out button in the top bar")
        else:
            failures += _visible(where, "log-out (scrolled to the end)", in_view(page, logout))
        page.evaluate(SCROLL_TO_TOP)
    if axe:
        try:
            assert_accessible(page)
        except pytest.fail.Exception as exc:  # collected with the others
            failures.append(f"{where}: {exc}")
    if screenshot is not None:
        screenshot(page, name, sizes=((size["width"], size["height"]),))
    return failures


def _visible(where: str, what: str, box: dict) -> list[str]:
    if (
        box["top"] < -0.5
        or box["left"] < -0.5
        or box["bottom"] > box["height"] + 0.5
        or box["right"] > box["width"] + 0.5
    ):
        return [
            f"{where}: {what} is not wholly on screen "
            f"(x {box['left']:.0f}-{box['right']:.0f}, y {box['top']:.0f}-{box['bottom']:.0f})"
        ]
    if box["covered"]:
        return [f"{where}: {what} is covered by {box['by']}"]
    return []
