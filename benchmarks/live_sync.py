"""Live mouth vs file mouth: the universal model run causally (motion.stream.MouthStream) against
the whole-recording model, on GRID's 40 held-out clips (dub_grid.py's), scored against each clip's
real mouth opening.

Usage: python benchmarks/live_sync.py [--clips 40] [--rendered 40] [--wild] [--json out.json]

Two ways to stream: a fresh stream per clip (a session's first reply: the running statistics
start cold) and one stream through all clips in turn (a session hearing reply after reply). Each
clip's description is scored at lag 0 (opening r against the real mouth), as is the
whole-recording model's; their agreement is reported too.

The streams read with ``motion.universal.stream_model()`` (the file weights and the live weights,
trained on the spectrum as a stream normalises it too, averaged); each set of weights alone is
reported beside it (``cold_file_weights``, ``cold_live_weights``, ``warm_file_weights``).

Wild (``--wild``): the second half of each clip of ../shared/data/wild (never trained on, as
wild_sync.py) heard by a fresh stream, against the whole-recording model; opening r against the
real mouth, mean over clips.

Rendered (``--rendered N``, issue 16's sync point): the avatar dub_grid.py enrolls (its 60 clips)
speaks N held-out clips' audio in a live session (pushed in 40 ms chunks, as fast as possible),
once with a fresh session per clip and once with one session through them all; each output is
re-tracked and scored against the real clip (opening r, as dub_grid.py), beside the file
``dub`` of the same audio without a transcript (the same universal model, run on the whole
recording).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dub_grid
from results_io import emit
from talkinghead.avatar import clips_from, enroll
from talkinghead.evaluate import evaluate
from talkinghead.evaluate.metrics import opening
from talkinghead.evaluate.timeline import track_video
from talkinghead.live import LIVE_RATE, open_session
from talkinghead.motion.stream import MouthStream
from talkinghead.motion.universal import universal_model
from talkinghead.render import dub
from talkinghead.video import VideoWriter, load_audio
from talkinghead.video.audio import resample

WILD = dub_grid.DATA.parent / "wild"
CHUNK = 640  # samples at 16 kHz: 40 ms pushes


def corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def stream(audio: np.ndarray, fps: float = 25.0, model=None) -> np.ndarray:
    s, out = MouthStream(fps, model), []
    for i in range(0, len(audio), CHUNK):
        s.push(audio[i:i + CHUNK])
        out.append(s.pop())
    s.end()
    out.append(s.pop())
    return np.concatenate(out)


def speak_live(session, audio: np.ndarray, out: Path) -> None:
    """One reply through ``session`` (16 kHz audio in 40 ms pushes) saved as an mp4."""
    for i in range(0, len(audio), CHUNK):
        session.push_audio(audio[i:i + CHUNK], LIVE_RATE, last=i + CHUNK >= len(audio))
    frames = list(session.frames(until_idle=True))
    with VideoWriter(out, session.fps, audio=np.concatenate([f.audio for f in frames]), sample_rate=LIVE_RATE) as w:
        for f in frames:
            w.write(f.image)


def rendered(test: list[str], train: list[str]) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        avatar = enroll(clips_from([dub_grid.DATA / "video" / f"{c}.mp4" for c in train],
                                   align_dir=dub_grid.DATA / "align"), tmp / "s1.avatar").avatar
        warm = open_session(avatar)
        for cid in test:
            real = dub_grid.DATA / "video" / f"{cid}.mp4"
            a, rate = load_audio(real)
            x = resample(a, rate, LIVE_RATE)
            dub(avatar, real, tmp / "file.mp4")
            speak_live(open_session(avatar), x, tmp / "cold.mp4")
            speak_live(warm, x, tmp / "warm.mp4")
            rows.append({k: evaluate(tmp / f"{k}.mp4", real).metrics["opening_correlation"]
                         for k in ("file", "cold", "warm")})
        warm.close()
    out = {k: round(statistics.fmean(r[k] for r in rows), 4) for k in rows[0]}
    out["cold_minus_file"] = round(out["cold"] - out["file"], 4)
    out["warm_minus_file"] = round(out["warm"] - out["file"], 4)
    out["clips"] = len(rows)
    return out


def wild(file_model) -> dict:
    rows = []
    for path in sorted(WILD.glob("*.mp4")):
        landmarks, fps = track_video(path)
        a, rate = load_audio(path)
        x = resample(a, rate, 16000)
        n = min(len(landmarks), int(len(x) / 16000 * fps))
        half = n // 2
        real = opening(landmarks)[half:n]
        second = x[int(half / fps * 16000): int(n / fps * 16000)]
        rows.append({"offline": corr(file_model.predict(second, 16000, fps, n - half)[:, 0], real),
                     "cold": corr(stream(second, fps)[: n - half, 0], real),
                     "cold_file_weights": corr(stream(second, fps, file_model)[: n - half, 0], real),
                     "cold_live_weights": corr(stream(second, fps, universal_model(live=True))[: n - half, 0], real)})
    out = {k: round(statistics.fmean(r[k] for r in rows), 4) for k in rows[0]}
    out["clips"] = len(rows)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--rendered", type=int, default=40, help="held-out clips rendered live and as files (0: none)")
    ap.add_argument("--wild", action="store_true", help="also the wild clips' second halves")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    ids = sorted(p.stem for p in (dub_grid.DATA / "video").glob("*.mp4"))
    train, rest = dub_grid.split(ids, dub_grid.ENROLL, "spread")
    model = universal_model()
    clips = []
    for cid in dub_grid.held_out(rest, args.clips):
        path = dub_grid.DATA / "video" / f"{cid}.mp4"
        landmarks, fps = track_video(path)
        a, rate = load_audio(path)
        x = resample(a, rate, 16000)
        x = x[: len(x) // CHUNK * CHUNK]  # whole 25 fps frames, so clips stay frame-aligned in one stream
        n = len(x) // CHUNK
        clips.append((x, opening(landmarks)[:n], model.predict(x, 16000, 25.0, n)[:, 0], stream(x)[:n, 0]))
    one = stream(np.concatenate([c[0] for c in clips]))[:, 0]
    one_file = stream(np.concatenate([c[0] for c in clips]), model=model)[:, 0]
    rows, k = [], 0
    for x, real, offline, cold in clips:
        n = len(x) // CHUNK
        warm, warm_file = one[k:k + n], one_file[k:k + n]
        k += n
        rows.append({"offline": corr(offline, real), "cold": corr(cold, real), "warm": corr(warm, real),
                     "cold_vs_offline": corr(cold, offline), "warm_vs_offline": corr(warm, offline),
                     "cold_file_weights": corr(stream(x, model=model)[:n, 0], real),
                     "cold_live_weights": corr(stream(x, model=universal_model(live=True))[:n, 0], real),
                     "warm_file_weights": corr(warm_file, real)})
    result = {key: round(statistics.fmean(r[key] for r in rows), 4) for key in rows[0]}
    result["clips"] = len(rows)
    if args.wild:
        result["wild"] = wild(model)
    if args.rendered:
        result["rendered"] = rendered(dub_grid.held_out(rest, args.rendered), train)
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
