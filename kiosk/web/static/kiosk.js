/*
 * kiosk.js — browser side of the building kiosk (plain ES2020, no framework, no build step).
 *
 * This file is the core (translated strings, field editing, form submission) and must be loaded
 * first; the behaviours live in small modules loaded after it, all with `defer`, in this order:
 *
 *   <link rel="stylesheet" href="/static/osk.css">
 *   <script defer src="/static/kiosk.js"></script>
 *   <script defer src="/static/js/scanner.js"></script>
 *   <script defer src="/static/js/keyboard.js"></script>
 *   <script defer src="/static/js/numpad.js"></script>
 *   <script defer src="/static/js/idle.js"></script>
 *
 * MARKUP CONTRACT (what the Jinja templates provide)
 * --------------------------------------------------
 * In the base template, on every page:
 *
 *   <html lang="fr">                     (used for plural rules of the countdown)
 *   <body data-idle-timeout="60"         seconds without activity before leaving the page
 *         data-idle-warning="20"         seconds of "Are you still there?" countdown (logged in)
 *         data-logged-in="1"             "1" when a resident is logged in, else "0" or absent
 *         data-home-url="/">             optional, the home/login page (default "/")
 *
 *   <form id="scan-form" method="post" action="/scan" hidden>
 *     <input type="hidden" name="csrf_token" value="...">
 *     <input type="hidden" name="code">
 *   </form>
 *   <form id="logout-form" method="post" action="/logout" hidden>
 *     <input type="hidden" name="csrf_token" value="...">
 *   </form>
 *   <script id="kiosk-strings" type="application/json">{"idle_title": "...", ...}</script>
 *
 * Translated strings (keys of the JSON above; any missing key falls back to this English text):
 * see DEFAULT_STRINGS below. "{n}" is replaced by a number.
 *
 * Scanner: a scan ("KC..." card token, "KV..." voucher code) fills #scan-form's "code" and
 * submits it. On a page with an element carrying `data-scan-target`, the code goes into that
 * input instead and the input's own form is submitted. `data-scan-target="KV"` accepts only
 * codes starting with KV (other scans still go to #scan-form); an empty value accepts any code.
 *
 * Pop-up keyboards (a panel slides up from the bottom while the field is focused):
 *   <input type="text" name="title" data-keyboard="text">          French AZERTY keyboard
 *   <textarea name="body" data-keyboard="text"></textarea>          same
 *   <input type="text" name="amount" data-keyboard="numpad">        digits, decimal comma
 *   <input type="password" name="pin" maxlength="6" data-keyboard="pin">   digits only
 *   <input type="text" name="minutes" maxlength="2" data-keyboard="digits"> digits only
 *     (data-keyboard="numpad" with inputmode="numeric" also means digits only)
 * Optional on any of them: data-ok="submit" makes the OK key submit the field's form
 * (default: OK only closes the panel). The JS sets inputmode="none" (no native keyboard).
 *
 * Inline numpad rendered by the server (always visible, no pop-up), for example for the PIN:
 *
 *   <input type="password" id="pin" name="pin" maxlength="6" autocomplete="off"
 *          inputmode="none" aria-describedby="pin-help">
 *   <div class="numpad" data-for="pin" role="group" aria-label="{{ _('Number pad') }}">
 *     <button type="button" data-key="1">1</button>
 *     <button type="button" data-key="2">2</button>
 *     <button type="button" data-key="3">3</button>
 *     <button type="button" data-key="4">4</button>
 *     <button type="button" data-key="5">5</button>
 *     <button type="button" data-key="6">6</button>
 *     <button type="button" data-key="7">7</button>
 *     <button type="button" data-key="8">8</button>
 *     <button type="button" data-key="9">9</button>
 *     <button type="button" data-key="clear">{{ _('Clear') }}</button>
 *     <button type="button" data-key="0">0</button>
 *     <button type="button" data-key="back" aria-label="{{ _('Backspace') }}">⌫</button>
 *     <button type="button" data-key="ok">{{ _('OK') }}</button>       (optional: submits)
 *   </div>
 *
 * For amounts, add <button type="button" data-key="," aria-label="{{ _('Decimal comma') }}">,
 * </button> (data-key="comma" works too); the rows are then "1 2 3 / 4 5 6 / 7 8 9 / , 0 ⌫ /
 * Clear OK". osk.css places each key by its data-key, so the grid does not depend on the order,
 * but keep the order above: it is the focus order. The input's rules: data-keyboard="pin" or
 * "digits" (or a password input) take digits only, otherwise an amount. The JS adds missing
 * aria-labels to the back/clear/ok/comma buttons and to the group from the strings.
 *
 * Keep-alive (optional): <body data-keepalive-url="/keepalive"> makes idle.js POST the
 * csrf_token of #logout-form there, at most every (timeout - warning) / 2 seconds while the
 * resident touches the screen, so that a server-side idle check does not log out someone who
 * spent a long time typing on the on-screen keyboard without loading a page.
 */
(() => {
  "use strict";

  const DEFAULT_STRINGS = Object.freeze({
    idle_title: "Are you still there?",
    idle_body: "Touch the screen to stay.",
    idle_stay: "I am still here",
    seconds_left: "{n} seconds left",
    seconds_left_one: "{n} second left",
    keyboard_label: "On-screen keyboard",
    numpad_label: "Number pad",
    key_space: "Space",
    key_backspace: "Backspace",
    key_shift: "Shift",
    key_caps: "Caps lock",
    key_ok: "OK",
    key_symbols: "123",
    key_letters: "ABC",
    key_accents: "àéç",
    key_clear: "Clear",
    key_comma: "Decimal comma",
  });

  let loadedStrings = null;

  function strings() {
    if (loadedStrings === null) {
      loadedStrings = {};
      const node = document.getElementById("kiosk-strings");
      if (node) {
        try {
          const parsed = JSON.parse(node.textContent || "{}");
          if (parsed && typeof parsed === "object") loadedStrings = parsed;
        } catch (error) {
          console.error("kiosk: #kiosk-strings is not valid JSON", error);
        }
      }
    }
    return loadedStrings;
  }

  /** Translated string for `key`, English if the page did not provide it; "{n}" -> params.n. */
  function t(key, params) {
    const own = strings()[key];
    let text = typeof own === "string" && own !== "" ? own : DEFAULT_STRINGS[key] ?? key;
    if (params) {
      for (const [name, value] of Object.entries(params)) {
        text = text.split(`{${name}}`).join(String(value));
      }
    }
    return text;
  }

  /** "{n} seconds left" with the plural form of the page's language (French: 0 and 1 are "one"). */
  function secondsLeft(n) {
    let form = n === 1 ? "one" : "other";
    try {
      form = new Intl.PluralRules(document.documentElement.lang || "en").select(n);
    } catch (_error) {
      // Unknown language tag: keep the English rule.
    }
    return t(form === "one" ? "seconds_left_one" : "seconds_left", { n });
  }

  /** Submit a form the way a click on its submit button would (submit event, validation). */
  function submitForm(form) {
    if (!form) return false;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
    return true;
  }

  const TEXT_INPUT_TYPES = new Set([
    "text", "search", "email", "password", "tel", "url", "number", "",
  ]);

  /** True for elements where typed keys insert text (inputs, textareas, contenteditable). */
  function isTextField(element) {
    if (!element || element.disabled || element.readOnly) return false;
    if (element.tagName === "TEXTAREA") return true;
    if (element.tagName === "INPUT") {
      return TEXT_INPUT_TYPES.has((element.getAttribute("type") || "").toLowerCase());
    }
    return Boolean(element.isContentEditable);
  }

  function supportsSelection(field) {
    try {
      return typeof field.selectionStart === "number";
    } catch (_error) {
      return false; // type=email/number throw on selectionStart
    }
  }

  function notifyInput(field, inputType, data) {
    let event;
    try {
      event = new InputEvent("input", { bubbles: true, inputType, data: data ?? null });
    } catch (_error) {
      event = new Event("input", { bubbles: true });
    }
    field.dispatchEvent(event);
  }

  function roomLeft(field) {
    const max = field.maxLength;
    return typeof max === "number" && max >= 0 ? max - field.value.length : Infinity;
  }

  /**
   * Insert `text` into `field` at the caret (or at the end when `atEnd` or when the field has
   * no selection API), respecting maxlength, and fire an "input" event like typing would.
   */
  function insertText(field, text, atEnd = false) {
    if (!text) return false;
    const useSelection = !atEnd && supportsSelection(field) && document.activeElement === field;
    const start = useSelection ? field.selectionStart : field.value.length;
    const end = useSelection ? field.selectionEnd : field.value.length;
    if (roomLeft(field) + (end - start) < text.length) return false;
    if (useSelection) field.setRangeText(text, start, end, "end");
    else field.value += text;
    notifyInput(field, "insertText", text);
    return true;
  }

  /** Delete the selection, or the character before the caret (or the last one when `atEnd`). */
  function deleteBackward(field, atEnd = false) {
    const useSelection = !atEnd && supportsSelection(field) && document.activeElement === field;
    let start = useSelection ? field.selectionStart : field.value.length;
    const end = useSelection ? field.selectionEnd : field.value.length;
    if (start === end) {
      if (start === 0) return false;
      const code = field.value.charCodeAt(start - 1);
      start -= code >= 0xdc00 && code <= 0xdfff && start >= 2 ? 2 : 1; // surrogate pair
    }
    if (useSelection) field.setRangeText("", start, end, "end");
    else field.value = field.value.slice(0, start) + field.value.slice(end);
    notifyInput(field, "deleteContentBackward");
    return true;
  }

  function clearField(field) {
    if (field.value === "") return false;
    field.value = "";
    notifyInput(field, "deleteContent");
    return true;
  }

  /**
   * Rules of a number pad key for the kind of field: "pin" and "digits" accept digits only;
   * "numpad" (amounts) accepts digits and one decimal comma followed by at most two digits.
   * Returns the text to insert, or "" when the key must be ignored.
   */
  function numpadText(kind, value, key) {
    const isDigit = /^[0-9]$/.test(key);
    if (kind === "pin" || kind === "digits") return isDigit ? key : "";
    const comma = value.indexOf(",");
    if (key === ",") {
      if (comma !== -1) return "";
      return value === "" ? "0," : ",";
    }
    if (!isDigit) return "";
    if (comma !== -1 && value.length - comma > 2) return "";
    return key;
  }

  function onReady(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback, { once: true });
    } else {
      callback();
    }
  }

  window.Kiosk = Object.freeze({
    DEFAULT_STRINGS,
    t,
    secondsLeft,
    submitForm,
    isTextField,
    insertText,
    deleteBackward,
    clearField,
    numpadText,
    onReady,
  });
})();
