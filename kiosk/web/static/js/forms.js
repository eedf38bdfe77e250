/*
 * forms.js — one tap sends a form once (load after kiosk.js, with `defer`).
 *
 * A second tap on OK while the first request is on its way is ignored: once a POST form is
 * submitted (its submit button, the numpad's OK key, Enter, or Kiosk.submitForm), any further
 * submission of it is cancelled, and its submit buttons and the numpad's OK key are disabled
 * (after the submission has taken the pressed button's name and value) and the form is marked
 * aria-busy. Without JavaScript nothing changes: the server records each one-time key once
 * anyway (kiosk/web/once.py). A page shown again from the back/forward cache, or a request
 * still unanswered after SEND_TIMEOUT_MS, gives the form back.
 *
 * Markup: nothing to add. A form with `data-resubmit` is left alone (forms that stay on the
 * page, such as a download).
 */
(() => {
  "use strict";

  const SEND_TIMEOUT_MS = 15000;
  const BUTTONS = 'button[type="submit"], button:not([type]), input[type="submit"], .numpad-ok';

  function controls(form) {
    const own = Array.from(form.querySelectorAll(BUTTONS));
    const outside = form.id
      ? Array.from(document.querySelectorAll(`[form="${CSS.escape(form.id)}"]`)).filter(
          (element) => element.matches(BUTTONS),
        )
      : [];
    return own.concat(outside);
  }

  function release(form) {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    for (const button of controls(form)) {
      if (button.dataset.disabledBySend) {
        button.disabled = false;
        delete button.dataset.disabledBySend;
      }
    }
  }

  function hold(form) {
    form.dataset.sending = "1";
    form.setAttribute("aria-busy", "true");
    // After this task: the submission has already read the pressed button's name and value.
    window.setTimeout(() => {
      if (!form.dataset.sending) return;
      for (const button of controls(form)) {
        if (!button.disabled) {
          button.disabled = true;
          button.dataset.disabledBySend = "1";
        }
      }
    }, 0);
    window.setTimeout(() => release(form), SEND_TIMEOUT_MS);
  }

  // Capture: runs before any other submit listener, so a second submission never reaches them.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-resubmit")) return;
      if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
      if (form.dataset.sending) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );

  // Bubble: the form really goes (no other listener cancelled it).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.hasAttribute("data-resubmit")) return;
    if ((form.getAttribute("method") || "get").toLowerCase() !== "post") return;
    if (!event.defaultPrevented) hold(form);
  });

  window.addEventListener("pageshow", (event) => {
    if (event.persisted) document.querySelectorAll("form[data-sending]").forEach(release);
  });
})();
