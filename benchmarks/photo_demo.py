"""Talking photo: sync against the phoneme timeline, stillness, speed at 512×512, contact sheet.

Usage: python benchmarks/photo_demo.py [--runs 3] [--json out.json] [--figures DIR]

With the built-in portrait (skimage's astronaut, framed to 512×512): for each test sentence
(English, digits, a tongue twister full of bilabials, Chinese) synthesise, render, re-track the
output and score it with `evaluate.timeline_sync`. Speed: render + encode frames/s of a ~20 s
output, median of ``--runs`` runs (TTS excluded, it is the same for every mode). Also the
contact sheet of the `make demo` sentence (every 5th frame). Needs no GRID data.
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

DEMO_TEXT = "Hello! I'm talkinghead. On March 3rd, 2024 I said 42 words in 3.5 seconds."
SENTENCES = [
    DEMO_TEXT,
    "Peter Piper picked a peck of pickled peppers. Mom made a map.",
    "The quick brown fox jumps over the lazy dog, then sleeps in the sun.",
    "Bob bought a big blue boat, and we watched it float away.",
    "今天是2024年5月3日，气温25度。",
]
LONG_TEXT = " ".join(["Good morning everyone. Today we will look at how a photo can speak, one sound at a time."] * 3)
KEYS = ("opening_vs_expected", "pause_closure", "bilabial_closure", "still_drift_px_max")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--figures", default=str(Path(__file__).resolve().parent / "results"))
    args = ap.parse_args()
    from talkinghead.evaluate.timeline import timeline_sync, track_video
    from talkinghead.render import load_portrait, render_photo
    from talkinghead.speech import synthesize

    portrait = load_portrait(None)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for k, text in enumerate(SENTENCES):
            speech = synthesize(text)
            out = tmp / f"s{k}.mp4"
            render_photo(portrait, speech, out)
            landmarks, fps = track_video(out)
            m = timeline_sync(landmarks, speech.phonemes, fps, portrait.landmarks)
            rows.append({"text": text, **{key: round(v, 3) for key, v in m.items()}})
            if k == 0:
                contact_sheet(out, Path(args.figures) / "photo_contact_sheet.jpg")
        speech = synthesize(LONG_TEXT)
        fps_runs = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            rep = render_photo(portrait, speech, tmp / "long.mp4")
            fps_runs.append(rep.frames / (time.perf_counter() - t0))
    english = [r for r in rows if not any("\u4e00" <= ch <= "\u9fff" for ch in r["text"])]

    def mean(key: str, subset: list[dict]) -> float:
        vals = [r[key] for r in subset if np.isfinite(r[key])]
        return round(statistics.fmean(vals), 3)

    result = {
        "frame_size": list(portrait.image.shape[1::-1]),
        "sentences": rows,
        "mean_english": {k: mean(k, english) for k in KEYS},
        "mean_all": {k: mean(k, rows) for k in KEYS},
        "worst_still_drift_px": max(r["still_drift_px_max"] for r in rows),
        "render_fps_runs": [round(v, 1) for v in fps_runs],
        "render_fps_median": round(statistics.median(fps_runs), 1),
        "long_output_seconds": round(rep.duration, 2),
    }
    print(json.dumps(result, indent=1, ensure_ascii=False))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return 0


def contact_sheet(video: Path, path: Path) -> None:
    """Every 5th frame, head and shoulders, 8 per row."""
    import cv2

    from talkinghead.video import read_frames

    frames = [f.image for f in read_frames(video)][::5]
    h, w = frames[0].shape[:2]
    tiles = [cv2.resize(f[: int(h * 0.75), int(w * 0.15): int(w * 0.85)], (210, 230)) for f in frames]
    while len(tiles) % 8:
        tiles.append(np.zeros_like(tiles[0]))
    sheet = np.vstack([np.hstack(tiles[i:i + 8]) for i in range(0, len(tiles), 8)])
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])


if __name__ == "__main__":
    sys.exit(main())
