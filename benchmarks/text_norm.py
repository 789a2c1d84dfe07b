"""Text front end against NVIDIA NeMo-text-processing's public normalisation test cases.

Usage: python benchmarks/text_norm.py --cases DIR [--json out.json] [--show]

DIR is the ``tests/nemo_text_processing`` folder of a checkout of
https://github.com/NVIDIA/NeMo-text-processing (Apache-2.0); the cases are read from there and
never copied into this repository. Scored: English cardinal, ordinal, money, time and date;
Chinese date, money and time (``{lang}/data_text_normalization/test_cases_{kind}.txt``, one
``written~spoken`` pair per line).

Spelling variants count as equal: case, punctuation and hyphens, the words "and", "the", "of"
and "a", and "a.m."/"AM" (both sides are reduced the same way before comparing). ``--show``
prints every case that still differs.
"""

from __future__ import annotations

import argparse
import re
import sys
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", required=True, help="NeMo-text-processing's tests/nemo_text_processing folder")
    ap.add_argument("--json")
    ap.add_argument("--show", action="store_true")
    args = ap.parse_args()
    result = score(Path(args.cases), args.show)
    print({k: f"{v['equal']}/{v['cases']}" for k, v in result.items()}, file=sys.stderr)
    return emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
