// The caregiver's phone app (visits/app/day.html): each step of a visit is stored on the phone first
// (queue.js) and sent when the network allows; the page shows what waits, asks for a reason when the server
// wants one (naming its rule and what it measured) and sends the step again. Words come from the page's
// JSON block (json_script), never from this file. No inline script (CSP).
(function () {
  "use strict";
  const configNode = document.getElementById("visits-app-config");
  if (!configNode || !window.VisitQueue) return;
  const CONFIG = JSON.parse(configNode.textContent);
  const W = CONFIG.words;
  const Q = window.VisitQueue;
  const STAGES = ["planned", "checked_in", "items_done", "confirmed", "done"];
  const AFTER = { check_in: "checked_in", items: "items_done", confirm: "confirmed", check_out: "done", not_home: "not_home" };
  const KIND = { check_in: W.kind_check_in, items: W.kind_items, confirm: W.kind_confirm, check_out: W.kind_check_out, not_home: W.kind_not_home };

  function say(text, values) {
    return String(text).replace(/\{(\w+)\}/g, (all, name) => (values && name in values ? values[name] : all));
  }

  function rank(stage) {
    if (stage === "not_home") return STAGES.length;
    const i = STAGES.indexOf(stage);
    return i < 0 ? 0 : i;
  }

  function card(visit) { return document.querySelector(`[data-visit="${visit}"]`); }

  function showStage(li) {
    const stage = li.dataset.stage;
    li.querySelectorAll("[data-step-section]").forEach((section) => {
      section.hidden = section.dataset.stepSection !== stage;
    });
    const label = li.querySelector("[data-stage-label]");
    if (label) label.textContent = W["stage_" + stage] || "";
  }

  async function restoreStages() {
    for (const li of document.querySelectorAll("[data-visit]")) {
      const kept = await Q.getMeta("stage:" + li.dataset.visit);
      if (kept && kept.day === CONFIG.day && rank(kept.stage) > rank(li.dataset.stage)) li.dataset.stage = kept.stage;
      showStage(li);
    }
  }

  async function advance(li, step) {
    const stage = AFTER[step];
    if (rank(stage) > rank(li.dataset.stage)) li.dataset.stage = stage;
    await Q.setMeta("stage:" + li.dataset.visit, { day: CONFIG.day, stage: li.dataset.stage });
    showStage(li);
  }

  const BEFORE = { check_in: "planned", items: "checked_in", confirm: "items_done", check_out: "confirmed", not_home: "planned" };

  async function stepBack(row) {
    const li = card(row.visit);
    if (!li || !BEFORE[row.kind]) return;
    li.dataset.stage = BEFORE[row.kind];
    await Q.setMeta("stage:" + li.dataset.visit, { day: CONFIG.day, stage: li.dataset.stage });
    showStage(li);
  }

  function message(li, text, isError) {
    const box = li.querySelector("[data-visit-message]");
    box.textContent = text || "";
    box.classList.toggle("errors", Boolean(isError));
  }

  function locate() {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) { reject(new Error("no geolocation")); return; }
      navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  }

  function readAsDataUrl(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  // The photo as the API takes it (a data: URL), made smaller on the phone: at most 1600 px, JPEG.
  async function photoOf(form) {
    const input = form.querySelector("input[type=file][name=photo]");
    const file = input && input.files && input.files[0];
    if (!file) return null;
    if (!file.type || !file.type.startsWith("image/")) throw new Error(W.photo_not_image);
    try {
      const bitmap = await createImageBitmap(file);
      const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return canvas.toDataURL("image/jpeg", 0.85);
    } catch (error) {
      if (file.size > 6 * 1024 * 1024) throw new Error(W.photo_too_big);
      return readAsDataUrl(file);
    }
  }

  async function place(li) {
    message(li, W.locating);
    let position;
    try {
      position = await locate();
    } catch (error) {
      throw new Error(say(W.no_location, { error: error.message || "" }) + " " + W.location_needed);
    }
    const c = position.coords;
    return {
      lat: Number(c.latitude.toFixed(6)), lng: Number(c.longitude.toFixed(6)),
      accuracy_m: Math.round(c.accuracy || 0), datum: "wgs84",
    };
  }

  // Builds the step's body from its form; throws an Error with the sentence to show when something is missing.
  async function bodyOf(step, form, li) {
    const now = new Date().toISOString();
    if (step === "check_in" || step === "check_out" || step === "not_home") {
      const photo = await photoOf(form);
      const body = Object.assign(await place(li), { device_time: now });
      if (photo) body.photo = photo;
      const qr = form.querySelector("[name=qr_code]");
      if (qr && qr.value.trim()) body.qr_code = qr.value.trim();
      const note = form.querySelector("[name=note]");
      // "Not at home": what the caregiver found is the reason the server keeps with the record.
      if (note && note.value.trim()) body.reason = note.value.trim();
      return { body };
    }
    if (step === "items") {
      const items = [];
      for (const fieldset of form.querySelectorAll("[data-item]")) {
        const box = fieldset.querySelector("input[name=item]");
        if (!box.checked) continue;
        const vitals = {};
        for (const input of fieldset.querySelectorAll("[data-vital]")) {
          if (input.value === "") continue;
          const value = Number(input.value);
          if (Number.isNaN(value) || value < Number(input.min) || value > Number(input.max)) {
            throw new Error(say(W.vital_range, { label: input.dataset.label, min: input.min, max: input.max, unit: input.dataset.unit }));
          }
          vitals[input.dataset.vital] = value;
        }
        const note = fieldset.querySelector("input[name^=note-]");
        const entry = { item: box.value, done: true, note: note ? note.value.trim() : "" };
        if (Object.keys(vitals).length) entry.vitals = vitals;
        items.push(entry);
      }
      if (!items.length && form.querySelector("[data-item]")) throw new Error(W.items_none);
      return { body: { items, device_time: now } };
    }
    if (step === "confirm") {
      const pin = form.querySelector("[name=pin]").value.trim();
      if (!pin) throw new Error(W.pin_needed);
      const method = form.querySelector("[name=method]:checked");
      return { body: { method: method ? method.value : "pin", code: pin, device_time: now } };
    }
    throw new Error(step);
  }

  async function takeStep(form) {
    const li = form.closest("[data-visit]");
    const step = form.dataset.step;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const { body } = await bodyOf(step, form, li);
      await Q.add({ owner: CONFIG.owner, visit: li.dataset.visit, elder: li.dataset.elder, kind: step,
                    url: CONFIG.endpoints[step].replace("{id}", li.dataset.visit), body });
      form.reset();
      await advance(li, step);
      message(li, W.saved_offline);
      registerSync();
      await render();
      sync();
    } catch (error) {
      message(li, error.message, true);
    } finally {
      button.disabled = false;
    }
  }

  // --- what waits to be sent -----------------------------------------------------------------------

  function entryText(row) {
    const time = row.created ? new Date(row.created).toTimeString().slice(0, 5) : "";
    return `${time} ${row.elder || ""} · ${KIND[row.kind] || row.kind}`;
  }

  async function render() {
    const rows = await Q.all(CONFIG.owner);
    const list = document.querySelector("[data-pending-list]");
    const summary = document.querySelector("[data-pending-summary]");
    summary.textContent = rows.length ? say(W.pending_some, { n: rows.length }) : W.pending_none;
    summary.dataset.pending = String(rows.length);
    list.replaceChildren();
    const waiting = new Set(rows.map((row) => String(row.visit)));
    document.querySelectorAll("[data-visit]").forEach((li) => {
      const badge = li.querySelector("[data-waiting]");
      if (badge) badge.hidden = !waiting.has(li.dataset.visit);
    });
    rows.forEach((row) => {
      const item = document.createElement("li");
      item.dataset.pendingEntry = row.state;
      const text = document.createElement("span");
      text.textContent = entryText(row);
      item.appendChild(text);
      if (row.state === "needs_reason") {
        const form = document.createElement("form");
        form.className = "reason";
        form.dataset.reasonFor = String(row.seq);
        const p = document.createElement("p");
        p.className = "errors";
        p.setAttribute("role", "alert");
        p.textContent = say(W.reason_needed, { detail: row.message });
        const codeLabel = document.createElement("label");
        codeLabel.className = "field";
        codeLabel.textContent = W.reason_code_label;
        const select = document.createElement("select");
        select.name = "reason_code";
        (CONFIG.reason_codes || []).forEach(([value, text]) => {
          const option = document.createElement("option");
          option.value = value; option.textContent = text;
          select.appendChild(option);
        });
        codeLabel.appendChild(select);
        const label = document.createElement("label");
        label.className = "field";
        label.textContent = W.reason_label || "";
        const area = document.createElement("textarea");
        area.name = "reason"; area.rows = 2; area.maxLength = 500; area.required = true;
        label.appendChild(area);
        const send = document.createElement("button");
        send.type = "submit"; send.className = "primary"; send.textContent = W.reason_send || "";
        form.append(p, codeLabel, label, send);
        item.appendChild(form);
      } else if (row.state === "refused") {
        const p = document.createElement("p");
        p.className = "errors";
        p.textContent = say(W.refused, { detail: row.message });
        const drop = document.createElement("button");
        drop.type = "button"; drop.dataset.discard = String(row.seq); drop.textContent = W.discard;
        item.append(p, drop);
      } else {
        const badge = document.createElement("span");
        badge.className = "badge warn";
        badge.textContent = W.waiting;
        item.append(" ", badge);
      }
      list.appendChild(item);
    });
  }

  function showNetwork(text) {
    const node = document.querySelector("[data-network]");
    if (node) node.textContent = text || (navigator.onLine ? W.online : W.offline);
  }

  async function sync() {
    if (!navigator.onLine) { showNetwork(); return; }
    showNetwork(W.syncing);
    const outcome = await Q.flush({
      csrf: CONFIG.csrf, owner: CONFIG.owner,
      onSent: async (row, body) => {
        const li = card(row.visit);
        if (!li) return;
        const flags = (body && body.flags) || [];
        let text = flags.length ? say(W.flags_recorded, { detail: flags.map((f) => f.message).join(" ") }) : W.synced;
        if (body && body.status_label && (row.kind === "check_out" || row.kind === "not_home")) text += " " + body.status_label;
        message(li, text);
      },
    });
    if (outcome.stopped === "signed_out") showNetwork(W.signed_out);
    else if (outcome.stopped === "busy") showNetwork(W.server_busy);
    else if (outcome.stopped === "offline") showNetwork(W.offline);
    else showNetwork(outcome.sent ? W.synced : "");
    await render();
  }

  function registerSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then((registration) => {
      if (registration.sync) return registration.sync.register("visits-sync");
      return null;
    }).catch(() => {});
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.matches("form[data-step]")) {
      event.preventDefault();
      await takeStep(form);
      return;
    }
    if (form.matches("form[data-reason-for]")) {
      event.preventDefault();
      const reason = form.querySelector("textarea").value.trim();
      if (!reason) { form.querySelector(".errors").textContent = W.reason_empty; return; }
      const code = form.querySelector("select[name=reason_code]");
      await Q.giveReason(Number(form.dataset.reasonFor), reason, code ? code.value : "");
      await render();
      sync();
    }
  });

  document.addEventListener("click", async (event) => {
    const now = event.target.closest("[data-sync-now]");
    if (now) { sync(); return; }
    const drop = event.target.closest("[data-discard]");
    if (drop && window.confirm(W.discard_confirm)) {
      const seq = Number(drop.dataset.discard);
      const rows = await Q.all(CONFIG.owner);
      const row = rows.find((r) => r.seq === seq);
      await Q.remove(seq);
      // A refused step that nothing followed can be taken again (a mistyped code, a step taken twice).
      if (row && !rows.some((r) => r.visit === row.visit && r.seq > seq)) await stepBack(row);
      await render();
      sync();
    }
  });

  // The QR code fixed in the home, read from a camera picture where the phone's browser can read codes
  // (BarcodeDetector); elsewhere the caregiver types the number printed under it.
  document.addEventListener("change", async (event) => {
    const input = event.target.closest("[data-qr-scan]");
    if (!input || !input.files || !input.files[0] || !("BarcodeDetector" in window)) return;
    const li = input.closest("[data-visit]");
    try {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      const codes = await detector.detect(await createImageBitmap(input.files[0]));
      if (!codes.length) { message(li, W.qr_unreadable, true); return; }
      input.closest("form").querySelector("[name=qr_code]").value = codes[0].rawValue.slice(0, 64);
      message(li, W.qr_read);
    } catch (error) {
      message(li, W.qr_unreadable, true);
    } finally {
      input.value = "";
    }
  });

  window.addEventListener("online", () => { showNetwork(); sync(); });
  window.addEventListener("offline", () => showNetwork());

  document.addEventListener("DOMContentLoaded", async () => {
    const day = document.querySelector("[data-app-day]");
    const today = new Date();
    const local = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, "0")}-${String(today.getDate()).padStart(2, "0")}`;
    const stale = document.querySelector("[data-stale-day]");
    if (day && stale) stale.hidden = day.dataset.appDay >= local;
    await Q.setMeta("csrf", CONFIG.csrf);
    await Q.setMeta("owner", CONFIG.owner);
    if ("BarcodeDetector" in window) document.querySelectorAll("[data-qr-scan-field]").forEach((f) => { f.hidden = false; });
    await restoreStages();
    showNetwork();
    await render();
    if ("serviceWorker" in navigator) {
      // html[data-service-worker]: "registered", then "controlled" once the app opens without a network.
      const controlled = () => {
        if (navigator.serviceWorker.controller) document.documentElement.dataset.serviceWorker = "controlled";
      };
      navigator.serviceWorker.addEventListener("controllerchange", controlled);
      navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.scope })
        .then(() => { document.documentElement.dataset.serviceWorker = "registered"; controlled(); })
        .catch(() => { document.documentElement.dataset.serviceWorker = "failed"; });
    }
    sync();
    // Retry now and then while something waits (some phones never say they are back online).
    setInterval(async () => { if ((await Q.all(CONFIG.owner)).length) sync(); }, 20000);
  });
})();
