"""TTS timing integrity and speed: English and Chinese sentences with digits and punctuation.

Usage: python benchmarks/tts_timings.py [--repeats 3]

For each sentence: are the phoneme intervals contiguous and non-overlapping, how far (ms) does
the last one end from the audio's end, and the real-time factor (median of the repeats, after a
warm-up that loads the voices).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from talkinghead.speech import synthesize

SENTENCES = [
    "Hello! On March 3rd, 2024 I paid $12.50 for 3 books, i.e. 25% off.",
    "Dr. Smith arrived at 3:15 pm; the temperature was -7 degrees.",
    "今天是2024年5月3日，气温25度。",
    "我用Python写代码，一共3.5小时！",
    "The meeting (room 101) starts at 10:30 — don't be late...",
]


def check(speech) -> tuple[bool, float]:
    """(contiguous and non-overlapping, |last end - audio length| in ms)."""
    ph = speech.phonemes
    ok = ph[0].start == 0.0 and all(abs(a.end - b.start) < 1e-9 and a.end > a.start
                                   for a, b in zip(ph, ph[1:]))
    return ok, abs(ph[-1].end - speech.duration) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    synthesize("warm up"), synthesize("预热")
    worst = 0.0
    rows = []
    for text in SENTENCES:
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            speech = synthesize(text)
            times.append(time.perf_counter() - t0)
        ok, end_ms = check(speech)
        worst = max(worst, end_ms)
        rows.append({"text": text, "contiguous": ok, "end_error_ms": round(end_ms, 3),
                     "rtf": round(statistics.median(times) / speech.duration, 4),
                     "seconds": round(speech.duration, 2), "source": speech.source})
        print(f"{'ok ' if ok else 'BAD'} end error {end_ms:5.2f} ms  RTF {statistics.median(times) / speech.duration:.3f}"
              f"  {len(speech.phonemes):3d} phonemes {speech.duration:5.2f} s  [{speech.source}]  {text}")
    print(f"worst end error: {worst:.2f} ms (acceptance: ≤ 10 ms)")
    if args.json:
        Path(args.json).write_text(json.dumps({"sentences": rows, "worst_end_error_ms": worst}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
