/*
 * scanner.js — captures what the USB QR scanner "types" anywhere on the page.
 *
 * A scanner is a keyboard that types very fast and ends with Enter. Card tokens ("KC...") and
 * voucher codes ("KV...") use only letters that sit on the same key in AZERTY and QWERTY, so a
 * QWERTY scanner on an AZERTY kiosk still types them right; caps lock is undone by upper-casing,
 * and a key outside the alphabet is decoded from its physical `event.code` ("KeyY" -> "Y").
 *
 * - No text field focused: the keys are collected; Enter ending a valid code submits it.
 * - A text field focused: a person's keys work as usual. A burst of 10+ keys averaging under
 *   ~40 ms apart that ends with Enter and forms a valid code is a scan: the field gets back the
 *   value it had before the burst, Enter does nothing else, and the code is submitted.
 */
(() => {
  "use strict";
  const Kiosk = window.Kiosk;
  // kiosk.js did not load (a request cut off by a navigation or a restart): do nothing
  // rather than throw; the page still works as plain HTML forms.
  if (!Kiosk) return;

  const ALPHABET = "BCDEFGHJKLNPRSTUVXY";
  const CODE_PATTERN = /^K[CV][BCDEFGHJKLNPRSTUVXY]{10,}$/;
  const MAX_LENGTH = 256; // a voucher QR is ~165 letters (64-byte signature); longer bursts are not codes
  const FIELD_BURST_GAP_MS = 100; // in a field, a longer pause starts a new burst
  const PAGE_BURST_GAP_MS = 500; // outside fields, slow scanners are still welcome
  const FIELD_MIN_KEYS = 10;
  const FIELD_MEAN_GAP_MS = 40; // average time between keys of a scan typed into a field

  let burst = null; // { chars: [], started, last, field, snapshot }
  let submitted = false;

  function characterOf(event) {
    if (event.key && event.key.length === 1) {
      const upper = event.key.toUpperCase();
      if (ALPHABET.includes(upper)) return upper;
      const physical = /^Key([A-Z])$/.exec(event.code || "");
      if (physical) return physical[1];
      return upper;
    }
    const physical = /^Key([A-Z])$/.exec(event.code || "");
    return physical && event.key === "Unidentified" ? physical[1] : null;
  }

  function snapshotOf(field) {
    if (!field || !Kiosk.isTextField(field) || field.isContentEditable) return null;
    let start = null;
    let end = null;
    try {
      start = field.selectionStart;
      end = field.selectionEnd;
    } catch (_error) {
      // type=email/number have no selection API
    }
    return { value: field.value, start, end };
  }

  function restore(field, snapshot) {
    if (!snapshot || field.value === snapshot.value) return;
    field.value = snapshot.value;
    if (snapshot.start !== null) {
      try {
        field.setSelectionRange(snapshot.start, snapshot.end);
      } catch (_error) {
        // the field no longer supports a selection: nothing to restore
      }
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function scanTarget(code) {
    const target = document.querySelector("[data-scan-target]");
    if (!target) return null;
    const prefixes = (target.getAttribute("data-scan-target") || "").split(/[\s,]+/).filter(Boolean);
    if (prefixes.length && !prefixes.some((prefix) => code.startsWith(prefix))) return null;
    return target;
  }

  /** Deliver a scanned code: to the page's [data-scan-target] field, else to #scan-form. */
  function deliver(code) {
    if (submitted) return;
    const target = scanTarget(code);
    if (target) {
      target.value = code;
      target.dispatchEvent(new Event("input", { bubbles: true }));
      target.dispatchEvent(new Event("change", { bubbles: true }));
      if (target.form) {
        submitted = true;
        Kiosk.submitForm(target.form);
      }
      return;
    }
    const form = document.getElementById("scan-form");
    const input = form && form.querySelector('input[name="code"]');
    if (!input) {
      console.error("kiosk: a scan was read but the page has no #scan-form with a code input");
      return;
    }
    input.value = code;
    submitted = true;
    Kiosk.submitForm(form);
  }

  function onKeyDown(event) {
    if (event.isComposing || event.ctrlKey || event.altKey || event.metaKey) {
      burst = null;
      return;
    }
    const now = performance.now();
    const field = event.target instanceof Element && Kiosk.isTextField(event.target)
      ? event.target
      : null;
    const gapLimit = field ? FIELD_BURST_GAP_MS : PAGE_BURST_GAP_MS;
    if (burst && (now - burst.last > gapLimit || burst.field !== field)) burst = null;

    if (event.key === "Enter") {
      const current = burst;
      burst = null;
      if (!current) return;
      const code = current.chars.join("");
      if (!CODE_PATTERN.test(code)) return;
      if (field) {
        const keys = current.chars.length;
        const meanGap = (now - current.started) / keys; // keys gaps, plus the one before Enter
        if (keys < FIELD_MIN_KEYS || meanGap >= FIELD_MEAN_GAP_MS) return;
        restore(field, current.snapshot);
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      deliver(code);
      return;
    }

    const char = characterOf(event);
    if (char === null) return; // Shift, CapsLock and other non-character keys
    if (!burst) {
      burst = { chars: [], started: now, last: now, field, snapshot: snapshotOf(field) };
    }
    burst.last = now;
    if (burst.chars.length < MAX_LENGTH) burst.chars.push(char);
  }

  window.addEventListener("keydown", onKeyDown, true);
  // Coming back to this page from the history cache: allow a new scan.
  window.addEventListener("pageshow", () => {
    submitted = false;
    burst = null;
  });

  window.KioskScanner = Object.freeze({ ALPHABET, CODE_PATTERN, deliver });
})();
