// Mooncart's service worker, served at /sw.js (see assets.py, which fills in the two placeholders
// once per process: the release, a hash of every static file, and the URLs to keep offline).
//
// What it does, and what it must never do:
// - static files (/static/..., whose URLs carry their content hash) come from its cache, else the
//   network, and are kept;
// - a page (a navigation) always comes from the network; only when the network is gone does it
//   show the offline page. No page is ever kept: a bag, an account, a checkout or an order must
//   never be shown from a copy, to this shopper or to the next person using the phone;
// - anything else (POSTs, htmx requests, the live stock streams under /live/, pictures) is left
//   to the browser, untouched.
// A release changes this file's bytes (the release hash), so the browser installs the new worker
// on the next visit; it takes over at once and deletes the old release's cache.
const RELEASE = "__RELEASE__";
const CACHE = "mooncart-" + RELEASE;
const PRECACHE = ["__PRECACHE__"];
const OFFLINE_PAGE = PRECACHE[0];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith("mooncart-") && name !== CACHE)
                                         .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()));
});

function isStatic(url) {
  return url.pathname.startsWith("/static/") && url.searchParams.has("v");
}

async function fromCacheElseNetwork(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok && response.type === "basic") cache.put(request, response.clone());
  return response;
}

async function pageElseOffline(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const offline = await caches.match(OFFLINE_PAGE);
    return offline || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.headers.has("HX-Request") || url.pathname.startsWith("/live/")) return;
  if (request.mode === "navigate") {
    event.respondWith(pageElseOffline(request));
  } else if (isStatic(url)) {
    event.respondWith(fromCacheElseNetwork(request));
  }
});
