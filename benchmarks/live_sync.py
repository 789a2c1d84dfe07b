"""Live mouth vs file mouth: the universal model run causally (motion.stream.MouthStream) against
the whole-recording model, on GRID's 40 held-out clips (dub_grid.py's), scored against each clip's
real mouth opening.

Usage: python benchmarks/live_sync.py [--clips 40] [--json out.json]

Two ways to stream: a fresh stream per clip (a session's first reply: the running statistics
start cold) and one stream through all clips in turn (a session hearing reply after reply). Each
clip's description is scored at lag 0 (opening r against the real mouth), as is the
whole-recording model's; their agreement is reported too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dub_grid
from talkinghead.evaluate.metrics import opening
from talkinghead.evaluate.timeline import track_video
from talkinghead.motion.stream import MouthStream
from talkinghead.motion.universal import universal_model
from talkinghead.video import load_audio
from talkinghead.video.audio import resample

CHUNK = 640  # samples at 16 kHz: 40 ms pushes


def corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def stream(audio: np.ndarray) -> np.ndarray:
    s, out = MouthStream(25.0), []
    for i in range(0, len(audio), CHUNK):
        s.push(audio[i:i + CHUNK])
        out.append(s.pop())
    s.end()
    out.append(s.pop())
    return np.concatenate(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    ids = sorted(p.stem for p in (dub_grid.DATA / "video").glob("*.mp4"))
    _, rest = dub_grid.split(ids, dub_grid.ENROLL, "spread")
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
    rows, k = [], 0
    for x, real, offline, cold in clips:
        n = len(x) // CHUNK
        warm = one[k:k + n]
        k += n
        rows.append({"offline": corr(offline, real), "cold": corr(cold, real), "warm": corr(warm, real),
                     "cold_vs_offline": corr(cold, offline), "warm_vs_offline": corr(warm, offline)})
    result = {key: round(statistics.fmean(r[key] for r in rows), 4) for key in rows[0]}
    result["clips"] = len(rows)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
