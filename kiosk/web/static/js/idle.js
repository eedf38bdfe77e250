/*
 * idle.js — nobody stays logged in at a lobby kiosk by mistake.
 *
 * <body data-idle-timeout="60" data-idle-warning="20" data-logged-in="1" data-home-url="/">
 *
 * Logged in: after (timeout - warning) seconds without a touch, click or key, a modal dialog
 * asks "Are you still there?" with a countdown; any touch, click or key dismisses it and starts
 * over; at zero, #logout-form is submitted. Not logged in, on any page but the home page: go
 * back home after `timeout` seconds, without a dialog.
 *
 * Optional data-keepalive-url on <body>: while a logged-in resident keeps touching the screen
 * without loading a page (typing a long text), the csrf_token of #logout-form is POSTed there
 * now and then, so that the server's own idle check sees the activity too.
 *
 * One timer ticks every second while the page is open; time is measured with performance.now(),
 * which does not jump when the clock of the Pi (it has no real-time clock) is set by NTP.
 */
(() => {
  "use strict";
  const Kiosk = window.Kiosk;
  // kiosk.js did not load (a request cut off by a navigation or a restart): do nothing
  // rather than throw; the page still works as plain HTML forms.
  if (!Kiosk) return;
  const t = Kiosk.t;

  const TICK_MS = 1000;
  const ACTIVITY_EVENTS = ["pointerdown", "touchstart", "keydown", "wheel"];
  // A tap that closes the dialog must not also press what is under the finger.
  const SWALLOW_CLICK_MS = 800;

  let timeoutS = 0;
  let warningS = 0;
  let loggedIn = false;
  let homeUrl = "/";
  let lastActivity = 0;
  let leaving = false;
  let dialog = null;
  let countdown = null;
  let focusBefore = null;
  let swallowClicksUntil = 0;
  let refocusAfterClick = null;
  let keepAliveUrl = null;
  let lastKeepAlive = 0;

  function secondsAttribute(name, fallback) {
    const value = Number.parseFloat(document.body.getAttribute(name));
    return Number.isFinite(value) && value > 0 ? value : fallback;
  }

  function isHomePage() {
    const home = new URL(homeUrl, window.location.href);
    return home.pathname === window.location.pathname;
  }

  function buildDialog() {
    const element = document.createElement("dialog");
    element.className = "idle-dialog";
    element.setAttribute("role", "alertdialog");
    element.setAttribute("aria-modal", "true");
    element.setAttribute("aria-labelledby", "idle-dialog-title");
    element.setAttribute("aria-describedby", "idle-dialog-body");

    const title = document.createElement("h2");
    title.id = "idle-dialog-title";
    title.className = "idle-dialog__title";
    title.textContent = t("idle_title");

    const body = document.createElement("p");
    body.id = "idle-dialog-body";
    body.className = "idle-dialog__body";
    body.textContent = t("idle_body");

    countdown = document.createElement("p");
    countdown.className = "idle-dialog__countdown";
    countdown.setAttribute("aria-live", "polite");
    countdown.setAttribute("aria-atomic", "true");

    const stay = document.createElement("button");
    stay.type = "button";
    stay.className = "idle-dialog__stay";
    stay.textContent = t("idle_stay");
    stay.addEventListener("click", () => stayHere());

    element.append(title, body, countdown, stay);
    // Escape closes a modal <dialog> by itself: make it an ordinary "stay" instead.
    element.addEventListener("cancel", (event) => {
      event.preventDefault();
      stayHere();
    });
    document.body.appendChild(element);
    return element;
  }

  function dialogOpen() {
    return dialog !== null && dialog.open;
  }

  function showDialog(remainingS) {
    if (!dialog) dialog = buildDialog();
    countdown.textContent = Kiosk.secondsLeft(remainingS);
    if (dialog.open) return;
    focusBefore = document.activeElement;
    dialog.showModal();
    dialog.querySelector(".idle-dialog__stay").focus();
  }

  /**
   * Close the dialog and give the focus back. When a key closed it, the key is likely the
   * first of a scan: the focus then stays out of text fields so that the scan is not typed
   * into one (scanner.js reads it from the page).
   */
  function hideDialog(byKey = false) {
    if (!dialogOpen()) return null;
    dialog.close();
    const previous = focusBefore;
    focusBefore = null;
    if (!previous || previous === document.body || !previous.isConnected || !previous.focus) return null;
    if (byKey && Kiosk.isTextField(previous)) {
      if (document.activeElement === previous) previous.blur(); // <dialog> restores focus itself
      return null;
    }
    previous.focus({ preventScroll: true });
    return previous;
  }

  function stayHere(byKey = false) {
    lastActivity = performance.now();
    return hideDialog(byKey);
  }

  /** Tell the server that the resident is still here, at most every (timeout - warning) / 2 s. */
  function keepAlive(now) {
    const everyMs = Math.max(5, (timeoutS - warningS) / 2) * 1000;
    if (!keepAliveUrl || now - lastKeepAlive < everyMs) return;
    lastKeepAlive = now;
    const token = document.querySelector('#logout-form input[name="csrf_token"]');
    const body = new URLSearchParams(token ? { csrf_token: token.value } : {});
    fetch(keepAliveUrl, { method: "POST", body, credentials: "same-origin" }).catch(() => {
      // Offline or server busy: the next activity will try again.
    });
  }

  function onActivity(event) {
    if (leaving) return;
    if (loggedIn) keepAlive(performance.now());
    const byKey = event.type === "keydown";
    const byTouch = dialogOpen() && !byKey;
    const refocused = stayHere(byKey);
    if (byTouch) {
      // The rest of this tap (mousedown, click) lands on the page under the finger: it must
      // neither press anything there nor keep the focus that was just given back.
      swallowClicksUntil = performance.now() + SWALLOW_CLICK_MS;
      refocusAfterClick = refocused;
    }
  }

  function onClick(event) {
    if (performance.now() >= swallowClicksUntil) return;
    swallowClicksUntil = 0;
    event.preventDefault();
    event.stopImmediatePropagation();
    const element = refocusAfterClick;
    refocusAfterClick = null;
    if (element && element.isConnected) element.focus({ preventScroll: true });
  }

  function leave() {
    leaving = true;
    if (loggedIn) {
      const form = document.getElementById("logout-form");
      if (form) {
        // The server tells the resident why they were logged out (not "see you soon").
        const why = form.querySelector('input[name="why"]') || document.createElement("input");
        why.type = "hidden";
        why.name = "why";
        why.value = "idle";
        form.appendChild(why);
        Kiosk.submitForm(form);
        return;
      }
      console.error("kiosk: idle log-out needs a #logout-form");
    }
    window.location.assign(homeUrl);
  }

  function tick() {
    if (leaving) return;
    const idleS = (performance.now() - lastActivity) / 1000;
    if (idleS >= timeoutS) {
      hideDialog();
      leave();
      return;
    }
    if (loggedIn && idleS >= timeoutS - warningS) {
      showDialog(Math.max(1, Math.ceil(timeoutS - idleS)));
    }
  }

  Kiosk.onReady(() => {
    const body = document.body;
    loggedIn = body.getAttribute("data-logged-in") === "1";
    homeUrl = body.getAttribute("data-home-url") || "/";
    timeoutS = secondsAttribute("data-idle-timeout", 0);
    warningS = Math.min(secondsAttribute("data-idle-warning", 0), timeoutS);
    if (timeoutS === 0) return; // no timeout on this page
    if (!loggedIn && isHomePage()) return;

    lastActivity = performance.now();
    lastKeepAlive = lastActivity; // the page load itself was a request
    keepAliveUrl = loggedIn ? body.getAttribute("data-keepalive-url") : null;
    for (const type of ACTIVITY_EVENTS) {
      window.addEventListener(type, onActivity, { capture: true, passive: true });
    }
    window.addEventListener("click", onClick, true);
    window.addEventListener("pageshow", (event) => {
      if (!event.persisted) return; // back from the history cache: start counting again
      leaving = false;
      lastActivity = performance.now();
    });
    window.setInterval(tick, TICK_MS);
  });

  window.KioskIdle = Object.freeze({ tick });
})();
