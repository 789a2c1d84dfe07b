"""How much footage to record: dub accuracy against minutes of enrollment footage.

Usage: python benchmarks/footage_curve.py [--sizes 20 60 200] [--clips 40] [--json out.json]

Holds out the same C clips as ``dub_grid.py`` (its default split), then for each size E enrolls E
clips spread evenly over the remaining ones, dubs every held-out clip's own audio + transcript
onto that avatar and scores it against the real clip (mouth LMD, opening correlation). Each
avatar's background is one clip of its own footage, and which clip that is moves LMD as much as
the footage's length does; so every clip is also dubbed onto its own frames (``dub --video``),
the same background for every size. The mismatched-sentence baseline (another real clip) is
measured once. Writes a plot of both metrics against the minutes of footage enrolled.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from talkinghead.avatar import clips_from, enroll
from talkinghead.evaluate import evaluate
from talkinghead.render import dub
from talkinghead.video import probe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dub_grid import DATA, ENROLL, held_out, partner, split, stats, transcript


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20, 60, 200])
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--json")
    ap.add_argument("--figures", default=str(Path(__file__).resolve().parent / "results"))
    args = ap.parse_args()
    ids = sorted(p.stem for p in (DATA / "video").glob("*.mp4"))
    test = held_out(split(ids, ENROLL, "spread")[1], args.clips)
    pool = [c for c in ids if c not in set(test)]
    if max(args.sizes) > len(pool):
        ap.error(f"at most {len(pool)} clips are left to enroll")
    video = {c: DATA / "video" / f"{c}.mp4" for c in ids}
    words = {c: transcript(c) for c in test}
    mism = [evaluate(video[partner(test, k)], video[c]).metrics["mouth_lmd_pct_iod"] for k, c in enumerate(test)]
    mismatched = statistics.fmean(mism)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for size in args.sizes:
            enrolled = [pool[i] for i in np.linspace(0, len(pool) - 1, size).round().astype(int)]
            minutes = sum(probe(video[c]).duration for c in enrolled) / 60
            t0 = time.perf_counter()
            avatar = enroll(clips_from([video[c] for c in enrolled], align_dir=DATA / "align"),
                            tmp / f"s1_{size}.avatar").avatar
            enroll_s = time.perf_counter() - t0
            scores, own = [], []
            for c in test:
                dub(avatar, video[c], tmp / "out.mp4", words[c])
                scores.append(evaluate(tmp / "out.mp4", video[c]).metrics)
                dub(avatar, video[c], tmp / "own.mp4", words[c], video=video[c])
                own.append(evaluate(tmp / "own.mp4", video[c]).metrics)
            row = {"clips": size, "minutes": round(minutes, 2), "enroll_seconds": round(enroll_s, 1)}
            for name, rs in (("avatar", scores), ("own_frames", own)):
                lmd = stats(rs, "mouth_lmd_pct_iod")
                row[name] = {"mouth_lmd_pct_iod": lmd, "lmd_vs_mismatched": round(lmd["mean"] / mismatched, 3),
                             "opening_correlation": stats(rs, "opening_correlation")}
            rows.append(row)
            print(json.dumps(rows[-1]), flush=True)
    result = {"dubbed_clips": len(test), "mismatched_lmd_pct_iod": round(mismatched, 4), "sizes": rows}
    plot(result, Path(args.figures) / "footage_curve.png")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


def plot(result: dict, path: Path) -> None:
    """Mouth LMD (% of mismatched) and opening correlation against minutes of footage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [r["minutes"] for r in result["sizes"]]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.4))
    for name, label in (("avatar", "onto the avatar's background"), ("own_frames", "onto the clip's own frames")):
        a.plot(minutes, [100 * r[name]["lmd_vs_mismatched"] for r in result["sizes"]], "o-", label=label)
        b.plot(minutes, [r[name]["opening_correlation"]["mean"] for r in result["sizes"]], "o-", label=label)
    a.axhline(55, ls="--", c="grey", lw=1)
    a.set_ylabel("mouth LMD, % of mismatched sentence")
    b.axhline(0.85, ls="--", c="grey", lw=1)
    b.legend(fontsize=8)
    b.set_ylabel("opening correlation with the real clip")
    for ax in (a, b):
        ax.set_xlabel("minutes of footage enrolled")
        ax.grid(alpha=0.3)
    fig.suptitle(f"Dubbing {result['dubbed_clips']} held-out GRID clips onto the avatar (dashed: targets)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
