"""HD footage (issue 17): is a re-voiced HD mouth as sharp as the source's, is there a seam, and
what does HD cost?

Usage: python benchmarks/hd_footage.py [--seconds 8] [--bank 0] [--json out.json]

Inputs, each at 720p and 1080p (the long side scaled to 1280 / 1920, or the short side to
720 / 1080 for portrait video): a GRID clip upscaled (bicubic), and the wild HD clips (1080×1920
phone video, 1920×1080 MEAD) downscaled to 720p as well. Each is re-voiced with its own sound
(`dub --video`: its own frames, its own tracked mouths and textures, the universal model), so
the generated mouth opens about as the real one does and can be compared with it:

* sharpness ratio: variance of the Laplacian inside the mouth box (the tracked outer lips ± 0.15
  IOD, on the source's own track), generated / the same video's own frames, over the frames;
* seam contrast: mean gradient magnitude in a 6 px band along the boundary of the region the
  renderer changed (|generated − source| > 6 grey levels, smoothed), generated / source;
* wall time / duration of `dub --video` (median of `--runs` fresh processes) and the peak RSS of that process.

``--bank N`` fixes the bank crop side to N px (the round-one behaviour: 160) instead of following
the source.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from results_io import emit

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SOURCES = [("grid", DATA / "grid_s1" / "video" / "bbaf2n.mp4"),
           ("phone", DATA / "wild" / "LatentSync_demo1_video.mp4"),
           ("mead", DATA / "wild" / "spectre_W040_level_3_happy_029.mp4")]
SIZES = {"720p": 720, "1080p": 1080}


def scaled(src: Path, short_side: int, seconds: float, out: Path) -> Path:
    """``src``'s first ``seconds`` with its short side scaled to ``short_side`` (even sizes)."""
    from talkinghead.video import VideoWriter, load_audio, probe, read_frames

    info = probe(src)
    k = short_side / min(info.width, info.height)
    w, h = 2 * round(info.width * k / 2), 2 * round(info.height * k / 2)
    audio, rate = load_audio(src)
    n = int(seconds * info.fps)
    interp = cv2.INTER_CUBIC if k > 1 else cv2.INTER_AREA
    with VideoWriter(out, info.fps, (w, h), audio=audio[: int(seconds * rate)], sample_rate=rate, crf=14) as wr:
        for f, _ in zip(read_frames(src), range(n)):
            wr.write(cv2.resize(f.image, (w, h), interpolation=interp))
    return out


def revoice(video: Path, out: Path, bank: int) -> dict:
    """`dub --video` of ``video`` with its own sound in a fresh process: wall s, peak RSS MB."""
    code = ("import sys, resource, time\n"
            "from talkinghead.avatar import ClipInput, EnrollOptions, enroll\n"
            "from talkinghead.render import AvatarSpeaker, dub\n"
            "v, out, bank = sys.argv[1], sys.argv[2], int(sys.argv[3])\n"
            "t0 = time.perf_counter()\n"
            "if bank:\n"
            "    a = enroll([ClipInput(v, None)], out + '.avatar', EnrollOptions(no_audio=True, bank_size=bank)).avatar\n"
            "    dub(AvatarSpeaker(a, a), v, out)\n"
            "else:\n"
            "    dub(None, v, out, video=v)\n"
            "print(time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    r = subprocess.run([sys.executable, "-c", code, str(video), str(out), str(bank)], check=True,
                       capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall, rss = r.stdout.split()[-2:]
    return {"wall_s": float(wall), "peak_rss_mb": round(int(rss) / 1024)}


def boxes(video: Path) -> list[tuple[int, int, int, int] | None]:
    """The mouth box (x0, y0, x1, y1) of every frame, from tracking ``video``."""
    from talkinghead.face import LIPS_OUTER, track_frames
    from talkinghead.video import probe, read_frames

    info = probe(video)
    raw = track_frames((f.image for f in read_frames(video)), info.n_frames)
    out = []
    for k in range(len(raw.found)):
        if not raw.found[k]:
            out.append(None)
            continue
        lm = raw.landmarks[k]
        iod = float(np.linalg.norm(lm[33] - lm[263]))
        lips = lm[LIPS_OUTER]
        pad = 0.15 * iod
        x0, y0 = lips.min(0) - pad
        x1, y1 = lips.max(0) + pad
        out.append((int(x0), int(y0), int(x1), int(y1)))
    return out


def _gradient(grey: np.ndarray, band: np.ndarray) -> float:
    """Mean gradient magnitude of ``grey`` inside ``band``."""
    return float(np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))[band].mean())


def measure(source: Path, generated: Path) -> dict:
    from talkinghead.video import read_frames

    sharp_gen, sharp_src, seam_gen, seam_src = [], [], [], []
    for box, a, b in zip(boxes(source), read_frames(source), read_frames(generated)):
        if box is None:
            continue
        src = cv2.cvtColor(a.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        gen = cv2.cvtColor(b.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        x0, y0, x1, y1 = box
        sharp_src.append(float(cv2.Laplacian(src[y0:y1, x0:x1], cv2.CV_32F).var()))
        sharp_gen.append(float(cv2.Laplacian(gen[y0:y1, x0:x1], cv2.CV_32F).var()))
        changed = cv2.GaussianBlur(np.abs(gen - src), (0, 0), 2.0) > 6.0
        if changed.sum() < 50:
            continue
        m = changed.astype(np.uint8)
        kernel = np.ones((7, 7), np.uint8)
        band = (cv2.dilate(m, kernel) - cv2.erode(m, kernel)).astype(bool)
        seam_gen.append(_gradient(gen, band))
        seam_src.append(_gradient(src, band))
    return {"sharpness_ratio": round(statistics.fmean(sharp_gen) / statistics.fmean(sharp_src), 3),
            "seam_contrast": round(statistics.fmean(seam_gen) / statistics.fmean(seam_src), 3) if seam_src else None,
            "frames": len(sharp_src)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--bank", type=int, default=0, help="fixed bank crop side, px (0: follows the source)")
    ap.add_argument("--clips", nargs="*", default=[n for n, _ in SOURCES], help="which inputs (grid, phone, mead)")
    ap.add_argument("--sizes", nargs="*", default=list(SIZES), help="720p and/or 1080p")
    ap.add_argument("--runs", type=int, default=3, help="re-voicings per input: the median wall time is kept")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from talkinghead.video import probe

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, src in [(n, s) for n, s in SOURCES if n in args.clips]:
            for size, short in [(z, SIZES[z]) for z in args.sizes]:
                clip = scaled(src, short, args.seconds, tmp / f"{name}_{size}.mp4")
                out = tmp / f"{name}_{size}_dub.mp4"
                runs = [revoice(clip, out, args.bank) for _ in range(max(1, args.runs))]
                cost = {"wall_s": statistics.median(r["wall_s"] for r in runs),
                        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}
                info = probe(clip)
                row = {"clip": name, "size": size, "frame": [info.width, info.height], **measure(clip, out), **cost,
                       "wall_per_s": round(cost["wall_s"] / info.duration, 3),
                       "wall_per_s_runs": [round(r["wall_s"] / info.duration, 3) for r in runs]}
                print(row, flush=True)
                rows.append(row)
    result = {"bank": args.bank or "source", "seconds": args.seconds, "rows": rows,
              "date": time.strftime("%Y-%m-%d %H:%M"), "peak_rss_mb_this": round(
                  resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
