"""Write a Speech's timings as JSON or as a Praat TextGrid (tiers 'words' and 'phones')."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .._io import atomic_output, check_output
from ..phonemes import SILENCE
from .types import Speech

TIMING_SUFFIXES = (".json", ".TextGrid")  # compared case-insensitively


def check_timings_path(path: str | os.PathLike) -> None:
    """Raise InputError unless ``path`` names a format :func:`write_timings` can write, in a
    folder that exists and can be written (:func:`talkinghead._io.check_output`)."""
    check_output(path, TIMING_SUFFIXES, "timings")


def write_timings(speech: Speech, path: str | os.PathLike) -> Path:
    """Save words and phonemes (s) to ``path``: ``.json`` or ``.TextGrid`` (opens in Praat)."""
    check_timings_path(path)
    with atomic_output(path) as tmp:
        if Path(path).suffix.lower() == ".json":
            tmp.write_text(json.dumps(speech.timings_dict(), ensure_ascii=False, indent=1),
                           encoding="utf-8")
        else:
            _textgrid(speech).save(str(tmp), format="long_textgrid", includeBlankSpaces=True)
    return Path(path)


def _textgrid(speech: Speech):  # noqa: ANN202 - praatio.textgrid.Textgrid
    from praatio import textgrid

    end = speech.duration
    words = [(w.start, w.end, w.text) for w in speech.words if w.end > w.start]
    phones = [(p.start, p.end, "" if p.phoneme == SILENCE else p.phoneme) for p in speech.phonemes]
    tg = textgrid.Textgrid()
    tg.addTier(textgrid.IntervalTier("words", _no_overlap(words), 0, end))
    tg.addTier(textgrid.IntervalTier("phones", [x for x in phones if x[2]], 0, end))
    return tg


def _no_overlap(intervals: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Praat rejects overlapping intervals; clip each to start where the previous ended."""
    out: list[tuple[float, float, str]] = []
    for a, b, label in intervals:
        if out and a < out[-1][1]:
            a = out[-1][1]
        if b > a:
            out.append((a, b, label))
    return out
