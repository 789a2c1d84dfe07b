"""Text front end against NVIDIA NeMo-text-processing's public normalisation test cases.

Usage: python benchmarks/text_norm.py --cases DIR [--json out.json] [--show]

DIR is the ``tests/nemo_text_processing`` folder of a checkout of
https://github.com/NVIDIA/NeMo-text-processing (Apache-2.0); the cases are read from there and
never copied into this repository. Scored: English cardinal, ordinal, money, time and date;
Chinese date, money and time (``{lang}/data_text_normalization/test_cases_{kind}.txt``, one
``written~spoken`` pair per line).

Spelling variants count as equal: case, punctuation and hyphens, the words "and", "the", "of"
and "a", and "a.m."/"AM" (both sides are reduced the same way before comparing). ``--show``
prints every case that still differs. Also timed: normalising a long text and one four
times as long (the ratio is 4 when the time grows linearly).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

from results_io import emit
from talkinghead.text import normalize_en, normalize_zh

KINDS = {"en": ("cardinal", "ordinal", "money", "time", "date"), "zh": ("date", "money", "time")}
FILLERS = {"and", "the", "of", "a"}


def reduce_en(text: str) -> str:
    t = text.lower()
    t = re.sub(r"\b([ap])\.?\s?m\b\.?", r"\1m", t)
    t = re.sub(r"[^\w\s']", " ", t.replace("-", " "))
    # Letters written apart are the same initialism: "e s t" = "est".
    t = re.sub(r"\b(\w)\s(?=\w\b)", r"\1", t) if re.search(r"\b\w\s\w\b", t) else t
    return " ".join(w for w in t.split() if w not in FILLERS)


def reduce_zh(text: str) -> str:
    t = text.lower()
    t = re.sub(r"\b([ap])\.?\s?m\b\.?", r"\1m", t)
    return re.sub(r"[\s,.，。!?！？;；:：'\"、·-]", "", t)


def read_cases(path: Path) -> list[tuple[str, str]]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if "~" in line:
            written, spoken = line.split("~", 1)
            cases.append((written, spoken))
    return cases


def score(cases_dir: Path, show: bool = False) -> dict:
    out: dict = {}
    for lang, kinds in KINDS.items():
        normalize, reduce = (normalize_en, reduce_en) if lang == "en" else (normalize_zh, reduce_zh)
        for kind in kinds:
            path = cases_dir / lang / "data_text_normalization" / f"test_cases_{kind}.txt"
            cases = read_cases(path)
            misses = []
            for written, spoken in cases:
                ours = normalize(written)
                if reduce(ours) != reduce(spoken):
                    misses.append({"written": written, "expected": spoken, "ours": ours})
            out[f"{lang}_{kind}"] = {"cases": len(cases), "equal": len(cases) - len(misses),
                                     "share": round((len(cases) - len(misses)) / max(1, len(cases)), 3),
                                     "differ": misses}
            if show:
                for m in misses:
                    print(f"{lang} {kind}: {m['written']!r}: ours {m['ours']!r}, expected {m['expected']!r}",
                          file=sys.stderr)
    return out


# A paragraph with a number of each kind, repeated to make long texts.
PARAGRAPH = {"en": "On March 3rd, 2024 we sold 1500 units for $12.50 each, 13000 people came, call 555-1234. "
                   "The year was 1985, and 3-5% of them paid $5-$10. ",
             "zh": "2024年5月3日，我们卖了2000件，价格9.9元/月，电话400-123-4567，增长了10%-20%。"}


def speed(repeats: int = 3) -> dict:
    """Seconds to normalise 400 and 1600 copies of a paragraph (medians of ``repeats``): the
    ratio is 4 when the time grows linearly with the text."""
    out: dict = {}
    for lang, normalize in (("en", normalize_en), ("zh", normalize_zh)):
        times = []
        for copies in (400, 1600):
            text = PARAGRAPH[lang] * copies
            runs = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                normalize(text)
                runs.append(time.perf_counter() - t0)
            times.append((len(text), statistics.median(runs)))
        (n1, t1), (n4, t4) = times
        out[lang] = {"chars": [n1, n4], "seconds": [round(t1, 3), round(t4, 3)], "ratio": round(t4 / t1, 2)}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", required=True, help="NeMo-text-processing's tests/nemo_text_processing folder")
    ap.add_argument("--json")
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args()
    result = score(Path(args.cases), args.show)
    result["speed"] = speed()
    print({k: f"{v['equal']}/{v['cases']}" for k, v in result.items() if "cases" in v}, result["speed"], file=sys.stderr)
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
