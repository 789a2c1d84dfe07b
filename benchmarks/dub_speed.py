"""`dub --video` speed and memory: re-voice a 60 s 720p (or 1080p) video with a new 60 s recording.

Usage: python benchmarks/dub_speed.py [--seconds 60] [--size 720] [--runs 2] [--json out.json]

The target is GRID s1 footage (20 clips joined, upscaled to a 900×720 picture padded to
1280×720 — or 1350×1080 padded to 1920×1080 — with its sound); the new recording is 20 other clips' audio joined. Each run is a
fresh process calling the CLI's `main(["dub", "--video", target, speech, "-o", out])` (no avatar,
no transcript: on-the-fly tracking of the target, the universal model, rendering, encoding).
Reports wall time / output duration (median of the runs), the stage times of the last run and the
child's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from results_io import emit
from say_speed import child

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"

CHILD = """
import json, time
t0 = time.perf_counter()
from talkinghead.cli import main
code = main(["-q", "dub", "--video", {target!r}, {speech!r}, "-o", {out!r}])
wall = time.perf_counter() - t0
hwm = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0]
print(json.dumps({{"code": code, "wall_s": wall, "peak_rss_mb": hwm / 1024}}))
"""


def build_inputs(tmp: Path, seconds: float, height: int = 720) -> tuple[Path, Path]:
    import cv2

    from talkinghead.video import VideoWriter, load_audio, read_frames
    from talkinghead.video.audio import save_wav

    ids = sorted(p.stem for p in (DATA / "video").glob("*.mp4"))
    n = int(np.ceil(seconds / 3.0))
    target, speech = tmp / f"target_{height}p.mp4", tmp / "speech.wav"
    picture = (round(height * 1.25), height)  # GRID's 5:4, upscaled
    pad = (height * 16 // 9 - picture[0]) // 2
    audio = np.concatenate([load_audio(DATA / "video" / f"{c}.mp4", 22050)[0] for c in ids[:n]])
    with VideoWriter(target, 25, audio=audio, sample_rate=22050) as w:
        for c in ids[:n]:
            for f in read_frames(DATA / "video" / f"{c}.mp4"):
                big = cv2.resize(f.image, picture, interpolation=cv2.INTER_CUBIC)
                w.write(cv2.copyMakeBorder(big, 0, 0, pad, pad, cv2.BORDER_REPLICATE))
    new = np.concatenate([load_audio(DATA / "video" / f"{c}.mp4", 22050)[0] for c in ids[-n:]])
    save_wav(speech, new, 22050)
    return target, speech


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--size", type=int, default=720, choices=(720, 1080), help="picture height")
    ap.add_argument("--json")
    args = ap.parse_args()
    from talkinghead.video import probe

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        target, speech = build_inputs(tmp, args.seconds, args.size)
        runs = []
        for k in range(args.runs):
            out = tmp / f"out{k}.mp4"
            r = child(CHILD.format(target=str(target), speech=str(speech), out=str(out)))
            r["duration_s"] = probe(out).duration
            runs.append(r)
            print(f"run {k + 1}: {r['wall_s']:.1f} s for {r['duration_s']:.1f} s, peak RSS {r['peak_rss_mb']:.0f} MB",
                  flush=True)
    result = {"seconds": args.seconds, "size": f"{args.size * 16 // 9}x{args.size}",
              "wall_per_output_second_median": round(statistics.median(r["wall_s"] / r["duration_s"] for r in runs), 3),
              "wall_per_output_second_runs": [round(r["wall_s"] / r["duration_s"], 3) for r in runs],
              "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in runs))}
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
