"""Forced-alignment accuracy on real speech: GRID speaker s1 against the corpus's own word timings.

Usage: python benchmarks/alignment_accuracy.py [--clips 50] [--long 60] [--json out.json]

Per clip: transcript = the .align words other than sil/sp; error = |our word start - theirs| and
|our word end - theirs|, in ms. With --long N, the first N clips are also joined into one
recording (N × 3 s) and aligned in a single call, to check that chunking keeps accuracy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from talkinghead.speech import align
from talkinghead.video import load_audio

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"
ALIGN_UNITS_PER_S = 25000  # GRID .align time unit: 1/25000 s


def read_align(path: Path) -> list[tuple[str, float, float]]:
    """(word, start s, end s) for the spoken words of a GRID .align file."""
    out = []
    for line in path.read_text().split("\n"):
        parts = line.split()
        if len(parts) == 3 and parts[2] not in ("sil", "sp"):
            out.append((parts[2], int(parts[0]) / ALIGN_UNITS_PER_S, int(parts[1]) / ALIGN_UNITS_PER_S))
    return out


def word_errors_ms(ref: list[tuple[str, float, float]], speech) -> np.ndarray:  # noqa: ANN001
    """(2 × n_words,) absolute start and end errors, ms."""
    if [w.text for w in speech.words] != [r[0] for r in ref]:
        raise SystemExit(f"word mismatch: {[w.text for w in speech.words]} vs {[r[0] for r in ref]}")
    errs = [abs(w.start - r[1]) for w, r in zip(speech.words, ref)]
    errs += [abs(w.end - r[2]) for w, r in zip(speech.words, ref)]
    return np.array(errs) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=50)
    ap.add_argument("--long", type=int, default=60, help="clips joined into one long recording (0: skip)")
    ap.add_argument("--json", help="write the numbers here")
    args = ap.parse_args()
    if not DATA.is_dir():
        print(f"no GRID data at {DATA}", file=sys.stderr)
        return 2
    ids = sorted(p.stem for p in (DATA / "align").glob("*.align"))
    # Every 5th clip: spread over the corpus rather than its first few letters.
    chosen = ids[:: max(1, len(ids) // args.clips)][: args.clips]
    errors, seconds, audio_s = [], 0.0, 0.0
    for cid in chosen:
        ref = read_align(DATA / "align" / f"{cid}.align")
        t0 = time.perf_counter()
        speech = align(DATA / "video" / f"{cid}.mp4", " ".join(w for w, _, _ in ref))
        seconds += time.perf_counter() - t0
        audio_s += speech.duration
        errors.append(word_errors_ms(ref, speech))
    e = np.concatenate(errors)
    result = {"clips": len(chosen), "words": int(e.size // 2), "mae_ms": round(float(e.mean()), 1),
              "median_ms": round(float(np.median(e)), 1), "p90_ms": round(float(np.percentile(e, 90)), 1),
              "within_50ms": round(float(np.mean(e <= 50)), 3),
              "real_time_factor": round(seconds / audio_s, 3)}
    print(f"per clip   : {result['clips']} clips, {result['words']} words: word-boundary error "
          f"mean {result['mae_ms']} ms, median {result['median_ms']} ms, p90 {result['p90_ms']} ms, "
          f"{result['within_50ms']:.1%} within 50 ms; RTF {result['real_time_factor']}")

    if args.long:
        parts, refs, offset = [], [], 0.0
        for cid in ids[: args.long]:
            audio, rate = load_audio(DATA / "video" / f"{cid}.mp4", 16000)
            refs += [(w, a + offset, b + offset) for w, a, b in read_align(DATA / "align" / f"{cid}.align")]
            parts.append(audio)
            offset += len(audio) / rate
        t0 = time.perf_counter()
        speech = align((np.concatenate(parts), 16000), " ".join(w for w, _, _ in refs))
        elapsed = time.perf_counter() - t0
        e = word_errors_ms(refs, speech)
        result["long"] = {"seconds": round(offset, 1), "chunks": speech.metadata["chunks"],
                          "mae_ms": round(float(e.mean()), 1), "median_ms": round(float(np.median(e)), 1),
                          "wall_s": round(elapsed, 1)}
        print(f"one file   : {offset:.0f} s in {speech.metadata['chunks']} chunks: mean "
              f"{result['long']['mae_ms']} ms, median {result['long']['median_ms']} ms; {elapsed:.1f} s wall")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
