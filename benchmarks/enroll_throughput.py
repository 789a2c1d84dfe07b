"""Enrollment speed, memory and tracking quality on GRID speaker s1.

Usage: python benchmarks/enroll_throughput.py [--clips 60] [--runs 3] [--json out.json]

Each run enrolls the first N clips (N × 3 s of 25 fps footage, with their .align transcripts) in a
fresh subprocess, so its peak RSS is its own; reported: median frames per second of wall time over
the runs, the largest peak RSS, and from the avatar: face-found rate, the rigid-fit residual,
and the inner-lip gap (IOD) on aligned open-vowel frames versus bilabial + silence frames.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"


def one_run(n_clips: int, out: Path) -> dict:
    """Enroll in a child process; returns its timing and peak RSS (VmHWM: it restarts at exec,
    unlike ru_maxrss, which keeps the forking parent's high-water mark)."""
    code = f"""
import json, resource, sys, time
from pathlib import Path
from talkinghead.avatar import clips_from, enroll, EnrollOptions
videos = sorted(Path({str(DATA / 'video')!r}).glob('*.mp4'))[:{n_clips}]
t0 = time.perf_counter()
report = enroll(clips_from(videos, align_dir={str(DATA / 'align')!r}), {str(out)!r}, EnrollOptions(force=True))
dt = time.perf_counter() - t0
print(json.dumps({{"frames": report.frames, "seconds": dt, "skipped": len(report.skipped),
                  "peak_rss_mb": int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def quality(path: Path) -> dict:
    from talkinghead.avatar import Avatar
    from talkinghead.phonemes import SILENCE, Viseme, viseme_of

    a = Avatar.load(path)
    t = a.tracks
    visemes = np.array([Viseme.SILENCE if str(lab) == SILENCE else viseme_of(str(lab)) for lab in t.labels])
    v = visemes[t.phoneme]
    open_ = (v == Viseme.OPEN_VOWEL) & t.usable
    closed = ((v == Viseme.BILABIAL) | (v == Viseme.SILENCE)) & t.usable
    return {"found_rate": round(float(t.found.mean()), 4),
            "rigid_residual_median_pct_iod": round(float(np.nanmedian(t.residual)) * 100, 2),
            "rigid_residual_p95_pct_iod": round(float(np.nanpercentile(t.residual, 95)) * 100, 2),
            "lip_gap_open_vowel": round(float(np.nanmean(t.lip_gap[open_])), 4),
            "lip_gap_bilabial_silence": round(float(np.nanmean(t.lip_gap[closed])), 4),
            "open_to_closed_ratio": round(float(np.nanmean(t.lip_gap[open_]) / np.nanmean(t.lip_gap[closed])), 2),
            "phonemes_with_own_pose": a.meta.coverage.phonemes_with_own_pose}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=60)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"no GRID data at {DATA}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench.avatar"
        runs = [one_run(args.clips, out) for _ in range(args.runs)]
        fps = [r["frames"] / r["seconds"] for r in runs]
        result = {"clips": args.clips, "frames": runs[0]["frames"], "runs": args.runs,
                  "frames_per_second_median": round(statistics.median(fps), 1),
                  "frames_per_second_all": [round(x, 1) for x in fps],
                  "seconds_median": round(statistics.median(r["seconds"] for r in runs), 1),
                  "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in runs)),
                  "skipped": runs[0]["skipped"], **quality(out)}
    for k, v in result.items():
        print(f"{k:32} {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
