"""Live sessions: latency, throughput, pacing, drift and memory (issue 16's acceptance numbers).

Usage: python benchmarks/live.py [--enroll 20] [--size 0] [--trials 10] [--sustain 60] [--json out.json]

An avatar is enrolled from GRID s1 clips (spread over the corpus; ``--size S``: their centre
square upscaled to S×S first, e.g. 512); replies are held-out GRID clips' audio pushed in 40 ms
chunks in real time, or a sentence pushed as text.

* latency: wall time from pushing a reply's first 40 ms chunk to the first speaking frame coming
  out of a paced session (the consumer takes frames on the wall clock, as a player does);
  text → first speaking frame likewise from ``push_text``;
* interrupt: half a second into each of those replies, ``interrupt()``: frames until the output
  is idle with the footage's own (closed) mouth, and speaking frames after it (must be none);
* throughput: speaking frames/s of a session run as fast as possible, and its CPU time per frame;
* sustained: a paced session for ``--sustain`` s of alternating replies and idle: late frames
  (yielded more than a frame after their due time), and audio/video drift at the end (samples
  handed out vs frames · rate / fps);
* memory: peak RSS of a process that opens the avatar and runs one paced session (the sustained
  runs are each a fresh process: Python, the libraries, the avatar and the session), its RSS a
  minute in and at the end (memory must not grow with the session's length), and this whole
  process's peak (enrollment included);
* two sessions at once (two processes), each paced: late frames.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dub_grid
from results_io import emit
from talkinghead.avatar import Avatar, clips_from, enroll
from talkinghead.live import LIVE_RATE, LiveOptions, open_session
from talkinghead.video import load_audio
from talkinghead.video.audio import resample

CHUNK_S = 0.04


def replies(n: int) -> list[np.ndarray]:
    ids = sorted(p.stem for p in (dub_grid.DATA / "video").glob("*.mp4"))
    _, rest = dub_grid.split(ids, dub_grid.ENROLL, "spread")
    out = []
    for cid in dub_grid.held_out(rest, n):
        a, rate = load_audio(dub_grid.DATA / "video" / f"{cid}.mp4")
        out.append(resample(a, rate, LIVE_RATE))
    return out


def push_real_time(session, audio: np.ndarray, started: dict | None = None,
                   stop: threading.Event | None = None) -> None:
    """Push ``audio`` in 40 ms chunks on the wall clock; ``started["t"]`` = when the first went in;
    ``stop`` ends the pushing early."""
    step = int(CHUNK_S * LIVE_RATE)
    t0 = time.perf_counter()
    for k, i in enumerate(range(0, len(audio), step)):
        if stop is not None and stop.is_set():
            return
        delay = t0 + k * CHUNK_S - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        session.push_audio(audio[i:i + step], LIVE_RATE, last=i + step >= len(audio))
        if started is not None and k == 0:
            started["t"] = time.perf_counter()


def latency(avatar: Avatar, clips: list[np.ndarray]) -> tuple[list[float], list[int], int]:
    """First-speaking-frame latencies, s; frames from ``interrupt()`` to the footage's own idle
    frame; speaking frames after an interrupt (all replies together)."""
    session = open_session(avatar, LiveOptions(paced=True))
    frames = session.frames()
    got: list[float] = []
    to_idle: list[int] = []
    leaked = 0
    for audio in clips:
        for _ in range(10):  # a little idle first
            next(frames)
        started: dict = {}
        stop = threading.Event()
        pusher = threading.Thread(target=push_real_time, args=(session, audio, started, stop))
        pusher.start()
        while True:
            f = next(frames)
            if f.speaking:
                got.append(time.perf_counter() - started["t"])
                break
        for _ in range(12):  # half a second of the reply
            next(frames)
        stop.set()
        pusher.join()
        session.interrupt()
        after = [next(frames) for _ in range(25)]
        idle = [not a.speaking and np.array_equal(a.image, session.face.idle(a.index % session.face.cycle))
                for a in after]
        to_idle.append(idle.index(True) + 1 if True in idle else len(after) + 1)
        leaked += sum(a.speaking for a in after)
    session.close()
    return got, to_idle, leaked


def text_latency(avatar: Avatar, trials: int) -> list[float]:
    """Text → first speaking frame, after one untimed reply (the voice's first load, about a
    second, is a process's once-only cost)."""
    session = open_session(avatar, LiveOptions(paced=True))
    frames = session.frames()
    got = []
    session.push_text("Hello.")
    while not next(frames).speaking:
        pass
    session.interrupt()
    for _ in range(trials):
        for _ in range(5):
            next(frames)
        t0 = time.perf_counter()
        pusher = threading.Thread(target=session.push_text, args=("Place blue at F two now. Thank you.",))
        pusher.start()
        while not next(frames).speaking:
            pass
        got.append(time.perf_counter() - t0)
        pusher.join()  # the second phrase too, before the interruption drops it
        session.interrupt()
    session.close()
    return got


def throughput(avatar: Avatar, audio: np.ndarray) -> dict:
    session = open_session(avatar)
    session.push_audio(audio, LIVE_RATE, last=True)
    c0, t0 = time.process_time(), time.perf_counter()
    n = sum(1 for _ in session.frames(until_idle=True))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"frames": n, "frames_per_s": round(n / wall, 1), "cpu_share_of_real_time": round(cpu / (n / session.fps), 3)}


def sustained(avatar_path: str, clips: list[np.ndarray], seconds: float) -> dict:
    avatar = Avatar.load(avatar_path)
    session = open_session(avatar, LiveOptions(paced=True))
    late, n, samples, speaking = 0, 0, 0, 0
    start = time.perf_counter()
    stop = start + seconds
    rss_minute = None

    def feed() -> None:
        k = 0
        while time.perf_counter() < stop - 3:
            push_real_time(session, clips[k % len(clips)])
            time.sleep(1.0)  # idle between replies
            k += 1

    threading.Thread(target=feed, daemon=True).start()
    t0 = None
    for f in session.frames():
        now = time.perf_counter()
        t0 = now if t0 is None else t0
        if now - (t0 + f.index / session.fps) > 1.0 / session.fps:
            late += 1
        n += 1
        samples += len(f.audio)
        speaking += f.speaking
        if rss_minute is None and now > start + min(60.0, seconds / 2):
            rss_minute = rss_mb()
        if now > stop:
            break
    rss_end = rss_mb()
    session.close()
    drift = abs(samples - n / session.fps * LIVE_RATE) / LIVE_RATE * session.fps
    return {"seconds": seconds, "frames": n, "late_frames": late, "speaking_frames": speaking,
            "drift_frames": round(drift, 3), "rss_mb_first_minute": rss_minute, "rss_mb_end": rss_end,
            "peak_rss_mb_process": peak_rss_mb()}


def _status_mb(field: str) -> int | None:
    """A memory figure of this process from /proc/self/status (``VmRSS``, ``VmHWM``), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024)
    return None


def rss_mb() -> int:
    """This process's resident memory now (VmRSS), MB."""
    return _status_mb("VmRSS") or 0


def peak_rss_mb() -> int:
    """This process's own peak resident memory (VmHWM: unlike getrusage's maxrss it is not
    inherited from the parent by a spawned worker), MB."""
    peak = _status_mb("VmHWM")
    return peak if peak is not None else round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def transitions(avatar: Avatar, clips: list[np.ndarray]) -> dict:
    """Idle → reply → idle, several times, as fast as possible; the lips re-tracked. Jitter (mean
    |second difference| of the lip points) over the 5 frames around each switch, against the same
    over the whole run's idle frames (the person's own footage, untouched)."""
    from talkinghead.evaluate.metrics import normalised_mouth
    from talkinghead.face import track_frames

    session = open_session(avatar)
    frames = session.frames()
    images, speaking = [], []
    for audio in clips[:4]:
        for _ in range(25):  # a second of idle
            f = next(frames)
            images.append(f.image)
            speaking.append(f.speaking)
        session.push_audio(audio, LIVE_RATE, last=True)
        for f in frames:
            images.append(f.image)
            speaking.append(f.speaking)
            if not f.speaking:
                break
    session.close()
    lips = normalised_mouth(track_frames(images, len(images)).landmarks)
    second = np.linalg.norm(np.diff(lips, 2, axis=0), axis=-1).mean(axis=1)  # per frame (centred at k+1)
    flag = np.array(speaking)
    switches = np.flatnonzero(flag[1:] != flag[:-1]) + 1
    near = sorted({int(k) for s in switches for k in range(s - 3, s + 2) if 0 <= k < len(second)})
    idle = [k for k in range(len(second)) if not flag[k] and not flag[k + 1] and not flag[k + 2]]
    return {"switches": len(switches), "jitter_at_switches": round(float(np.nanmean(second[near])), 5),
            "jitter_idle_footage": round(float(np.nanmean(second[idle])), 5),
            "jitter_idle_footage_p95": round(float(np.nanpercentile(second[idle], 95)), 5),
            "jitter_speaking": round(float(np.nanmean(second[[k for k in range(len(second)) if flag[k + 1]]])), 5)}


def upscaled(video: Path, size: int, folder: Path) -> Path:
    """``video``'s centre square resized to size×size (same name, audio kept) under ``folder``."""
    import cv2

    from talkinghead.video import VideoWriter, probe, read_frames

    out = folder / "footage" / video.name
    out.parent.mkdir(exist_ok=True)
    audio, rate = load_audio(video)
    with VideoWriter(out, probe(video).fps, audio=audio, sample_rate=rate) as writer:
        for frame in read_frames(video):
            image = frame.image
            h, w = image.shape[:2]
            side = min(h, w)
            y, x = (h - side) // 2, (w - side) // 2
            writer.write(cv2.resize(image[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_CUBIC))
    return out


def _worker(args: tuple) -> dict:
    return sustained(*args)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--enroll", type=int, default=20)
    ap.add_argument("--size", type=int, default=0, help="upscale the footage's centre square to this size (0: as is)")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--sustain", type=float, default=60.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    ids = sorted(p.stem for p in (dub_grid.DATA / "video").glob("*.mp4"))
    train, _ = dub_grid.split(ids, args.enroll, "spread")
    clips = replies(args.trials)
    with tempfile.TemporaryDirectory() as tmp:
        videos = [dub_grid.DATA / "video" / f"{c}.mp4" for c in train]
        if args.size:
            videos = [upscaled(v, args.size, Path(tmp)) for v in videos]
        avatar = enroll(clips_from(videos, align_dir=dub_grid.DATA / "align"), Path(tmp) / "s1.avatar").avatar
        t0 = time.perf_counter()
        open_session(avatar).close()
        open_s = time.perf_counter() - t0
        lat, to_idle, leaked = latency(avatar, clips)
        tlat = text_latency(avatar, max(3, args.trials // 2))
        thr = throughput(avatar, np.concatenate(clips))
        trans = transitions(avatar, clips)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            one = pool.map(_worker, [(str(avatar.path), clips, args.sustain)])[0]
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            two = pool.map(_worker, [(str(avatar.path), clips, args.sustain / 2)] * 2)
    pct = lambda v, q: round(float(np.percentile(v, q)) * 1000)  # noqa: E731
    result = {
        "frame_size": list(avatar.meta.frame_size), "fps": avatar.fps, "enrolled_clips": len(train),
        "open_session_s": round(open_s, 2),
        "audio_first_frame_ms": {"p50": pct(lat, 50), "p95": pct(lat, 95), "runs": len(lat)},
        "interrupt_frames_to_idle": {"max": max(to_idle), "median": float(np.median(to_idle)), "runs": len(to_idle)},
        "speaking_frames_after_interrupt": leaked,
        "text_first_frame_ms": {"p50": pct(tlat, 50), "p95": pct(tlat, 95), "runs": len(tlat)},
        "throughput": thr, "transitions": trans, "sustained_one": one, "sustained_two": two,
        "peak_rss_mb_this_process": round(rss),
    }
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
