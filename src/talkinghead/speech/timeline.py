"""Turn a backend's phoneme spans into one contiguous time line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..phonemes import SILENCE
from .types import TimedPhoneme

_EPS_S = 1e-6  # s; gaps below this are rounding, not silence


@dataclass(frozen=True)
class Span:
    """A backend symbol's span before it is made contiguous.

    ``keys`` are inventory keys (several for one symbol such as the Chinese final 'iɛ': the span
    is split evenly between them); ``()`` means silence. Times in s.
    """

    keys: tuple[str, ...]
    start: float
    end: float
    source: str = ""
    word: int | None = None


def build_timeline(spans: Iterable[Span], duration: float) -> tuple[TimedPhoneme, ...]:
    """Contiguous, non-overlapping phonemes covering exactly [0, duration] s.

    Gaps become silence, overlaps are cut at the earlier span's end, spans are clipped to the
    audio, multi-key spans are split evenly, and neighbouring silences merge.
    """
    out: list[TimedPhoneme] = []

    def emit(key: str, start: float, end: float, source: str, word: int | None) -> None:
        if end - start <= _EPS_S:
            return
        if key == SILENCE:
            word = None
            if out and out[-1].phoneme == SILENCE:
                prev = out.pop()
                start, source = prev.start, prev.source or source
        out.append(TimedPhoneme(key, start, end, source, word))

    cursor = 0.0
    for span in sorted(spans, key=lambda s: s.start):
        start = max(span.start, cursor, 0.0)
        end = min(span.end, duration)
        if end - start <= _EPS_S:
            continue
        if start - cursor > _EPS_S:
            emit(SILENCE, cursor, start, "", None)
        else:
            start = cursor  # absorb rounding so intervals stay exactly contiguous
        keys = span.keys or (SILENCE,)
        step = (end - start) / len(keys)
        for i, key in enumerate(keys):
            emit(key, start + i * step, end if i == len(keys) - 1 else start + (i + 1) * step,
                 span.source, span.word)
        cursor = end
    if duration - cursor > _EPS_S or not out:
        emit(SILENCE, cursor, duration, "", None)
    elif out:
        last = out[-1]
        out[-1] = TimedPhoneme(last.phoneme, last.start, duration, last.source, last.word)
    return tuple(out)
