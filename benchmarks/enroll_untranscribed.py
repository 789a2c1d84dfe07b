"""Enrollment without a transcript (issue 17): a minute of GRID enrolled with and without its
words, the same held-out clips dubbed onto both; and every wild clip enrolled without one.

Usage: python benchmarks/enroll_untranscribed.py [--enroll 20] [--clips 40] [--json out.json]

GRID: E clips spread over the corpus (20 ≈ one minute) enrolled twice, with the corpus's
alignment files and with nothing (the words pocketsphinx hears, aligned back onto the sound);
C clips not enrolled are re-voiced with their own audio and transcript, as dub_grid.py does (the
person's model reads the words), and without the transcript (the universal model in the
person's mouth space); each scored against the real clip (opening r, mouth LMD). Also how many
of the enrolled clips' words were recognised (word error rate against the corpus's words).
Wild: each clip of ../shared/data/wild enrolled alone with no transcript: did it succeed, what
was recognised, how many frames were usable.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dub_grid
from results_io import emit
from talkinghead.avatar import clips_from, enroll
from talkinghead.errors import InputError
from talkinghead.evaluate import evaluate
from talkinghead.render import dub

WILD = dub_grid.DATA.parent / "wild"


def word_errors(said: list[str], heard: list[str]) -> int:
    """Levenshtein distance in words."""
    row = list(range(len(heard) + 1))
    for i, w in enumerate(said, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(heard, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (w != h))
    return row[-1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--enroll", type=int, default=20)
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    ids = sorted(p.stem for p in (dub_grid.DATA / "video").glob("*.mp4"))
    train, rest = dub_grid.split(ids, args.enroll, "spread")
    test = dub_grid.held_out(rest, args.clips)
    videos = [dub_grid.DATA / "video" / f"{c}.mp4" for c in train]
    result: dict = {"enroll_clips": len(train), "dubbed_clips": len(test)}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        avatars = {}
        for name, clips in (("transcribed", clips_from(videos, align_dir=dub_grid.DATA / "align")),
                            ("untranscribed", clips_from(videos))):
            t0 = time.perf_counter()
            avatars[name] = enroll(clips, tmp / f"{name}.avatar").avatar
            result[f"{name}_enroll_s"] = round(time.perf_counter() - t0, 1)
            result[f"{name}_own_poses"] = avatars[name].meta.coverage.phonemes_with_own_pose
        said = sum((dub_grid.transcript(c).split() for c in train), [])
        heard_by_clip = {Path(s.path).stem: (s.transcript or "").split() for s in avatars["untranscribed"].meta.sources}
        errors = sum(word_errors(dub_grid.transcript(c).split(), heard_by_clip.get(c, [])) for c in train)
        result["recognition_wer"] = round(errors / len(said), 3)
        result["clips_recognised"] = sum(s.transcript_source == "recognised" for s in avatars["untranscribed"].meta.sources)
        scores: dict[str, list[dict]] = {f"{a}_{m}": [] for a in avatars for m in ("words", "no_words")}
        for cid in test:
            real = dub_grid.DATA / "video" / f"{cid}.mp4"
            for a, avatar in avatars.items():
                dub(avatar, real, tmp / "w.mp4", dub_grid.transcript(cid))
                scores[f"{a}_words"].append(evaluate(tmp / "w.mp4", real).metrics)
                dub(avatar, real, tmp / "n.mp4")
                scores[f"{a}_no_words"].append(evaluate(tmp / "n.mp4", real).metrics)
        for k, rows in scores.items():
            result[k] = {m: round(statistics.fmean(r[m] for r in rows), 4)
                         for m in ("opening_correlation", "mouth_lmd_pct_iod")}
        result["words_difference"] = round(result["untranscribed_words"]["opening_correlation"]
                                           - result["transcribed_words"]["opening_correlation"], 4)
        result["no_words_difference"] = round(result["untranscribed_no_words"]["opening_correlation"]
                                              - result["transcribed_no_words"]["opening_correlation"], 4)
        wild = []
        for clip in sorted(WILD.glob("*.mp4")):
            t0 = time.perf_counter()
            try:
                a = enroll(clips_from([clip]), tmp / f"wild_{clip.stem}.avatar").avatar
                (s,) = a.meta.sources
                wild.append({"clip": clip.name, "ok": True, "source": s.transcript_source, "words": s.words,
                             "usable": round(a.meta.counts.usable / max(1, a.meta.counts.frames), 3),
                             "heard": (s.transcript or "")[:80], "seconds": round(time.perf_counter() - t0, 1)})
            except InputError as exc:
                wild.append({"clip": clip.name, "ok": False, "error": exc.message})
            print(wild[-1], flush=True)
        result["wild"] = wild
        result["wild_enrolled"] = sum(w["ok"] for w in wild)
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
