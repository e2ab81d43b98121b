// Service worker (served at /sw.js, scope /): the client's log page and the static files open
// without a connection. Pages: network first, the last copy when offline; static: cache first.
// Saving offline is handled by the page (offline-log.js), which queues in IndexedDB.
const VERSION = "v1";
const STATIC = `retrowalk-static-${VERSION}`;
const PAGES = "retrowalk-pages-v1";
const SHELL = [
  "/static/app.css",
  "/static/app.js",
  "/static/capture/offline-log.js",
  "/static/capture/idb.js",
  "/static/capture/capture.js",
  "/static/capture/ftms.js",
  "/static/capture/capture.css",
  "/manifest.webmanifest",
];
const OFFLINE_PAGES = /^\/clients\/\d+\/log\/?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("retrowalk-static-") && k !== STATIC).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
    return;
  }
  if (req.mode === "navigate" && url.pathname === "/login") {
    // Logged out (or the login expired): the kept pages hold health data; drop them.
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (req.mode === "navigate" && OFFLINE_PAGES.test(url.pathname)) {
    event.respondWith(
      fetch(req)
        .then((res) => {
          if (res.ok && !res.redirected) { // not the login page a redirect brought
            const copy = res.clone();
            caches.open(PAGES).then((c) => c.put(url.pathname + url.search, copy));
          }
          return res;
        })
        .catch(() => caches.open(PAGES).then((c) => c.match(url.pathname + url.search))
          .then((hit) => hit || new Response("You are offline and this page was not saved on this phone yet.",
            { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } }))),
    );
  }
});
