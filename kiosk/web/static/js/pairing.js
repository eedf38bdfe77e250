/*
 * pairing.js — the "Link my phone" page waits for the phone: it asks the kiosk every three
 * seconds whether the code was used (data-pair-state, a JSON URL) and reloads the page once it
 * was, or once it expired, so the page says so in words. Plain ES2020, no dependency.
 */
(() => {
  "use strict";
  const box = document.querySelector("[data-pair-state]");
  if (!box) return;
  const url = box.dataset.pairState;
  async function ask() {
    try {
      const answer = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (answer.ok) {
        const state = await answer.json();
        if (state.paired || state.expired) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      /* the kiosk's own server: try again at the next beat */
    }
    window.setTimeout(ask, 3000);
  }
  window.setTimeout(ask, 3000);
})();
