// The phone's outbox of visit steps, in IndexedDB: used by the app page (app.js) and by the service worker
// (sw.js, on a background sync). Every step is stored before anything is sent, with an idempotency key made
// on the phone, and sent in the order it was taken; a step the server already has answers the same again
// (same key), so sending twice - from the page and the worker, or after a lost answer - stores nothing new.
// No DOM here: the page shows the results.
(function (global) {
  "use strict";
  const DB_NAME = "carecircle-visits";
  const QUEUE = "queue";
  const META = "meta";

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  let opened = null;
  function db() {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = () => {
          const d = req.result;
          if (!d.objectStoreNames.contains(QUEUE)) d.createObjectStore(QUEUE, { keyPath: "seq", autoIncrement: true });
          if (!d.objectStoreNames.contains(META)) d.createObjectStore(META, { keyPath: "name" });
        };
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
    }
    return opened;
  }

  async function store(name, mode) {
    return (await db()).transaction(name, mode).objectStore(name);
  }

  function newKey() {
    if (global.crypto && global.crypto.randomUUID) return global.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    global.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  async function add(entry) {
    const row = Object.assign({ key: newKey(), state: "pending", message: "", created: new Date().toISOString() }, entry);
    row.seq = await request((await store(QUEUE, "readwrite")).add(row));
    return row;
  }

  async function all(owner) {
    const rows = await request((await store(QUEUE, "readonly")).getAll());
    return rows.filter((row) => owner === undefined || String(row.owner) === String(owner)).sort((a, b) => a.seq - b.seq);
  }

  async function put(row) { return request((await store(QUEUE, "readwrite")).put(row)); }
  async function remove(seq) { return request((await store(QUEUE, "readwrite")).delete(seq)); }

  async function getMeta(name) {
    const row = await request((await store(META, "readonly")).get(name));
    return row ? row.value : undefined;
  }
  async function setMeta(name, value) { return request((await store(META, "readwrite")).put({ name, value })); }

  // A reason the server asks for: a 400 naming the rule (and the value it measured) until a reason is given.
  function asksForReason(body) {
    if (!body || typeof body !== "object") return false;
    if (body.reason_required || body.code === "reason_required") return true;
    return Array.isArray(body.reason) || typeof body.reason === "string";
  }

  // The sentence(s) of an error answer, whatever its shape (detail, or field → messages).
  function describe(body) {
    if (!body || typeof body !== "object") return "";
    if (typeof body.detail === "string") return body.detail;
    const parts = [];
    Object.keys(body).forEach((field) => {
      const value = body[field];
      if (Array.isArray(value)) value.forEach((v) => { if (typeof v === "string") parts.push(v); });
      else if (typeof value === "string" && field !== "code") parts.push(value);
    });
    return parts.join(" ");
  }

  function send(row, csrf) {
    const headers = { "Idempotency-Key": row.key, "X-CSRFToken": csrf || "", "Accept": "application/json",
                      "Content-Type": "application/json" };
    return fetch(row.url, { method: "POST", credentials: "same-origin", headers, body: JSON.stringify(row.body) });
  }

  let running = null;

  // Sends what waits, oldest first. A visit whose step is refused or waits for a reason holds its later
  // steps back (they make no sense before it); other visits go on. Stops at the first sign of no network,
  // an expired session or a busy server, and says which.
  async function flush(options) {
    if (running) return running;
    const opts = options || {};
    running = (async () => {
      const csrf = opts.csrf || (await getMeta("csrf"));
      const owner = opts.owner !== undefined ? opts.owner : await getMeta("owner");
      const held = new Set();
      const outcome = { sent: 0, held: 0, stopped: "" };
      for (const row of await all(owner)) {
        if (held.has(row.visit) || row.state === "needs_reason" || row.state === "refused") {
          held.add(row.visit); outcome.held += 1; continue;
        }
        let response;
        try {
          response = await send(row, csrf);
        } catch (error) {
          outcome.stopped = "offline"; break;
        }
        let body = null;
        try { body = await response.json(); } catch (error) { body = null; }
        if (response.ok) {
          await remove(row.seq);
          outcome.sent += 1;
          if (opts.onSent) await opts.onSent(row, body);
          continue;
        }
        if (response.status === 401 || response.status === 403) { outcome.stopped = "signed_out"; break; }
        if (response.status === 400 || response.status === 409 || response.status === 404 || response.status === 413) {
          row.state = response.status === 400 && asksForReason(body) ? "needs_reason" : "refused";
          row.message = describe(body) || String(response.status);
          row.answer = body;
          await put(row);
          held.add(row.visit); outcome.held += 1;
          if (opts.onHeld) await opts.onHeld(row);
          continue;
        }
        outcome.stopped = "busy"; break;  // 429, 5xx: later
      }
      return outcome;
    })();
    try { return await running; } finally { running = null; }
  }

  // A step refused for want of a reason goes again with the reason, as a new request (new key): the first
  // one stored nothing.
  async function giveReason(seq, reason, reasonCode) {
    const row = (await all()).find((r) => r.seq === seq);
    if (!row) return null;
    row.body = Object.assign({}, row.body, { reason });
    if (reasonCode) row.body.reason_code = reasonCode;
    row.key = newKey();
    row.state = "pending";
    row.message = "";
    await put(row);
    return row;
  }

  global.VisitQueue = { add, all, put, remove, getMeta, setMeta, flush, giveReason, describe, asksForReason, newKey };
})(typeof self !== "undefined" ? self : window);
