"""Dub benchmark: enroll part of GRID s1, re-voice other clips with their own audio, score them.

Usage: python benchmarks/dub_grid.py [--enroll 60] [--clips 40] [--split spread|first] [--json out.json]

Enrolls E clips spread evenly over the corpus (``--split first``: the first E in name order, which
in GRID are all "bin …" sentences, so the avatar never sees the speaker say "lay", "place" or
"set"); then for C clips not used for enrollment (spread over the rest): dub
the clip's own audio + transcript onto the avatar and `evaluate` the result against the real
clip; also the same avatar re-voicing the clip's own frames (`dub AVATAR --video real.mp4`), the
avatar dubbing without the transcript (the universal audio→mouth model in the avatar's mouth
space), and the universal model alone (`dub --video real.mp4 real.mp4`: no enrollment, no
transcript; the model never trained on these clips, though it did on this speaker's others).
In the same run, the baselines: mismatched sentence (another real clip) and static rest mouth
(the avatar's background with a closed mouth). Also speed: rendering frames/s, wall time per
second of output, peak RSS; and one opening-curve plot and one contact sheet.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from results_io import emit
from talkinghead.avatar import clips_from, enroll
from talkinghead.evaluate import Evaluation, evaluate, plot_curves
from talkinghead.evaluate.metrics import silence_closure
from talkinghead.phonemes import SILENCE
from talkinghead.render import dub, render
from talkinghead.speech import Speech, TimedPhoneme
from talkinghead.speech.corpus import read_grid_align
from talkinghead.video import load_audio

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"
ENROLL = 60  # clips enrolled by default; footage_curve.py holds out the same clips
KEYS = ("opening_correlation", "opening_correlation_best", "opening_lag_frames", "mouth_lmd_pct_iod",
        "jitter_ratio")


def stats(rows: list[dict], key: str) -> dict:
    vals = [r[key] for r in rows if np.isfinite(r[key])]
    return {"mean": round(statistics.fmean(vals), 4), "sd": round(statistics.pstdev(vals), 4),
            "median": round(statistics.median(vals), 4)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--enroll", type=int, default=ENROLL)
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--split", choices=("spread", "first"), default="spread",
                    help="which clips to enroll: spread evenly over the corpus (default) or the first E")
    ap.add_argument("--json")
    ap.add_argument("--figures", default=str(Path(__file__).resolve().parent / "results"))
    args = ap.parse_args()
    ids = sorted(p.stem for p in (DATA / "video").glob("*.mp4"))
    train, rest = split(ids, args.enroll, args.split)
    test = held_out(rest, args.clips)
    figures = Path(args.figures)
    figures.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        avatar = enroll(clips_from([DATA / "video" / f"{c}.mp4" for c in train], align_dir=DATA / "align"),
                        tmp / "s1.avatar").avatar
        enroll_s = time.perf_counter() - t0
        rows, own, mism, static, closure, own_closure, render_fps, wall_per_s = [], [], [], [], [], [], [], []
        untimed, universal = [], []
        for k, cid in enumerate(test):
            real = DATA / "video" / f"{cid}.mp4"
            words = transcript(cid)
            out = tmp / f"{cid}.mp4"
            t1 = time.perf_counter()
            rep = dub(avatar, real, out, words)
            wall_per_s.append((time.perf_counter() - t1) / rep.duration)
            render_fps.append(rep.frames / rep.seconds["render"])
            ev = evaluate(out, real)
            rows.append(ev.metrics)
            closure.append(pause_closure(ev))
            # The same avatar re-voicing the clip's own frames (head pose then matches the real).
            dub(avatar, real, tmp / "own.mp4", words, video=real)
            ev_own = evaluate(tmp / "own.mp4", real)
            own.append(ev_own.metrics)
            own_closure.append(pause_closure(ev_own))
            # No transcript: the universal audio→mouth model in the avatar's mouth space.
            dub(avatar, real, tmp / "untimed.mp4")
            untimed.append(evaluate(tmp / "untimed.mp4", real).metrics)
            # The universal model alone: no enrollment, no transcript, the clip's own frames.
            dub(None, real, tmp / "universal.mp4", video=real)
            universal.append(evaluate(tmp / "universal.mp4", real).metrics)
            other = DATA / "video" / f"{partner(test, k)}.mp4"
            mism.append(evaluate(other, real).metrics)
            if k < 10:  # static rest mouth on the avatar's background, the clip's audio
                audio, rate = load_audio(real)
                still = Speech(audio, rate, (TimedPhoneme(SILENCE, 0.0, len(audio) / rate),), (), "silence")
                render(avatar, still, tmp / "static.mp4")
                static.append(evaluate(tmp / "static.mp4", real).metrics)
            if k == 0:
                plot_curves(ev, figures / "dub_opening.png")
                contact_sheet(out, real, figures / "dub_contact_sheet.jpg")
    result = {
        "split": args.split, "enroll_clips": len(train), "dubbed_clips": len(test), "enroll_seconds": round(enroll_s, 1),
        "dub": {k: stats(rows, k) for k in KEYS},
        "dub_own_frames": {k: stats(own, k) for k in KEYS},
        "dub_no_transcript": {k: stats(untimed, k) for k in KEYS},
        "universal_alone_own_frames": {k: stats(universal, k) for k in KEYS},
        "universal_alone_lag_within_1": lag_within_1(universal),
        "lag_within_1": lag_within_1(rows),
        "silence_closure": closure_stats(closure),
        "own_frames_lag_within_1": lag_within_1(own),
        "own_frames_silence_closure": closure_stats(own_closure),
        "mismatched": {k: stats(mism, k) for k in KEYS},
        "static": {k: stats(static, k) for k in ("opening_correlation", "mouth_lmd_pct_iod")},
        "render_fps_median": round(statistics.median(render_fps), 1),
        "wall_per_output_second_median": round(statistics.median(wall_per_s), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    result["lmd_vs_mismatched"] = round(result["dub"]["mouth_lmd_pct_iod"]["mean"]
                                        / result["mismatched"]["mouth_lmd_pct_iod"]["mean"], 3)
    result["own_frames_lmd_vs_mismatched"] = round(result["dub_own_frames"]["mouth_lmd_pct_iod"]["mean"]
                                                   / result["mismatched"]["mouth_lmd_pct_iod"]["mean"], 3)
    return emit(result, args.json)


def lag_within_1(rows: list[dict]) -> float:
    """Share of clips whose best lag is within ±1 frame."""
    return round(float(np.mean([abs(r["opening_lag_frames"]) <= 1 for r in rows])), 3)


def pause_closure(ev: Evaluation) -> float:
    """Silence closure of a dub from its evaluation against the real clip: the generated mouth
    and the pauses in its own audio are already there, so it is not tracked a second time."""
    return silence_closure(ev.curves.opening_gen, ev.curves.silent)


def closure_stats(closure: list[float]) -> dict:
    """Lips closed in silent frames: mean and worst over the clips that have pauses."""
    found = [c for c in closure if np.isfinite(c)]
    return {"mean": round(statistics.fmean(found), 4), "min": round(min(found), 4), "clips_with_pauses": len(found)}


def split(ids: list[str], n_enroll: int, how: str) -> tuple[list[str], list[str]]:
    """(enrolled, held out) clip ids. GRID's names start with the sentence's first word, so
    name order groups sentences by command; a user's minute of footage mixes them."""
    if how == "first":
        return ids[:n_enroll], ids[n_enroll:]
    pick = set(np.linspace(0, len(ids) - 1, n_enroll).round().astype(int).tolist())
    return ([c for i, c in enumerate(ids) if i in pick], [c for i, c in enumerate(ids) if i not in pick])


def held_out(rest: list[str], n_clips: int) -> list[str]:
    """The clips to dub: n_clips spread over those not enrolled."""
    return rest[:: max(1, len(rest) // n_clips)][:n_clips]


def transcript(cid: str) -> str:
    """The clip's words, from the corpus's alignment file."""
    return " ".join(w.text for w in read_grid_align(DATA / "align" / f"{cid}.align"))


def partner(test: list[str], k: int) -> str:
    """The mismatched-sentence baseline for test[k]: the clip half the list away."""
    return test[(k + len(test) // 2) % len(test)]


def contact_sheet(generated: Path, real: Path, path: Path) -> None:
    """Every 5th frame: generated above real."""
    import cv2

    from talkinghead.video import read_frames

    gen = [f.image for f in read_frames(generated)][::5]
    ref = [f.image for f in read_frames(real)][::5][: len(gen)]
    top = np.hstack([cv2.resize(g, (180, 144)) for g in gen[: len(ref)]])
    bottom = np.hstack([cv2.resize(r, (180, 144)) for r in ref])
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack([top, bottom]), cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 85])


if __name__ == "__main__":
    sys.exit(main())
