// The caregiver app's service worker. It keeps the app's page (as last fetched) and its assets, answers the
// page from its copy when the network is gone, and sends the waiting visit steps on a background sync.
// It never answers for the API and never touches a POST: those go to the network (or wait in the outbox).
"use strict";
const CONFIG = {{ config|safe }};
const CACHE = "carecircle-visits-" + CONFIG.version;
const NETWORK_WAIT_MS = 6000;

importScripts(CONFIG.queue);

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(CONFIG.assets);
    try {
      const page = await fetch(CONFIG.page, { credentials: "same-origin" });
      if (page.ok && !page.redirected) await cache.put(CONFIG.page, page);
    } catch (error) { /* offline at install: the page is kept at its next visit */ }
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("carecircle-visits-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); }, (error) => { clearTimeout(timer); reject(error); });
  });
}

async function pageFirstFromNetwork(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT_MS);
    // Only the page as the signed-in caregiver saw it is kept: not a login redirect, not an error page. Once
    // the server sends the phone to sign in (signed out, session over), the kept copy is dropped, so a phone
    // left signed out shows nobody's visits without a network.
    if (response.ok && !response.redirected) await cache.put(CONFIG.page, response.clone());
    else if (response.redirected || response.status === 401 || response.status === 403) await cache.delete(CONFIG.page);
    return response;
  } catch (error) {
    const kept = await cache.match(CONFIG.page);
    if (kept) return kept;
    throw error;
  }
}

async function assetFromCache(request) {
  const kept = await caches.match(request, { ignoreSearch: true });
  return kept || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === CONFIG.page) {
    event.respondWith(pageFirstFromNetwork(request));
  } else if (CONFIG.assets.indexOf(url.pathname) !== -1) {
    event.respondWith(assetFromCache(request));
  }
});

self.addEventListener("sync", (event) => {
  if (event.tag === "visits-sync") event.waitUntil(self.VisitQueue.flush({}));
});
