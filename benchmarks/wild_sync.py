"""Wild lip-sync benchmark: real portrait clips of many people re-voiced with no transcript.

Usage: python benchmarks/wild_sync.py [--clips N] [--skip-cross] [--json out.json]

*Split re-voice* (no leakage): each clip of ../shared/data/wild is cut in two; its first half
(frames and own sound) is re-voiced by ``dub --video first_half.mp4 second_half.wav`` (no avatar,
no transcript: the universal audio→mouth model), and the result is scored against the real
second half: opening correlation at lag 0 and at the best lag (±10 frames), mouth LMD (% IOD,
head pose removed), jitter ratio. Baselines in the same run: the real mouth of the first half
against the second (mismatched) and a static closed mouth (the second half's most closed frame
held).

*Cross-voice*: each first half re-voiced with another person's speech (the second half of the
clip half the list away), with Chinese TTS, and with silence (room tone at -60 dBFS). Scored
without a reference: correlation of mouth opening with the speech envelope (best lag ±10),
and LipLeak, the share of open-mouth frames (gap ≥ 0.03 IOD) where the audio is silent. The real
second halves' own mouths are scored against their own sound the same way.

Writes results/wild.json (or --json) and results/wild_sync.png; and out/wild_contact_sheet.jpg,
the lower face of every 4th frame of one re-voiced clip above the real second half at the
source's resolution (kept out of the repository: the people in these clips have rights in
their image).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from talkinghead.evaluate import evaluate
from talkinghead.evaluate.metrics import mouth_lmd, opening
from talkinghead.render import dub
from talkinghead.speech import TTSOptions, synthesize
from talkinghead.timeline import CLOSED_LIPS_IOD
from talkinghead.video import VideoWriter, load_audio, probe, read_frames
from talkinghead.video.audio import save_wav

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wild"
RESULTS = Path(__file__).resolve().parent / "results"
SHEET = Path(__file__).resolve().parents[1] / "out" / "wild_contact_sheet.jpg"
SHEET_CLIP = "Talking-Face_PC-AVS_741400104"  # frontal, CC BY 4.0
CHINESE = "今天天气很好，我们下午一起去公园散步，然后回家吃饭。"
KEYS = ("opening_correlation", "opening_correlation_best", "opening_lag_frames", "mouth_lmd_pct_iod",
        "jitter_ratio")


def halves(clip: Path, tmp: Path) -> tuple[Path, Path, Path, float]:
    """Cut ``clip`` into first.mp4 (frames + sound), second.mp4 (frames + sound) and second.wav."""
    info = probe(clip)
    audio, rate = load_audio(clip)
    half = info.n_frames // 2
    cut = int(round(half / info.fps * rate))
    paths = tmp / "first.mp4", tmp / "second.mp4"
    with VideoWriter(paths[0], info.fps, audio=audio[:cut], sample_rate=rate, crf=12) as w0, \
            VideoWriter(paths[1], info.fps, audio=audio[cut:], sample_rate=rate, crf=12) as w1:
        for frame in read_frames(clip, info.fps):
            (w0 if frame.index < half else w1).write(frame.image)
    save_wav(tmp / "second.wav", audio[cut:], rate)
    return paths[0], paths[1], tmp / "second.wav", info.fps


def static_lmd(ref_landmarks: np.ndarray) -> float:
    """LMD of the reference's most closed frame held still, against the reference."""
    o = opening(ref_landmarks)
    held = np.repeat(ref_landmarks[[int(np.nanargmin(o))]], len(ref_landmarks), axis=0)
    ok = ~np.isnan(ref_landmarks[:, 0, 0])
    return mouth_lmd(held[ok], ref_landmarks[ok])


def lip_leak(evaluation) -> float:
    """Share of silent frames (with a face) whose lips are open."""
    c = evaluation.curves
    pick = c.silent & ~np.isnan(c.opening_gen)
    return float(np.mean(c.opening_gen[pick] >= CLOSED_LIPS_IOD)) if pick.any() else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=None, help="only the first N clips (by name)")
    ap.add_argument("--skip-cross", action="store_true", help="split re-voice only")
    ap.add_argument("--json", type=Path, default=RESULTS / "wild.json")
    args = ap.parse_args()
    clips = sorted(DATA.glob("*.mp4"))[: args.clips]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp_root:
        tmp = Path(tmp_root)
        cut = {}
        for clip in clips:
            d = tmp / clip.stem
            d.mkdir()
            cut[clip.stem] = halves(clip, d)
        zh = synthesize(CHINESE, TTSOptions(lang="zh"))
        save_wav(tmp / "zh.wav", zh.audio, zh.sample_rate)
        rng = np.random.default_rng(0)
        silence = rng.standard_normal(4 * 16000).astype(np.float32) * 10 ** (-60 / 20)
        save_wav(tmp / "silence.wav", silence, 16000)
        names = list(cut)
        for k, name in enumerate(names):
            first, second, speech, fps = cut[name]
            t0 = time.perf_counter()
            out = tmp / f"{name}.revoiced.mp4"
            dub(None, speech, out, video=first)
            wall = time.perf_counter() - t0
            gen = evaluate(out, second)
            mism = evaluate(first, second)
            real_own = evaluate(second)
            row = {"clip": name, "fps": fps, "frames": gen.metrics["frames"], "dub_seconds": round(wall, 2),
                   **{k2: gen.metrics[k2] for k2 in KEYS},
                   "mismatched": {k2: mism.metrics[k2] for k2 in KEYS},
                   "static_lmd_pct_iod": static_lmd(real_own.landmarks),
                   "real_audio_mouth_best": real_own.metrics["audio_mouth_correlation_best"],
                   "curves": {"generated": np.round(gen.curves.opening_gen, 4).tolist(),
                              "real": np.round(gen.curves.opening_ref, 4).tolist()}}
            if not args.skip_cross:
                partner = cut[names[(k + len(names) // 2) % len(names)]][2]
                for label, audio in (("other_voice", partner), ("chinese", tmp / "zh.wav"),
                                     ("silence", tmp / "silence.wav")):
                    o = tmp / f"{name}.{label}.mp4"
                    dub(None, audio, o, video=first)
                    ev = evaluate(o)
                    row[label] = {"audio_mouth_best": ev.metrics["audio_mouth_correlation_best"],
                                  "audio_mouth_lag": ev.metrics["audio_mouth_lag_frames"],
                                  "lip_leak": lip_leak(ev) if label != "silence" else
                                  float(np.nanmean(ev.curves.opening_gen >= CLOSED_LIPS_IOD))}
            rows.append(row)
            if name == SHEET_CLIP:
                face_sheet(out, gen.landmarks, second, real_own.landmarks, SHEET)
            print(f"{name}: r {row['opening_correlation']:.2f} (best {row['opening_correlation_best']:.2f} "
                  f"at {row['opening_lag_frames']:+.0f}), mismatched {row['mismatched']['opening_correlation']:.2f}, "
                  f"LMD {row['mouth_lmd_pct_iod']:.2f} vs mismatched {row['mismatched']['mouth_lmd_pct_iod']:.2f}, "
                  f"static {row['static_lmd_pct_iod']:.2f}; {wall:.1f} s", flush=True)
    summary = summarise(rows, not args.skip_cross)
    args.json.parent.mkdir(exist_ok=True)
    plot(rows, RESULTS / "wild_sync.png")
    for row in rows:  # the curves are in the plot; the JSON keeps the numbers
        del row["curves"]
    args.json.write_text(json.dumps({"summary": summary, "clips": rows}, indent=1, default=float))
    print(json.dumps(summary, indent=1))
    return 0


def face_sheet(generated: Path, gen_landmarks: np.ndarray, real: Path, real_landmarks: np.ndarray,
               path: Path, every: int = 4, count: int = 10) -> None:
    """Lower faces (nose to chin, at the source's own pixels, scaled to 200 px high) of every
    ``every``-th frame: generated above real."""
    import cv2

    def crops(video: Path, landmarks: np.ndarray) -> list[np.ndarray]:
        out = []
        for f in read_frames(video):
            if f.index % every or len(out) == count or f.index >= len(landmarks):
                continue
            lm = landmarks[f.index]
            if np.isnan(lm[0, 0]):
                continue
            iod = float(np.linalg.norm(lm[263] - lm[33]))
            cx, cy = lm[[61, 291, 152, 1]].mean(0)
            half = int(0.8 * iod)
            y0, x0 = max(0, int(cy - half)), max(0, int(cx - half))
            out.append(cv2.resize(f.image[y0:y0 + 2 * half, x0:x0 + 2 * half], (200, 200),
                                  interpolation=cv2.INTER_AREA))
        return out

    top, bottom = crops(generated, gen_landmarks), crops(real, real_landmarks)
    k = min(len(top), len(bottom))
    if k == 0:
        return
    path.parent.mkdir(exist_ok=True)
    sheet = np.vstack([np.hstack(top[:k]), np.hstack(bottom[:k])])
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])


def _mean(vals) -> float:
    vals = [v for v in vals if v is not None and np.isfinite(v)]
    return round(statistics.fmean(vals), 4) if vals else float("nan")


def summarise(rows: list[dict], cross: bool) -> dict:
    r = [x["opening_correlation"] for x in rows]
    s = {"clips": len(rows),
         "opening_r_mean": _mean(r), "opening_r_min": round(min(r), 4),
         "opening_r_best_mean": _mean(x["opening_correlation_best"] for x in rows),
         "best_lag_within_1": round(float(np.mean([abs(x["opening_lag_frames"]) <= 1 for x in rows])), 4),
         "mouth_lmd_mean": _mean(x["mouth_lmd_pct_iod"] for x in rows),
         "jitter_ratio_mean": _mean(x["jitter_ratio"] for x in rows),
         "mismatched_opening_r_mean": _mean(x["mismatched"]["opening_correlation"] for x in rows),
         "mismatched_lmd_mean": _mean(x["mismatched"]["mouth_lmd_pct_iod"] for x in rows),
         "static_lmd_mean": _mean(x["static_lmd_pct_iod"] for x in rows),
         "beats_mismatched_r": sum(x["opening_correlation"] > x["mismatched"]["opening_correlation"]
                                   for x in rows),
         "beats_mismatched_lmd": sum(x["mouth_lmd_pct_iod"] < x["mismatched"]["mouth_lmd_pct_iod"]
                                     for x in rows),
         "real_audio_mouth_best_mean": _mean(x["real_audio_mouth_best"] for x in rows),
         "dub_seconds_median": round(statistics.median(x["dub_seconds"] for x in rows), 2)}
    if cross:
        for label in ("other_voice", "chinese", "silence"):
            s[f"{label}_audio_mouth_best_mean"] = _mean(x[label]["audio_mouth_best"] for x in rows)
            s[f"{label}_lip_leak_mean"] = _mean(x[label]["lip_leak"] for x in rows)
    return s


def plot(rows: list[dict], path: Path) -> None:
    """Per clip: generated vs mismatched opening r (bars), and one clip's opening curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(2, 1, figsize=(10, 7))
    x = np.arange(len(rows))
    a.bar(x - 0.2, [r["opening_correlation"] for r in rows], 0.4, label="re-voiced (universal model)")
    a.bar(x + 0.2, [r["mismatched"]["opening_correlation"] for r in rows], 0.4, label="mismatched real mouth")
    a.axhline(0.7, color="k", lw=0.5, ls="--")
    names = [r["clip"].replace("Talking-Face_PC-AVS_", "PC-AVS ").replace("spectre_", "MEAD ")[:20]
             for r in rows]
    a.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    a.set_ylabel("opening r vs real second half")
    a.legend(fontsize=8)
    best = max(rows, key=lambda r: r["frames"])
    b.plot(best["curves"]["real"], label="real mouth", color="k")
    b.plot(best["curves"]["generated"], label="re-voiced", color="C0")
    b.set_title(f"{best['clip']}: inner-lip gap / IOD", fontsize=9)
    b.set_xlabel("frame")
    b.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
