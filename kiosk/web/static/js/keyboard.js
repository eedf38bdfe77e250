/*
 * keyboard.js — the on-screen keyboard and pop-up number pads.
 *
 * Fields marked data-keyboard="text" | "numpad" | "pin" get inputmode="none" (no native
 * keyboard); when one is focused a panel slides up at the bottom of the screen, the page gets
 * room below its content, and the field scrolls into view above the panel. Keys edit the field
 * without taking the focus from it. OK (and Escape) closes the panel; with data-ok="submit" on
 * the field, OK submits the field's form.
 *
 * Text layers: French AZERTY letters, accented letters (é è ê à ù ç œ « » ’ ...; after one
 * accented letter the keyboard goes back to the letters), numbers and symbols. Shift cycles
 * off -> one letter -> caps lock -> off.
 *
 * data-keyboard="code": one layer with the figures and the 19 capital letters a voucher's code
 * uses (kiosk/vouchers/codes.py), in AZERTY order: no shift, no layer to switch, no key that
 * cannot be in a code.
 */
(() => {
  "use strict";
  const Kiosk = window.Kiosk;
  // kiosk.js did not load (a request cut off by a navigation or a restart): do nothing
  // rather than throw; the page still works as plain HTML forms.
  if (!Kiosk) return;
  const t = Kiosk.t;

  // Keys: a string is a character key; an object is a special key with an action and a width.
  const SHIFT = { action: "shift", width: 1.5 };
  const BACK = { action: "back", width: 1.5 };
  const OK = { action: "ok", width: 2 };
  const SPACE = { action: "space", width: 3 };
  const TO_LETTERS = { action: "letters", width: 1.5 };
  const TO_SYMBOLS = { action: "symbols", width: 1.5 };
  const TO_ACCENTS = { action: "accents", width: 1.5 };

  const TEXT_LAYERS = {
    letters: [
      ["a", "z", "e", "r", "t", "y", "u", "i", "o", "p"],
      ["q", "s", "d", "f", "g", "h", "j", "k", "l", "m"],
      [SHIFT, "w", "x", "c", "v", "b", "n", "'", BACK],
      [TO_SYMBOLS, TO_ACCENTS, ",", SPACE, ".", OK],
    ],
    accents: [
      ["é", "è", "ê", "ë", "à", "â", "ù", "û", "ü", "ç"],
      ["œ", "æ", "î", "ï", "ô", "ö", "ÿ", "«", "»", "’"],
      [SHIFT, "-", "!", "?", ":", ";", "\"", BACK],
      [TO_SYMBOLS, TO_LETTERS, ",", SPACE, ".", OK],
    ],
    symbols: [
      ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
      ["@", "#", "€", "%", "&", "*", "(", ")", "-", "+"],
      ["/", "_", "=", ":", ";", "!", "?", "\"", BACK],
      [TO_LETTERS, TO_ACCENTS, ",", SPACE, ".", OK],
    ],
  };

  const CLEAR = { action: "clear" };
  const CODE_LAYOUT = [
    ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"],
    ["E", "R", "T", "Y", "U", "P", "S", "D", "F", "G"],
    ["H", "J", "K", "L", "X", "C", "V", "B", "N", BACK],
    [{ action: "clear", width: 2 }, "-", { action: "space", width: 3 }, OK],
  ];
  const PAD_BACK = { action: "back" }; // as wide as a digit on the pads
  const DIGITS_ONLY = [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], [CLEAR, "0", PAD_BACK], [OK]];
  const NUMPAD_LAYOUTS = {
    numpad: [["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"], [",", "0", PAD_BACK], [CLEAR, OK]],
    pin: DIGITS_ONLY,
    digits: DIGITS_ONLY,
  };

  const state = {
    panel: null,
    field: null, // the field being edited
    kind: null, // "text" | "numpad" | "pin"
    layer: "letters",
    shift: "off", // "off" | "once" | "lock"
    valueAtFocus: "",
  };

  function hasInlinePad(field) {
    return Boolean(field.id) && document.querySelector(
      `.numpad[data-for="${CSS.escape(field.id)}"]`) !== null;
  }

  /**
   * The keyboard a field asks for: "text", "numpad" (amounts), "pin" or "digits" (also
   * data-keyboard="numpad" with inputmode="numeric"); null when it asks for none or the server
   * drew an inline pad for it.
   */
  function kindOf(field) {
    let kind = field && field.getAttribute && field.getAttribute("data-keyboard");
    if (!["text", "code", "numpad", "pin", "digits"].includes(kind)) return null;
    if (kind === "numpad" && field.dataset.numericOnly === "1") kind = "digits";
    return hasInlinePad(field) ? null : kind;
  }

  function prepareField(field) {
    const mode = field.getAttribute("inputmode");
    if (mode === "none") return;
    if (mode === "numeric") field.dataset.numericOnly = "1"; // remembered: digits only
    field.setAttribute("inputmode", "none");
  }

  function createPanel() {
    const panel = document.createElement("div");
    panel.className = "osk";
    panel.hidden = true;
    panel.setAttribute("role", "group");
    // Keys must not take the focus away from the field they type into.
    panel.addEventListener("pointerdown", (event) => event.preventDefault());
    panel.addEventListener("mousedown", (event) => event.preventDefault());
    panel.addEventListener("click", onKeyClick);
    document.body.appendChild(panel);
    watchPanelSize(panel);
    return panel;
  }

  function makeKey(key) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "osk-key";
    if (typeof key === "string") {
      const upper = state.kind === "text" && state.shift !== "off";
      button.dataset.char = key;
      button.textContent = upper ? key.toUpperCase() : key;
      if (key === ",") {
        if (state.kind === "numpad") button.setAttribute("aria-label", t("key_comma"));
      }
    } else {
      button.dataset.action = key.action;
      button.classList.add(`osk-key--${key.action}`);
      labelSpecialKey(button, key.action);
    }
    const width = typeof key === "string" ? 1 : key.width || 1;
    button.style.setProperty("--osk-span", String(width));
    return button;
  }

  function labelSpecialKey(button, action) {
    switch (action) {
      case "shift":
        button.textContent = state.shift === "lock" ? "⇪" : "⇧";
        button.setAttribute("aria-label", t(state.shift === "lock" ? "key_caps" : "key_shift"));
        button.setAttribute("aria-pressed", state.shift === "off" ? "false" : "true");
        break;
      case "back":
        button.textContent = "⌫";
        button.setAttribute("aria-label", t("key_backspace"));
        break;
      case "space":
        button.textContent = t("key_space");
        break;
      case "ok":
        button.textContent = t("key_ok");
        break;
      case "clear":
        button.textContent = t("key_clear");
        break;
      case "letters":
        button.textContent = t("key_letters");
        break;
      case "symbols":
        button.textContent = t("key_symbols");
        break;
      case "accents":
        button.textContent = t("key_accents");
        break;
      default:
        button.textContent = action;
    }
  }

  function render() {
    const panel = state.panel;
    const keyboard = state.kind === "text" || state.kind === "code";
    let rows = NUMPAD_LAYOUTS[state.kind];
    if (state.kind === "text") rows = TEXT_LAYERS[state.layer];
    if (state.kind === "code") rows = CODE_LAYOUT;
    panel.className = `osk osk--${keyboard ? "text" : "numpad"}`;
    panel.dataset.layer = state.kind === "text" ? state.layer : state.kind;
    panel.setAttribute("aria-label", t(keyboard ? "keyboard_label" : "numpad_label"));
    const fragment = document.createDocumentFragment();
    for (const keys of rows) {
      const row = document.createElement("div");
      row.className = "osk-row";
      for (const key of keys) row.appendChild(makeKey(key));
      fragment.appendChild(row);
    }
    panel.replaceChildren(fragment);
  }

  function open(field) {
    if (!state.panel) state.panel = createPanel();
    const sameField = state.field === field;
    state.field = field;
    state.kind = kindOf(field);
    if (!sameField) {
      state.layer = "letters";
      state.shift = "off";
      state.valueAtFocus = field.value;
    }
    render();
    state.panel.hidden = false;
    document.documentElement.classList.add("osk-open");
    makeRoomFor(field);
  }

  /** Leave room below the page for the panel (the page and its action bar end above it) and
   * scroll the field into what is left of the page. Measured after layout, and again whenever
   * the panel changes size (the screen turned, the window resized: its keys follow the height). */
  function makeRoomFor(field) {
    requestAnimationFrame(() => {
      if (state.field !== field || state.panel.hidden) return;
      const height = state.panel.getBoundingClientRect().height;
      document.documentElement.style.setProperty("--osk-height", `${Math.ceil(height)}px`);
      requestAnimationFrame(() => {
        if (state.field === field && !state.panel.hidden) {
          field.scrollIntoView({ block: "nearest", inline: "nearest" });
        }
      });
    });
  }

  function watchPanelSize(panel) {
    if (typeof ResizeObserver !== "function") return;
    let last = 0;
    new ResizeObserver(() => {
      const height = Math.ceil(panel.getBoundingClientRect().height);
      if (height && height !== last && state.field && !panel.hidden) makeRoomFor(state.field);
      last = height;
    }).observe(panel);
  }

  function close({ blur = true } = {}) {
    const field = state.field;
    if (!field) return;
    state.field = null;
    if (state.panel) state.panel.hidden = true;
    document.documentElement.classList.remove("osk-open");
    document.documentElement.style.removeProperty("--osk-height");
    if (field.value !== state.valueAtFocus) {
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (blur && document.activeElement === field) field.blur();
  }

  function typeCharacter(field, char) {
    if (state.kind === "code") {
      Kiosk.insertText(field, char);
      return;
    }
    if (state.kind === "text") {
      const text = state.shift !== "off" ? char.toUpperCase() : char;
      Kiosk.insertText(field, text);
      let changed = false;
      if (state.shift === "once") {
        state.shift = "off";
        changed = true;
      }
      if (state.layer === "accents" && /\p{L}/u.test(char)) {
        state.layer = "letters";
        changed = true;
      }
      if (changed) render();
      return;
    }
    const text = Kiosk.numpadText(state.kind, field.value, char);
    if (text) Kiosk.insertText(field, text, true);
  }

  function onKeyClick(event) {
    const button = event.target.closest("button");
    const field = state.field;
    if (!button || !field) return;
    if (document.activeElement !== field) field.focus({ preventScroll: true });
    if (button.dataset.char !== undefined) {
      typeCharacter(field, button.dataset.char);
      return;
    }
    const atEnd = state.kind !== "text" && state.kind !== "code";
    switch (button.dataset.action) {
      case "back":
        Kiosk.deleteBackward(field, atEnd);
        break;
      case "space":
        Kiosk.insertText(field, " ");
        break;
      case "clear":
        Kiosk.clearField(field);
        break;
      case "shift":
        state.shift = { off: "once", once: "lock", lock: "off" }[state.shift];
        render();
        break;
      case "letters":
      case "symbols":
      case "accents":
        state.layer = button.dataset.action;
        render();
        break;
      case "ok": {
        const submit = field.getAttribute("data-ok") === "submit" ? field.form : null;
        close();
        if (submit) Kiosk.submitForm(submit);
        break;
      }
      default:
        break;
    }
  }

  function onFocusIn(event) {
    const field = event.target;
    if (kindOf(field) && !field.disabled && !field.readOnly) {
      prepareField(field);
      open(field);
    }
  }

  // The panel closes only after the tap that took the focus away has done its work. Closing at
  // once would take the panel's room from under the page, so the page and its action bar would
  // move, and the tap on "Continuer" or "Publier" would land beside the button (the first tap
  // did nothing but close the keyboard). A touch is over before the focus moves (its click
  // follows in the same task): close after that task. A mouse button still held: close once
  // it is released and its click has gone where it was aimed.
  const pointer = { down: false, closeWhenUp: false };

  function closeIfLeft() {
    if (state.field && document.activeElement !== state.field) close({ blur: false });
  }

  function onPointerDown() {
    pointer.down = true;
  }

  function onPointerUp() {
    pointer.down = false;
    if (!pointer.closeWhenUp) return;
    pointer.closeWhenUp = false;
    setTimeout(closeIfLeft, 0);
  }

  function onFocusOut(event) {
    if (event.target !== state.field) return;
    const next = event.relatedTarget;
    if (next && state.panel && state.panel.contains(next)) return;
    if (kindOf(next)) return; // focusin of the next field re-targets the panel
    if (pointer.down) pointer.closeWhenUp = true;
    else setTimeout(closeIfLeft, 0);
  }

  function onKeyDown(event) {
    if (event.key === "Escape" && state.field) close();
  }

  Kiosk.onReady(() => {
    document.querySelectorAll("[data-keyboard]").forEach(prepareField);
    document.addEventListener("focusin", onFocusIn);
    document.addEventListener("focusout", onFocusOut);
    document.addEventListener("pointerdown", (event) => {
      if (event.pointerType === "mouse") onPointerDown();
    }, true);
    document.addEventListener("pointerup", onPointerUp, true);
    document.addEventListener("pointercancel", onPointerUp, true);
    document.addEventListener("keydown", onKeyDown);
    // The screen turned or the window changed size: the panel's height changes with it.
    window.addEventListener("resize", () => {
      if (state.field && state.panel && !state.panel.hidden) makeRoomFor(state.field);
    });
    // A field focused before this script ran (autofocus) gets its keyboard too.
    if (kindOf(document.activeElement)) onFocusIn({ target: document.activeElement });
  });

  window.KioskKeyboard = Object.freeze({ open, close });
})();
