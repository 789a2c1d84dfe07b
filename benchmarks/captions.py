"""Captions: how well cues keep their rules, how close they sit to the spoken words, what they cost.

Usage: python benchmarks/captions.py [--clips 20] [--runs 3] [--json out.json]

* rules: on synthesised English, Chinese and mixed paragraphs, every cue's lines, characters,
  duration and reading time, and its start against its first word's first phoneme (TTS timings);
* recordings: GRID clips (the last ``--clips`` of the corpus, which enrollment benchmarks do not
  use) aligned with their transcripts and cued; each cue's start and end against the corpus's own
  word timings (its .align files: independent of our aligner);
* cost: `say` of the same ~10 s text on the built-in portrait without captions, with a soft track
  and burned in, runs alternating, medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from results_io import emit
from talkinghead.captions import CaptionOptions, captions_for
from talkinghead.render import RenderOptions, say
from talkinghead.speech import align, synthesize
from talkinghead.speech.corpus import read_grid_align

GRID = Path(__file__).resolve().parents[2] / "shared" / "data" / "grid_s1"
FPS = 25.0
TEXTS = {
    "en": ("Good morning, everyone. Today's lesson starts at 9:30 and ends at 11:15. The book costs $12.50, "
           "or £9.99 in the UK, and it was published on June 30, 2024. Please read chapters 3 to 5 before "
           "Friday; we will discuss them together, one by one, in the order they were written. Questions? "
           "Send them to me by email, and I will answer every one of them before the next class begins."),
    "zh": ("大家早上好。今天的课从九点半开始，到十一点一刻结束。这本书售价12.50元，出版于2024年6月30日。"
           "请在星期五之前读完第3到第5章；我们会一起讨论，按照写作的顺序一章一章地讲。有问题吗？"
           "请发邮件给我，我会在下一节课开始之前回答每一个问题。"),
    "mixed": "我们用Python写代码，today at 3 pm。The meeting is in 会议室 2, and it lasts 45 minutes。",
}


def rule_stats(captions, speech) -> dict:
    """Every cue against the rules, and its start against its first word's first phoneme."""
    first_phoneme = {}
    for p in speech.phonemes:
        if p.word is not None:
            first_phoneme.setdefault(p.word, p.start)
    cues = captions.cues
    starts_within_frame, reading_ok = 0, 0
    for i, c in enumerate(cues):
        words = [k for k, w in enumerate(speech.words) if c.start <= (w.start + w.end) / 2 < c.end]
        if words and abs(c.start - first_phoneme.get(words[0], speech.words[words[0]].start)) <= 1 / FPS + 1e-9:
            starts_within_frame += 1
        needed = max(1.0, sum(map(len, c.lines)) / 17.0)
        nxt = cues[i + 1].start if i + 1 < len(cues) else None
        if c.end - c.start >= needed - 1 / FPS or (nxt is not None and c.end >= nxt - 1e-9) or nxt is None:
            reading_ok += 1
    return {"cues": len(cues), "max_lines": max(len(c.lines) for c in cues),
            "max_line_chars": max(len(x) for c in cues for x in c.lines),
            "min_s": round(min(c.end - c.start for c in cues), 3), "max_s": round(max(c.end - c.start for c in cues), 3),
            "start_within_1_frame": f"{starts_within_frame}/{len(cues)}", "reading_time_kept": f"{reading_ok}/{len(cues)}",
            "example": cues[min(1, len(cues) - 1)].text}


def grid_stats(n: int) -> dict:
    """Cue starts and ends of aligned GRID clips against the corpus's own word timings."""
    clips = sorted(p.stem for p in (GRID / "align").glob("*.align"))[-n:]
    start_err, end_err, extended = [], [], 0
    for clip in clips:
        truth = read_grid_align(GRID / "align" / f"{clip}.align")
        speech = align(GRID / "video" / f"{clip}.mp4", " ".join(w.text for w in truth))
        captions = captions_for(speech, FPS)
        first, last = captions.cues[0], captions.cues[-1]
        start_err.append(first.start - truth[0].start)
        if last.end > speech.words[-1].end + 1 / FPS:
            extended += 1  # kept up for reading past the last word: its end is not the word's
        else:
            end_err.append(last.end - truth[-1].end)
    frame = 1 / FPS

    def share(errs: list[float]) -> str:
        return f"{sum(abs(e) <= frame + 1e-9 for e in errs)}/{len(errs)}"

    return {"clips": len(clips), "start_within_1_frame": share(start_err),
            "start_median_ms": round(1000 * statistics.median(start_err), 1),
            "start_max_abs_ms": round(1000 * max(map(abs, start_err)), 1),
            "end_within_1_frame": share(end_err), "end_median_ms": round(1000 * statistics.median(end_err), 1)
            if end_err else None, "ends_kept_for_reading": extended}


def cost(runs: int) -> dict:
    """Wall time of `say` on the built-in portrait: none / soft / burn, alternating, medians."""
    text = TEXTS["en"].split(" Please")[0]
    modes = {"none": None, "soft": CaptionOptions(show="soft"), "burn": CaptionOptions(show="burn")}
    times: dict[str, list[float]] = {m: [] for m in modes}
    duration = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        say(None, "Warm up.", Path(tmp) / "warm.mp4")
        for _ in range(runs):
            for mode, options in modes.items():
                t0 = time.perf_counter()
                report = say(None, text, Path(tmp) / f"{mode}.mp4", options=RenderOptions(captions=options))
                times[mode].append(time.perf_counter() - t0)
                duration = report.duration
    med = {m: statistics.median(v) for m, v in times.items()}
    return {"video_s": round(duration, 2), "runs": runs, "wall_s": {m: round(v, 2) for m, v in med.items()},
            "over_none": {m: round(v / med["none"], 3) for m, v in med.items()}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    rules = {}
    for name, text in TEXTS.items():
        speech = synthesize(text)
        rules[name] = rule_stats(captions_for(speech, FPS), speech)
    return emit({"rules": rules, "grid": grid_stats(args.clips), "cost": cost(args.runs)}, args.json)


if __name__ == "__main__":
    sys.exit(main())
