/*
 * numpad.js — wires the inline number pads rendered by the server:
 *
 *   <div class="numpad" data-for="INPUT_ID"> <button type="button" data-key="1">1</button> ...
 *
 * data-key is a digit, "," or "comma" (inserts ","), "back", "clear" or "ok" (submits the
 * input's form). The target input's data-keyboard chooses the rules: "pin" and "digits" take
 * digits only, "numpad" an amount (one decimal comma, two decimals). Without data-keyboard, a
 * password or inputmode="numeric" input takes digits only and any other input an amount. Keys edit the end of
 * the value, respect maxlength, and fire "input" events like typing would.
 */
(() => {
  "use strict";
  const Kiosk = window.Kiosk;
  // kiosk.js did not load (a request cut off by a navigation or a restart): do nothing
  // rather than throw; the page still works as plain HTML forms.
  if (!Kiosk) return;
  const t = Kiosk.t;

  const SPECIAL_LABELS = { back: "key_backspace", clear: "key_clear", ok: "key_ok", comma: "key_comma" };

  function targetOf(pad) {
    const id = pad.getAttribute("data-for");
    return id ? document.getElementById(id) : null;
  }

  function rulesFor(input) {
    const kind = input.getAttribute("data-keyboard");
    if (kind === "pin" || kind === "digits") return kind;
    if (input.dataset.numericOnly === "1") return "digits";
    if (kind === "numpad") return kind;
    return input.type === "password" ? "pin" : "numpad";
  }

  function prepare(pad) {
    if (!pad.hasAttribute("role")) pad.setAttribute("role", "group");
    if (!pad.hasAttribute("aria-label") && !pad.hasAttribute("aria-labelledby")) {
      pad.setAttribute("aria-label", t("numpad_label"));
    }
    for (const button of pad.querySelectorAll("button[data-key]")) {
      const key = button.getAttribute("data-key");
      if (button.hasAttribute("aria-label") || !SPECIAL_LABELS[key]) continue;
      // "⌫" means nothing to a screen reader; an empty button has no name at all.
      if (key === "back" || !button.textContent.trim()) {
        button.setAttribute("aria-label", t(SPECIAL_LABELS[key]));
      }
    }
    // The pad is the keyboard of this field: no native keyboard (keyboard.js opens no pop-up
    // panel for a field that has an inline pad).
    const input = targetOf(pad);
    if (input) {
      if (input.getAttribute("inputmode") === "numeric") input.dataset.numericOnly = "1";
      input.setAttribute("inputmode", "none");
    }
  }

  function press(pad, key) {
    const input = targetOf(pad);
    if (!input || input.disabled || input.readOnly) return;
    switch (key) {
      case "back":
        Kiosk.deleteBackward(input, true);
        return;
      case "clear":
        Kiosk.clearField(input);
        return;
      case "ok":
        Kiosk.submitForm(input.form);
        return;
      default: {
        const char = key === "comma" ? "," : key; // data-key="," works as well
        const text = Kiosk.numpadText(rulesFor(input), input.value, char);
        if (text) Kiosk.insertText(input, text, true);
      }
    }
  }

  function onClick(event) {
    const button = event.target.closest(".numpad[data-for] button[data-key]");
    if (!button) return;
    press(button.closest(".numpad[data-for]"), button.getAttribute("data-key"));
  }

  Kiosk.onReady(() => {
    document.querySelectorAll(".numpad[data-for]").forEach(prepare);
    document.addEventListener("click", onClick);
  });
})();
