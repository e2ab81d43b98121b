// Offline-safe session log: attaches to <form data-offline-log>.
// - every save carries a fresh idempotency_key (hidden field), so a resend is stored once;
// - without a connection the save is queued in IndexedDB and sent when the phone is back online;
// - an element [data-sync-status] (made if absent) says what is waiting to sync.
// The page itself is cached for offline opening by the service worker (/sw.js).
import { put, del, all } from "./idb.js";

const PAGES = "retrowalk-pages-v1";

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function keyField(form) {
  let el = form.querySelector('input[name="idempotency_key"]');
  if (!el) {
    el = document.createElement("input");
    el.type = "hidden";
    el.name = "idempotency_key";
    form.appendChild(el);
  }
  if (!el.value) el.value = newKey();
  return el;
}

function statusEl(form) {
  let el = document.querySelector("[data-sync-status]");
  if (!el) {
    el = document.createElement("p");
    el.setAttribute("data-sync-status", "");
    form.parentNode.insertBefore(el, form);
  }
  el.setAttribute("role", "status");
  el.setAttribute("aria-live", "polite");
  return el;
}

async function showStatus(el, extra) {
  const waiting = await all("logs");
  const n = waiting.length;
  el.dataset.waiting = String(n);
  el.className = n ? "alert warn" : (extra ? "alert ok" : "");
  const parts = [];
  if (n) {
    parts.push(`${n} saved log${n > 1 ? "s" : ""} waiting to sync` +
      (navigator.onLine ? "." : ": they are stored on this phone and will be sent when you are back online."));
    const problem = waiting.find((w) => w.problem);
    if (problem) parts.push(problem.problem);
  } else if (extra) {
    parts.push(extra);
  }
  el.textContent = parts.join(" ");
}

let syncing = null;

// The login's current CSRF token (a log queued before a re-login carries the old one).
function currentCsrf() {
  const m = document.cookie.match(/(?:^|;\s*)retrowalk_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

async function syncAll(el) {
  if (syncing) return syncing;
  syncing = (async () => {
    let sent = 0;
    for (const item of await all("logs")) {
      if (!navigator.onLine) break;
      let res;
      const csrf = currentCsrf();
      const fields = item.fields.map(([k, v]) => (k === "csrf_token" && csrf ? [k, csrf] : [k, v]));
      try {
        res = await fetch(item.action, {
          method: "POST",
          body: new URLSearchParams(fields),
          credentials: "same-origin",
          headers: { Accept: "text/html" },
        });
      } catch (err) {
        break; // still offline in practice; try again on the next 'online'
      }
      if (res.ok || res.status === 409) {
        await del("logs", item.key); // stored (or stored before: the key was already used)
        sent += 1;
      } else if (res.status === 401 || res.status === 403) {
        await put("logs", { ...item, problem: "Log in again to send it." });
        break;
      } else {
        await put("logs", { ...item, problem: `The server refused a saved log (${res.status}); open the form and save it again.` });
      }
    }
    await showStatus(el, sent ? `Synced ${sent} saved log${sent > 1 ? "s" : ""}.` : "");
  })();
  try { await syncing; } finally { syncing = null; }
}

export function attach(form) {
  const key = keyField(form);
  const el = statusEl(form);
  form.addEventListener("submit", async (ev) => {
    // Online: the ordinary submit, with its key. Invalid: app.js shows the messages.
    if (ev.defaultPrevented || navigator.onLine || !form.checkValidity()) return;
    ev.preventDefault();
    const fields = [];
    for (const [k, v] of new FormData(form).entries()) if (typeof v === "string") fields.push([k, v]);
    await put("logs", { key: key.value, action: form.action, fields, savedAt: new Date().toISOString() });
    key.value = newKey(); // the next save is a different log
    await showStatus(el);
  });
  window.addEventListener("online", () => syncAll(el));
  window.addEventListener("offline", () => showStatus(el));
  if (navigator.onLine) {
    syncAll(el);
    if ("caches" in window) {
      // Keep this page for opening without a connection (the service worker serves it then).
      caches.open(PAGES).then((c) => c.add(location.pathname + location.search)).catch(() => {});
    }
  } else {
    showStatus(el);
  }
}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}
document.querySelectorAll("form[data-offline-log]").forEach(attach);
