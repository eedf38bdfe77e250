/* The home site's script: the device's key (WebCrypto ECDSA P-256, non-extractable, kept in
   IndexedDB), pairing, opening a session, and the action forms that send signed requests to
   the hub (kiosk/home_requests.py says the wire form). No library, no inline script. */
"use strict";

const STORE = "keys";
const ALGO = { name: "ECDSA", namedCurve: "P-256" };
const SIGN = { name: "ECDSA", hash: "SHA-256" };
const utf8 = (text) => new TextEncoder().encode(text);

function b64url(bytes) {
  let text = "";
  new Uint8Array(bytes).forEach((b) => { text += String.fromCharCode(b); });
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

function openStore() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open("building-kiosk-home", 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function keep(name, value) {
  const db = await openStore();
  await new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, "readwrite");
    tx.objectStore(STORE).put(value, name);
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
}

async function kept(name) {
  const db = await openStore();
  return new Promise((resolve, reject) => {
    const request = db.transaction(STORE).objectStore(STORE).get(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function signText(privateKey, text) {
  return b64url(await crypto.subtle.sign(SIGN, privateKey, utf8(text)));
}

async function getJSON(url) {
  const answer = await fetch(url, { credentials: "same-origin" });
  return { status: answer.status, data: await answer.json() };
}

async function postJSON(url, body) {
  const answer = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await answer.json(); } catch (error) { data = {}; }
  return { status: answer.status, data };
}

/* A session: sign the hub's fresh nonce with this device's key (home/sessions.py). */
async function openSession(device) {
  const { data } = await getJSON("/home/api/nonce");
  const text = `building-kiosk home session\n${data.nonce}\n${device.id}`;
  const signature = await signText(device.privateKey, text);
  const answer = await postJSON("/home/api/session", { nonce: data.nonce, device: device.id, signature });
  return answer.status === 200;
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function waitForAnswer(id, onWaiting) {
  for (;;) {
    const answer = await getJSON(`/home/api/answer/${encodeURIComponent(id)}`);
    if (answer.status === 200 && answer.data.status !== "waiting") return answer.data;
    if (onWaiting) onWaiting();
    await sleep(2000);
  }
}

/* --- Pairing (/home/pair#b=...&k=...&p=...&s=...) ------------------------------------- */

async function pair(root) {
  const status = document.getElementById("pair-status");
  const form = document.getElementById("pair-form");
  const msgs = root.dataset;
  const body = document.body.dataset;
  const fragment = new URLSearchParams(location.hash.slice(1));
  const [building, kiosk, pairing, secret] = ["b", "k", "p", "s"].map((n) => fragment.get(n));
  if (!building || !kiosk || !pairing || !secret) {
    status.textContent = msgs.msgBadLink;
    form.hidden = true;
    return;
  }
  if (!window.crypto || !crypto.subtle || !window.indexedDB) {
    status.textContent = msgs.msgNoCrypto;
    form.hidden = true;
    return;
  }
  // The secret stays out of the history and of any address sent anywhere.
  history.replaceState(null, "", location.pathname);
  const label = document.getElementById("label");
  if (!label.value) label.value = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "";
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelector("button").disabled = true;
    const keys = await crypto.subtle.generateKey(ALGO, false, ["sign", "verify"]);
    const publicKey = b64url(await crypto.subtle.exportKey("spki", keys.publicKey));
    const id = "dev_" + hex(await crypto.subtle.digest("SHA-256", await crypto.subtle.exportKey("spki", keys.publicKey))).slice(0, 32);
    const hmacKey = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const proof = hex(await crypto.subtle.sign("HMAC", hmacKey, utf8(`${pairing}\n${publicKey}`)));
    const request = {
      v: 1, id: crypto.randomUUID(), kind: "pair", building,
      made_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      pairing, kiosk, public_key: publicKey, label: label.value.slice(0, 60), proof,
    };
    const text = JSON.stringify(request);
    const device = { id, privateKey: keys.privateKey, publicKey, building };
    await keep("pending", device);
    const sent = await postJSON("/home/api/requests", { request: text, signature: await signText(keys.privateKey, text) });
    if (sent.status !== 200) {
      status.textContent = body.msgFailed;
      form.querySelector("button").disabled = false;
      return;
    }
    form.hidden = true;
    status.textContent = body.msgWaiting;
    const outcome = await waitForAnswer(request.id);
    if (outcome.status === "applied") {
      await keep("device", device);
      status.textContent = msgs.msgDone;
      if (await openSession(device)) location.assign("/home/");
    } else {
      status.textContent = `${msgs.msgRefused} ${outcome.words}`;
    }
  });
}

/* --- Acting from home ----------------------------------------------------------------- */

function number(text, scale) {
  const value = Number(String(text).trim().replace(",", "."));
  if (!Number.isFinite(value)) return NaN;
  return Math.round(value * scale);
}

function fieldsOf(form) {
  const fields = {};
  for (const input of form.querySelectorAll("[data-field]")) {
    if (input.type === "radio" && !input.checked) continue;
    const name = input.dataset.field;
    const type = input.dataset.type || "text";
    if (input.type === "checkbox") { fields[name] = input.checked; continue; }
    if (input.value.trim() === "" && "optional" in input.dataset) continue;
    if (type === "int") fields[name] = number(input.value, 1);
    else if (type === "hundredths") fields[name] = number(input.value, 100);
    else fields[name] = input.value;
  }
  const quantities = form.querySelectorAll("[data-quantity]");
  if (quantities.length) {
    fields.quantities = {};
    for (const input of quantities) {
      if (input.value.trim() !== "") fields.quantities[input.dataset.quantity] = number(input.value, 1000);
    }
  }
  return fields;
}

async function act(form) {
  const body = document.body.dataset;
  const note = form.querySelector(".act-status") || form.appendChild(Object.assign(document.createElement("p"), { className: "act-status" }));
  note.setAttribute("role", "status");
  if (form.dataset.deadline && Date.now() > Date.parse(form.dataset.deadline)) {
    note.textContent = body.msgDeadline;
    return;
  }
  const device = await kept("device");
  if (!device || device.id !== body.device) { note.textContent = body.msgNokey; return; }
  const request = {
    v: 1, id: crypto.randomUUID(), kind: "action", building: body.building,
    made_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    device: device.id, resident: body.resident, action: form.dataset.action, fields: fieldsOf(form),
  };
  const text = JSON.stringify(request);
  note.textContent = body.msgSending;
  const sent = await postJSON("/home/api/requests", { request: text, signature: await signText(device.privateKey, text) });
  if (sent.status !== 200) { note.textContent = body.msgFailed; return; }
  location.assign("/home/requests");
}

function watchRequests() {
  for (const item of document.querySelectorAll("[data-request][data-status='waiting']")) {
    waitForAnswer(item.dataset.request).then((outcome) => {
      item.dataset.status = outcome.status;
      item.querySelector(".status").textContent = outcome.words ? `${item.dataset.refused} ${outcome.words}` : item.dataset.done;
    });
  }
}

async function resume(root) {
  /* A device whose session ended (expired, logged out) but that holds its key: a new one. */
  try {
    const device = await kept("device");
    if (device && (await openSession(device))) location.reload();
  } catch (error) { root.hidden = false; }
}

document.addEventListener("DOMContentLoaded", () => {
  const pairing = document.getElementById("pair");
  if (pairing) pair(pairing);
  const resuming = document.getElementById("resume");
  if (resuming) resume(resuming);
  for (const form of document.querySelectorAll("form.act")) {
    form.addEventListener("submit", (event) => { event.preventDefault(); act(form); });
  }
  watchRequests();
});
