/*
 * person_picker.js — choosing a person by touch (load with `defer`; markup from the
 * person_picker macro, kiosk/web/templates/_person_picker.html).
 *
 * Without this script the picker is a radio group of every name, grouped by apartment. With
 * it: tap a staircase, then an apartment, then a name, as on the login screen; or type a few
 * letters in "Search a name" (on-screen keyboard) and the matching names show, accents and
 * case aside (folded as kiosk.text.fold folds them on the server into data-search). Once a
 * name is chosen the picker folds into one line, "Name · apartment", with a button to choose
 * again. The radio inputs stay the form's field: the form posts the chosen resident's id.
 */
(() => {
  "use strict";

  /** As kiosk.text.fold: accents, case and spacing aside. */
  function fold(text) {
    return (text || "")
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean)
      .join(" ");
  }

  function setup(picker) {
    const find = picker.querySelector("[data-picker-find]");
    const search = picker.querySelector("[data-picker-search]");
    const chosen = picker.querySelector("[data-picker-chosen]");
    const chosenName = picker.querySelector("[data-picker-chosen-name]");
    const again = picker.querySelector("[data-picker-again]");
    const none = picker.querySelector("[data-picker-none]");
    const stairRow = picker.querySelector("[data-picker-stairs]");
    const stairButtons = Array.from(picker.querySelectorAll("[data-picker-stairs] [data-stair]"));
    const aptButtons = Array.from(picker.querySelectorAll("[data-picker-apartments] [data-apartment]"));
    const aptRow = picker.querySelector("[data-picker-apartments]");
    const groups = Array.from(picker.querySelectorAll(".picker-group"));
    const people = Array.from(picker.querySelectorAll(".picker-person"));
    const state = { stair: null, apartment: null, choosing: false };

    function checkedPerson() {
      const input = picker.querySelector('.picker-person input[type="radio"]:checked');
      return input ? input.closest(".picker-person") : null;
    }

    function render() {
      const person = checkedPerson();
      const folded = !state.choosing && person !== null;
      chosen.hidden = !folded;
      find.hidden = folded;
      if (folded) {
        const group = person.closest(".picker-group");
        chosenName.textContent = `${person.textContent.trim()} · ${group.dataset.apartment}`;
        groups.forEach((g) => {
          g.hidden = true;
        });
        none.hidden = true;
        return;
      }
      const query = fold(search.value);
      if (stairRow) stairRow.hidden = query !== "";
      stairButtons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.stair === state.stair)));
      const stairChosen = !stairRow || state.stair !== null;
      aptRow.hidden = query !== "" || !stairChosen;
      aptButtons.forEach((b) => {
        b.hidden = stairRow !== null && b.dataset.stair !== state.stair;
        b.setAttribute("aria-pressed", String(b.dataset.apartment === state.apartment));
      });
      let shown = 0;
      groups.forEach((g) => {
        let visible = 0;
        g.querySelectorAll(".picker-person").forEach((p) => {
          const show = query ? p.dataset.search.includes(query) : g.dataset.apartment === state.apartment;
          p.hidden = !show;
          if (show) visible += 1;
        });
        g.hidden = visible === 0;
        shown += visible;
      });
      none.hidden = !(query && shown === 0);
    }

    stairButtons.forEach((button) =>
      button.addEventListener("click", () => {
        state.stair = button.dataset.stair;
        state.apartment = null;
        render();
      }),
    );
    aptButtons.forEach((button) =>
      button.addEventListener("click", () => {
        state.apartment = button.dataset.apartment;
        render();
      }),
    );
    search.addEventListener("input", render);
    search.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault(); // Enter searches, it never sends the form half filled
      const matches = people.filter((p) => !p.hidden);
      if (matches.length === 1) matches[0].querySelector("input").click();
    });
    people.forEach((p) =>
      p.querySelector("input").addEventListener("change", () => {
        state.choosing = false;
        if (window.KioskKeyboard) window.KioskKeyboard.close();
        render();
        again.focus({ preventScroll: true });
      }),
    );
    const blank = picker.querySelector('.picker-blank input[type="radio"]');
    if (blank) {
      blank.addEventListener("change", () => {
        state.choosing = true;
        render();
      });
    }
    again.addEventListener("click", () => {
      const person = checkedPerson();
      if (person) {
        const group = person.closest(".picker-group");
        state.stair = group.dataset.stair;
        state.apartment = group.dataset.apartment;
      }
      state.choosing = true;
      render();
      (person ? person.querySelector("input") : search).focus();
    });
    render();
  }

  function start() {
    document.querySelectorAll("[data-person-picker]").forEach(setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
