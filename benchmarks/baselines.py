"""Real-data baselines for the lip-sync metrics, on GRID speaker s1.

Usage: python benchmarks/baselines.py [--pairs 30] [--json out.json] [--plot out.png]

For each of N clips (spread over the corpus), `evaluate` against the real clip:
- re-encoded: the clip itself through our H.264 writer at CRF 23 (the tracker's noise floor);
- mismatched: another clip's real video (same speaker, another sentence);
- static: the clip's most closed frame held for its whole length (a mouth that never moves).
A generator is useful only where it beats "mismatched" and "static" and approaches "re-encoded".
Reported: mean ± sd of each metric per baseline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from talkinghead.evaluate import evaluate
from talkinghead.evaluate import metrics as M
from talkinghead.face import track_frames
from talkinghead.video import VideoWriter, load_audio, read_frames

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"
KEYS = ("mouth_lmd_pct_iod", "opening_correlation", "opening_lag_frames", "jitter_ratio", "psnr_db",
        "ssim", "mouth_psnr_db", "mouth_ssim")
REENCODE_CRF = 23


def reencoded(src: Path, dst: Path) -> Path:
    audio, _ = load_audio(src, 22050)
    with VideoWriter(dst, 25, audio=audio, sample_rate=22050, crf=REENCODE_CRF) as w:
        for f in read_frames(src):
            w.write(f.image)
    return dst


def static(src: Path, dst: Path) -> Path:
    frames = [f.image for f in read_frames(src)]
    raw = track_frames(frames)
    gaps = M.opening(raw.landmarks)
    still = frames[int(np.nanargmin(gaps))]
    audio, _ = load_audio(src, 22050)
    with VideoWriter(dst, 25, audio=audio, sample_rate=22050, crf=REENCODE_CRF) as w:
        for _ in frames:
            w.write(still)
    return dst


def summarise(rows: list[dict]) -> dict:
    out = {}
    for k in KEYS:
        vals = [r[k] for r in rows if np.isfinite(r[k])]
        out[k] = {"mean": round(statistics.fmean(vals), 4), "sd": round(statistics.pstdev(vals), 4)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pairs", type=int, default=30)
    ap.add_argument("--json")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"no GRID data at {DATA}", file=sys.stderr)
        return 2
    ids = sorted(p.stem for p in (DATA / "video").glob("*.mp4"))
    chosen = ids[:: max(1, len(ids) // args.pairs)][: args.pairs]
    rows: dict[str, list[dict]] = {"re-encoded": [], "mismatched": [], "static": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k, cid in enumerate(chosen):
            real = DATA / "video" / f"{cid}.mp4"
            other = DATA / "video" / f"{chosen[(k + len(chosen) // 2) % len(chosen)]}.mp4"
            rows["re-encoded"].append(evaluate(reencoded(real, Path(tmp) / "re.mp4"), real).metrics)
            rows["mismatched"].append(evaluate(other, real).metrics)
            rows["static"].append(evaluate(static(real, Path(tmp) / "st.mp4"), real).metrics)
    result = {"pairs": len(chosen), "baselines": {k: summarise(v) for k, v in rows.items()}}
    print(f"{'baseline':<12}" + "".join(f"{k:>22}" for k in KEYS))
    for name, s in result["baselines"].items():
        print(f"{name:<12}" + "".join(f"{s[k]['mean']:>13.3f} ± {s[k]['sd']:<6.3f}" for k in KEYS))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
