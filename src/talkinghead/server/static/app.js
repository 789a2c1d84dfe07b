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

function follow(job, bar, stage) {
  // Server-sent progress events until the job ends; resolves with the final job.
  return new Promise((resolve) => {
    const events = new EventSource(`/jobs/${job.id}/events`);
    const show = (e) => {
      const j = JSON.parse(e.data);
      bar.value = j.progress;
      stage.textContent = j.state === "running" ? j.stage : j.state;
      return j;
    };
    events.addEventListener("progress", show);
    events.addEventListener("end", (e) => { events.close(); resolve(show(e)); });
    events.onerror = async () => {  // the stream broke: fall back to one poll
      events.close();
      resolve(await call(`/jobs/${job.id}`));
    };
  });
}

async function loadAvatars() {
  const list = await call("/avatars");
  const select = $("avatar");
  const chosen = select.value;
  select.length = 1;
  $("avatars").innerHTML = "";
  for (const a of list) {
    const li = document.createElement("li");
    const label = `${a.name} (${a.kind}, ${a.state})`;
    if (a.image_url) {
      const img = document.createElement("img");
      img.src = a.image_url; img.alt = a.name;
      li.appendChild(img);
    }
    li.appendChild(document.createTextNode(label));
    $("avatars").appendChild(li);
    if (a.state === "ready") select.add(new Option(a.name, a.id));
  }
  select.value = chosen;
}

$("generate").addEventListener("click", async () => {
  const button = $("generate");
  $("error").hidden = true;
  $("result").hidden = true;
  button.disabled = true;
  try {
    let options;
    const audio = $("audio").files[0];
    if (audio) {
      const form = new FormData();
      form.append("audio", audio);
      form.append("text", $("text").value);
      if ($("avatar").value) form.append("avatar_id", $("avatar").value);
      options = { method: "POST", body: form };
    } else {
      const body = { text: $("text").value, rate: Number($("rate").value) || 1 };
      if ($("avatar").value) body.avatar_id = $("avatar").value;
      options = { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    }
    const made = await call("/videos", options);
    $("job").hidden = false;
    const job = await follow(made.job, $("progress"), $("stage"));
    if (job.state !== "done") throw new Error(job.error || "the video could not be made");
    const player = $("player");
    player.src = job.video_url;
    $("download").href = job.video_url;
    $("result").hidden = false;
    player.play().catch(() => {});  // autoplay may be refused; the controls are there
  } catch (e) {
    $("error").textContent = e.message;
    $("error").hidden = false;
  } finally {
    button.disabled = false;
  }
});

$("add").addEventListener("click", async () => {
  const button = $("add");
  $("enroll-error").hidden = true;
  button.disabled = true;
  try {
    const form = new FormData();
    form.append("name", $("name").value);
    if ($("photo").files[0]) form.append("photo", $("photo").files[0]);
    // One transcript per video: one line each (a single video takes the whole text).
    const files = [...$("videos").files];
    const lines = files.length > 1 ? $("transcript").value.split("\n").filter((l) => l.trim())
                                   : [$("transcript").value];
    files.forEach((f) => form.append("videos", f));
    if (files.length) lines.forEach((t) => form.append("transcript", t));
    const made = await call("/avatars", { method: "POST", body: form });
    $("enroll-job").hidden = false;
    await loadAvatars();
    const job = await follow(made.job, $("enroll-progress"), $("enroll-stage"));
    if (job.state !== "done") throw new Error(job.error || "enrollment failed");
    await loadAvatars();
    $("avatar").value = made.avatar_id;
  } catch (e) {
    $("enroll-error").textContent = e.message;
    $("enroll-error").hidden = false;
  } finally {
    button.disabled = false;
  }
});

loadAvatars().catch((e) => { $("enroll-error").textContent = e.message; $("enroll-error").hidden = false; });
