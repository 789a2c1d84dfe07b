"""A long avatar: all 250 GRID s1 clips (about 12.5 minutes of footage) enrolled; how long opening
it, a live session on it and `say` with it take, and the process's peak memory.

Usage: python benchmarks/big_avatar.py [--clips 250] [--json out.json]

`say` runs twice: the first builds nothing (enrollment wrote the random-access bank store), the
second shows the steady state; both are reported with their steps (TTS, plan, bank, render).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dub_grid
from results_io import emit
from talkinghead.avatar import Avatar, clips_from, enroll
from talkinghead.live import open_session
from talkinghead.render import say

SENTENCE = "Place blue at F two now, please. Thank you very much."


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=250)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    ids = sorted(p.stem for p in (dub_grid.DATA / "video").glob("*.mp4"))[: args.clips]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s1_all.avatar"
        t = time.perf_counter()
        enroll(clips_from([dub_grid.DATA / "video" / f"{c}.mp4" for c in ids], align_dir=dub_grid.DATA / "align"), path)
        enroll_s = time.perf_counter() - t
        t = time.perf_counter()
        avatar = Avatar.load(path)
        load_s = time.perf_counter() - t
        says = []
        for _ in range(2):
            t = time.perf_counter()
            report = say(avatar, SENTENCE, Path(tmp) / "say.mp4")
            wall = time.perf_counter() - t
            says.append({"wall_s": round(wall, 2), "ratio": round(wall / report.duration, 3),
                         "steps_s": {k: round(v, 2) for k, v in report.seconds.items()}})
        t = time.perf_counter()
        open_session(path).close()
        open_s = time.perf_counter() - t
        size = {p.name: p.stat().st_size for p in path.iterdir()}
    result = {"clips": len(ids), "frames": len(avatar.tracks), "enroll_s": round(enroll_s, 1),
              "load_s": round(load_s, 2), "open_session_s": round(open_s, 2), "say": says,
              "files_mb": {k: round(v / 2 ** 20, 1) for k, v in sorted(size.items())},
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
