"""Expressive delivery: head motion from speech, speaking styles, interpolated frame rates.

Usage: python benchmarks/expressive.py [--clips 8] [--wild N] [--json out.json] [--figures DIR]
       python benchmarks/expressive.py --generic   (the generic speaker a photo gets)

Head motion, measured the same way on every video (``talkinghead.evaluate.delivery``: landmarks
tracked afresh, poses fitted to the video's own template, no filter): mean head speed (IOD/s),
range (RMS distance from the mean position, IOD), the correlation of head speed with the
speech's loudness at the best lag within ±0.4 s, and nods per stressed syllable (the share of the
speech's stressed syllables, loudness peaks, with a downward head movement just after them;
``nods_over_chance``: the same minus its value with the voice shifted by a few seconds).
Ratios are reported three ways: of the medians over clips, of the means, and clip by clip
(``paired``: median of each clip's ratio, and the share of clips within ±25 %); for wild clips,
the real first half against the real second half is beside them: how far a person differs from
themselves.

Questions: three questions and three statements like them said by the GRID avatar (3 seeds):
the head's roll at the end of each, re-tracked.

* GRID: 60 s1 clips enrolled (the split of dub_grid.py), ``--clips`` held-out clips dubbed onto
  the avatar with their transcripts: the real clip, today's output (``head_motion=False``: the
  footage's steady stretch) and the new output (the head follows the speech).
* Wild: each clip of ../shared/data/wild cut in two; the first half (frames and sound) enrolled
  with no transcript, the second half's sound dubbed onto it; scored against the real second half.

Styles: ``--clips`` held-out GRID recordings dubbed in each style (calm, neutral, energetic):
mouth-opening range (95th − 5th percentile of the inner-lip gap, IOD) and head speed, medians;
``--style-from`` two wild clips: the output's figures over the reference's.

Interpolation: every other frame of held-out GRID clips and of the wild clips dropped and
interpolated back (optical flow) against blending the two neighbours: PSNR and SSIM of the
dropped frames; and the share of blending's error in the 5 % of pixels where it is largest, with
what an interpolator exact there (and no better than blending elsewhere) would gain; and what
choosing the better of flow and blending at each pixel, knowing the real frame, would gain. Lip
sync at 50 frames/s: the GRID held-out dubs at 25 and 50 frames/s scored
against the real clip (opening correlation, the 50 fps output read at 25).

Writes results/expressive.json (or --json) and, with --figures, expressive_sheet.jpg: a question,
a statement and an emphatic sentence said in each style.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

import dub_grid
from results_io import emit
from talkinghead.avatar import Avatar, clips_from, enroll
from talkinghead.evaluate import evaluate
from talkinghead.evaluate.delivery import measure_delivery
from talkinghead.evaluate.metrics import psnr, ssim
from talkinghead.motion.style import STYLES
from talkinghead.render import RenderOptions, dub, open_speaker, say
from talkinghead.video import read_frames
from talkinghead.video.interpolate import FlowInterpolator
from wild_sync import DATA as WILD
from wild_sync import halves

HEAD_KEYS = ("speed_iod_s", "range_iod", "loudness_r", "nods_per_stress", "nods_over_chance")
STYLE_FROM_SENTENCES = ("Good morning, and welcome back to the course on how we speak.",
                        "The lips shape each sound in turn, and the jaw follows the voice.",
                        "Let us begin with a simple example before we move on to the harder ones.")
SHEET_SENTENCES = {"question": "Are you coming to the meeting tomorrow?",
                   "statement": "The report is on the table by the window.",
                   "emphatic": "This is absolutely the best result we have ever had!"}


def _figures(d: dict) -> dict:
    return {"opening_iod": d["opening_iod"], **{k: d["head"][k] for k in HEAD_KEYS}}


def _median(rows: list[dict], who: str) -> dict:
    keys = ("opening_iod", *HEAD_KEYS)
    return {k: round(float(np.nanmedian([r[who][k] for r in rows])), 4) for k in keys}


def head_motion(avatar: Path, clips: list[Path], transcripts: list[str | None], tmp: Path) -> list[dict]:
    rows = []
    for clip, words in zip(clips, transcripts):
        row = {"clip": clip.stem, "real": _figures(measure_delivery(clip).to_json())}
        for who, options in (("today", RenderOptions(head_motion=False)), ("new", RenderOptions())):
            out = tmp / f"{clip.stem}_{who}.mp4"
            dub(str(avatar), clip, out, words, options)
            row[who] = _figures(measure_delivery(out).to_json())
        rows.append(row)
        print(row, file=sys.stderr, flush=True)
    return rows


def wild_head_motion(tmp: Path, limit: int | None) -> list[dict]:
    rows = []
    for clip in sorted(WILD.glob("*.mp4"))[:limit]:
        work = tmp / clip.stem
        work.mkdir()
        first, second, wav, _ = halves(clip, work)
        try:
            enroll(clips_from([first]), work / "p.avatar")
        except Exception as exc:  # noqa: BLE001 - a clip that cannot be enrolled is reported, not fatal
            rows.append({"clip": clip.stem, "error": str(exc)})
            continue
        row = {"clip": clip.stem, "real": _figures(measure_delivery(second).to_json()),
               "first": _figures(measure_delivery(first).to_json())}  # the enrolled half: how a person varies
        for who, options in (("today", RenderOptions(head_motion=False)), ("new", RenderOptions())):
            out = work / f"{who}.mp4"
            dub(str(work / "p.avatar"), wav, out, None, options)
            row[who] = _figures(measure_delivery(out).to_json())
        rows.append(row)
        print(row, file=sys.stderr, flush=True)
    return rows


def _paired(rows: list[dict], who: str) -> dict:
    """Clip by clip, ``who`` against the same clip's real footage: the median over clips of the
    speed and range ratios and of the correlation difference, and the share of clips whose ratio
    is within ±25 %."""
    ratio = {k: np.array([r[who][k] / r["real"][k] for r in rows]) for k in ("speed_iod_s", "range_iod")}
    return {"loudness_r_diff": round(float(np.nanmedian([r[who]["loudness_r"] - r["real"]["loudness_r"] for r in rows])), 3),
            "speed_ratio": round(float(np.nanmedian(ratio["speed_iod_s"])), 3),
            "range_ratio": round(float(np.nanmedian(ratio["range_iod"])), 3),
            "speed_within_25pct": round(float(np.mean(np.abs(np.log(ratio["speed_iod_s"])) <= np.log(1.25))), 3),
            "range_within_25pct": round(float(np.mean(np.abs(np.log(ratio["range_iod"])) <= np.log(1.25))), 3)}


def compare(rows: list[dict]) -> dict:
    """Medians over clips, and the acceptance figures: today's and the new output's
    correlation minus the real one's, speed and range over the real ones (the ratio of the
    medians over clips, of the means over clips, and clip by clip (``paired``); with the real
    first halves beside them where measured: how far one person's own halves differ)."""
    good = [r for r in rows if "real" in r]
    whos = ("real", "today", "new") + (("first",) if good and all("first" in r for r in good) else ())
    out = {who: _median(good, who) for who in whos}
    means = {who: {k: float(np.nanmean([r[who][k] for r in good])) for k in ("speed_iod_s", "range_iod", "loudness_r")}
             for who in whos}
    out["means"] = {who: {k: round(v, 4) for k, v in m.items()} for who, m in means.items()}
    out["paired"] = {who: _paired(good, who) for who in whos if who != "real"}
    for who in ("today", "new"):
        out[f"{who}_vs_real"] = {
            "loudness_r_diff": round(out[who]["loudness_r"] - out["real"]["loudness_r"], 3),
            "speed_ratio": round(out[who]["speed_iod_s"] / out["real"]["speed_iod_s"], 3),
            "range_ratio": round(out[who]["range_iod"] / out["real"]["range_iod"], 3),
            "means": {"loudness_r_diff": round(means[who]["loudness_r"] - means["real"]["loudness_r"], 3),
                      "speed_ratio": round(means[who]["speed_iod_s"] / means["real"]["speed_iod_s"], 3),
                      "range_ratio": round(means[who]["range_iod"] / means["real"]["range_iod"], 3)}}
    return out


def styles(avatar: Path, clips: list[Path], transcripts: list[str], tmp: Path, references: list[Path]) -> dict:
    result: dict = {"presets": {}, "from": {}}
    with open_speaker(avatar) as who:
        for name, style in STYLES.items():
            figs = []
            for clip, words in zip(clips, transcripts):
                out = tmp / f"{clip.stem}_{name}.mp4"
                dub(who, clip, out, words, RenderOptions(style=style))
                figs.append(_figures(measure_delivery(out).to_json()))
            result["presets"][name] = {k: round(statistics.median(f[k] for f in figs), 4)
                                       for k in ("opening_iod", "speed_iod_s")}
        p = result["presets"]
        result["steps"] = {k: [round(p["neutral"][k] / p["calm"][k], 3), round(p["energetic"][k] / p["neutral"][k], 3)]
                           for k in ("opening_iod", "speed_iod_s")}
        for ref in references:
            target = _figures(measure_delivery(ref, 60).to_json())
            figs = []
            for k, text in enumerate(STYLE_FROM_SENTENCES):  # as a user would: say --style-from
                out = tmp / f"from_{ref.stem}_{k}.mp4"
                say(who, text, out, style_from=ref)
                figs.append(_figures(measure_delivery(out).to_json()))
            got = {k: statistics.median(f[k] for f in figs) for k in ("opening_iod", "speed_iod_s")}
            result["from"][ref.stem] = {
                "reference": {k: round(target[k], 4) for k in got}, "output": {k: round(v, 4) for k, v in got.items()},
                "ratio": {k: round(got[k] / target[k], 3) for k in got}}
    return result


INTERPOLATION_KEYS = ("flow_psnr", "blend_psnr", "blend_error_top5", "exact_top5_gain_db", "pick_better_gain_db",
                      "flow_ssim", "blend_ssim")


def interpolation(sources: list[Path], max_frames: int = 100) -> dict:
    out = {}
    for src in sources:
        frames = [f.image for _, f in zip(range(max_frames), read_frames(src, max_size=720))]
        flow, blend = [], []
        blend_se = 0.0  # (H, W) blending's squared error summed over the dropped frames
        picked_se = 0.0  # the same for the better of flow and blending at each pixel (an oracle)
        interp = FlowInterpolator()
        for k in range(1, len(frames) - 1, 2):
            a, real, b = frames[k - 1], frames[k], frames[k + 1]
            mixed = ((a.astype(np.uint16) + b + 1) // 2).astype(np.uint8)
            mid = interp.between(a, b, 0.5)
            flow.append((psnr(mid, real), ssim(mid, real)))
            blend.append((psnr(mixed, real), ssim(mixed, real)))
            se = ((mixed.astype(np.float32) - real) ** 2).mean(-1)
            blend_se = blend_se + se
            picked_se = picked_se + np.minimum(se, ((mid.astype(np.float32) - real) ** 2).mean(-1))
        # How concentrated blending's error is: its share in the 5 % of pixels where it is largest
        # (on GRID the eyes and the mouth). An interpolator exact there and no better than blending
        # elsewhere gains 10·log10(1 / (1 − share)) dB.
        ranked = np.sort(np.ravel(blend_se))[::-1]
        top5 = float(ranked[: max(1, len(ranked) // 20)].sum() / max(ranked.sum(), 1e-9))
        out[src.stem] = {"flow_psnr": round(float(np.mean([f[0] for f in flow])), 2),
                         "blend_psnr": round(float(np.mean([b[0] for b in blend])), 2),
                         "blend_error_top5": round(top5, 3),
                         "exact_top5_gain_db": round(float(-10 * np.log10(1 - min(top5, 0.999))), 2),
                         # Knowing the real frame, the better of flow and blending at each pixel:
                         # how much any mix of the two could gain.
                         "pick_better_gain_db": round(float(10 * np.log10(np.sum(blend_se) / max(np.sum(picked_se), 1e-9))), 2),
                         "flow_ssim": round(float(np.mean([f[1] for f in flow])), 4),
                         "blend_ssim": round(float(np.mean([b[1] for b in blend])), 4)}
        print(src.stem, out[src.stem], file=sys.stderr, flush=True)
    return out


def sync_at_50(avatar: Path, clips: list[Path], transcripts: list[str], tmp: Path) -> dict:
    r = {25: [], 50: []}
    for clip, words in zip(clips, transcripts):
        for fps in (25, 50):
            out = tmp / f"{clip.stem}_{fps}fps.mp4"
            dub(str(avatar), clip, out, words, RenderOptions(fps=float(fps)))
            r[fps].append(evaluate(out, clip).metrics["opening_correlation"])
    return {f"opening_r_{k}fps": round(float(np.mean(v)), 4) for k, v in r.items()} | {
        "difference": round(float(np.mean(r[50]) - np.mean(r[25])), 4)}


QUESTIONS = {"Are you coming to the meeting tomorrow?": "The report is on the table by the window.",
             "Did you see the new results this morning?": "We saw the new results this morning.",
             "Can we begin with a simple example?": "We can begin with a simple example."}


def question_tilt(avatar: Path, tmp: Path, seeds: int = 3) -> dict:
    """Each question and a statement like it said by the avatar (``seeds`` seeds each): the head's
    roll at the end (the last second's largest distance from the median roll over the sentence,
    deg, re-tracked), medians over sentences and seeds."""
    got: dict[str, list[float]] = {"question": [], "statement": []}
    for q, statement in QUESTIONS.items():
        for kind, text in (("question", q), ("statement", statement)):
            for seed in range(seeds):
                out = tmp / f"tilt_{kind}_{seed}.mp4"
                say(str(avatar), text, out, options=RenderOptions(seed=seed))
                d = measure_delivery(out)
                roll = np.degrees(d.pose[:, 1])
                roll = roll[np.isfinite(roll)]
                end = roll[-int(d.fps):]
                got[kind].append(float(np.max(np.abs(end - np.median(roll)))))
    return {f"{k}_end_roll_deg": round(float(np.median(v)), 2) for k, v in got.items()} | {
        "sentences": len(QUESTIONS), "seeds": seeds}


def sheet(avatar: Path, tmp: Path, path: Path) -> None:
    """Rows: (sentence, style); every 6th frame of each, the middle of the frame."""
    import cv2

    rows = []
    with open_speaker(avatar) as who:
        for label, text in SHEET_SENTENCES.items():
            for name, style in STYLES.items():
                out = tmp / f"sheet_{label}_{name}.mp4"
                say(who, text, out, options=RenderOptions(style=style))
                frames = [f.image for f in read_frames(out)][::6][:10]
                h, w = frames[0].shape[:2]  # the middle of the frame, its aspect kept
                crop = [f[h // 8:, w // 2 - h * 7 // 16: w // 2 + h * 7 // 16] for f in frames]
                strip = np.hstack([cv2.resize(c, (120, 120)) for c in crop])
                strip = cv2.putText(strip.copy(), f"{label}, {name}", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                                    (255, 255, 255), 1, cv2.LINE_AA)
                rows.append(strip)
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows]
    cv2.imwrite(str(path), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])


def generic_head() -> dict:
    """The generic speaker a photo gets (``motion.head.GENERIC_HEAD``): medians of the wild
    clips' own head motion, each clip measured whole."""
    stats = [measure_delivery(clip).head for clip in sorted(WILD.glob("*.mp4"))]
    keys = ("speed_iod_s", "speed_cv", "range_iod", "roll_deg", "loudness_r", "lag_s", "nods_per_stress",
            "nods_over_chance")
    return {"clips": len(stats), **{k: round(float(np.nanmedian([getattr(h, k) for h in stats])), 3) for k in keys}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--generic", action="store_true", help="only measure the generic speaker (GENERIC_HEAD)")
    ap.add_argument("--sheet-only", metavar="DIR", help="only draw the contact sheet into DIR")
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--wild", type=int, default=None, help="at most this many wild clips (default: all)")
    ap.add_argument("--json")
    ap.add_argument("--figures")
    args = ap.parse_args()
    if args.generic:
        return emit(generic_head(), args.json)
    if args.sheet_only:  # the contact sheet alone (an avatar enrolled as below)
        ids = sorted(p.stem for p in (dub_grid.DATA / "video").glob("*.mp4"))
        enrolled, _ = dub_grid.split(ids, dub_grid.ENROLL, "spread")
        with tempfile.TemporaryDirectory() as name:
            avatar = Path(name) / "s1.avatar"
            enroll(clips_from([dub_grid.DATA / "video" / f"{c}.mp4" for c in enrolled],
                              align_dir=dub_grid.DATA / "align"), avatar)
            sheet(avatar, Path(name), Path(args.sheet_only) / "expressive_sheet.jpg")
        return 0
    ids = sorted(p.stem for p in (dub_grid.DATA / "video").glob("*.mp4"))
    enrolled, rest = dub_grid.split(ids, dub_grid.ENROLL, "spread")
    test = dub_grid.held_out(rest, args.clips)
    clips = [dub_grid.DATA / "video" / f"{c}.mp4" for c in test]
    words = [dub_grid.transcript(c) for c in test]
    result: dict = {"grid_clips": len(test)}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        avatar = tmp / "s1.avatar"
        enroll(clips_from([dub_grid.DATA / "video" / f"{c}.mp4" for c in enrolled], align_dir=dub_grid.DATA / "align"),
               avatar)
        style = Avatar.load(avatar).meta.head_motion
        result["grid_head_style"] = style.to_json() if style else None
        result["grid"] = compare(head_motion(avatar, clips, words, tmp))
        wild_rows = wild_head_motion(tmp, args.wild)
        result["wild_clips"] = [r["clip"] for r in wild_rows if "real" in r]
        result["wild_failed"] = {r["clip"]: r["error"] for r in wild_rows if "error" in r}
        result["wild"] = compare(wild_rows)
        result["wild_rows"] = wild_rows
        refs = [WILD / "Thin-Plate-Spline-Motion-Model_driving.mp4", WILD / "EDTalk_pose_source2.mp4"]
        result["styles"] = styles(avatar, clips, words, tmp, refs)
        result["interpolation"] = interpolation(clips + sorted(WILD.glob("*.mp4"))[: args.wild])
        grid_i = [v for k, v in result["interpolation"].items() if k in test]
        result["interpolation_grid"] = {k: round(float(np.mean([g[k] for g in grid_i])), 3) for k in INTERPOLATION_KEYS}
        wild_i = [v for k, v in result["interpolation"].items() if k not in test]
        result["interpolation_wild"] = {k: round(float(np.mean([g[k] for g in wild_i])), 3) for k in INTERPOLATION_KEYS}
        result["sync_50fps"] = sync_at_50(avatar, clips, words, tmp)
        result["question_tilt"] = question_tilt(avatar, tmp)
        if args.figures:
            sheet(avatar, tmp, Path(args.figures) / "expressive_sheet.jpg")
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
