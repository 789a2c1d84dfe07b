// talkinghead page: plain JS, no build step, no external network.
"use strict";
const $ = (id) => document.getElementById(id);

function message(body) {
  const d = body && body.detail;
  if (d && d.error) return d.fix ? `${d.error}. ${d.fix}` : d.error;
  if (Array.isArray(d)) return d.map((e) => e.msg).join("; ");
  return "something went wrong";
}

async function call(url, options) {
  const r = await fetch(url, options);
  const body = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) throw new Error(message(body));
  return body;
}

// --- Jobs: polled from /jobs, so a reload shows them again --------------------------------------
const JOB_POLL_MS = 1000;
const WATCH_KEY = "talkinghead.watch";  // the video job whose result the player shows when done
const jobs = { seen: new Map(), names: new Map() };

function duration(s) {
  s = Math.max(0, Math.round(s));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function describe(job) {
  if (job.state === "queued") {
    return job.queue_position ? `waiting: ${job.queue_position === 1 ? "next" : `number ${job.queue_position}`} in line`
      : "waiting";
  }
  if (job.state === "running") {
    const left = job.eta_s == null ? "" : ` · about ${duration(job.eta_s)} left`;
    return `${job.stage} · ${Math.round(job.progress * 100)} %${left}`;
  }
  return job.state;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function jobItem(job) {
  const li = el("li", undefined, "job");
  li.dataset.job = job.id;
  const bar = el("progress");
  bar.max = 1; bar.value = job.progress;
  const what = job.kind === "avatar" ? `enrolling ${jobs.names.get(job.avatar_id) || ""}`.trim() : "video";
  const cancel = el("button", "Cancel", "secondary small");
  cancel.type = "button";
  cancel.addEventListener("click", async () => {
    cancel.disabled = true;
    try { await call(`/jobs/${job.id}/cancel`, { method: "POST" }); } catch (e) { /* it ended meanwhile */ }
    refreshJobs();
  });
  li.append(el("span", what, "what"), bar, el("span", describe(job), "stage"), cancel);
  if (job.warnings.length) {
    const w = el("ul", undefined, "warnings");
    job.warnings.forEach((t) => w.append(el("li", t)));
    li.append(w);
  }
  return li;
}

// Captions (a WebVTT file beside the video): a <track> the player shows where they are not
// already drawn into the picture, and a download link either way.
function setCaptions(player, captionsUrl, shown) {
  player.querySelectorAll("track").forEach((t) => t.remove());
  $("download-captions").hidden = !captionsUrl;
  if (!captionsUrl) return;
  $("download-captions").href = captionsUrl;
  if (!shown) return;
  const track = document.createElement("track");
  track.kind = "captions"; track.src = captionsUrl; track.default = true;
  track.label = "Captions";
  player.append(track);
}

function showVideo(url, warnings, captionsUrl, captions) {
  const player = $("player");
  if (player.getAttribute("src") !== url) {
    player.src = url;
    setCaptions(player, captionsUrl, captions === "soft");
  }
  $("download").href = url;
  $("warnings").replaceChildren(...(warnings || []).map((t) => el("li", t)));
  $("result").hidden = false;
  player.play().catch(() => {});  // autoplay may be refused; the controls are there
}

async function refreshJobs() {
  const list = await call("/jobs");
  const active = list.filter((j) => j.state === "queued" || j.state === "running");
  $("jobs").replaceChildren(...active.filter((j) => j.kind === "video").map(jobItem));
  $("enroll-jobs").replaceChildren(...active.filter((j) => j.kind === "avatar").map(jobItem));
  let videosChanged = false, avatarsChanged = false;
  const watched = localStorage.getItem(WATCH_KEY);
  for (const j of list) {
    const before = jobs.seen.get(j.id);
    jobs.seen.set(j.id, j.state);
    const ended = j.state !== "queued" && j.state !== "running";
    if (!ended || before === j.state) continue;
    if (before !== undefined) (j.kind === "video" ? (videosChanged = true) : (avatarsChanged = true));
    if (j.id === watched) {
      localStorage.removeItem(WATCH_KEY);
      if (j.state === "done") showVideo(j.video_url, j.warnings, j.captions_url, j.captions);
      else showError("error", j.state === "cancelled" ? "The video was cancelled." : `The video failed: ${j.error}`);
    }
  }
  if (videosChanged) await loadVideos();
  if (avatarsChanged) await loadAvatars();
}

function showError(id, text) {
  $(id).textContent = text;
  $(id).hidden = !text;
}

async function pollJobs() {
  try { await refreshJobs(); } catch (e) { /* the server is restarting: try again */ }
  setTimeout(pollJobs, JOB_POLL_MS);
}

// --- Videos made so far -------------------------------------------------------------------------
async function loadVideos() {
  const list = await call("/videos");
  $("no-videos").hidden = list.length > 0;
  $("videos").replaceChildren(...list.map((v) => {
    const li = el("li");
    const said = v.request.text || "(a recording)";
    const who = v.request.avatar_id ? (jobs.names.get(v.request.avatar_id) || "a deleted person") : "Built-in portrait";
    const when = new Date(v.created * 1000).toLocaleString();
    const info = el("div", undefined, "info");
    info.append(el("span", said.length > 80 ? `${said.slice(0, 80)}…` : said, "said"),
                el("span", `${who} · ${v.duration.toFixed(1)} s · ${when}`, "status"));
    (v.warnings || []).forEach((t) => info.append(el("span", t, "warning")));
    const play = el("button", "Play", "small");
    play.type = "button";
    play.addEventListener("click", () => showVideo(v.video_url, v.warnings, v.captions_url, v.request.captions));
    const get = el("a", "Download");
    get.href = v.video_url; get.download = `talkinghead-${v.id.slice(0, 8)}.mp4`;
    const del = el("button", "Delete", "secondary small");
    del.type = "button";
    del.addEventListener("click", async () => {
      const player = $("player");
      if (player.getAttribute("src") === v.video_url) {  // let go of the file first: no request for it after
        player.pause(); player.removeAttribute("src"); player.load(); $("result").hidden = true;
      }
      await call(v.video_url, { method: "DELETE" }).catch((e) => showError("error", e.message));
      loadVideos();
    });
    li.append(info, play, get, del);
    return li;
  }));
}

// --- People ---------------------------------------------------------------------------------------
async function loadAvatars() {
  const list = await call("/avatars");
  const selects = [$("avatar"), $("live-avatar")];
  const chosen = selects.map((s) => s.value);
  selects.forEach((s) => { s.length = 1; });
  list.forEach((a) => jobs.names.set(a.id, a.name));
  $("avatars").replaceChildren(...list.map((a) => {
    const li = el("li");
    li.dataset.avatar = a.id;
    if (a.image_url) {
      const img = el("img");
      img.src = a.image_url; img.alt = a.name;
      li.append(img);
    }
    const info = el("div", undefined, "info");
    info.append(el("span", `${a.name} (${a.kind})`, "said"), el("span", a.state, `badge ${a.state}`));
    if (a.state === "failed" && a.error) info.append(el("span", a.error, "error reason"));
    const del = el("button", a.state === "enrolling" ? "Cancel" : "Delete", "secondary small");
    del.type = "button";
    del.addEventListener("click", async () => {
      await call(`/avatars/${a.id}`, { method: "DELETE" }).catch((e) => showError("enroll-error", e.message));
      loadAvatars();
    });
    li.append(info, del);
    if (a.state === "ready") selects.forEach((s) => s.add(new Option(a.name, a.id)));
    return li;
  }));
  selects.forEach((s, k) => { s.value = [...s.options].some((o) => o.value === chosen[k]) ? chosen[k] : ""; });
}

// --- Forms ----------------------------------------------------------------------------------------
$("captions").addEventListener("change", () => {
  $("captions-note").hidden = !$("audio").files.length || $("captions").value === "none";
});

$("audio").addEventListener("change", () => {
  const recording = $("audio").files.length > 0;
  $("rate").disabled = recording;  // a recording is spoken as recorded
  $("rate-note").hidden = !recording;
  $("captions-note").hidden = !recording || $("captions").value === "none";
});

$("generate").addEventListener("click", async () => {
  const button = $("generate");
  showError("error", "");
  $("result").hidden = true;
  button.disabled = true;
  try {
    let options;
    const audio = $("audio").files[0];
    if (audio) {
      const form = new FormData();
      form.append("audio", audio);
      form.append("text", $("text").value);
      form.append("captions", $("captions").value);
      if ($("avatar").value) form.append("avatar_id", $("avatar").value);
      options = { method: "POST", body: form };
    } else {
      const body = { text: $("text").value, rate: Number($("rate").value) || 1, captions: $("captions").value };
      if ($("avatar").value) body.avatar_id = $("avatar").value;
      options = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    }
    const made = await call("/videos", options);
    localStorage.setItem(WATCH_KEY, made.job.id);
    jobs.seen.set(made.job.id, made.job.state);
    await refreshJobs();
  } catch (e) {
    showError("error", e.message);
  } finally {
    button.disabled = false;
  }
});

$("add").addEventListener("click", async () => {
  const button = $("add");
  showError("enroll-error", "");
  button.disabled = true;
  try {
    const form = new FormData();
    form.append("name", $("name").value);
    if ($("photo").files[0]) form.append("photo", $("photo").files[0]);
    // One transcript per video: one line each (a single video takes the whole text).
    const files = [...$("videos-in").files];
    const typed = $("transcript").value.trim();
    const lines = !typed ? [] : files.length > 1 ? typed.split("\n").filter((l) => l.trim()) : [typed];
    files.forEach((f) => form.append("videos", f));
    lines.forEach((t) => form.append("transcript", t));  // none: the server recognises the speech
    const made = await call("/avatars", { method: "POST", body: form });
    ["name", "photo", "videos-in", "transcript"].forEach((id) => { $(id).value = ""; });
    jobs.seen.set(made.job.id, made.job.state);
    await loadAvatars();
    await refreshJobs();
  } catch (e) {
    showError("enroll-error", e.message);
  } finally {
    button.disabled = false;
  }
});

// --- Live: a WebSocket session (protocol in talkinghead/server/live.py) -----------------------
// Each binary message is one frame: uint32 LE header length, JSON header, JPEG, int16 PCM.
// Sound is scheduled on an AudioContext clock and each picture is drawn when its sound plays.
const LIVE_BUFFER_S = 0.12;  // jitter buffer between arrival and playback
const live = {
  ws: null, avatar: null, audio: null, rate: 16000, base: null, pending: [], sources: [],
  clickedAt: null, stopping: false, opening: null, openingFor: null,
  stats: { received: 0, shown: 0, speakingShown: 0, audioScheduled: 0, lastSpeaking: false,
           firstSpeakingMs: null, errors: [], ready: false },
};
window.liveStats = live.stats;  // read by the browser test

function liveStatus(text) { $("live-status").textContent = text; }
function liveError(text) {
  if (text) live.stats.errors.push(text);
  $("live-error").textContent = text;
  $("live-error").hidden = !text;
}

function liveButtons() {
  const open = live.ws !== null;
  $("live-stop").disabled = !open;
  $("live-end").disabled = !open;
}

function liveConnect(avatarId) {
  return new Promise((resolve, reject) => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const query = avatarId ? `?avatar_id=${encodeURIComponent(avatarId)}` : "";
    const ws = new WebSocket(`${proto}://${location.host}/live${query}`);
    ws.binaryType = "arraybuffer";
    let ready = false;
    ws.onmessage = (e) => {
      if (typeof e.data !== "string") { liveFrame(e.data); return; }
      const m = JSON.parse(e.data);
      if (m.type === "ready") {
        ready = true;
        live.rate = m.sample_rate;
        live.stats.ready = true;
        const canvas = $("live-view");
        canvas.width = m.width; canvas.height = m.height;
        liveStatus(`Live at ${m.fps} frames/s (look-ahead ${m.lookahead_ms} ms).`);
        resolve(ws);
      } else if (m.type === "error") {
        const text = m.fix ? `${m.error}. ${m.fix}` : m.error;
        liveError(text);
        if (!ready) reject(new Error(text));
      }
    };
    ws.onclose = () => {
      if (live.ws === ws) { live.ws = null; live.base = null; liveButtons(); liveStatus("Session ended."); }
      if (!ready) reject(new Error("the live session could not be opened"));
    };
  });
}

function liveFrame(buffer) {
  const view = new DataView(buffer);
  const n = view.getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
  const jpeg = new Blob([new Uint8Array(buffer, 4 + n, head.jpeg)], { type: "image/jpeg" });
  const pcm = new Int16Array(buffer.slice(4 + n + head.jpeg));
  live.stats.received += 1;
  // After Stop, frames the server sent before it heard the interruption are dropped unseen.
  if (live.stopping && head.speaking) return;
  live.stopping = false;
  const ctx = live.audio;
  if (!ctx) {  // no sound yet (it needs a click): show the idle face as it comes
    createImageBitmap(jpeg).then((image) => {
      $("live-view").getContext("2d").drawImage(image, 0, 0);
      image.close();
    });
    return;
  }
  // The first frame (or one that arrives too late to play) sets the clock: frame time t plays at base + t.
  if (live.base === null || live.base + head.t < ctx.currentTime + 0.01) live.base = ctx.currentTime + LIVE_BUFFER_S - head.t;
  const when = live.base + head.t;
  if (pcm.length) {
    const sound = ctx.createBuffer(1, pcm.length, live.rate);
    const channel = sound.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) channel[i] = pcm[i] / 32768;
    const source = ctx.createBufferSource();
    source.buffer = sound;
    source.connect(ctx.destination);
    source.start(when);
    live.sources.push({ source, when, speaking: head.speaking });
    live.stats.audioScheduled += 1;
  }
  const item = { when, speaking: head.speaking, image: null };
  live.pending.push(item);
  createImageBitmap(jpeg).then((image) => { item.image = image; });
}

function liveDraw() {
  if (live.audio) {
    const now = live.audio.currentTime;
    let shown = null;
    while (live.pending.length && live.pending[0].when <= now && live.pending[0].image) {
      if (shown) shown.image.close();
      shown = live.pending.shift();
    }
    if (shown) {
      $("live-view").getContext("2d").drawImage(shown.image, 0, 0);
      shown.image.close();
      live.stats.shown += 1;
      live.stats.lastSpeaking = shown.speaking;
      if (shown.speaking) {
        live.stats.speakingShown += 1;
        if (live.clickedAt !== null) {
          live.stats.firstSpeakingMs = Math.round(performance.now() - live.clickedAt);
          liveStatus(`Speaking (first frame ${live.stats.firstSpeakingMs} ms after Speak).`);
          live.clickedAt = null;
        }
      }
    }
    live.sources = live.sources.filter((s) => s.when + 0.1 > now);
  }
  requestAnimationFrame(liveDraw);
}
requestAnimationFrame(liveDraw);

function liveSend(message) {
  if (live.ws && live.ws.readyState === WebSocket.OPEN) live.ws.send(JSON.stringify(message));
}

async function liveEnsure() {
  // One session per chosen speaker, opened as soon as the user heads for the text box.
  const who = $("live-avatar").value;
  if (live.ws !== null && live.avatar === who) return;
  if (live.opening && live.openingFor === who) { await live.opening; return; }
  if (live.ws) live.ws.close();
  live.ws = null;
  liveStatus("Opening the session…");
  live.openingFor = who;
  live.opening = liveConnect(who);
  try {
    const ws = await live.opening;
    live.ws = ws;
    live.avatar = who;
    liveButtons();
  } finally {
    live.opening = null;
  }
}

$("live-text").addEventListener("focus", () => { liveEnsure().catch((e) => liveError(e.message)); });
$("live-avatar").addEventListener("change", () => {
  if (live.ws || live.opening) liveEnsure().catch((e) => liveError(e.message));
});

$("live-speak").addEventListener("click", async () => {
  liveError("");
  const text = $("live-text").value.trim();
  if (!text) { liveError("Type something to say first."); return; }
  const button = $("live-speak");
  button.disabled = true;
  try {
    live.audio = live.audio || new AudioContext();  // created on a click: browsers allow sound then
    await live.audio.resume();
    await liveEnsure();
    live.clickedAt = performance.now();
    live.stopping = false;
    liveSend({ type: "text", text });
  } catch (e) {
    liveError(e.message);
  } finally {
    button.disabled = false;
  }
});

$("live-stop").addEventListener("click", () => {
  liveSend({ type: "interrupt" });
  live.stopping = true;
  // What is already here of the dropped speech is not played either.
  const now = live.audio ? live.audio.currentTime : 0;
  for (const s of live.sources) if (s.speaking && s.when > now) s.source.stop();
  live.pending = live.pending.filter((p) => {
    if (p.speaking && p.image) p.image.close();
    return !p.speaking;
  });
  live.clickedAt = null;
  liveStatus("Stopped.");
});

$("live-end").addEventListener("click", () => {
  liveSend({ type: "close" });
  if (live.ws) live.ws.close();
});

loadAvatars()
  .then(loadVideos)
  .catch((e) => showError("enroll-error", e.message))
  .finally(pollJobs);
