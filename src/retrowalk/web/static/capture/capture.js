// "Record this walk": progressive enhancement of the log page, attached to [data-capture].
// Container attributes: data-client-id (required), data-exercise-id, data-field-prefix (e.g. "ex0."
// for the dose fields the treadmill fills). The finished recordings' ids go into a hidden field
// "recording_ids" of the enclosing form (or the [data-offline-log] form), comma-separated.
//
// Motion: devicemotion (with the tap-to-allow step iOS Safari needs), Screen Wake Lock, the
// achieved rate and gaps shown live, placement chosen, samples sent in numbered chunks that are
// kept in IndexedDB until the server has them (a reload resumes). Camera: getUserMedia +
// MediaRecorder with a side-view framing guide, sent in chunks the same way. Treadmill: Web
// Bluetooth FTMS Treadmill Data fills speed, incline and minutes.
import { put, del, all } from "./idb.js";
import { FITNESS_MACHINE_SERVICE, TREADMILL_DATA, parseTreadmillData, doseFields } from "./ftms.js";

const CHUNK_MS = 2000;       // motion samples per chunk: 2 s
const VIDEO_SLICE_MS = 1000; // MediaRecorder timeslice: ~1 s pieces (each well under 1 MiB)
const GAP_FACTOR = 3;        // an interval > 3 × the median is a gap (as the server's quality check)

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)retrowalk_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : "";
}

async function api(method, url, body, raw) {
  const headers = { "X-CSRF-Token": csrf(), Accept: "application/json" };
  let payload;
  if (raw) { headers["Content-Type"] = "application/octet-stream"; payload = body; }
  else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
  const res = await fetch(url, { method, headers, body: payload, credentials: "same-origin" });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
  if (!res.ok) {
    const err = new Error(describe(data) || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

function describe(data) {
  if (!data || !data.detail) return "";
  if (typeof data.detail === "string") return data.detail;
  return data.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
}

function el(tag, attrs = {}, text = "") {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

function median(xs) {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// --- uploading chunks: kept in IndexedDB until the server confirms them ---------------------

class ChunkSender {
  constructor(base, token, onChange) {
    this.url = `${base}/${token}`;
    this.token = token;
    this.onChange = onChange;
    this.queue = Promise.resolve();
    this.sent = 0;
    this.failed = 0;
  }

  add(n, data, raw) {
    const record = { token: this.token, n, raw: !!raw, data };
    const saved = put("chunks", record).catch(() => {});
    this.queue = this.queue.then(() => saved).then(() => this.send(record));
    return this.queue;
  }

  async send(record, attempt = 0) {
    try {
      await api("PUT", `${this.url}/chunks/${record.n}`, record.raw ? record.data : { samples: record.data }, record.raw);
      await del("chunks", [this.token, record.n]).catch(() => {});
      this.sent += 1;
      this.onChange();
    } catch (err) {
      if (err.status && err.status < 500 && err.status !== 408 && err.status !== 429) throw err;
      this.failed += 1;
      this.onChange();
      await new Promise((r) => setTimeout(r, Math.min(30000, 500 * 2 ** attempt)));
      return this.send(record, attempt + 1);
    }
  }

  flush() { return this.queue; }
}

// --- one capture: motion or video ---------------------------------------------------------

class Capture {
  constructor(root, kind) {
    this.root = root;
    this.kind = kind;
    this.base = `/api/v1/clients/${root.dataset.clientId}/captures`;
  }

  async start(options) {
    const info = await api("POST", this.base, { kind: this.kind, exercise_id: this.root.dataset.exerciseId || null, ...options });
    this.token = info.token;
    this.n = 0;
    this.sender = new ChunkSender(this.base, this.token, () => this.root.dispatchEvent(new Event("capture-progress")));
    await put("captures", { token: this.token, kind: this.kind, base: this.base, chunks: null }).catch(() => {});
  }

  chunk(data, raw) { return this.sender.add(this.n++, data, raw); }

  async finish() {
    await this.sender.flush();
    await put("captures", { token: this.token, kind: this.kind, base: this.base, chunks: this.n }).catch(() => {});
    const rec = await api("POST", `${this.base}/${this.token}/finish`, { chunks: this.n });
    await del("captures", this.token).catch(() => {});
    return rec;
  }
}

// --- UI -------------------------------------------------------------------------------------

function attach(root) {
  const clientId = root.dataset.clientId;
  if (!clientId) return;
  const form = root.closest("form") || document.querySelector("form[data-offline-log]");
  const prefix = root.dataset.fieldPrefix || "";
  root.classList.add("capture");
  const status = el("p", { role: "status", "aria-live": "polite", "data-capture-status": "" });
  const results = el("ul", { "data-capture-results": "" });

  // motion controls
  const motionBox = el("fieldset", { class: "card" });
  motionBox.append(el("legend", {}, "Record this walk (phone motion sensors)"));
  const placeLabel = el("label", { for: "capture-placement" }, "Where is the phone?");
  const place = el("select", { id: "capture-placement", name: "capture_placement" });
  for (const [v, t] of [["thigh", "in a trouser pocket (thigh)"], ["shank", "strapped to the shin (shank)"], ["waist", "on a belt (waist)"]]) {
    place.append(el("option", { value: v }, t));
  }
  const startBtn = el("button", { type: "button", "data-capture-start": "motion" }, "Start recording");
  const stopBtn = el("button", { type: "button", "data-capture-stop": "motion", disabled: "" }, "Stop and send");
  const live = el("p", { "data-capture-live": "", "aria-live": "off" });
  const placeField = el("div", { class: "field" });
  placeField.append(placeLabel, place);
  motionBox.append(placeField, live, startBtn, stopBtn);

  const hasMotion = "DeviceMotionEvent" in window;
  if (!hasMotion) { startBtn.disabled = true; live.textContent = "This browser has no motion sensors."; }

  let motion = null;
  let samples = [];
  let times = [];
  let wakeLock = null;
  let tick = null;

  async function lockScreen() {
    try { if ("wakeLock" in navigator) wakeLock = await navigator.wakeLock.request("screen"); } catch (e) { wakeLock = null; }
  }
  document.addEventListener("visibilitychange", () => {
    if (motion && document.visibilityState === "visible") lockScreen();
  });

  function onMotion(ev) {
    const a = ev.accelerationIncludingGravity;
    if (!a || a.x === null || a.x === undefined) return;
    const r = ev.rotationRate;
    const t = performance.now();
    const row = [t, a.x, a.y, a.z];
    if (r && r.alpha !== null && r.alpha !== undefined) row.push(r.alpha, r.beta, r.gamma);
    samples.push(row);
    times.push(t);
  }

  function showLive() {
    if (times.length < 2) { live.textContent = "Waiting for the sensor…"; return; }
    const dts = [];
    for (let i = 1; i < times.length; i++) dts.push(times[i] - times[i - 1]);
    const med = median(dts.slice(-500));
    const gaps = dts.filter((d) => d > Math.max(GAP_FACTOR * med, 100)).length;
    const secs = (times[times.length - 1] - times[0]) / 1000;
    const rate = (times.length - 1) / secs;
    live.dataset.rate = rate.toFixed(1);
    live.dataset.gaps = String(gaps);
    const sent = motion ? motion.sender.sent : 0;
    live.textContent = `${secs.toFixed(0)} s · ${rate.toFixed(0)} samples/s · ${gaps} gap${gaps === 1 ? "" : "s"} · ${sent} chunk${sent === 1 ? "" : "s"} sent`;
  }

  function flushSamples() {
    if (!motion || !samples.length) return;
    const batch = samples;
    samples = [];
    motion.chunk(batch).catch((err) => { status.textContent = `Sending failed: ${err.message}`; });
  }

  startBtn.addEventListener("click", async () => {
    status.textContent = "";
    try {
      // iOS Safari asks for permission, and only from a tap.
      if (typeof DeviceMotionEvent.requestPermission === "function") {
        const answer = await DeviceMotionEvent.requestPermission();
        if (answer !== "granted") { status.textContent = "Motion access was not allowed."; return; }
      }
      motion = new Capture(root, "imu");
      await motion.start({ placement: place.value });
    } catch (err) {
      motion = null;
      status.textContent = `Could not start: ${err.message}`;
      return;
    }
    samples = []; times = [];
    window.addEventListener("devicemotion", onMotion);
    await lockScreen();
    tick = setInterval(() => { flushSamples(); showLive(); }, CHUNK_MS);
    startBtn.disabled = true; stopBtn.disabled = false; place.disabled = true;
    root.dataset.state = "recording";
    status.textContent = "Recording: walk now. Tap “Stop and send” when you finish.";
  });

  stopBtn.addEventListener("click", async () => {
    if (!motion) return;
    window.removeEventListener("devicemotion", onMotion);
    clearInterval(tick);
    flushSamples();
    showLive();
    if (wakeLock) { wakeLock.release().catch(() => {}); wakeLock = null; }
    stopBtn.disabled = true;
    status.textContent = "Sending…";
    const cap = motion;
    motion = null;
    try {
      const rec = await cap.finish();
      done(rec);
    } catch (err) {
      status.textContent = `Not sent yet (${err.message}); it stays on this phone and is sent when you reopen this page.`;
    }
    startBtn.disabled = !hasMotion; place.disabled = false;
    root.dataset.state = "idle";
  });

  // camera
  const camBox = el("fieldset", { class: "card" });
  camBox.append(el("legend", {}, "Film this walk (camera, side view)"));
  const frame = el("div", { class: "capture-frame" });
  const video = el("video", { playsinline: "", muted: "", "aria-label": "camera preview" });
  video.muted = true;
  frame.append(video, el("div", { class: "capture-guide", "aria-hidden": "true" }),
    el("p", { class: "capture-guide-text" }, "Camera square to the treadmill, at hip height: the whole body inside the frame, seen from the side."));
  const keepLabel = el("label", { for: "capture-keep" });
  const keep = el("input", { type: "checkbox", id: "capture-keep", name: "capture_keep_video" });
  keepLabel.append(keep, document.createTextNode(" Keep the video after analysis (otherwise it is deleted once the keypoints are extracted)"));
  const camStart = el("button", { type: "button", "data-capture-start": "video" }, "Start filming");
  const camStop = el("button", { type: "button", "data-capture-stop": "video", disabled: "" }, "Stop and send");
  camBox.append(frame, keepLabel, camStart, camStop);
  const hasCamera = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  if (!hasCamera) { camStart.disabled = true; camBox.append(el("p", {}, "This browser cannot record video.")); }
  let recorder = null;
  let film = null;

  camStart.addEventListener("click", async () => {
    status.textContent = "";
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false });
    } catch (err) { status.textContent = `No camera: ${err.message}`; return; }
    video.srcObject = stream;
    video.play().catch(() => {});
    const settings = stream.getVideoTracks()[0].getSettings();
    const types = ["video/webm;codecs=vp8", "video/webm", "video/mp4"];
    const mimeType = types.find((t) => MediaRecorder.isTypeSupported(t)) || "";
    try {
      film = new Capture(root, "video");
      await film.start({ keep_video: keep.checked, fps: settings.frameRate || null, mime_type: mimeType || null });
    } catch (err) { status.textContent = `Could not start: ${err.message}`; stream.getTracks().forEach((t) => t.stop()); return; }
    recorder = new MediaRecorder(stream, { mimeType: mimeType || undefined, videoBitsPerSecond: 2_000_000 });
    recorder.ondataavailable = (ev) => { if (ev.data && ev.data.size) film.chunk(ev.data, true).catch((e) => { status.textContent = `Sending failed: ${e.message}`; }); };
    recorder.start(VIDEO_SLICE_MS);
    await lockScreen();
    camStart.disabled = true; camStop.disabled = false; keep.disabled = true;
    root.dataset.state = "filming";
    status.textContent = "Filming: walk now.";
  });

  camStop.addEventListener("click", async () => {
    if (!recorder) return;
    const stopped = new Promise((r) => { recorder.onstop = r; });
    recorder.stop();
    await stopped;
    video.srcObject.getTracks().forEach((t) => t.stop());
    video.srcObject = null;
    if (wakeLock) { wakeLock.release().catch(() => {}); wakeLock = null; }
    camStop.disabled = true;
    status.textContent = "Sending the video…";
    const cap = film;
    recorder = null; film = null;
    try { done(await cap.finish()); } catch (err) { status.textContent = `Not sent yet (${err.message}).`; }
    camStart.disabled = false; keep.disabled = false;
    root.dataset.state = "idle";
  });

  // treadmill
  const btBox = el("fieldset", { class: "card" });
  btBox.append(el("legend", {}, "Treadmill (Bluetooth)"));
  const btBtn = el("button", { type: "button", "data-capture-treadmill": "" }, "Connect treadmill");
  const btLive = el("p", { "data-treadmill-live": "" });
  btBox.append(btBtn, btLive);
  if (!navigator.bluetooth) { btBtn.disabled = true; btLive.textContent = "This browser has no Web Bluetooth (Chrome or Edge on Android or a computer have it)."; }
  let merged = {};
  function fill(values) {
    merged = { ...merged, ...values };
    const dose = doseFields(merged);
    for (const name of ["speed_kmh", "incline_pct", "minutes"]) {
      const input = form && form.elements.namedItem(prefix + name);
      if (input && dose[name] !== null && dose[name] !== undefined) input.value = String(dose[name]);
    }
    btLive.textContent = [
      dose.speed_kmh !== null ? `${dose.speed_kmh} km/h` : "",
      dose.incline_pct !== null ? `incline ${dose.incline_pct}%` : "",
      dose.distance_m !== null ? `${dose.distance_m} m` : "",
      dose.minutes !== null ? `${dose.minutes} min` : "",
    ].filter(Boolean).join(" · ");
  }
  root.ftmsNotify = (view) => fill(parseTreadmillData(view).values); // also used by tests
  btBtn.addEventListener("click", async () => {
    try {
      const device = await navigator.bluetooth.requestDevice({ filters: [{ services: [FITNESS_MACHINE_SERVICE] }] });
      const server = await device.gatt.connect();
      const service = await server.getPrimaryService(FITNESS_MACHINE_SERVICE);
      const ch = await service.getCharacteristic(TREADMILL_DATA);
      ch.addEventListener("characteristicvaluechanged", (ev) => {
        try { root.ftmsNotify(ev.target.value); } catch (err) { btLive.textContent = err.message; }
      });
      await ch.startNotifications();
      btLive.textContent = `Connected to ${device.name || "the treadmill"}.`;
    } catch (err) { btLive.textContent = `Not connected: ${err.message}`; }
  });

  root.append(motionBox, camBox, btBox, status, results);

  function done(rec) {
    status.textContent = "Sent. The analysis runs in the background.";
    if (form) {
      let ids = form.querySelector('input[name="recording_ids"]');
      if (!ids) { ids = el("input", { type: "hidden", name: "recording_ids" }); form.append(ids); }
      ids.value = ids.value ? `${ids.value},${rec.id}` : String(rec.id);
    }
    const li = el("li", { "data-recording-id": String(rec.id), "data-status": rec.status }, `Recording ${rec.id}: ${rec.status}`);
    results.append(li);
    poll(rec.id, li);
  }

  async function poll(id, li) {
    for (let i = 0; i < 300; i++) {
      let rec;
      try { rec = await api("GET", `/api/v1/clients/${clientId}/recordings/${id}`); } catch (e) { rec = null; }
      if (rec) {
        li.dataset.status = rec.status;
        li.textContent = summary(rec);
        if (!["queued", "analysing"].includes(rec.status)) return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  // resume captures a reload interrupted: send what stayed on the phone, then finish
  (async () => {
    let pending = [];
    try { pending = await all("captures"); } catch (e) { return; }
    for (const c of pending) {
      if (!c.base.endsWith(`/clients/${clientId}/captures`)) continue;
      const chunks = (await all("chunks")).filter((x) => x.token === c.token).sort((a, b) => a.n - b.n);
      const cap = new Capture(root, c.kind);
      cap.token = c.token;
      cap.sender = new ChunkSender(c.base, c.token, () => {});
      try {
        const info = await api("GET", `${c.base}/${c.token}`);
        for (const x of chunks) if (!info.received.includes(x.n)) cap.sender.queue = cap.sender.queue.then(() => cap.sender.send(x));
        await cap.sender.flush();
        if (info.recording) { await del("captures", c.token); continue; }
        const n = c.chunks ?? Math.max(-1, ...info.received, ...chunks.map((x) => x.n)) + 1;
        if (c.chunks === null) continue; // stopped mid-recording: nothing to finish yet
        cap.n = n;
        done(await cap.finish());
      } catch (err) {
        if (err.status === 404) { await del("captures", c.token); }
      }
    }
  })();
}

export function summary(rec) {
  const m = rec.metrics || {};
  const q = rec.quality || {};
  if (rec.status === "analysed") {
    const dirs = [...new Set((m.bouts || []).map((b) => b.direction))].join(", ");
    const parts = [`Recording ${rec.id}: analysed`];
    if (m.steps !== undefined) parts.push(`${m.steps} steps`);
    if (m.cadence_spm) parts.push(`${Math.round(m.cadence_spm)} steps/min`);
    if (dirs) parts.push(`walking ${dirs}`);
    if (m.direction) parts.push(`walking ${m.direction}`);
    const warn = (q.flags || []).map((f) => f.message);
    return parts.join(", ") + (warn.length ? ` (note: ${warn.join("; ")})` : "");
  }
  if (rec.status === "withheld") return `Recording ${rec.id}: no numbers – ${q.reason}`;
  if (rec.status === "failed") return `Recording ${rec.id}: could not be analysed – ${rec.error}`;
  return `Recording ${rec.id}: ${rec.status}`;
}

document.querySelectorAll("[data-capture]").forEach(attach);
