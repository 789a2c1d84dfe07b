"""Soak test of `talkinghead serve` (not part of `make test`): mixed jobs for a long stretch, with
clients that vanish, hostile requests, cancels and one server restart; then the service must be
clean.

Submits ``--jobs`` requests spread evenly over ``--minutes``: text for the built-in portrait, a
photo avatar and a video avatar; uploaded recordings; photo enrollments; cancels; and hostile
ones (bad fields with an upload, deep JSON, a decompression-bomb PNG, a foreign Origin, bad
Ranges, uploads cut off mid-body, event streams dropped). Halfway it stops the server with
SIGTERM and starts it again. Meanwhile it samples the API's latency (GET /jobs and GET
/jobs/{id}) and the server process's RSS. At the end it waits for every job to end, stops the
server and reports:

- jobs per state (every accepted job must end done, failed or cancelled);
- orphan worker processes once the server has stopped (must be 0);
- stray files: uploads/ and half-written outputs (must be 0);
- server RSS at the start and end of each run (after a warm-up), and p50/p95 API latency.

    .venv/bin/python benchmarks/soak.py --minutes 20 --jobs 200 --json benchmarks/results/soak.json
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx
from skimage import data as skdata

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
from tests.media import one_bit_png, png  # the test suite's own hostile media and process helpers
from tests.serving import alive, children

from results_io import emit

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ["Bob made a map.", "The blue book is on the table.", "Good morning, and welcome to the course.",
             "Please remember to save your work.", "It is 3:45 and the train is late.", "We meet again on Friday.",
             "Seven green frogs sat by the pond.", "Thank you for watching."]
WARMUP_S = 60.0  # RSS is compared from this long after a start (imports and first requests settled)


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Service:
    def __init__(self, data: Path, port: int, workers: int) -> None:
        self.data, self.port, self.workers = data, port, workers
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> None:
        self.log = open(self.data.parent / "server.log", "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "talkinghead", "-q", "serve", "--port", str(self.port),
                                      "--data", str(self.data), "--workers", str(self.workers)],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            try:
                if httpx.get(f"{self.url}/jobs", timeout=1).status_code == 200:
                    self.started = time.monotonic()
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)


class Soak:
    def __init__(self, svc: Service, seed: int) -> None:
        self.svc = svc
        self.rng = random.Random(seed)
        self.accepted: list[str] = []  # job ids
        self.refused: dict[int, int] = {}  # status → count, for requests meant to be refused
        self.unexpected: list[str] = []
        self.latency: list[float] = []
        self.rss: list[tuple[int, float, float]] = []  # (run, seconds since its start, MB)
        self.workers_seen: set[int] = set()
        self.run = 0
        self.up = threading.Event()
        self.done = threading.Event()

    # --- background samplers ---------------------------------------------------------------------
    def sample(self) -> None:
        with httpx.Client(base_url=self.svc.url, timeout=10) as c:
            k = 0
            while not self.done.is_set():
                time.sleep(0.5)
                if not self.up.is_set():
                    continue
                try:
                    t0 = time.perf_counter()
                    c.get("/jobs")
                    if self.accepted:
                        c.get(f"/jobs/{self.accepted[-1]}")
                    self.latency.append((time.perf_counter() - t0) / (2 if self.accepted else 1))
                except httpx.HTTPError:
                    continue
                k += 1
                if k % 10 == 0 and self.svc.proc is not None:
                    pid = self.svc.proc.pid
                    mb = _rss_mb(pid)
                    if mb is not None:
                        self.rss.append((self.run, time.monotonic() - self.svc.started, mb))
                    self.workers_seen |= children(pid)

    # --- the requests ------------------------------------------------------------------------------
    def post(self, c: httpx.Client, url: str, want: tuple[int, ...], **kw) -> dict | None:
        try:
            r = c.post(url, **kw)
        except httpx.HTTPError as exc:
            self.unexpected.append(f"POST {url}: {exc.__class__.__name__}")
            return None
        if r.status_code not in want:
            self.unexpected.append(f"POST {url}: {r.status_code} {r.text[:200]}")
            return None
        if r.status_code == 202:
            body = r.json()
            self.accepted.append(body["job"]["id"])
            return body
        self.refused[r.status_code] = self.refused.get(r.status_code, 0) + 1
        return None

    def one(self, c: httpx.Client, avatars: list[str], wav: bytes) -> str:
        roll = self.rng.random()
        text = " ".join(self.rng.sample(SENTENCES, self.rng.randint(1, 3)))
        avatar = self.rng.choice([None, *avatars])
        body = {"text": text, **({"avatar_id": avatar} if avatar else {})}
        if roll < 0.40:
            self.post(c, "/videos", (202,), json=body)
            return "text"
        if roll < 0.55:
            self.post(c, "/videos", (202,), files={"audio": ("s.wav", wav, "audio/wav")},
                      data={k: v for k, v in body.items() if k == "avatar_id"})
            return "audio"
        if roll < 0.60:
            self.post(c, "/avatars", (202,), files={"photo": ("p.png", png(skdata.astronaut()), "image/png")})
            return "photo enrollment"
        if roll < 0.67:
            made = self.post(c, "/videos", (202,), json={**body, "text": " ".join([text] * 8)})
            if made:
                time.sleep(self.rng.uniform(0.0, 3.0))
                try:
                    c.post(f"/jobs/{made['job']['id']}/cancel")
                except httpx.HTTPError:
                    pass
            return "cancel"
        if roll < 0.75:
            return self.vanish(body)
        return self.hostile(c, wav)

    def vanish(self, body: dict) -> str:
        """A client that goes away: an upload cut off mid-body, or an event stream dropped."""
        if self.rng.random() < 0.5:
            s = socket.create_connection(("127.0.0.1", self.svc.port), timeout=5)
            boundary = "soakboundary"
            s.sendall((f"POST /videos HTTP/1.1\r\nHost: 127.0.0.1:{self.svc.port}\r\n"
                       f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 500000\r\n\r\n"
                       f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
                       "Content-Type: audio/wav\r\n\r\nRIFF\x00\x00\x00\x00WAVEfmt ").encode() + bytes(20000))
            s.close()
            return "vanished upload"
        with httpx.Client(base_url=self.svc.url, timeout=10) as c:
            made = self.post(c, "/videos", (202,), json=body)
        if made:
            try:
                with httpx.stream("GET", f"{self.svc.url}/jobs/{made['job']['id']}/events", timeout=5) as r:
                    for _ in r.iter_lines():
                        break  # the tab closed after the first event
            except httpx.HTTPError:
                pass
        return "vanished stream"

    def hostile(self, c: httpx.Client, wav: bytes) -> str:
        kind = self.rng.choice(["bad rate", "bad avatar", "deep json", "bomb", "foreign", "range", "bad json"])
        if kind == "bad rate":
            self.post(c, "/videos", (422,), files={"audio": ("s.wav", wav, "audio/wav")}, data={"rate": "99"})
        elif kind == "bad avatar":
            self.post(c, "/videos", (404,), files={"audio": ("s.wav", wav, "audio/wav")}, data={"avatar_id": "0" * 32})
        elif kind == "deep json":
            self.post(c, "/videos", (422,), content=b"[" * 100_000 + b"]" * 100_000,
                      headers={"content-type": "application/json"})
        elif kind == "bomb":
            self.post(c, "/avatars", (422,), files={"photo": ("b.png", one_bit_png(20000, 20000), "image/png")})
        elif kind == "foreign":
            self.post(c, "/videos", (403,), data={"text": "hi"}, headers={"Origin": "https://evil.example"})
        elif kind == "bad json":
            self.post(c, "/videos", (422,), content=b'{"text": ', headers={"content-type": "application/json"})
        else:
            try:
                videos = c.get("/videos").json()
                if videos:
                    r = c.get(videos[0]["video_url"], headers={"Range": "bytes=999999999-"})
                    if r.status_code != 416:
                        self.unexpected.append(f"bad Range: {r.status_code}")
            except httpx.HTTPError as exc:
                self.unexpected.append(f"GET range: {exc.__class__.__name__}")
        return f"hostile: {kind}"


def _setup(svc: Service, tmp: Path) -> tuple[list[str], bytes]:
    """A photo avatar and a video avatar, and a recording to upload."""
    from talkinghead.speech import synthesize
    from talkinghead.video import save_wav

    speech = synthesize("Good morning. This is a recording.")
    save_wav(tmp / "s.wav", speech.audio, speech.sample_rate)
    ids = []
    with httpx.Client(base_url=svc.url, timeout=60) as c:
        photo = c.post("/avatars", files={"photo": ("a.png", png(skdata.astronaut()), "image/png")},
                       data={"name": "photo"}).json()
        video = c.post("/avatars", files={"videos": ("me.mp4", (ROOT / "tests/fixtures/speaker.mp4").read_bytes(),
                                                     "video/mp4")}, data={"name": "video"}).json()
        for made in (photo, video):
            while c.get(f"/jobs/{made['job']['id']}").json()["state"] in ("queued", "running"):
                time.sleep(1)
            if c.get(f"/avatars/{made['avatar_id']}").json()["state"] == "ready":
                ids.append(made["avatar_id"])
    return ids, (tmp / "s.wav").read_bytes()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--jobs", type=int, default=200, help="requests submitted (hostile ones included)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="soak-") as tmp_name:
        tmp = Path(tmp_name)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        svc = Service(tmp / "data", port, args.workers)
        svc.start()
        soak = Soak(svc, args.seed)
        avatars, wav = _setup(svc, tmp)
        soak.up.set()
        sampler = threading.Thread(target=soak.sample, daemon=True)
        sampler.start()
        kinds: dict[str, int] = {}
        interval = args.minutes * 60 / args.jobs
        t0 = time.monotonic()
        with httpx.Client(base_url=svc.url, timeout=30) as c:
            for k in range(args.jobs):
                time.sleep(max(0.0, t0 + k * interval - time.monotonic()))
                if k == args.jobs // 2:  # one restart, mid-run, with work in flight
                    long = soak.post(c, "/videos", (202,), json={"text": " ".join(SENTENCES * 6)})
                    while long and c.get(f"/jobs/{long['job']['id']}").json()["state"] != "running":
                        time.sleep(0.2)
                    time.sleep(2.0)
                    soak.up.clear()
                    svc.stop()
                    kinds["(server restarted)"] = 1
                    soak.run += 1
                    svc.start()
                    soak.up.set()
                kind = soak.one(c, avatars, wav)
                kinds[kind] = kinds.get(kind, 0) + 1
            print(f"submitted {args.jobs} requests in {(time.monotonic() - t0) / 60:.1f} min; waiting for the jobs",
                  file=sys.stderr)
            deadline = time.monotonic() + 30 * 60
            while time.monotonic() < deadline:
                states = [c.get(f"/jobs/{j}").json()["state"] for j in soak.accepted]
                if all(s in ("done", "failed", "cancelled") for s in states):
                    break
                time.sleep(2)
            jobs = {j: c.get(f"/jobs/{j}").json() for j in soak.accepted}
        soak.done.set()
        sampler.join(5)
        server_pid = svc.proc.pid
        soak.workers_seen |= children(server_pid)
        svc.stop()
        time.sleep(10)  # a worker that outlived its server would still be here
        orphans = sorted(p for p in soak.workers_seen if alive(p))
        data = svc.data
        stray = [str(p.relative_to(data)) for p in (data / "uploads").rglob("*") if p.is_file()]
        stray += [str(p.relative_to(data)) for p in data.rglob("*") if ".partial" in p.name]
        per_state: dict[str, int] = {}
        for j in jobs.values():
            per_state[j["state"]] = per_state.get(j["state"], 0) + 1
        errors: dict[str, int] = {}
        for j in jobs.values():
            if j["state"] == "failed":
                errors[j["error"][:90]] = errors.get(j["error"][:90], 0) + 1
        rss = {}
        for run in sorted({r for r, _, _ in soak.rss}):
            xs = [(t, mb) for r, t, mb in soak.rss if r == run and t >= WARMUP_S]
            if len(xs) >= 4:
                q = max(1, len(xs) // 4)
                rss[f"run {run}"] = {"start_mb": round(statistics.median(mb for _, mb in xs[:q]), 1),
                                     "end_mb": round(statistics.median(mb for _, mb in xs[-q:]), 1),
                                     "max_mb": round(max(mb for _, mb in xs), 1),
                                     "minutes_sampled": round((xs[-1][0] - xs[0][0]) / 60, 1)}
        lat = sorted(soak.latency)
        result = {
            "requests": args.jobs, "minutes": args.minutes, "workers": args.workers, "kinds": kinds,
            "jobs_accepted": len(jobs), "jobs_per_state": per_state,
            "not_final": sum(1 for j in jobs.values() if j["state"] not in ("done", "failed", "cancelled")),
            "failure_reasons": errors, "refused_as_expected": soak.refused, "unexpected": soak.unexpected[:20],
            "worker_processes_seen": len(soak.workers_seen), "orphans": len(orphans), "stray_files": stray,
            "server_rss": rss,
            "server_rss_per_minute": {f"run {r}": [round(statistics.median(mb for rr, t, mb in soak.rss
                                                                            if rr == r and int(t // 60) == m), 1)
                                                   for m in sorted({int(t // 60) for rr, t, _ in soak.rss if rr == r})]
                                      for r in sorted({r for r, _, _ in soak.rss})},
            "server_log_warnings": [line.strip()[:200] for line in (tmp / "server.log").read_text().splitlines()
                                    if "Traceback" in line or "Error" in line or "stopped" in line][:20],
            "api_latency_ms": {"samples": len(lat), "p50": round(1000 * lat[len(lat) // 2], 1),
                               "p95": round(1000 * lat[int(len(lat) * 0.95)], 1),
                               "max": round(1000 * lat[-1], 1)} if lat else None,
        }
        if orphans:
            for p in orphans:
                os.kill(p, signal.SIGKILL)
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
