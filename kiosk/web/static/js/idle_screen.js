/*
 * idle_screen.js — the welcome page's rotating panel (new offers, polls closing soon, notices)
 * and its big clock. Plain ES2020, no dependency.
 *
 * Markup (login/home.html):
 *   <section class="idle-screen" data-rotate-seconds="8">
 *     <p id="idle-clock"></p>
 *     <ul class="idle-items"><li class="idle-item">...</li>...</ul>
 *   </section>
 *
 * Without JavaScript, or with prefers-reduced-motion, every item stays listed (no rotation).
 * With it, one item shows at a time, the next after data-rotate-seconds; a touch on the panel
 * pauses the rotation for a minute. Time is shown in the building's zone (body data-timezone).
 */
(() => {
  "use strict";
  const screen = document.querySelector(".idle-screen");
  if (!screen) return;

  const clock = document.getElementById("idle-clock");
  const zone = document.body.dataset.timezone || undefined;
  const lang = document.documentElement.lang || "fr";
  function showTime() {
    if (!clock) return;
    try {
      clock.textContent = new Date().toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit", timeZone: zone });
    } catch (error) {
      clock.textContent = new Date().toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    }
  }
  showTime();
  window.setInterval(showTime, 10000);

  const items = Array.from(screen.querySelectorAll(".idle-item"));
  const reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  if (items.length < 2 || reduced) return;

  const seconds = Math.max(3, Number.parseFloat(screen.dataset.rotateSeconds) || 8);
  const PAUSE_MS = 60000;
  let current = 0;
  let pausedUntil = 0;
  screen.classList.add("idle-rotating");

  function show(index) {
    items.forEach((item, i) => { item.hidden = i !== index; });
  }
  show(current);
  window.setInterval(() => {
    if (performance.now() < pausedUntil) return;
    current = (current + 1) % items.length;
    show(current);
  }, seconds * 1000);

  const panel = screen.querySelector(".idle-panel");
  if (panel) {
    panel.addEventListener("pointerdown", () => { pausedUntil = performance.now() + PAUSE_MS; });
  }
})();
